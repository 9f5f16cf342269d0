// Every validation error of the mesh loader: bad TOML (missing keys, wrong types,
// bad sizes, unknown kinds, inconsistent periodicity, unsupported versions, absurd
// sizes) and bad HDF5 data (missing file or dataset, wrong shape, wrong type, bad
// values). Each must reach every rank as the same undertow::Error naming the
// file, the key and its line, and what was expected.
#include <cmath>

#include "mesh_test_util.hpp"

using namespace undertow;
using namespace undertow::mesh;
using mesh_test::check_error;
using mesh_test::error_of;

namespace {

// Line numbers below refer to this text: line 5 is cells, line 7 periodic, ...
const std::string kBase =
    "format_version = 1\n"                                // 1
    "name = \"t\"\n"                                      // 2
    "[grid]\n"                                            // 3
    "dimension = 2\n"                                     // 4
    "cells = [12, 10]\n"                                  // 5
    "length = [1.0, 2.0]\n"                               // 6
    "periodic = [true, false]\n"                          // 7
    "[boundary]\n"                                        // 8
    "x_lower = \"periodic\"\n"                            // 9
    "x_upper = \"periodic\"\n"                            // 10
    "y_lower = \"wall\"\n"                                // 11
    "y_upper = { kind = \"dirichlet\", value = 1.5 }\n";  // 12

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  if (pos == std::string::npos) throw std::logic_error("test text lacks '" + from + "'");
  return text.replace(pos, from.size(), to);
}

struct Scratch {
  std::string dir = mesh_test::scratch_dir();
  int counter = 0;
  /// Writes `text` to a fresh .toml file and returns its path.
  std::string toml(const std::string& text) {
    const std::string path = dir + "/case" + std::to_string(counter++) + ".toml";
    mesh_test::write_text(path, text);
    return path;
  }
  std::string load_error(const std::string& text) {
    const std::string path = toml(text);
    return error_of([&] { load_mesh(path, MPI_COMM_WORLD); });
  }
};

/// The HDF5 data used by the field cases: a 12 x 10 grid, so datasets are (10, 12).
std::string write_field_data(const std::string& dir) {
  const std::string path = dir + "/fields.h5";
  if (undertow_test::world_rank() == 0) {
    hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    std::vector<double> good(120), bad_coef(120);
    std::vector<int> mask(120), bad_mask(120);
    for (int n = 0; n < 120; ++n) {
      good[n] = 1.0 + n;
      bad_coef[n] = 1.0 + n;
      mask[n] = n % 3 == 0;
      bad_mask[n] = n % 2;
    }
    // Two bad cells; (i=7, j=2) comes first in file order, whoever owns it.
    bad_coef[4 * 12 + 3] = -1.0;
    bad_coef[2 * 12 + 7] = 0.0;
    bad_mask[4 * 12 + 3] = 2;
    mesh_test::write_dataset(f, "good", {10, 12}, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, good.data());
    mesh_test::write_dataset(f, "single", {10, 12}, H5T_NATIVE_DOUBLE, H5T_IEEE_F32LE, good.data());
    mesh_test::write_dataset(f, "static/depth", {10, 12}, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, good.data());
    mesh_test::write_dataset(f, "transposed", {12, 10}, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, good.data());
    mesh_test::write_dataset(f, "flat", {120}, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, good.data());
    mesh_test::write_dataset(f, "int_values", {10, 12}, H5T_NATIVE_INT, H5T_STD_I32LE, mask.data());
    mesh_test::write_dataset(f, "mask", {10, 12}, H5T_NATIVE_INT, H5T_STD_U8LE, mask.data());
    mesh_test::write_dataset(f, "bad_mask", {10, 12}, H5T_NATIVE_INT, H5T_STD_I16LE, bad_mask.data());
    mesh_test::write_dataset(f, "bad_coef", {10, 12}, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, bad_coef.data());
    H5Fclose(f);
    std::ofstream(dir + "/not_hdf5.h5") << "this is not HDF5\n";
  }
  MPI_Barrier(MPI_COMM_WORLD);
  return path;
}

/// kBase plus one field entry (lines 13-16).
std::string with_field(const std::string& file, const std::string& dataset, const std::string& kind) {
  return kBase + "[fields.c]\n" + "file = \"" + file + "\"\n" + "dataset = \"" + dataset + "\"\n" + "kind = \"" + kind +
         "\"\n";
}

}  // namespace

