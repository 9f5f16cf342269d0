// Field files (see include/undertow/io/field_io.hpp and docs/io.md).
//
// Error handling follows one rule: every step that could fail on some ranks only
// runs inside `agreed`, which ends in one collective agreement, so that no rank
// enters the next collective HDF5 call while another has given up. Metadata is
// validated by rank 0 alone with the serial driver before the collective open, so
// a damaged file is diagnosed before any collective HDF5 call touches it.
#include "undertow/io/field_io.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>

#include "hdf5_util.hpp"
#include "undertow/core/version.hpp"
#include "undertow/io/checksum.hpp"

namespace undertow {
namespace io {

using detail::agreed;
using detail::h5check;
using detail::Hid;

namespace {

constexpr const char* kChecksumAlgorithm = "undertow-sum64-splitmix-v1";
constexpr const char* kLayout = "cell data, C order (z, y, x[, component]): x fastest; grid vectors in (x, y, z) order";

/// Same dimension and cell counts, extents equal to 1e-12 relative.
bool same_grid(const GridSpec& a, const GridSpec& b) {
  if (a.dim != b.dim) return false;
  for (int d = 0; d < 3; ++d) {
    if (a.cells[d] != b.cells[d]) return false;
    const double scale = std::max({std::abs(a.lower[d]), std::abs(a.upper[d]), std::abs(a.upper[d] - a.lower[d])});
    if (std::abs(a.lower[d] - b.lower[d]) > 1e-12 * scale || std::abs(a.upper[d] - b.upper[d]) > 1e-12 * scale) {
      return false;
    }
  }
  return true;
}

bool congruent(MPI_Comm a, MPI_Comm b) {
  int result = MPI_UNEQUAL;
  check_mpi(MPI_Comm_compare(a, b, &result), "MPI_Comm_compare");
  return result == MPI_IDENT || result == MPI_CONGRUENT;
}

/// True if files written by `version` ("major.minor.patch") are readable here:
/// same major version and, while the major version is 0, the same minor one.
bool compatible_version(const std::string& version) {
  int major = -1, minor = -1, patch = -1;
  if (std::sscanf(version.c_str(), "%d.%d.%d", &major, &minor, &patch) != 3) return false;
  if (major != UNDERTOW_VERSION_MAJOR) return false;
  return major != 0 || minor == UNDERTOW_VERSION_MINOR;
}

std::string shape_string(const std::vector<hsize_t>& shape) {
  std::string s = "(";
  for (std::size_t n = 0; n < shape.size(); ++n) s += (n ? ", " : "") + std::to_string(shape[n]);
  return s + ")";
}

herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* out) {
  static_cast<std::vector<std::string>*>(out)->push_back(name);
  return 0;
}

herr_t collect_attr_name(hid_t, const char* name, const H5A_info_t*, void* out) {
  static_cast<std::vector<std::string>*>(out)->push_back(name);
  return 0;
}

std::vector<std::string> attribute_names(hid_t loc, const std::string& where) {
  std::vector<std::string> names;
  hsize_t idx = 0;
  h5check(H5Aiterate2(loc, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_attr_name, &names),
          where + ": cannot list attributes");
  return names;
}

bool has_link(hid_t loc, const std::string& name) {
  const htri_t e = H5Lexists(loc, name.c_str(), H5P_DEFAULT);
  if (e < 0) H5Eclear2(H5E_DEFAULT);
  return e > 0;
}

Hid file_access(MPI_Comm comm) {
  Hid fapl(h5check(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate"), H5Pclose);
  h5check(H5Pset_fapl_mpio(fapl.get(), comm, MPI_INFO_NULL), "H5Pset_fapl_mpio");
  // Metadata read by one rank and broadcast / written collectively: scales and
  // keeps every rank's metadata cache identical.
  h5check(H5Pset_all_coll_metadata_ops(fapl.get(), true), "H5Pset_all_coll_metadata_ops");
  h5check(H5Pset_coll_metadata_write(fapl.get(), true), "H5Pset_coll_metadata_write");
  return fapl;
}

Hid collective_transfer() {
  Hid dxpl(h5check(H5Pcreate(H5P_DATASET_XFER), "H5Pcreate"), H5Pclose);
  h5check(H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE), "H5Pset_dxpl_mpio");
  return dxpl;
}

/// File and memory dataspaces selecting this rank's block of `field`'s dataset.
void block_spaces(hid_t dset, const Field<double>& field, Hid& file_space, Hid& mem_space, const std::string& what) {
  std::vector<hsize_t> start, count;
  detail::owned_hyperslab(field, start, count);
  hsize_t n = 1;
  for (hsize_t c : count) n *= c;
  file_space = Hid(h5check(H5Dget_space(dset), what), H5Sclose);
  const hsize_t mem_dims[1] = {n > 0 ? n : 1};
  mem_space = Hid(h5check(H5Screate_simple(1, mem_dims, nullptr), what), H5Sclose);
  if (n == 0) {  // a rank without cells still takes part in the collective call
    h5check(H5Sselect_none(file_space.get()), what);
    h5check(H5Sselect_none(mem_space.get()), what);
  } else {
    h5check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr), what);
  }
}

FieldFileDescription describe_collective(const std::string& path, MPI_Comm comm, const std::string& function) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::string bytes;
  agreed(comm, [&] {
    if (rank == 0) bytes = detail::serialize(detail::describe_serial(path, function));
  });
  detail::broadcast(comm, bytes, 0);
  return detail::deserialize(bytes);
}

}  // namespace

