#include "undertow/mesh/mesh.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

#include "mesh_internal.hpp"
#include "undertow/core/error.hpp"

namespace undertow {
namespace mesh {
namespace detail {
namespace {

/// Minimal byte (de)serialiser for broadcasting a Mesh from rank 0.
class Packer {
 public:
  void i64(std::int64_t v) { raw(&v, sizeof v); }
  void f64(double v) { raw(&v, sizeof v); }
  void str(const std::string& s) {
    i64(static_cast<std::int64_t>(s.size()));
    bytes_.append(s);
  }
  const std::string& bytes() const { return bytes_; }

 private:
  void raw(const void* p, std::size_t n) { bytes_.append(static_cast<const char*>(p), n); }
  std::string bytes_;
};

class Unpacker {
 public:
  explicit Unpacker(const std::string& bytes) : bytes_(bytes) {}
  std::int64_t i64() {
    std::int64_t v = 0;
    raw(&v, sizeof v);
    return v;
  }
  double f64() {
    double v = 0;
    raw(&v, sizeof v);
    return v;
  }
  std::string str() {
    const std::int64_t n = i64();
    need(static_cast<std::size_t>(n));
    std::string s = bytes_.substr(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return s;
  }

 private:
  void need(std::size_t n) const {
    if (pos_ + n > bytes_.size()) throw Error("mesh: internal error: truncated mesh broadcast");
  }
  void raw(void* p, std::size_t n) {
    need(n);
    std::memcpy(p, bytes_.data() + pos_, n);
    pos_ += n;
  }
  const std::string& bytes_;
  std::size_t pos_ = 0;
};

}  // namespace

Mesh MeshAccess::make(std::string source, std::string name, std::string description, int format_version,
                      const GridSpec& grid, const BoundarySpec& boundary, std::vector<CellFieldInfo> fields) {
  Mesh m;
  m.source_ = std::move(source);
  m.name_ = std::move(name);
  m.description_ = std::move(description);
  m.format_version_ = format_version;
  m.grid_ = grid;
  m.boundary_ = boundary;
  m.fields_ = std::move(fields);
  return m;
}

std::string MeshAccess::pack(const Mesh& m) {
  Packer p;
  p.str(m.source_);
  p.str(m.name_);
  p.str(m.description_);
  p.i64(m.format_version_);
  p.i64(m.grid_.dim);
  for (int d = 0; d < 3; ++d) {
    p.i64(m.grid_.cells[d]);
    p.f64(m.grid_.lower[d]);
    p.f64(m.grid_.upper[d]);
    p.i64(m.grid_.periodic[d] ? 1 : 0);
    for (int side = 0; side < 2; ++side) {
      p.i64(static_cast<std::int64_t>(m.boundary_.at(d, side).kind));
      p.f64(m.boundary_.at(d, side).value);
    }
  }
  p.i64(static_cast<std::int64_t>(m.fields_.size()));
  for (const CellFieldInfo& f : m.fields_) {
    p.str(f.name);
    p.i64(static_cast<std::int64_t>(f.kind));
    p.str(f.file);
    p.str(f.dataset);
    p.str(f.units);
    p.str(f.description);
    p.str(f.declared_at);
  }
  return p.bytes();
}

Mesh MeshAccess::unpack(const std::string& bytes) {
  Unpacker u(bytes);
  Mesh m;
  m.source_ = u.str();
  m.name_ = u.str();
  m.description_ = u.str();
  m.format_version_ = static_cast<int>(u.i64());
  m.grid_.dim = static_cast<int>(u.i64());
  for (int d = 0; d < 3; ++d) {
    m.grid_.cells[d] = u.i64();
    m.grid_.lower[d] = u.f64();
    m.grid_.upper[d] = u.f64();
    m.grid_.periodic[d] = u.i64() != 0;
    for (int side = 0; side < 2; ++side) {
      m.boundary_.at(d, side).kind = static_cast<BoundaryKind>(u.i64());
      m.boundary_.at(d, side).value = u.f64();
    }
  }
  const std::int64_t nfields = u.i64();
  for (std::int64_t n = 0; n < nfields; ++n) {
    CellFieldInfo f;
    f.name = u.str();
    f.kind = static_cast<CellFieldKind>(u.i64());
    f.file = u.str();
    f.dataset = u.str();
    f.units = u.str();
    f.description = u.str();
    f.declared_at = u.str();
    m.fields_.push_back(std::move(f));
  }
  return m;
}

MemoryBudget physical_memory(MPI_Comm comm) {
  // One rank per node (shared-memory island) contributes its node's memory.
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm node = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node), "MPI_Comm_split_type");
  int node_rank = 0;
  MPI_Comm_rank(node, &node_rank);
  MPI_Comm_free(&node);
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  double mine[2] = {0.0, 0.0};
  if (node_rank == 0) {
    mine[0] = (pages > 0 && page_size > 0) ? static_cast<double>(pages) * static_cast<double>(page_size)
                                           : std::numeric_limits<double>::infinity();
    mine[1] = 1.0;
  }
  double total[2] = {0.0, 0.0};
  check_mpi(MPI_Allreduce(mine, total, 2, MPI_DOUBLE, MPI_SUM, comm), "MPI_Allreduce");
  MemoryBudget b;
  b.bytes = total[0];
  b.nodes = static_cast<int>(total[1]);
  return b;
}

}  // namespace detail

Mesh::Mesh(GridSpec grid, BoundarySpec boundary, std::string name)
    : name_(std::move(name)), grid_(grid), boundary_(boundary) {
  grid_.validate();
  boundary_.validate(grid_);
}

bool Mesh::has_field(const std::string& name) const {
  for (const CellFieldInfo& f : fields_) {
    if (f.name == name) return true;
  }
  return false;
}

const CellFieldInfo& Mesh::field_info(const std::string& name) const {
  for (const CellFieldInfo& f : fields_) {
    if (f.name == name) return f;
  }
  std::string names;
  for (const CellFieldInfo& f : fields_) names += (names.empty() ? "" : ", ") + f.name;
  throw Error("mesh '" + name_ + "' has no cell field '" + name + "' (" +
              (names.empty() ? std::string("it has none") : "it has: " + names) + ")");
}

std::shared_ptr<const Decomposition> Mesh::decompose(MPI_Comm comm, std::array<int, 3> ranks_per_dim) const {
  return Decomposition::create(grid_, comm, ranks_per_dim);
}

Field<double> Mesh::load_field(const std::string& name, std::shared_ptr<const Decomposition> decomposition,
                               int ghost) const {
  // Check the name before allocating; the Field constructor is itself collective.
  field_info(name);
  Field<double> f(std::move(decomposition), name, 1, ghost);
  read_field(name, f);
  return f;
}

namespace {

/// The rule a kind imposes on each value: a description of the breach, or nullptr.
const char* breach(CellFieldKind kind, double v) {
  switch (kind) {
    case CellFieldKind::Coefficient:
      return (std::isfinite(v) && v > 0.0) ? nullptr : "not finite and > 0";
    case CellFieldKind::Bathymetry:
      return std::isfinite(v) ? nullptr : "not finite";
    case CellFieldKind::Mask:
      return (v == 0.0 || v == 1.0) ? nullptr : "not 0 or 1";
  }
  return nullptr;
}

bool same_grid(const GridSpec& a, const GridSpec& b) {
  if (a.dim != b.dim) return false;
  for (int d = 0; d < 3; ++d) {
    if (a.cells[d] != b.cells[d]) return false;
    const double scale = std::max(1.0, std::max(std::abs(a.upper[d]), std::abs(a.lower[d])));
    if (std::abs(a.lower[d] - b.lower[d]) > 1e-12 * scale || std::abs(a.upper[d] - b.upper[d]) > 1e-12 * scale) {
      return false;
    }
  }
  return true;
}

}  // namespace

void Mesh::read_field(const std::string& name, const Field<double>& into) const {
  if (!into.valid()) throw Error("Mesh::read_field: field for '" + name + "' has no decomposition");
  const Decomposition& dec = into.decomposition();
  // These depend only on data every rank holds identically: every rank throws alike.
  const CellFieldInfo& info = field_info(name);
  if (!same_grid(dec.grid(), grid_)) {
    throw Error("Mesh::read_field: field '" + into.name() + "' lives on grid " + dec.grid().describe() +
                ", but mesh '" + name_ + "' has grid " + grid_.describe());
  }
  if (into.components() != 1) {
    throw Error("Mesh::read_field: field '" + into.name() + "' has " + std::to_string(into.components()) +
                " components; cell fields fill one-component fields");
  }
  const std::vector<double> values = detail::read_owned_cells(info, dec);

  // Check the kind's rule; report the first breach in global (file) order, so the
  // message is the same for every decomposition.
  const Index3 n = dec.owned_cells();
  const GlobalIndex3 lo = dec.owned_lo();
  const GridSpec& g = grid_;
  std::int64_t first = std::numeric_limits<std::int64_t>::max();
  std::int64_t bad = 0;
  double first_value = 0.0;
  std::size_t pos = 0;
  for (int k = 0; k < n[2]; ++k) {
    for (int j = 0; j < n[1]; ++j) {
      for (int i = 0; i < n[0]; ++i, ++pos) {
        if (!breach(info.kind, values[pos])) continue;
        ++bad;
        const std::int64_t flat = ((lo[2] + k) * g.cells[1] + (lo[1] + j)) * g.cells[0] + (lo[0] + i);
        if (flat < first) {
          first = flat;
          first_value = values[pos];
        }
      }
    }
  }
  std::int64_t global_first = 0, global_bad = 0;
  MPI_Comm comm = dec.comm();
  check_mpi(MPI_Allreduce(&first, &global_first, 1, MPI_INT64_T, MPI_MIN, comm), "MPI_Allreduce");
  check_mpi(MPI_Allreduce(&bad, &global_bad, 1, MPI_INT64_T, MPI_SUM, comm), "MPI_Allreduce");
  if (global_bad > 0) {
    double mine = first == global_first ? first_value : 0.0, value = 0.0;
    int owner = first == global_first ? dec.rank() : dec.size(), root = 0;
    check_mpi(MPI_Allreduce(&owner, &root, 1, MPI_INT, MPI_MIN, comm), "MPI_Allreduce");
    if (dec.rank() == root) value = mine;
    check_mpi(MPI_Bcast(&value, 1, MPI_DOUBLE, root, comm), "MPI_Bcast");
    std::ostringstream os;
    const std::int64_t gi = global_first % g.cells[0];
    const std::int64_t gj = (global_first / g.cells[0]) % g.cells[1];
    const std::int64_t gk = global_first / (g.cells[0] * g.cells[1]);
    os << "cell field '" << info.name << "' (declared at " << info.declared_at << ", dataset '" << info.dataset
       << "' in " << info.file << "): " << global_bad << " value(s) " << breach(info.kind, value) << " as a "
       << to_string(info.kind) << " requires; the first, at cell (i=" << gi;
    if (g.dim > 1) os << ", j=" << gj;
    if (g.dim > 2) os << ", k=" << gk;
    os << "), is " << value;
    throw Error(os.str());
  }

  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), into.view());
  const Box o = into.owned_box();
  pos = 0;
  for (int k = 0; k < n[2]; ++k) {
    for (int j = 0; j < n[1]; ++j) {
      for (int i = 0; i < n[0]; ++i) host(0, o.lo[0] + i, o.lo[1] + j, o.lo[2] + k) = values[pos++];
    }
  }
  Kokkos::deep_copy(into.view(), host);
}

