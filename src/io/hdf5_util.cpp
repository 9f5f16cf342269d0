#include "hdf5_util.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "undertow/io/checksum.hpp"

namespace undertow {
namespace io {
namespace detail {

QuietHdf5::QuietHdf5() {
  H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

QuietHdf5::~QuietHdf5() {
  H5Eset_auto2(H5E_DEFAULT, func_, data_);
}

namespace {

herr_t first_message(unsigned n, const H5E_error2_t* err, void* out) {
  // Walking downward, entry 0 is where HDF5 first detected the problem: the most
  // specific description ("truncated file: eof = ...").
  if (n == 0 && err->desc != nullptr) *static_cast<std::string*>(out) = err->desc;
  return 0;
}

}  // namespace

std::string hdf5_error_detail() {
  std::string message;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, first_message, &message);
  H5Eclear2(H5E_DEFAULT);
  return message;
}

hid_t h5check(hid_t status, const std::string& what) {
  if (status < 0) {
    const std::string detail = hdf5_error_detail();
    throw Error(what + (detail.empty() ? std::string() : " (HDF5: " + detail + ")"));
  }
  return status;
}

namespace {

Hid make_space(std::size_t n, bool scalar) {
  if (scalar) return Hid(h5check(H5Screate(H5S_SCALAR), "H5Screate"), H5Sclose);
  const hsize_t dims[1] = {static_cast<hsize_t>(n)};
  return Hid(h5check(H5Screate_simple(1, dims, nullptr), "H5Screate_simple"), H5Sclose);
}

void write_attr_raw(hid_t loc, const std::string& name, hid_t file_type, hid_t mem_type, hid_t space,
                    const void* data) {
  if (H5Aexists(loc, name.c_str()) > 0) h5check(H5Adelete(loc, name.c_str()), "H5Adelete '" + name + "'");
  Hid attr(h5check(H5Acreate2(loc, name.c_str(), file_type, space, H5P_DEFAULT, H5P_DEFAULT),
                   "cannot create attribute '" + name + "'"),
           H5Aclose);
  h5check(H5Awrite(attr.get(), mem_type, data), "cannot write attribute '" + name + "'");
}

Hid string_type(std::size_t length) {
  Hid type(h5check(H5Tcopy(H5T_C_S1), "H5Tcopy"), H5Tclose);
  h5check(H5Tset_size(type.get(), length == 0 ? 1 : length), "H5Tset_size");
  h5check(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), "H5Tset_strpad");
  return type;
}

/// Opens attribute `name`, checks its type class and element count.
Hid open_attr(hid_t loc, const std::string& name, H5T_class_t cls, int expected_length, const std::string& where,
              const char* kind, hsize_t& length) {
  if (H5Aexists(loc, name.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw Error(where + ": attribute '" + name + "' is missing");
  }
  Hid attr(h5check(H5Aopen(loc, name.c_str(), H5P_DEFAULT), where + ": cannot open attribute '" + name + "'"),
           H5Aclose);
  Hid type(h5check(H5Aget_type(attr.get()), where + ": attribute '" + name + "'"), H5Tclose);
  Hid space(h5check(H5Aget_space(attr.get()), where + ": attribute '" + name + "'"), H5Sclose);
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (H5Tget_class(type.get()) != cls || n < 0) {
    throw Error(where + ": attribute '" + name + "' is not " + kind);
  }
  if (expected_length >= 0 && n != expected_length) {
    throw Error(where + ": attribute '" + name + "' has " + std::to_string(n) + " values, expected " +
                std::to_string(expected_length));
  }
  length = static_cast<hsize_t>(n);
  return attr;
}

}  // namespace

bool has_attr(hid_t loc, const std::string& name) {
  const htri_t e = H5Aexists(loc, name.c_str());
  if (e < 0) H5Eclear2(H5E_DEFAULT);
  return e > 0;
}

void write_attr(hid_t loc, const std::string& name, const std::string& value) {
  Hid type = string_type(value.size());
  Hid space = make_space(1, true);
  std::string padded = value.empty() ? std::string(1, '\0') : value;
  write_attr_raw(loc, name, type.get(), type.get(), space.get(), padded.data());
}

void write_attr(hid_t loc, const std::string& name, const std::vector<std::int64_t>& values, bool scalar) {
  Hid space = make_space(values.size(), scalar && values.size() == 1);
  write_attr_raw(loc, name, H5T_STD_I64LE, H5T_NATIVE_INT64, space.get(), values.data());
}

void write_attr(hid_t loc, const std::string& name, const std::vector<double>& values, bool scalar) {
  Hid space = make_space(values.size(), scalar && values.size() == 1);
  write_attr_raw(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, space.get(), values.data());
}

void write_attr(hid_t loc, const std::string& name, std::uint64_t value) {
  Hid space = make_space(1, true);
  write_attr_raw(loc, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, space.get(), &value);
}

std::string read_attr_string(hid_t loc, const std::string& name, const std::string& where) {
  hsize_t n = 0;
  Hid attr = open_attr(loc, name, H5T_STRING, 1, where, "a string", n);
  Hid type(h5check(H5Aget_type(attr.get()), where + ": attribute '" + name + "'"), H5Tclose);
  if (H5Tis_variable_str(type.get()) > 0) throw Error(where + ": attribute '" + name + "' is a variable-length string");
  const std::size_t size = H5Tget_size(type.get());
  std::string value(size, '\0');
  h5check(H5Aread(attr.get(), type.get(), value.data()), where + ": cannot read attribute '" + name + "'");
  const auto end = value.find('\0');
  if (end != std::string::npos) value.resize(end);
  return value;
}

std::vector<std::int64_t> read_attr_int64(hid_t loc, const std::string& name, int expected_length,
                                          const std::string& where) {
  hsize_t n = 0;
  Hid attr = open_attr(loc, name, H5T_INTEGER, expected_length, where, "an integer", n);
  std::vector<std::int64_t> values(static_cast<std::size_t>(n));
  h5check(H5Aread(attr.get(), H5T_NATIVE_INT64, values.data()), where + ": cannot read attribute '" + name + "'");
  return values;
}

std::vector<double> read_attr_double(hid_t loc, const std::string& name, int expected_length,
                                     const std::string& where) {
  hsize_t n = 0;
  Hid attr = open_attr(loc, name, H5T_FLOAT, expected_length, where, "floating point", n);
  std::vector<double> values(static_cast<std::size_t>(n));
  h5check(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, values.data()), where + ": cannot read attribute '" + name + "'");
  return values;
}

std::uint64_t read_attr_uint64(hid_t loc, const std::string& name, const std::string& where) {
  hsize_t n = 0;
  Hid attr = open_attr(loc, name, H5T_INTEGER, 1, where, "an integer", n);
  std::uint64_t value = 0;
  h5check(H5Aread(attr.get(), H5T_NATIVE_UINT64, &value), where + ": cannot read attribute '" + name + "'");
  return value;
}

std::vector<hsize_t> dataset_shape(const GridSpec& grid, int components) {
  std::vector<hsize_t> shape;
  // 1D data is one row of a 2D mesh: both of ParaView's XDMF readers need the
  // dataset's rank to match the (2D) mesh they are given.
  if (grid.dim == 1) shape.push_back(1);
  for (int d = grid.dim - 1; d >= 0; --d) shape.push_back(static_cast<hsize_t>(grid.cells[d]));
  if (components > 1) shape.push_back(static_cast<hsize_t>(components));
  return shape;
}

void owned_hyperslab(const Field<double>& field, std::vector<hsize_t>& start, std::vector<hsize_t>& count) {
  const Decomposition& dec = field.decomposition();
  start.clear();
  count.clear();
  if (dec.dim() == 1) {
    start.push_back(0);
    count.push_back(1);
  }
  for (int d = dec.dim() - 1; d >= 0; --d) {
    start.push_back(static_cast<hsize_t>(dec.owned_lo()[d]));
    count.push_back(static_cast<hsize_t>(dec.owned_cells()[d]));
  }
  if (field.components() > 1) {
    start.push_back(0);
    count.push_back(static_cast<hsize_t>(field.components()));
  }
}

std::vector<double> pack_owned(const Field<double>& field) {
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), field.view());
  const Box o = field.owned_box();
  const int nc = field.components();
  std::vector<double> packed;
  packed.reserve(static_cast<std::size_t>(o.size() * nc));
  // File order is z, y, x, component (C order of the dataset); the View is
  // (component, x, y, z), so this is a transpose.
  for (int k = o.lo[2]; k < o.hi[2]; ++k)
    for (int j = o.lo[1]; j < o.hi[1]; ++j)
      for (int i = o.lo[0]; i < o.hi[0]; ++i)
        for (int c = 0; c < nc; ++c) packed.push_back(host(c, i, j, k));
  return packed;
}