namespace detail {

FieldFileDescription describe_serial(const std::string& path, const std::string& function) {
  const std::string where = in_file(function, path);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw Error(where + " does not exist");
  if (!std::filesystem::is_regular_file(path, ec)) throw Error(where + " is not a regular file");
  QuietHdf5 quiet;
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw Error(where + " is not an HDF5 file (no HDF5 signature): corrupted, or not a field file");
  }
  Hid fapl(h5check(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate"), H5Pclose);
  // Lock when the file system supports it, but do not fail where it does not
  // (some parallel file systems disable flock).
  h5check(H5Pset_file_locking(fapl.get(), true, true), "H5Pset_file_locking");
  const hid_t opened = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get());
  if (opened < 0) {
    const std::string why = hdf5_error_detail();
    throw Error(where + " cannot be opened: the file is truncated or corrupted" +
                (why.empty() ? "" : " (HDF5: " + why + ")"));
  }
  Hid file(opened, H5Fclose);
  const hid_t root = file.get();
  FieldFileDescription d;
  d.path = path;
  if (!has_attr(root, "format_version")) {
    throw Error(where + " is not an Undertow field file (no 'format_version' attribute on '/')");
  }
  d.format_version = static_cast<int>(read_attr_int64(root, "format_version", 1, where)[0]);
  d.undertow_version = has_attr(root, "undertow_version") ? read_attr_string(root, "undertow_version", where) : "?";
  if (d.format_version != field_file_format_version || !compatible_version(d.undertow_version)) {
    throw Error(where + ": version mismatch: written by Undertow " + d.undertow_version + " (field file format " +
                std::to_string(d.format_version) + "), but this is Undertow " + UNDERTOW_VERSION +
                ", which reads format " + std::to_string(field_file_format_version) + " from Undertow " +
                std::to_string(UNDERTOW_VERSION_MAJOR) + "." + std::to_string(UNDERTOW_VERSION_MINOR) + ".x");
  }
  if (!has_attr(root, "complete") || read_attr_int64(root, "complete", 1, where)[0] != 1) {
    throw Error(where + " is incomplete: no completion marker (the writer did not finish)");
  }
  const auto dim = read_attr_int64(root, "dim", 1, where)[0];
  if (dim < 1 || dim > 3) throw Error(where + ": attribute 'dim' is " + std::to_string(dim) + ", expected 1, 2 or 3");
  d.grid.dim = static_cast<int>(dim);
  const int n = d.grid.dim;
  const auto cells = read_attr_int64(root, "cells", n, where);
  const auto lower = read_attr_double(root, "lower", n, where);
  const auto upper = read_attr_double(root, "upper", n, where);
  const auto periodic = read_attr_int64(root, "periodic", n, where);
  for (int k = 0; k < n; ++k) {
    d.grid.cells[k] = cells[k];
    d.grid.lower[k] = lower[k];
    d.grid.upper[k] = upper[k];
    d.grid.periodic[k] = periodic[k] != 0;
  }
  try {
    d.grid.validate();
  } catch (const Error& e) {
    throw Error(where + ": the stored grid is invalid: " + e.what());
  }
  d.info.step = read_attr_int64(root, "step", 1, where)[0];
  d.info.time = read_attr_double(root, "time", 1, where)[0];
  for (const char* group_name : {"scalars", "integers"}) {
    if (!has_link(root, group_name)) continue;
    Hid group(h5check(H5Gopen2(root, group_name, H5P_DEFAULT), where + ": cannot open group '/" + group_name + "'"),
              H5Gclose);
    const std::string gwhere = where + ", group '/" + group_name + "'";
    for (const std::string& name : attribute_names(group.get(), gwhere)) {
      if (group_name[0] == 's') {
        d.info.scalars[name] = read_attr_double(group.get(), name, 1, gwhere)[0];
      } else {
        d.info.integers[name] = read_attr_int64(group.get(), name, 1, gwhere)[0];
      }
    }
  }
  if (!has_link(root, "fields")) throw Error(where + " has no '/fields' group");
  Hid fields(h5check(H5Gopen2(root, "fields", H5P_DEFAULT), where + ": cannot open group '/fields'"), H5Gclose);
  std::vector<std::string> names;
  hsize_t idx = 0;
  h5check(H5Literate(fields.get(), H5_INDEX_NAME, H5_ITER_INC, &idx, collect_name, &names),
          where + ": cannot list '/fields'");
  for (const std::string& name : names) {
    const std::string dwhere = where + ", dataset '/fields/" + name + "'";
    Hid dset(h5check(H5Dopen2(fields.get(), name.c_str(), H5P_DEFAULT), dwhere + ": cannot open"), H5Dclose);
    FieldEntry entry;
    entry.name = name;
    entry.components = static_cast<int>(read_attr_int64(dset.get(), "components", 1, dwhere)[0]);
    if (entry.components < 1) throw Error(dwhere + ": attribute 'components' must be positive");
    const std::string algorithm = read_attr_string(dset.get(), "checksum_algorithm", dwhere);
    if (algorithm != kChecksumAlgorithm) {
      throw Error(dwhere + ": unknown checksum algorithm '" + algorithm + "' (expected '" + kChecksumAlgorithm + "')");
    }
    entry.checksum = read_attr_uint64(dset.get(), "checksum", dwhere);
    Hid type(h5check(H5Dget_type(dset.get()), dwhere), H5Tclose);
    if (H5Tget_class(type.get()) != H5T_FLOAT || H5Tget_size(type.get()) != 8) {
      throw Error(dwhere + " does not hold 64-bit floating point values");
    }
    Hid space(h5check(H5Dget_space(dset.get()), dwhere), H5Sclose);
    const int rank = H5Sget_simple_extent_ndims(space.get());
    std::vector<hsize_t> shape(static_cast<std::size_t>(std::max(rank, 0)));
    if (rank < 0 || H5Sget_simple_extent_dims(space.get(), shape.data(), nullptr) < 0) {
      throw Error(dwhere + ": cannot read its shape" + std::string(" (HDF5: ") + hdf5_error_detail() + ")");
    }
    const auto expected = dataset_shape(d.grid, entry.components);
    if (shape != expected) {
      throw Error(dwhere + " has shape " + shape_string(shape) + ", but the file's grid and the field's " +
                  std::to_string(entry.components) + " component(s) imply " + shape_string(expected));
    }
    d.fields.push_back(entry);
  }
  return d;
}

}  // namespace detail

