// The mesh-file parser: TOML (toml11) -> Mesh, rank-local. Every problem becomes
// an undertow::Error of the form "mesh file <path>:<line>: <key>: <problem>" so a
// user can go straight to the offending line; the spec is meshes/README.md.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <limits>
#include <sstream>
#include <toml.hpp>

#include "mesh_internal.hpp"
#include "undertow/core/error.hpp"

namespace undertow {
namespace mesh {
namespace detail {
namespace {

/// The byte offset of the first byte of `text` that does not start or continue a
/// well-formed UTF-8 sequence (RFC 3629: no overlongs, no surrogates, nothing above
/// U+10FFFF), or npos. TOML files are UTF-8; toml11 3.7 reads past its buffer on
/// some malformed sequences, so Undertow checks before handing the text over.
std::size_t first_invalid_utf8(const std::string& text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  std::size_t i = 0;
  while (i < text.size()) {
    const unsigned char b = byte(i);
    int continuation = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // range of the first continuation byte
    if (b < 0x80) {
      ++i;
      continue;
    } else if (b >= 0xC2 && b <= 0xDF) {
      continuation = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
      continuation = 2;
      if (b == 0xE0) lo = 0xA0;  // overlong
      if (b == 0xED) hi = 0x9F;  // surrogates
    } else if (b >= 0xF0 && b <= 0xF4) {
      continuation = 3;
      if (b == 0xF0) lo = 0x90;  // overlong
      if (b == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return i;
    }
    if (i + static_cast<std::size_t>(continuation) >= text.size()) return i;  // cut short
    if (byte(i + 1) < lo || byte(i + 1) > hi) return i;
    for (int k = 2; k <= continuation; ++k) {
      if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return i;
    }
    i += static_cast<std::size_t>(continuation) + 1;
  }
  return std::string::npos;
}

namespace fs = std::filesystem;

std::string type_name(const toml::value& v) {
  switch (v.type()) {
    case toml::value_t::boolean:
      return "a boolean";
    case toml::value_t::integer:
      return "an integer";
    case toml::value_t::floating:
      return "a float";
    case toml::value_t::string:
      return "a string";
    case toml::value_t::offset_datetime:
    case toml::value_t::local_datetime:
    case toml::value_t::local_date:
    case toml::value_t::local_time:
      return "a date/time";
    case toml::value_t::array:
      return "an array";
    case toml::value_t::table:
      return "a table";
    default:
      return "nothing";
  }
}

/// Type and, for scalars, the value: "an integer -3", "a string \"x\"".
std::string brief(const toml::value& v) {
  std::ostringstream os;
  os << type_name(v);
  if (v.is_integer()) os << " " << v.as_integer();
  if (v.is_floating()) os << " " << v.as_floating();
  if (v.is_boolean()) os << (v.as_boolean() ? " true" : " false");
  if (v.is_string()) os << " \"" << v.as_string().str << "\"";
  return os.str();
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string join_key(const std::string& table_key, const std::string& key) {
  return table_key.empty() ? key : table_key + "." + key;
}

std::string dims_word(int dim) {
  return dim == 1 ? "1 entry" : std::to_string(dim) + " entries";
}

/// Checked access to a parsed document; every failure names file, line and key.
class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  const std::string& path() const { return path_; }

  std::string where(const toml::value& at) const { return path_ + ":" + std::to_string(at.location().line()); }

  [[noreturn]] void fail(const toml::value& at, const std::string& key, const std::string& problem) const {
    std::ostringstream os;
    os << "mesh file " << where(at) << ": " << key << ": " << problem;
    const std::string line = trim(at.location().line_str());
    if (!line.empty()) os << " (in `" << line << "`)";
    throw Error(os.str());
  }
  [[noreturn]] void fail_file(const std::string& problem) const { throw Error("mesh file " + path_ + ": " + problem); }

  /// `table` is a table; `table_key` is its dotted name ("" for the top level).
  const toml::value& require(const toml::value& table, const std::string& table_key, const std::string& key,
                             const std::string& expected) const {
    const toml::value* v = find(table, key);
    if (!v) {
      const std::string problem = "missing required key '" + key + "' (" + expected + ")";
      if (table_key.empty()) fail_file(problem);
      fail(table, table_key, problem);
    }
    return *v;
  }
  const toml::value* find(const toml::value& table, const std::string& key) const {
    const auto& t = table.as_table();
    const auto it = t.find(key);
    return it == t.end() ? nullptr : &it->second;
  }

  /// Refuses keys not in `allowed` (a typo would otherwise be silently ignored),
  /// reporting the one on the earliest line.
  void reject_unknown(const toml::value& table, const std::string& table_key, const std::vector<std::string>& allowed,
                      const std::string& hint = "") const {
    const std::pair<const std::string, toml::value>* first = nullptr;
    for (const auto& kv : table.as_table()) {
      if (std::find(allowed.begin(), allowed.end(), kv.first) != allowed.end()) continue;
      if (!first || kv.second.location().line() < first->second.location().line()) first = &kv;
    }
    if (!first) return;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    fail(first->second, join_key(table_key, first->first),
         "unknown key" + (hint.empty() ? "" : "; " + hint) + "; allowed here: " + list);
  }

  std::int64_t integer(const toml::value& v, const std::string& key, const std::string& expected) const {
    if (!v.is_integer()) fail(v, key, "expected " + expected + ", got " + brief(v));
    return v.as_integer();
  }
  /// Integers are accepted where a float is expected ("length = [2, 1]").
  double number(const toml::value& v, const std::string& key, const std::string& expected) const {
    double x = 0.0;
    if (v.is_integer()) {
      x = static_cast<double>(v.as_integer());
    } else if (v.is_floating()) {
      x = v.as_floating();
    } else {
      fail(v, key, "expected " + expected + ", got " + brief(v));
    }
    if (!std::isfinite(x)) fail(v, key, "expected " + expected + ", got " + brief(v));
    return x;
  }
  bool boolean(const toml::value& v, const std::string& key, const std::string& expected) const {
    if (!v.is_boolean()) fail(v, key, "expected " + expected + ", got " + brief(v));
    return v.as_boolean();
  }
  std::string string(const toml::value& v, const std::string& key, const std::string& expected) const {
    if (!v.is_string()) fail(v, key, "expected " + expected + ", got " + brief(v));
    return v.as_string().str;
  }
  std::string nonempty_string(const toml::value& v, const std::string& key, const std::string& expected) const {
    std::string s = string(v, key, expected);
    if (trim(s).empty()) fail(v, key, "expected " + expected + ", got an empty string");
    return s;
  }
  const toml::value& table(const toml::value& v, const std::string& key, const std::string& expected) const {
    if (!v.is_table()) fail(v, key, "expected " + expected + ", got " + brief(v));
    return v;
  }
  /// An array of exactly `dim` entries (one per dimension, x first).
  const toml::array& per_dimension(const toml::value& v, const std::string& key, int dim,
                                   const std::string& expected) const {
    const std::string what = "an array of " + dims_word(dim) + " (one per dimension, x first) of " + expected;
    if (!v.is_array()) fail(v, key, "expected " + what + ", got " + brief(v));
    const toml::array& a = v.as_array();
    if (a.size() != static_cast<std::size_t>(dim)) {
      fail(v, key, "expected " + what + ", got " + std::to_string(a.size()) + " entr" + (a.size() == 1 ? "y" : "ies"));
    }
    return a;
  }

 private:
  std::string path_;
};

std::string index_key(const std::string& key, std::size_t i) {
  return key + "[" + std::to_string(i) + "]";
}

struct GridPart {
  GridSpec grid;
  const toml::value* periodic_value = nullptr;
};

GridPart parse_grid(const Reader& r, const toml::value& root, const MemoryBudget& budget) {
  const toml::value& g = r.table(r.require(root, "", "grid", "a table [grid] with dimension, cells, length, periodic"),
                                 "grid", "a table [grid]");
  r.reject_unknown(g, "grid", {"dimension", "cells", "length", "origin", "periodic"});

  const toml::value& dv = r.require(g, "grid", "dimension", "1, 2 or 3");
  const std::int64_t dim64 = r.integer(dv, "grid.dimension", "1, 2 or 3");
  if (dim64 < 1 || dim64 > 3) r.fail(dv, "grid.dimension", "expected 1, 2 or 3, got " + std::to_string(dim64));
  const int dim = static_cast<int>(dim64);

  GridPart part;
  GridSpec& grid = part.grid;
  grid.dim = dim;

  const toml::value& cv = r.require(g, "grid", "cells", "number of cells per dimension, x first");
  const toml::array& cells = r.per_dimension(cv, "grid.cells", dim, "positive integers");
  double total = 1.0;  // in double: the product of absurd counts overflows int64
  for (std::size_t d = 0; d < cells.size(); ++d) {
    const std::int64_t n = r.integer(cells[d], index_key("grid.cells", d), "a positive integer");
    if (n <= 0) r.fail(cells[d], index_key("grid.cells", d), "expected a positive integer, got " + std::to_string(n));
    if (n > max_cells_per_dimension) {
      r.fail(cells[d], index_key("grid.cells", d),
             std::to_string(n) + " cells exceed the limit of " + std::to_string(max_cells_per_dimension) +
                 " (2^30) per dimension");
    }
    grid.cells[d] = n;
    total *= static_cast<double>(n);
  }
  const double bytes = total * static_cast<double>(sizeof(double));
  if (bytes > budget.bytes) {
    std::ostringstream os;
    os << std::setprecision(3) << "a grid of " << total << " cells needs " << bytes / 1e9
       << " GB for a single double-precision field, more than the " << budget.bytes / 1e9
       << " GB of physical memory on the " << budget.nodes << " node(s) of this job";
    r.fail(cv, "grid.cells", os.str());
  }

  const toml::value& lv = r.require(g, "grid", "length", "physical size per dimension, x first");
  const toml::array& length = r.per_dimension(lv, "grid.length", dim, "positive numbers");
  std::array<double, 3> origin{0.0, 0.0, 0.0};
  if (const toml::value* ov = r.find(g, "origin")) {
    const toml::array& o = r.per_dimension(*ov, "grid.origin", dim, "finite numbers");
    for (std::size_t d = 0; d < o.size(); ++d)
      origin[d] = r.number(o[d], index_key("grid.origin", d), "a finite number");
  }
  for (std::size_t d = 0; d < length.size(); ++d) {
    const std::string key = index_key("grid.length", d);
    const double len = r.number(length[d], key, "a positive number");
    if (!(len > 0.0)) r.fail(length[d], key, "expected a positive number, got " + brief(length[d]));
    grid.lower[d] = origin[d];
    grid.upper[d] = origin[d] + len;
    if (!(grid.upper[d] > grid.lower[d]) || !std::isfinite(grid.upper[d])) {
      r.fail(length[d], key, "origin + length is not a finite number above the origin (length too small or too large)");
    }
  }

  const toml::value& pv = r.require(g, "grid", "periodic", "true/false per dimension, x first");
  const toml::array& periodic = r.per_dimension(pv, "grid.periodic", dim, "booleans");
  for (std::size_t d = 0; d < periodic.size(); ++d) {
    grid.periodic[d] = r.boolean(periodic[d], index_key("grid.periodic", d), "true or false");
  }
  part.periodic_value = &pv;
  try {
    grid.validate();
  } catch (const Error& e) {
    r.fail(g, "grid", e.what());
  }
  return part;
}

BoundarySpec parse_boundary(const Reader& r, const toml::value& root, const GridPart& part) {
  const GridSpec& grid = part.grid;
  const toml::value& b =
      r.table(r.require(root, "", "boundary", "a table [boundary] with one entry per face: x_lower, x_upper, ..."),
              "boundary", "a table [boundary]");
  std::vector<std::string> faces;
  for (int d = 0; d < grid.dim; ++d) {
    for (int side = 0; side < 2; ++side) faces.push_back(face_name(d, side));
  }
  r.reject_unknown(b, "boundary", faces,
                   "faces are named x_lower, x_upper, y_lower, ... and only the " + std::to_string(grid.dim) +
                       " dimension(s) of the grid have faces");

  const std::string kinds = "periodic, wall (or reflective), dirichlet, neumann, outflow";
  BoundarySpec bc;
  std::array<std::array<const toml::value*, 2>, 3> where{};
  for (int d = 0; d < grid.dim; ++d) {
    for (int side = 0; side < 2; ++side) {
      const std::string face = face_name(d, side);
      const std::string key = "boundary." + face;
      const toml::value& fv = r.require(b, "boundary", face, "a boundary kind: " + kinds);
      where[d][side] = &fv;
      FaceBoundary fc;
      const toml::value* kind_value = &fv;
      const toml::value* value_value = nullptr;
      if (fv.is_table()) {
        r.reject_unknown(fv, key, {"kind", "value"});
        kind_value = &r.require(fv, key, "kind", kinds);
        value_value = r.find(fv, "value");
      } else if (!fv.is_string()) {
        r.fail(fv, key, "expected a kind (" + kinds + ") or a table { kind = ..., value = ... }, got " + brief(fv));
      }
      const std::string kind_key = fv.is_table() ? key + ".kind" : key;
      const std::string kind = r.string(*kind_value, kind_key, "a boundary kind: " + kinds);
      try {
        fc.kind = boundary_kind_from_string(kind);
      } catch (const Error& e) {
        r.fail(*kind_value, kind_key, e.what());
      }
      if (fc.kind == BoundaryKind::Dirichlet) {
        if (!value_value) {
          r.fail(fv, key, "a dirichlet face needs a value: write { kind = \"dirichlet\", value = <number> }");
        }
        fc.value = r.number(*value_value, key + ".value", "a finite number");
      } else if (value_value) {
        r.fail(*value_value, key + ".value",
               std::string("'value' is only meaningful for a dirichlet face, this face is ") + to_string(fc.kind));
      }
      bc.at(d, side) = fc;
    }
  }

  // Periodicity is stated twice (grid.periodic and the faces) on purpose: each
  // catches a slip in the other, so they must agree.
  for (int d = 0; d < grid.dim; ++d) {
    const bool lo = bc.at(d, 0).kind == BoundaryKind::Periodic;
    const bool hi = bc.at(d, 1).kind == BoundaryKind::Periodic;
    const std::string axis = face_name(d, 0).substr(0, 1);
    if (lo != hi) {
      const int odd = grid.periodic[d] ? (lo ? 1 : 0) : (lo ? 0 : 1);
      r.fail(*where[d][odd], "boundary." + face_name(d, odd),
             std::string("is ") + to_string(bc.at(d, odd).kind) + " but boundary." + face_name(d, 1 - odd) + " is " +
                 to_string(bc.at(d, 1 - odd).kind) + ": periodic faces come in pairs");
    }
    if (lo != grid.periodic[d]) {
      r.fail(*where[d][0], "boundary." + face_name(d, 0),
             std::string("is ") + to_string(bc.at(d, 0).kind) + " but grid.periodic (line " +
                 std::to_string(part.periodic_value->location().line()) + ") says " + axis + " is " +
                 (grid.periodic[d] ? "" : "not ") +
                 "periodic: a dimension is periodic exactly when both its faces are");
    }
  }
  return bc;
}

std::vector<CellFieldInfo> parse_fields(const Reader& r, const toml::value& root, const GridSpec& grid) {
  std::vector<CellFieldInfo> fields;
  const toml::value* fv = r.find(root, "fields");
  if (!fv) return fields;
  r.table(*fv, "fields", "a table of cell fields, one [fields.<name>] table each");
  // toml11 keeps keys in a hash map: restore the file's order.
  std::vector<const std::pair<const std::string, toml::value>*> entries;
  for (const auto& kv : fv->as_table()) entries.push_back(&kv);
  std::sort(entries.begin(), entries.end(), [](const auto* a, const auto* b) {
    const auto la = a->second.location(), lb = b->second.location();
    return la.line() != lb.line() ? la.line() < lb.line() : la.column() < lb.column();
  });
  const fs::path base = fs::absolute(fs::path(r.path())).parent_path();
  for (const auto* kv : entries) {
    const std::string key = "fields." + kv->first;
    const toml::value& t = r.table(kv->second, key, "a table with file, dataset and kind");
    r.reject_unknown(t, key, {"file", "dataset", "kind", "units", "description"});
    CellFieldInfo info;
    info.name = kv->first;
    const std::string file_expected = "an HDF5 file name, relative to the mesh file's directory";
    const toml::value& file_value = r.require(t, key, "file", file_expected);
    const fs::path file(r.nonempty_string(file_value, key + ".file", file_expected));
    info.file = (file.is_absolute() ? file : base / file).lexically_normal().string();
    const toml::value& dataset_value = r.require(t, key, "dataset", "the dataset's path inside the HDF5 file");
    info.dataset = r.nonempty_string(dataset_value, key + ".dataset", "the dataset's path inside the HDF5 file");
    const toml::value& kind_value = r.require(t, key, "kind", "coefficient, bathymetry or mask");
    const std::string kind = r.string(kind_value, key + ".kind", "coefficient, bathymetry or mask");
    try {
      info.kind = cell_field_kind_from_string(kind);
    } catch (const Error& e) {
      r.fail(kind_value, key + ".kind", e.what());
    }
    if (const toml::value* u = r.find(t, "units")) info.units = r.string(*u, key + ".units", "a string");
    if (const toml::value* d = r.find(t, "description")) {
      info.description = r.string(*d, key + ".description", "a string");
    }
    info.declared_at = r.where(t);
    try {
      check_cell_file(info);
    } catch (const Error& e) {
      r.fail(file_value, key + ".file", e.what());
    }
    try {
      check_cell_dataset(info, grid);
    } catch (const Error& e) {
      r.fail(dataset_value, key + ".dataset", e.what());
    }
    fields.push_back(std::move(info));
  }
  return fields;
}

}  // namespace

Mesh parse_mesh_file(const std::string& path, const MemoryBudget& budget) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error("mesh file " + path + ": not found");
  if (fs::is_directory(path, ec)) throw Error("mesh file " + path + ": is a directory, not a TOML file");
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error("mesh file " + path + ": cannot be opened for reading");
  std::ostringstream contents;
  contents << file.rdbuf();
  const std::string text = contents.str();
  const std::size_t bad = first_invalid_utf8(text);
  if (bad != std::string::npos) {
    const std::size_t line_start = bad == 0 ? std::string::npos : text.rfind('\n', bad - 1);
    const std::size_t column = line_start == std::string::npos ? bad + 1 : bad - line_start;
    std::ostringstream byte;
    byte << "0x" << std::hex << std::uppercase << std::setw(2) << std::setfill('0')
         << static_cast<unsigned>(static_cast<unsigned char>(text[bad]));
    throw Error("mesh file " + path + ": not valid TOML: invalid UTF-8 at line " +
                std::to_string(1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(bad), '\n')) +
                ", column " + std::to_string(column) + " (byte " + byte.str() + "); TOML files must be UTF-8");
  }
  std::istringstream in(text);
  toml::value root;
  try {
    root = toml::parse(in, path);
  } catch (const std::exception& e) {  // toml::syntax_error and friends carry file and line
    throw Error("mesh file " + path + ": not valid TOML: " + e.what());
  }
  const Reader r(path);