TEST_CASE("the base text of these tests is a valid mesh", "[mesh][errors]") {
  Scratch s;
  const Mesh m = load_mesh(s.toml(kBase), MPI_COMM_WORLD);
  CHECK(m.name() == "t");
  CHECK(m.grid().cells == std::array<std::int64_t, 3>{12, 10, 1});
  CHECK(m.grid().upper[1] == 2.0);
  CHECK(m.boundary().at(1, 1) == FaceBoundary::dirichlet(1.5));
  // "reflective" is a synonym of "wall"; origin shifts the box; integers are fine as lengths.
  const Mesh r = load_mesh(s.toml(replace(replace(kBase, "\"wall\"", "\"reflective\""), "length = [1.0, 2.0]",
                                          "length = [1, 2]\norigin = [-0.5, 10]")),
                           MPI_COMM_WORLD);
  CHECK(r.boundary().at(1, 0).kind == BoundaryKind::Wall);
  CHECK(r.grid().lower[0] == -0.5);
  CHECK(r.grid().upper[1] == 12.0);
}

TEST_CASE("mesh file errors: the file itself", "[mesh][errors]") {
  Scratch s;
  check_error(error_of([&] { load_mesh(s.dir + "/no_such_mesh.toml", MPI_COMM_WORLD); }),
              {"mesh file", "no_such_mesh.toml", "not found"});
  check_error(error_of([&] { load_mesh(s.dir, MPI_COMM_WORLD); }), {"is a directory"});
  check_error(s.load_error(replace(kBase, "[grid]", "[grid")), {"not valid TOML", "case", ".toml", "[grid"});
}

TEST_CASE("mesh file errors: invalid UTF-8 is refused before the TOML parser reads it", "[mesh][errors]") {
  Scratch s;
  // The reproducer: 3 bytes, an invalid UTF-8 lead byte in a literal string (toml11
  // 3.7.1 read past its buffer on it).
  check_error(s.load_error(std::string("'\xff'")), {"not valid TOML", "invalid UTF-8 at line 1, column 2", "0xFF"});
  // Each kind of malformed sequence, in a comment of an otherwise valid mesh.
  const std::pair<const char*, std::string> bad[] = {
      {"stray continuation byte", "\x80"},          {"overlong encoding of '/'", "\xC0\xAF"},
      {"overlong three-byte form", "\xE0\x80\xAF"}, {"UTF-16 surrogate", "\xED\xA0\x80"},
      {"above U+10FFFF", "\xF4\x90\x80\x80"},       {"cut short at the end", "\xE2\x82"},
      {"lead byte 0xF5", "\xF5\x80\x80\x80"},
  };
  for (const auto& b : bad) {
    INFO(b.first);
    check_error(s.load_error(kBase + "# " + b.second), {"invalid UTF-8 at line 13, column 3"});
  }
  // Well-formed multi-byte text (2, 3 and 4 bytes) is fine.
  const Mesh m = load_mesh(s.toml(kBase + "# caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x8C\x8A\n"), MPI_COMM_WORLD);
  CHECK(m.name() == "t");
}

TEST_CASE("mesh file errors: format_version", "[mesh][errors]") {
  Scratch s;
  check_error(s.load_error(replace(kBase, "format_version = 1\n", "")),
              {"missing required key 'format_version'", "reads format_version 1"});
  check_error(s.load_error(replace(kBase, "format_version = 1", "format_version = 2")),
              {".toml:1: format_version: unsupported format_version 2; this Undertow reads format_version 1",
               "needs a newer Undertow"});
  check_error(s.load_error(replace(kBase, "format_version = 1", "format_version = \"1\"")),
              {":1: format_version: expected an integer", "got a string \"1\""});
  // A future version is reported as such even if it brings unknown keys.
  check_error(s.load_error(replace(kBase, "format_version = 1", "format_version = 3\nmaterials = 4")),
              {"unsupported format_version 3"});
  check_error(s.load_error(replace(kBase, "name = \"t\"", "name = \"t\"\ncolour = \"blue\"")),
              {":3: colour: unknown key; allowed here: format_version, name, description, grid, boundary, fields"});
  check_error(s.load_error(replace(kBase, "name = \"t\"", "name = 7")), {":2: name: expected a non-empty string"});
}

