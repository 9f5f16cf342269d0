// Output directories: created once, checked once, agreed on by every rank.
//
// A program that writes its results under a user-given directory calls
// `create_output_directory(path, comm)` before computing anything. Rank 0 creates
// the directory and its parents if needed and checks that files can be created in
// it (it writes and removes a probe file); any problem (the path or a parent is a
// file, no permission, a read-only or virtual file system such as /proc, an empty
// path) throws the same undertow::Error on every rank of `comm`, naming the path
// and the reason. Without it, such a mistake surfaces late and on one rank only:
// an uncaught std::filesystem::filesystem_error (abort) or an HDF5 failure after
// the whole computation.
#pragma once

#include <mpi.h>

#include <string>

namespace undertow {
namespace io {

/// Collective over `comm`. Creates `directory` (and missing parents) on rank 0 and
/// checks that a file can be created in it; throws Error on every rank otherwise.
void create_output_directory(const std::string& directory, MPI_Comm comm);

/// Collective over `comm`: create_output_directory for the directory part of a
/// file-name prefix ("out/run1" -> "out"; "run1" -> nothing to create, but the
/// current directory must be writable).
void create_output_directory_for_prefix(const std::string& prefix, MPI_Comm comm);

}  // namespace io
}  // namespace undertow
