// HDF5 access to mesh cell fields: the serial metadata check rank 0 runs while
// validating a mesh file, and the collective parallel read of owned hyperslabs.
// Datasets are the natural global array in C order, x fastest: (nx), (ny, nx),
// (nz, ny, nx) -- the layout io/field_io.hpp writes.
#include <hdf5.h>

#include <filesystem>
#include <sstream>
#include <utility>

#include "mesh_internal.hpp"
#include "undertow/core/error.hpp"

namespace undertow {
namespace mesh {
namespace detail {
namespace {

/// Silences HDF5's automatic error-stack printing for a scope: every failure here
/// is reported through undertow::Error instead.
class QuietHdf5 {
 public:
  QuietHdf5() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~QuietHdf5() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
  QuietHdf5(const QuietHdf5&) = delete;
  QuietHdf5& operator=(const QuietHdf5&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

/// Owns one HDF5 identifier; closes it with the matching H5?close.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

std::string shape_string(const std::vector<hsize_t>& dims) {
  std::ostringstream os;
  os << "(";
  for (std::size_t i = 0; i < dims.size(); ++i) os << (i ? ", " : "") << dims[i];
  os << (dims.size() == 1 ? ",)" : ")");
  return os.str();
}

/// The dataset shape a grid needs: reversed cell counts, x last (fastest).
std::vector<hsize_t> expected_shape(const GridSpec& grid) {
  std::vector<hsize_t> dims;
  for (int d = grid.dim - 1; d >= 0; --d) dims.push_back(static_cast<hsize_t>(grid.cells[d]));
  return dims;
}

std::string expected_shape_text(const GridSpec& grid) {
  static const char* names[3] = {"nx", "ny", "nz"};
  std::string axes = "(";
  for (int d = grid.dim - 1; d >= 0; --d) axes += std::string(names[d]) + (d ? ", " : "");
  axes += grid.dim == 1 ? ",)" : ")";
  return axes + " = " + shape_string(expected_shape(grid));
}

herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* data) {
  auto* names = static_cast<std::vector<std::string>*>(data);
  names->push_back(name);
  return names->size() >= 12 ? 1 : 0;  // enough to help; stop early in huge files
}

std::string list_objects(hid_t file) {
  std::vector<std::string> names;
  H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, collect_name, &names);
  if (names.empty()) return "the file is empty";
  std::string s = "objects in the file: ";
  for (std::size_t i = 0; i < names.size(); ++i) s += (i ? ", " : "") + names[i];
  if (names.size() >= 12) s += ", ...";
  return s;
}

const char* class_text(H5T_class_t c) {
  switch (c) {
    case H5T_INTEGER:
      return "integer";
    case H5T_FLOAT:
      return "floating-point";
    case H5T_STRING:
      return "string";
    case H5T_COMPOUND:
      return "compound";
    default:
      return "non-numeric";
  }
}

std::string in_file(const CellFieldInfo& info) {
  return "dataset '" + info.dataset + "' in " + info.file;
}

}  // namespace

void check_cell_file(const CellFieldInfo& info) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(info.file, ec)) {
    throw Error("HDF5 file " + info.file +
                " not found (relative paths are resolved against the mesh file's directory)");
  }
  if (!fs::is_regular_file(info.file, ec)) throw Error("HDF5 file " + info.file + " is not a regular file");
  QuietHdf5 quiet;
  if (H5Fis_hdf5(info.file.c_str()) <= 0) throw Error(info.file + " is not an HDF5 file");
}

void check_cell_dataset(const CellFieldInfo& info, const GridSpec& grid) {
  check_cell_file(info);
  QuietHdf5 quiet;
  Handle file(H5Fopen(info.file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.ok()) throw Error("HDF5 file " + info.file + " cannot be opened for reading");
  Handle dset(H5Dopen2(file.get(), info.dataset.c_str(), H5P_DEFAULT), H5Dclose);
  if (!dset.ok()) {
    throw Error("HDF5 file " + info.file + " has no dataset '" + info.dataset + "' (" + list_objects(file.get()) + ")");
  }
  Handle space(H5Dget_space(dset.get()), H5Sclose);
  const int rank = space.ok() ? H5Sget_simple_extent_ndims(space.get()) : -1;
  if (rank < 0) throw Error(in_file(info) + " has no simple dataspace");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  if (dims != expected_shape(grid)) {
    throw Error(in_file(info) + " has shape " + shape_string(dims) + ", expected " + expected_shape_text(grid) +
                " (C order, x fastest, as h5py shows it)");
  }
  Handle type(H5Dget_type(dset.get()), H5Tclose);
  const H5T_class_t cls = type.ok() ? H5Tget_class(type.get()) : H5T_NO_CLASS;
  const bool want_integer = info.kind == CellFieldKind::Mask;
  const H5T_class_t want = want_integer ? H5T_INTEGER : H5T_FLOAT;
  if (cls != want) {
    throw Error(
        in_file(info) + " holds " + class_text(cls) + " values; a " + to_string(info.kind) + " field must be " +
        (want_integer ? "an integer dataset (1 = water/active, 0 = land/inactive)" : "a floating-point dataset"));
  }
}

void broadcast_outcome(MPI_Comm comm, int root, bool ok, const std::string& message) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  long long header[2] = {ok ? 1 : 0, static_cast<long long>(message.size())};
  check_mpi(MPI_Bcast(header, 2, MPI_LONG_LONG, root, comm), "MPI_Bcast");
  if (header[0] == 1) return;
  std::string text = rank == root ? message : std::string(static_cast<std::size_t>(header[1]), '\0');
  if (header[1] > 0) check_mpi(MPI_Bcast(&text[0], static_cast<int>(header[1]), MPI_CHAR, root, comm), "MPI_Bcast");
  throw Error(text);
}

std::vector<double> read_owned_cells(const CellFieldInfo& info, const Decomposition& dec) {
  MPI_Comm comm = dec.comm();
  const GridSpec& grid = dec.grid();
  const std::string what = "cell field '" + info.name + "' (declared at " + info.declared_at + "): ";

  // The file may have changed since load_mesh looked at it; rank 0 looks again so
  // that a bad file is reported once, identically, before any collective open.
  bool ok = true;
  std::string message;
  if (dec.rank() == 0) {
    try {
      check_cell_dataset(info, grid);
    } catch (const Error& e) {
      ok = false;
      message = what + e.what();
    }
  }
  broadcast_outcome(comm, 0, ok, message);

  QuietHdf5 quiet;
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_fapl_mpio(fapl.get(), comm, MPI_INFO_NULL);
  Handle file(H5Fopen(info.file.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose);
  agree_or_throw(comm, file.ok(), what + "HDF5 file " + info.file + " cannot be opened for parallel reading");
  Handle dset(H5Dopen2(file.get(), info.dataset.c_str(), H5P_DEFAULT), H5Dclose);
  agree_or_throw(comm, dset.ok(), what + "cannot open " + in_file(info));

  // File axes are reversed (x last); the owned box becomes a hyperslab.
  const int dim = grid.dim;
  std::vector<hsize_t> start(static_cast<std::size_t>(dim)), count(static_cast<std::size_t>(dim));
  for (int d = 0; d < dim; ++d) {
    start[static_cast<std::size_t>(dim - 1 - d)] = static_cast<hsize_t>(dec.owned_lo()[d]);
    count[static_cast<std::size_t>(dim - 1 - d)] = static_cast<hsize_t>(dec.owned_cells()[d]);
  }
  std::vector<double> values(static_cast<std::size_t>(dec.owned_total()));
  Handle filespace(H5Dget_space(dset.get()), H5Sclose);
  Handle memspace(H5Screate_simple(dim, count.data(), nullptr), H5Sclose);
  bool selected = filespace.ok() && memspace.ok();
  if (selected && values.empty()) {
    selected = H5Sselect_none(filespace.get()) >= 0 && H5Sselect_none(memspace.get()) >= 0;
  } else if (selected) {
    selected = H5Sselect_hyperslab(filespace.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr) >= 0;
  }
  agree_or_throw(comm, selected, what + "cannot select this rank's cells in " + in_file(info));

  Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE);
  // HDF5 converts any integer or float type to double on the way in.
  const herr_t status =
      H5Dread(dset.get(), H5T_NATIVE_DOUBLE, memspace.get(), filespace.get(), dxpl.get(), values.data());
  agree_or_throw(comm, status >= 0, what + "reading " + in_file(info) + " failed");
  return values;
}

}  // namespace detail
}  // namespace mesh
}  // namespace undertow