std::string xdmf_path(const std::string& path_h5) {
  std::filesystem::path p(path_h5);
  const std::string ext = p.extension().string();
  if (ext == ".h5" || ext == ".hdf5" || ext == ".hdf") return p.replace_extension(".xmf").string();
  return path_h5 + ".xmf";
}

void write_fields(const std::string& path_h5, const std::vector<Field<double>>& fields, const FieldFileInfo& info,
                  bool write_xdmf) {
  const std::string where = detail::in_file("write_fields", path_h5);
  if (fields.empty()) throw Error(where + ": no fields given");
  if (!fields[0].valid()) throw Error(where + ": field 0 is not initialised");
  const MPI_Comm comm = fields[0].decomposition().comm();
  const GridSpec& grid = fields[0].decomposition().grid();
  int rank = 0;
  MPI_Comm_rank(comm, &rank);

  agreed(comm, [&] {
    std::set<std::string> seen;
    for (std::size_t n = 0; n < fields.size(); ++n) {
      const Field<double>& f = fields[n];
      if (!f.valid()) throw Error(where + ": field " + std::to_string(n) + " is not initialised");
      detail::check_name(f.name(), "field", where);
      if (!seen.insert(f.name()).second) throw Error(where + ": two fields are named '" + f.name() + "'");
      if (!same_grid(f.decomposition().grid(), grid) || !congruent(f.decomposition().comm(), comm)) {
        throw Error(where + ": field '" + f.name() + "' is not on the same grid and communicator as field '" +
                    fields[0].name() + "'");
      }
    }
    for (const auto& s : info.scalars) detail::check_name(s.first, "scalar", where);
    for (const auto& s : info.integers) detail::check_name(s.first, "integer", where);
  });

  // Values in file order and their checksums, before the file exists: the
  // checksum's allreduce must not interleave with HDF5's collectives.
  std::vector<std::vector<double>> packed;
  std::vector<std::uint64_t> local_sums, sums(fields.size());
  for (const Field<double>& f : fields) {
    packed.push_back(detail::pack_owned(f));
    local_sums.push_back(detail::local_checksum(f, packed.back()));
  }
  check_mpi(MPI_Allreduce(local_sums.data(), sums.data(), static_cast<int>(sums.size()), MPI_UINT64_T, MPI_SUM, comm),
            "MPI_Allreduce");

  // Everything goes to a temporary name first; only a finished, closed file is
  // renamed to `path_h5`, so readers never see a partial file under that name.
  const std::string tmp = path_h5 + ".tmp";
  detail::QuietHdf5 quiet;
  Hid file;
  agreed(comm, [&] {
    Hid fapl = file_access(comm);
    file = Hid(h5check(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()),
                       where + ": cannot create the temporary file '" + tmp + "'"),
               H5Fclose);
  });
  const hid_t root = file.get();
  Hid fields_group;
  agreed(comm, [&] {
    const bool one = true;
    const int n = grid.dim;
    std::vector<std::int64_t> cells, periodic;
    std::vector<double> lower, upper, spacing;
    for (int d = 0; d < n; ++d) {
      cells.push_back(grid.cells[d]);
      periodic.push_back(grid.periodic[d] ? 1 : 0);
      lower.push_back(grid.lower[d]);
      upper.push_back(grid.upper[d]);
      spacing.push_back(grid.spacing(d));
    }
    detail::write_attr(root, "format_version", std::vector<std::int64_t>{field_file_format_version}, one);
    detail::write_attr(root, "undertow_version", std::string(UNDERTOW_VERSION));
    detail::write_attr(root, "layout", std::string(kLayout));
    detail::write_attr(root, "dim", std::vector<std::int64_t>{grid.dim}, one);
    detail::write_attr(root, "cells", cells, false);
    detail::write_attr(root, "lower", lower, false);
    detail::write_attr(root, "origin", lower, false);
    detail::write_attr(root, "upper", upper, false);
    detail::write_attr(root, "spacing", spacing, false);
    detail::write_attr(root, "periodic", periodic, false);
    detail::write_attr(root, "step", std::vector<std::int64_t>{info.step}, one);
    detail::write_attr(root, "time", std::vector<double>{info.time}, one);
    Hid scalars(h5check(H5Gcreate2(root, "scalars", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), where + ": H5Gcreate2"),
                H5Gclose);
    for (const auto& [name, value] : info.scalars)
      detail::write_attr(scalars.get(), name, std::vector<double>{value}, one);
    Hid integers(h5check(H5Gcreate2(root, "integers", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), where + ": H5Gcreate2"),
                 H5Gclose);
    for (const auto& [name, value] : info.integers) {
      detail::write_attr(integers.get(), name, std::vector<std::int64_t>{value}, one);
    }
    fields_group = Hid(
        h5check(H5Gcreate2(root, "fields", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), where + ": H5Gcreate2"), H5Gclose);
  });

  for (std::size_t n = 0; n < fields.size(); ++n) {
    const Field<double>& f = fields[n];
    const std::string what = where + ": dataset '/fields/" + f.name() + "'";
    Hid dset;
    agreed(comm, [&] {
      const auto shape = detail::dataset_shape(grid, f.components());
      Hid space(h5check(H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr), what), H5Sclose);
      Hid dcpl(h5check(H5Pcreate(H5P_DATASET_CREATE), what), H5Pclose);
      h5check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), what);  // every value is written below
      dset = Hid(h5check(H5Dcreate2(fields_group.get(), f.name().c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT,
                                    dcpl.get(), H5P_DEFAULT),
                         what + ": cannot create"),
                 H5Dclose);
      detail::write_attr(dset.get(), "name", f.name());
      detail::write_attr(dset.get(), "components", std::vector<std::int64_t>{f.components()}, true);
      detail::write_attr(dset.get(), "centering", std::string("cell"));
      detail::write_attr(dset.get(), "checksum", sums[n]);
      detail::write_attr(dset.get(), "checksum_algorithm", std::string(kChecksumAlgorithm));
    });
    agreed(comm, [&] {
      Hid file_space, mem_space;
      block_spaces(dset.get(), f, file_space, mem_space, what);
      Hid dxpl = collective_transfer();
      h5check(H5Dwrite(dset.get(), H5T_NATIVE_DOUBLE, mem_space.get(), file_space.get(), dxpl.get(), packed[n].data()),
              what + ": cannot write");
    });
    agreed(comm, [&] { h5check(dset.reset(), what + ": cannot close"); });
  }
  agreed(comm, [&] {
    h5check(fields_group.reset(), where + ": cannot close '/fields'");
    // The completion marker goes last: a file without it was not finished.
    detail::write_attr(root, "complete", std::vector<std::int64_t>{1}, true);
  });
  agreed(comm, [&] { h5check(file.reset(), where + ": cannot close the temporary file '" + tmp + "'"); });
  // Every rank has closed the file (the agreement above is a barrier): rank 0
  // renames, and the next agreement makes the final name visible to all ranks.
  agreed(comm, [&] {
    if (rank == 0) detail::rename_atomically(tmp, path_h5);
  });
  if (write_xdmf) {
    agreed(comm, [&] {
      if (rank != 0) return;
      std::vector<FieldEntry> entries;
      for (const Field<double>& f : fields) entries.push_back({f.name(), f.components(), 0});
      std::sort(entries.begin(), entries.end(),
                [](const FieldEntry& a, const FieldEntry& b) { return a.name < b.name; });
      const std::string href = std::filesystem::path(path_h5).filename().string();
      detail::write_text_atomically(xdmf_path(path_h5), detail::xdmf_document(detail::xdmf_uniform_grid(
                                                            grid, entries, href, info.time, "fields", "    ")));
    });
  }
}