TEST_CASE("mesh file errors: grid keys, types and sizes", "[mesh][errors]") {
  Scratch s;
  check_error(s.load_error("format_version = 1\n" + kBase.substr(kBase.find("[boundary]"))),
              {"missing required key 'grid' (a table [grid] with dimension, cells, length, periodic)"});
  check_error(s.load_error(replace(kBase, "[grid]", "[grd]")),
              {":3: grd: unknown key; allowed here: format_version, name, description, grid, boundary, fields"});
  check_error(s.load_error(replace(kBase, "cells = [12, 10]\n", "")),
              {".toml:3: grid: missing required key 'cells'", "(in `[grid]`)"});
  check_error(s.load_error(replace(kBase, "length = [1.0, 2.0]\n", "")), {":3: grid: missing required key 'length'"});
  check_error(s.load_error(replace(kBase, "periodic = [true, false]\n", "")),
              {":3: grid: missing required key 'periodic'"});
  check_error(s.load_error(replace(kBase, "cells = [12, 10]", "cells = [12, \"10\"]")),
              {".toml:5: grid.cells[1]: expected a positive integer, got a string \"10\""});
  check_error(s.load_error(replace(kBase, "cells = [12, 10]", "cells = [12, 10.0]")),
              {":5: grid.cells[1]: expected a positive integer, got a float 10"});
  check_error(s.load_error(replace(kBase, "cells = [12, 10]", "cells = 12")),
              {":5: grid.cells: expected an array of 2 entries (one per dimension, x first) of positive integers, got "
               "an integer 12"});
  check_error(s.load_error(replace(kBase, "cells = [12, 10]", "cells = [12]")), {":5: grid.cells:", "got 1 entry"});
  check_error(s.load_error(replace(kBase, "cells = [12, 10]", "cells = [12, 0]")),
              {":5: grid.cells[1]: expected a positive integer, got 0"});
  check_error(s.load_error(replace(kBase, "cells = [12, 10]", "cells = [-12, 10]")),
              {":5: grid.cells[0]: expected a positive integer, got -12"});
  check_error(s.load_error(replace(kBase, "dimension = 2", "dimension = 4")),
              {":4: grid.dimension: expected 1, 2 or 3, got 4"});
  check_error(s.load_error(replace(kBase, "dimension = 2", "dimension = 2.5")),
              {":4: grid.dimension: expected 1, 2 or 3, got a float 2.5"});
  check_error(s.load_error(replace(kBase, "length = [1.0, 2.0]", "length = [1.0, -2.0]")),
              {":6: grid.length[1]: expected a positive number, got a float -2"});
  check_error(s.load_error(replace(kBase, "length = [1.0, 2.0]", "length = [0, 2.0]")),
              {":6: grid.length[0]: expected a positive number, got an integer 0"});
  check_error(s.load_error(replace(kBase, "length = [1.0, 2.0]", "length = [1.0, nan]")),
              {":6: grid.length[1]: expected a positive number, got a float nan"});
  check_error(s.load_error(replace(kBase, "length = [1.0, 2.0]", "length = [1.0, 2.0]\norigin = [0.0, \"a\"]")),
              {":7: grid.origin[1]: expected a finite number, got a string \"a\""});
  check_error(s.load_error(replace(kBase, "periodic = [true, false]", "periodic = [1, 0]")),
              {":7: grid.periodic[0]: expected true or false, got an integer 1"});
  check_error(s.load_error(replace(kBase, "dimension = 2", "dimension = 2\ncellz = [1, 2]")),
              {":5: grid.cellz: unknown key; allowed here: dimension, cells, length, origin, periodic"});
  check_error(s.load_error("format_version = 1\ngrid = 5\n" + kBase.substr(kBase.find("[boundary]"))),
              {":2: grid: expected a table [grid], got an integer 5"});
}

TEST_CASE("mesh file errors: sizes that cannot fit are refused before anything is allocated", "[mesh][errors]") {
  Scratch s;
  check_error(s.load_error(replace(kBase, "cells = [12, 10]", "cells = [3000000000, 10]")),
              {":5: grid.cells[0]: 3000000000 cells exceed the limit of 1073741824 (2^30) per dimension"});
  // Within the per-dimension cap, but 10^18 cells: 8e18 bytes for one field.
  check_error(s.load_error(replace(kBase, "cells = [12, 10]", "cells = [1000000000, 1000000000]")),
              {":5: grid.cells: a grid of 1e+18 cells needs 8e+09 GB for a single double-precision field",
               "GB of physical memory on the 1 node(s) of this job"});
}