void unpack_owned(const Field<double>& field, const std::vector<double>& values) {
  // Copy the whole view (ghosts included) so that ghosts come back unchanged.
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), field.view());
  const Box o = field.owned_box();
  const int nc = field.components();
  std::size_t n = 0;
  for (int k = o.lo[2]; k < o.hi[2]; ++k)
    for (int j = o.lo[1]; j < o.hi[1]; ++j)
      for (int i = o.lo[0]; i < o.hi[0]; ++i)
        for (int c = 0; c < nc; ++c) host(c, i, j, k) = values[n++];
  Kokkos::deep_copy(field.view(), host);
}

std::uint64_t local_checksum(const Field<double>& field, const std::vector<double>& packed) {
  const Decomposition& dec = field.decomposition();
  const GridSpec& g = dec.grid();
  const std::uint64_t nx = static_cast<std::uint64_t>(g.cells[0]), ny = static_cast<std::uint64_t>(g.cells[1]);
  const std::uint64_t nc = static_cast<std::uint64_t>(field.components());
  const auto lo = dec.owned_lo();
  const auto n = dec.owned_cells();
  std::uint64_t sum = 0;
  std::size_t p = 0;
  for (int k = 0; k < n[2]; ++k)
    for (int j = 0; j < n[1]; ++j)
      for (int i = 0; i < n[0]; ++i) {
        const std::uint64_t cell =
            (static_cast<std::uint64_t>(lo[2] + k) * ny + static_cast<std::uint64_t>(lo[1] + j)) * nx +
            static_cast<std::uint64_t>(lo[0] + i);
        for (std::uint64_t c = 0; c < nc; ++c) sum += value_hash(cell * nc + c, packed[p++]);
      }
  return sum;
}

