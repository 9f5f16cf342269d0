// Private helpers for the io layer: RAII HDF5 handles, silencing of HDF5's own
// error printing, typed attribute access, the file-layout arithmetic shared by the
// writer, the reader and the checksum, and a byte packer for broadcasting a file
// description from rank 0.
#pragma once

#include <hdf5.h>
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "undertow/core/error.hpp"
#include "undertow/field/field.hpp"
#include "undertow/io/field_io.hpp"

namespace undertow {
namespace io {
namespace detail {

/// Owns one HDF5 identifier and closes it with the matching H5?close.
class Hid {
 public:
  using Closer = herr_t (*)(hid_t);
  Hid() = default;
  Hid(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Hid(Hid&& other) noexcept : id_(other.id_), closer_(other.closer_) { other.id_ = -1; }
  Hid& operator=(Hid&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = other.id_;
      closer_ = other.closer_;
      other.id_ = -1;
    }
    return *this;
  }
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  ~Hid() { reset(); }

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  /// Closes now; returns the close call's status (0 if nothing was open).
  herr_t reset() {
    herr_t status = 0;
    if (id_ >= 0 && closer_ != nullptr) status = closer_(id_);
    id_ = -1;
    return status;
  }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

/// While alive, HDF5 does not print its error stacks to stderr: the io layer turns
/// every failure into an undertow::Error itself. Restores the previous handler.
class QuietHdf5 {
 public:
  QuietHdf5();
  ~QuietHdf5();
  QuietHdf5(const QuietHdf5&) = delete;
  QuietHdf5& operator=(const QuietHdf5&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

/// The most specific message on HDF5's current error stack ("" if none), then clears it.
std::string hdf5_error_detail();

/// Throws Error(what + HDF5 detail) if `status` is negative; returns it otherwise.
hid_t h5check(hid_t status, const std::string& what);

/// Attributes. Scalars use a scalar dataspace, vectors a 1D one; strings are
/// fixed-length, null-padded ASCII (h5py reads them as bytes).
void write_attr(hid_t loc, const std::string& name, const std::string& value);
void write_attr(hid_t loc, const std::string& name, const std::vector<std::int64_t>& values, bool scalar);
void write_attr(hid_t loc, const std::string& name, const std::vector<double>& values, bool scalar);
void write_attr(hid_t loc, const std::string& name, std::uint64_t value);

/// Readers throw Error naming `where` and the attribute if it is missing or of
/// the wrong type or length (`expected_length` < 0: any length).
std::string read_attr_string(hid_t loc, const std::string& name, const std::string& where);
std::vector<std::int64_t> read_attr_int64(hid_t loc, const std::string& name, int expected_length,
                                          const std::string& where);
std::vector<double> read_attr_double(hid_t loc, const std::string& name, int expected_length, const std::string& where);
std::uint64_t read_attr_uint64(hid_t loc, const std::string& name, const std::string& where);
bool has_attr(hid_t loc, const std::string& name);

/// Shape of a field's dataset (slowest first): reversed used grid dimensions (1D:
/// a leading axis of length 1), then the component axis if there is more than one
/// component.
std::vector<hsize_t> dataset_shape(const GridSpec& grid, int components);

/// This rank's block of a field's dataset: start and count in dataset order.
void owned_hyperslab(const Field<double>& field, std::vector<hsize_t>& start, std::vector<hsize_t>& count);

/// Owned values of `field` in file order (z, y, x, component; x before component
/// only in the sense of C order: component fastest).
std::vector<double> pack_owned(const Field<double>& field);
/// The inverse: writes file-ordered `values` into the owned cells (ghosts kept).
void unpack_owned(const Field<double>& field, const std::vector<double>& values);
/// Sum of value hashes of this rank's packed block (not reduced over ranks).
std::uint64_t local_checksum(const Field<double>& field, const std::vector<double>& packed);

/// "file 'path'" plus a leading context, for error messages.
std::string in_file(const std::string& function, const std::string& path);

/// Name rules shared by fields, scalars and integers.
void check_name(const std::string& name, const std::string& kind, const std::string& context);

/// Reads and validates every piece of metadata of a field file with the serial
/// HDF5 driver. Throws Error naming the file and the problem. Rank 0 calls it.
FieldFileDescription describe_serial(const std::string& path, const std::string& function);

/// Byte (de)serialisation of a description, to broadcast it from rank 0.
std::string serialize(const FieldFileDescription& d);
FieldFileDescription deserialize(const std::string& bytes);
/// Broadcasts `bytes` from `root` (resized on the other ranks).
void broadcast(MPI_Comm comm, std::string& bytes, int root);

/// Runs `f` on every rank and throws the same Error on every rank if it threw
/// (any std::exception) on some rank. `f` must not call collectives that could
/// be skipped by a throw on one rank only.
template <class F>
void agreed(MPI_Comm comm, F&& f) {
  bool ok = true;
  std::string message;
  try {
    f();
  } catch (const std::exception& e) {
    ok = false;
    message = e.what();
  }
  agree_or_throw(comm, ok, message);
}

/// Writes a text file under a temporary name and renames it into place.
void write_text_atomically(const std::string& path, const std::string& text);
/// Flushes a file's data to disk (best effort), by path.
void sync_file(const std::string& path);
/// Renames `from` to `to` atomically and syncs the directory (POSIX rename).
void rename_atomically(const std::string& from, const std::string& to);

/// XDMF: one uniform grid element (with <Time>) for a file's fields, indented.
std::string xdmf_uniform_grid(const GridSpec& grid, const std::vector<FieldEntry>& fields, const std::string& h5_href,
                              double time, const std::string& grid_name, const std::string& indent);
/// A complete XDMF document around `domain_body` (grid elements).
std::string xdmf_document(const std::string& domain_body);

}  // namespace detail
}  // namespace io
}  // namespace undertow