TEST_CASE("mesh file errors: boundary conditions", "[mesh][errors]") {
  Scratch s;
  check_error(s.load_error(kBase.substr(0, kBase.find("[boundary]"))), {"missing required key 'boundary'"});
  check_error(s.load_error(replace(kBase, "y_lower = \"wall\"\n", "")),
              {".toml:8: boundary: missing required key 'y_lower'", "periodic, wall (or reflective), dirichlet"});
  check_error(s.load_error(replace(kBase, "\"wall\"", "\"slippery\"")),
              {".toml:11: boundary.y_lower: unknown boundary kind 'slippery'; expected one of periodic, wall (or "
               "reflective), dirichlet, neumann, outflow"});
  check_error(s.load_error(replace(kBase, "\"wall\"", "3")),
              {":11: boundary.y_lower: expected a kind (periodic, wall", "got an integer 3"});
  check_error(s.load_error(replace(kBase, "y_lower = \"wall\"", "y_lower = \"wall\"\nz_lower = \"wall\"")),
              {":12: boundary.z_lower: unknown key", "only the 2 dimension(s) of the grid have faces",
               "allowed here: x_lower, x_upper, y_lower, y_upper"});
  check_error(s.load_error(replace(kBase, "{ kind = \"dirichlet\", value = 1.5 }", "\"dirichlet\"")),
              {":12: boundary.y_upper: a dirichlet face needs a value"});
  check_error(s.load_error(replace(kBase, "{ kind = \"dirichlet\", value = 1.5 }", "{ kind = \"dirichlet\" }")),
              {":12: boundary.y_upper: a dirichlet face needs a value"});
  check_error(s.load_error(replace(kBase, "value = 1.5", "value = \"hot\"")),
              {":12: boundary.y_upper.value: expected a finite number, got a string \"hot\""});
  check_error(s.load_error(replace(kBase, "value = 1.5", "value = inf")),
              {":12: boundary.y_upper.value: expected a finite number, got a float inf"});
  check_error(s.load_error(replace(kBase, "y_lower = \"wall\"", "y_lower = { kind = \"wall\", value = 0.0 }")),
              {":11: boundary.y_lower.value: 'value' is only meaningful for a dirichlet face, this face is wall"});
  check_error(s.load_error(replace(kBase, "kind = \"dirichlet\"", "knd = \"dirichlet\"")),
              {":12: boundary.y_upper.knd: unknown key; allowed here: kind, value"});
}

TEST_CASE("mesh file errors: periodicity must agree between grid and faces", "[mesh][errors]") {
  Scratch s;
  // Grid says periodic in x, both x faces are walls.
  check_error(s.load_error(replace(replace(kBase, "x_lower = \"periodic\"", "x_lower = \"wall\""),
                                   "x_upper = \"periodic\"", "x_upper = \"wall\"")),
              {":9: boundary.x_lower: is wall but grid.periodic (line 7) says x is periodic"});
  // Only one periodic face.
  check_error(s.load_error(replace(kBase, "x_upper = \"periodic\"", "x_upper = \"outflow\"")),
              {":10: boundary.x_upper: is outflow but boundary.x_lower is periodic: periodic faces come in pairs"});
  // Periodic faces in a dimension the grid does not call periodic.
  check_error(s.load_error(replace(kBase, "periodic = [true, false]", "periodic = [false, false]")),
              {":9: boundary.x_lower: is periodic but grid.periodic (line 7) says x is not periodic"});
  check_error(s.load_error(replace(kBase, "y_lower = \"wall\"", "y_lower = \"periodic\"")),
              {":11: boundary.y_lower: is periodic but boundary.y_upper is dirichlet: periodic faces come in pairs"});
}