FieldFileInfo read_fields(const std::string& path_h5, const std::vector<Field<double>>& fields) {
  std::vector<std::string> names;
  for (const Field<double>& f : fields) names.push_back(f.valid() ? f.name() : std::string());
  return read_fields(path_h5, fields, names);
}

FieldFileInfo read_fields(const std::string& path_h5, const std::vector<Field<double>>& fields,
                          const std::vector<std::string>& names_in_file) {
  const std::string where = detail::in_file("read_fields", path_h5);
  if (fields.empty()) throw Error(where + ": no fields given");
  if (!fields[0].valid()) throw Error(where + ": field 0 is not initialised");
  if (names_in_file.size() != fields.size()) {
    throw Error(where + ": " + std::to_string(fields.size()) + " fields but " + std::to_string(names_in_file.size()) +
                " dataset names");
  }
  const MPI_Comm comm = fields[0].decomposition().comm();
  agreed(comm, [&] {
    for (std::size_t n = 0; n < fields.size(); ++n) {
      if (!fields[n].valid()) throw Error(where + ": field " + std::to_string(n) + " is not initialised");
      detail::check_name(names_in_file[n], "field", where);
      if (!congruent(fields[n].decomposition().comm(), comm)) {
        throw Error(where + ": field '" + fields[n].name() + "' is not on the communicator of field '" +
                    fields[0].name() + "'");
      }
    }
  });

  const FieldFileDescription d = describe_collective(path_h5, comm, "read_fields");
  std::vector<const FieldEntry*> entries(fields.size(), nullptr);
  agreed(comm, [&] {
    for (std::size_t n = 0; n < fields.size(); ++n) {
      const std::string& name = names_in_file[n];
      for (const FieldEntry& e : d.fields)
        if (e.name == name) entries[n] = &e;
      if (entries[n] == nullptr) {
        std::string present;
        for (const FieldEntry& e : d.fields) present += (present.empty() ? "" : ", ") + e.name;
        throw Error(where + " has no dataset '/fields/" + name +
                    "' (fields in the file: " + (present.empty() ? "none" : present) + ")");
      }
      if (entries[n]->components != fields[n].components()) {
        throw Error(where + ": dataset '/fields/" + name + "' has " + std::to_string(entries[n]->components) +
                    " component(s), but field '" + fields[n].name() + "' has " +
                    std::to_string(fields[n].components()));
      }
      const GridSpec& g = fields[n].decomposition().grid();
      if (!same_grid(g, d.grid)) {
        throw Error(where + ": grid mismatch: the file holds " + d.grid.describe() + ", but field '" +
                    fields[n].name() + "' lives on " + g.describe());
      }
    }
  });

  detail::QuietHdf5 quiet;
  Hid file;
  agreed(comm, [&] {
    Hid fapl = file_access(comm);
    file = Hid(h5check(H5Fopen(path_h5.c_str(), H5F_ACC_RDONLY, fapl.get()), where + " cannot be opened"), H5Fclose);
  });
  // Read everything into buffers and verify before touching any field, so that a
  // failed read leaves the fields as they were.
  std::vector<std::vector<double>> values(fields.size());
  for (std::size_t n = 0; n < fields.size(); ++n) {
    const Field<double>& f = fields[n];
    const std::string what = where + ": dataset '/fields/" + names_in_file[n] + "'";
    Hid dset;
    Hid file_space, mem_space;
    agreed(comm, [&] {
      const std::string link = "/fields/" + names_in_file[n];
      dset = Hid(h5check(H5Dopen2(file.get(), link.c_str(), H5P_DEFAULT), what + ": cannot open"), H5Dclose);
      block_spaces(dset.get(), f, file_space, mem_space, what);
      values[n].resize(static_cast<std::size_t>(f.decomposition().owned_total() * f.components()));
    });
    agreed(comm, [&] {
      Hid dxpl = collective_transfer();
      h5check(H5Dread(dset.get(), H5T_NATIVE_DOUBLE, mem_space.get(), file_space.get(), dxpl.get(), values[n].data()),
              what + ": cannot read");
    });
    agreed(comm, [&] {
      file_space.reset();
      mem_space.reset();
      h5check(dset.reset(), what + ": cannot close");
    });
  }
  agreed(comm, [&] { h5check(file.reset(), where + ": cannot close"); });

  std::vector<std::uint64_t> local_sums, sums(fields.size());
  for (std::size_t n = 0; n < fields.size(); ++n) local_sums.push_back(detail::local_checksum(fields[n], values[n]));
  check_mpi(MPI_Allreduce(local_sums.data(), sums.data(), static_cast<int>(sums.size()), MPI_UINT64_T, MPI_SUM, comm),
            "MPI_Allreduce");
  for (std::size_t n = 0; n < fields.size(); ++n) {
    // Every rank holds the same reduced value: this check throws everywhere or nowhere.
    if (sums[n] != entries[n]->checksum) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "(stored %016llx, computed %016llx)",
                    static_cast<unsigned long long>(entries[n]->checksum), static_cast<unsigned long long>(sums[n]));
      throw Error(where + ": dataset '/fields/" + names_in_file[n] + "' is corrupted: checksum mismatch " + buf);
    }
  }
  for (std::size_t n = 0; n < fields.size(); ++n) detail::unpack_owned(fields[n], values[n]);
  return d.info;
}

FieldFileDescription describe_field_file(const std::string& path_h5, MPI_Comm comm) {
  return describe_collective(path_h5, comm, "describe_field_file");
}

}  // namespace io
}  // namespace undertow
