// Private helpers of the time layer: packing owned cells of a list of fields into
// one flat device buffer (memory snapshots), the loop's file names, and small
// POSIX file operations (atomic text files, removal, listing) done on rank 0.
#pragma once

#include <Kokkos_Core.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "undertow/field/field.hpp"

namespace undertow {
namespace time_detail {

using Buffer = Kokkos::View<double*, MemSpace>;

/// Number of owned values (all components) of the fields on this rank.
std::int64_t owned_doubles(const std::vector<Field<double>>& fields);

/// Copies the owned cells of every field, one after the other, into `buffer`.
void pack_owned(const std::vector<Field<double>>& fields, const Buffer& buffer);
/// The inverse: owned cells of every field from `buffer`; ghosts untouched.
void unpack_owned(const Buffer& buffer, const std::vector<Field<double>>& fields);

/// File names inside the loop's directory (see docs/time.md).
std::string snapshot_file(std::int64_t serial);
std::string adjoint_file(std::int64_t position);
constexpr const char* kManifest = "restart.txt";
/// True for names the loop writes (and may therefore delete): snapshot_*.h5,
/// adjoint_*.h5, the manifest and the temporaries of all three.
bool is_loop_file(const std::string& name);
std::string join(const std::string& directory, const std::string& name);

/// Writes `text` to `path` through `path`.tmp, fsync and rename (local, no MPI).
void write_text_atomically(const std::string& path, const std::string& text);
/// Whole file as a string; false if it cannot be opened.
bool read_text(const std::string& path, std::string& text);
/// Names of regular files in `directory` for which is_loop_file holds.
std::vector<std::string> list_loop_files(const std::string& directory);
/// Removes a file if present (errors ignored: a leftover file is harmless).
void remove_file(const std::string& path);

}  // namespace time_detail
}  // namespace undertow