std::string Mesh::describe() const {
  std::ostringstream os;
  os << "mesh '" << name_ << "'";
  if (!source_.empty()) os << " from " << source_ << " (format_version " << format_version_ << ")";
  os << "\n  grid: " << grid_.describe() << "\n  boundary: " << boundary_.describe(grid_.dim);
  for (const CellFieldInfo& f : fields_) {
    os << "\n  field '" << f.name << "': " << to_string(f.kind) << ", dataset '" << f.dataset << "' in " << f.file;
    if (!f.units.empty()) os << " [" << f.units << "]";
  }
  return os.str();
}

Mesh load_mesh(const std::string& path, MPI_Comm comm) {
  const detail::MemoryBudget budget = detail::physical_memory(comm);
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  bool ok = true;
  std::string payload;
  if (rank == 0) {
    try {
      payload = detail::MeshAccess::pack(detail::parse_mesh_file(path, budget));
    } catch (const Error& e) {
      ok = false;
      payload = e.what();
    } catch (const std::exception& e) {  // e.g. std::bad_alloc, filesystem errors
      ok = false;
      payload = "mesh file " + path + ": " + e.what();
    } catch (...) {  // never leave the other ranks waiting in the broadcast
      ok = false;
      payload = "mesh file " + path + ": unknown error while reading";
    }
  }
  detail::broadcast_outcome(comm, 0, ok, payload);
  // Success: the same broadcast pattern carries the packed mesh.
  long long size = static_cast<long long>(payload.size());
  check_mpi(MPI_Bcast(&size, 1, MPI_LONG_LONG, 0, comm), "MPI_Bcast");
  if (rank != 0) payload.assign(static_cast<std::size_t>(size), '\0');
  check_mpi(MPI_Bcast(&payload[0], static_cast<int>(size), MPI_CHAR, 0, comm), "MPI_Bcast");
  return detail::MeshAccess::unpack(payload);
}

}  // namespace mesh
}  // namespace undertow