std::string in_file(const std::string& function, const std::string& path) {
  return "undertow::io::" + function + ": file '" + path + "'";
}

void check_name(const std::string& name, const std::string& kind, const std::string& context) {
  if (name.empty() || name == "." || name.find('/') != std::string::npos) {
    throw Error(context + ": " + kind + " name '" + name + "' is not allowed (empty, '.' or containing '/')");
  }
}

// --- serialisation of a description for MPI_Bcast -------------------------------

namespace {

struct Packer {
  std::string out;
  template <class T>
  void put(const T& v) {
    out.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  void put(const std::string& s) {
    put<std::uint64_t>(s.size());
    out.append(s);
  }
};

struct Unpacker {
  const std::string& in;
  std::size_t pos = 0;
  template <class T>
  T get() {
    T v;
    if (pos + sizeof(T) > in.size()) throw Error("undertow::io: internal error: short description buffer");
    std::memcpy(&v, in.data() + pos, sizeof(T));
    pos += sizeof(T);
    return v;
  }
  std::string get_string() {
    const auto n = static_cast<std::size_t>(get<std::uint64_t>());
    if (pos + n > in.size()) throw Error("undertow::io: internal error: short description buffer");
    std::string s = in.substr(pos, n);
    pos += n;
    return s;
  }
};

}  // namespace

std::string serialize(const FieldFileDescription& d) {
  Packer p;
  p.put(d.path);
  p.put(d.undertow_version);
  p.put(d.format_version);
  p.put(d.grid.dim);
  for (int i = 0; i < 3; ++i) {
    p.put(d.grid.cells[i]);
    p.put(d.grid.lower[i]);
    p.put(d.grid.upper[i]);
    p.put<char>(d.grid.periodic[i] ? 1 : 0);
  }
  p.put(d.info.step);
  p.put(d.info.time);
  p.put<std::uint64_t>(d.info.scalars.size());
  for (const auto& [k, v] : d.info.scalars) {
    p.put(k);
    p.put(v);
  }
  p.put<std::uint64_t>(d.info.integers.size());
  for (const auto& [k, v] : d.info.integers) {
    p.put(k);
    p.put(v);
  }
  p.put<std::uint64_t>(d.fields.size());
  for (const FieldEntry& f : d.fields) {
    p.put(f.name);
    p.put(f.components);
    p.put(f.checksum);
  }
  return p.out;
}

FieldFileDescription deserialize(const std::string& bytes) {
  Unpacker u{bytes};
  FieldFileDescription d;
  d.path = u.get_string();
  d.undertow_version = u.get_string();
  d.format_version = u.get<int>();
  d.grid.dim = u.get<int>();
  for (int i = 0; i < 3; ++i) {
    d.grid.cells[i] = u.get<std::int64_t>();
    d.grid.lower[i] = u.get<double>();
    d.grid.upper[i] = u.get<double>();
    d.grid.periodic[i] = u.get<char>() != 0;
  }
  d.info.step = u.get<std::int64_t>();
  d.info.time = u.get<double>();
  for (auto n = u.get<std::uint64_t>(); n > 0; --n) {
    std::string k = u.get_string();
    d.info.scalars[k] = u.get<double>();
  }
  for (auto n = u.get<std::uint64_t>(); n > 0; --n) {
    std::string k = u.get_string();
    d.info.integers[k] = u.get<std::int64_t>();
  }
  for (auto n = u.get<std::uint64_t>(); n > 0; --n) {
    FieldEntry f;
    f.name = u.get_string();
    f.components = u.get<int>();
    f.checksum = u.get<std::uint64_t>();
    d.fields.push_back(f);
  }
  return d;
}

void broadcast(MPI_Comm comm, std::string& bytes, int root) {
  unsigned long long n = bytes.size();
  check_mpi(MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, root, comm), "MPI_Bcast");
  bytes.resize(static_cast<std::size_t>(n));
  if (n > 0) check_mpi(MPI_Bcast(bytes.data(), static_cast<int>(n), MPI_CHAR, root, comm), "MPI_Bcast");
}

// --- files ------------------------------------------------------------------------

void sync_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

void rename_atomically(const std::string& from, const std::string& to) {
  sync_file(from);
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    throw Error("cannot rename '" + from + "' to '" + to + "': " + std::strerror(errno));
  }
  // Make the new directory entry durable too.
  std::filesystem::path dir = std::filesystem::path(to).parent_path();
  sync_file(dir.empty() ? std::string(".") : dir.string());
}

void write_text_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot create '" + tmp + "': " + std::strerror(errno));
    out << text;
    out.flush();
    if (!out) throw Error("cannot write '" + tmp + "'");
  }
  rename_atomically(tmp, path);
}

}  // namespace detail
}  // namespace io
}  // namespace undertow