  // The version comes first: a newer file may use keys this reader does not know.
  const std::string version_expected =
      "an integer; this Undertow reads format_version " + std::to_string(mesh_format_version);
  const toml::value& vv = r.require(root, "", "format_version", version_expected);
  const std::int64_t version = r.integer(vv, "format_version", version_expected);
  if (version != mesh_format_version) {
    r.fail(vv, "format_version",
           "unsupported format_version " + std::to_string(version) + "; this Undertow reads format_version " +
               std::to_string(mesh_format_version) +
               (version > mesh_format_version ? " (the file needs a newer Undertow)" : ""));
  }
  r.reject_unknown(root, "", {"format_version", "name", "description", "grid", "boundary", "fields"});

  std::string name = fs::path(path).stem().string();
  if (const toml::value* v = r.find(root, "name")) name = r.nonempty_string(*v, "name", "a non-empty string");
  std::string description;
  if (const toml::value* v = r.find(root, "description")) description = r.string(*v, "description", "a string");

  const GridPart grid = parse_grid(r, root, budget);
  const BoundarySpec bc = parse_boundary(r, root, grid);
  std::vector<CellFieldInfo> fields = parse_fields(r, root, grid.grid);
  return MeshAccess::make(path, name, description, static_cast<int>(version), grid.grid, bc, std::move(fields));
}

}  // namespace detail
}  // namespace mesh
}  // namespace undertow