TEST_CASE("mesh file errors: cell field declarations and their HDF5 data", "[mesh][errors]") {
  Scratch s;
  const std::string h5 = write_field_data(s.dir);
  // Valid declarations: relative path, a dataset in a group, float32 data, an integer mask.
  const Mesh m = load_mesh(s.toml(with_field("fields.h5", "static/depth", "bathymetry") +
                                  "[fields.m]\nfile = \"fields.h5\"\ndataset = \"mask\"\nkind = \"mask\"\n" +
                                  "[fields.s]\nfile = \"fields.h5\"\ndataset = \"single\"\nkind = \"coefficient\"\n"),
                           MPI_COMM_WORLD);
  REQUIRE(m.fields().size() == 3);
  CHECK(m.fields()[0].name == "c");  // declaration order is kept
  CHECK(m.fields()[1].name == "m");
  CHECK(m.fields()[2].name == "s");
  CHECK(m.field_info("c").file == std::filesystem::absolute(h5).lexically_normal().string());

  check_error(
      s.load_error(with_field("nope.h5", "good", "coefficient")),
      {".toml:14: fields.c.file: HDF5 file ", "nope.h5 not found", "resolved against the mesh file's directory"});
  check_error(s.load_error(with_field("not_hdf5.h5", "good", "coefficient")),
              {":14: fields.c.file: ", "not_hdf5.h5 is not an HDF5 file"});
  check_error(s.load_error(with_field("fields.h5", "missing", "coefficient")),
              {":15: fields.c.dataset: HDF5 file ", "has no dataset 'missing'", "objects in the file: ", "good"});
  check_error(s.load_error(with_field("fields.h5", "static", "coefficient")), {"has no dataset 'static'"});
  check_error(s.load_error(with_field("fields.h5", "transposed", "coefficient")),
              {":15: fields.c.dataset: dataset 'transposed' in ",
               "has shape (12, 10), expected (ny, nx) = (10, 12) (C order, x fastest"});
  check_error(s.load_error(with_field("fields.h5", "flat", "coefficient")), {"has shape (120,), expected (ny, nx)"});
  check_error(s.load_error(with_field("fields.h5", "int_values", "coefficient")),
              {"dataset 'int_values'", "holds integer values; a coefficient field must be a floating-point dataset"});
  check_error(s.load_error(with_field("fields.h5", "good", "mask")),
              {"holds floating-point values; a mask field must be an integer dataset"});
  check_error(
      s.load_error(with_field("fields.h5", "good", "porosity")),
      {":16: fields.c.kind: unknown cell field kind 'porosity'; expected one of coefficient, bathymetry, mask"});
  check_error(s.load_error(replace(with_field("fields.h5", "good", "coefficient"), "dataset = \"good\"\n", "")),
              {":13: fields.c: missing required key 'dataset'"});
  check_error(
      s.load_error(replace(with_field("fields.h5", "good", "coefficient"), "file = \"fields.h5\"", "file = \"\"")),
      {":14: fields.c.file: expected an HDF5 file name", "got an empty string"});
  check_error(s.load_error(with_field("fields.h5", "good", "coefficient") + "unit = \"m\"\n"),
              {":17: fields.c.unit: unknown key; allowed here: file, dataset, kind, units, description"});
  check_error(s.load_error(kBase + "[fields]\nc = \"fields.h5\"\n"),
              {":14: fields.c: expected a table with file, dataset and kind, got a string"});
}

TEST_CASE("cell field values that break their kind's rule", "[mesh][errors]") {
  Scratch s;
  write_field_data(s.dir);
  const Mesh m = load_mesh(s.toml(with_field("fields.h5", "bad_coef", "coefficient") +
                                  "[fields.m]\nfile = \"fields.h5\"\ndataset = \"bad_mask\"\nkind = \"mask\"\n"),
                           MPI_COMM_WORLD);
  auto dec = m.decompose(MPI_COMM_WORLD);
  // The first bad cell in file order is reported, whichever rank owns it.
  check_error(error_of([&] { m.load_field("c", dec); }),
              {"cell field 'c' (declared at ", ".toml:13, dataset 'bad_coef' in ",
               "2 value(s) not finite and > 0 as a coefficient requires; the first, at cell (i=7, j=2), is 0"});
  check_error(error_of([&] { m.load_field("m", dec); }),
              {"cell field 'm'", "1 value(s) not 0 or 1 as a mask requires; the first, at cell (i=3, j=4), is 2"});
}

TEST_CASE("a cell field file that changes after load_mesh is re-checked", "[mesh][errors]") {
  Scratch s;
  const std::string h5 = s.dir + "/changing.h5";
  const auto write = [&](std::vector<hsize_t> dims) {
    if (undertow_test::world_rank() == 0) {
      std::vector<double> v(120, 1.0);
      hid_t f = H5Fcreate(h5.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
      mesh_test::write_dataset(f, "k", dims, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, v.data());
      H5Fclose(f);
    }
    MPI_Barrier(MPI_COMM_WORLD);
  };
  write({10, 12});
  const Mesh m = load_mesh(s.toml(with_field("changing.h5", "k", "coefficient")), MPI_COMM_WORLD);
  write({12, 10});
  auto dec = m.decompose(MPI_COMM_WORLD);
  check_error(error_of([&] { m.load_field("c", dec); }),
              {"cell field 'c' (declared at ", "has shape (12, 10), expected (ny, nx) = (10, 12)"});
  if (undertow_test::world_rank() == 0) std::filesystem::remove(h5);
  MPI_Barrier(MPI_COMM_WORLD);
  check_error(error_of([&] { m.load_field("c", dec); }), {"changing.h5 not found"});
}
