// Field files: round trips in 1D/2D/3D, N-to-M reading across rank counts,
// decomposition-independent checksums, XDMF, time series, and every failure mode
// raising the same undertow::Error on every rank.
#include <hdf5.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "test_util.hpp"

using namespace undertow;
using undertow_test::all_ranks;
using undertow_test::global_code;
using undertow_test::on_root;
using undertow_test::world_rank;
using undertow_test::world_size;

namespace {

constexpr double kSentinel = -777.0;

std::string output_dir() {
  const char* env = std::getenv("UNDERTOW_TEST_OUTPUT_DIR");
  const std::string dir = std::string(env != nullptr ? env : ".") + "/io";
  std::error_code ec;  // concurrent test runs may create it at the same time
  if (world_rank() == 0) std::filesystem::create_directories(dir, ec);
  MPI_Barrier(MPI_COMM_WORLD);
  return dir;
}

/// A file name unique to this test run (rank and thread counts in it).
std::string out_path(const std::string& stem, const std::string& ext = ".h5") {
  const char* threads = std::getenv("OMP_NUM_THREADS");
  return output_dir() + "/" + stem + "_np" + std::to_string(world_size()) + "_t" + (threads ? threads : "1") + ext;
}

void set_code(const Field<double>& f, double shift = 0.0) {
  set_by_global_index<double>(
      f, [shift](int c, std::int64_t i, std::int64_t j, std::int64_t k) { return global_code(c, i, j, k) + shift; });
}

/// True on this rank iff every owned value equals the code (+shift) and every
/// ghost value is still the sentinel.
bool holds_code(const Field<double>& f, double shift = 0.0) {
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), f.view());
  const Box o = f.owned_box();
  const Box all = f.full_box();
  for (int c = 0; c < f.components(); ++c)
    for (int i = all.lo[0]; i < all.hi[0]; ++i)
      for (int j = all.lo[1]; j < all.hi[1]; ++j)
        for (int k = all.lo[2]; k < all.hi[2]; ++k) {
          const bool owned = i >= o.lo[0] && i < o.hi[0] && j >= o.lo[1] && j < o.hi[1] && k >= o.lo[2] && k < o.hi[2];
          const double expected =
              owned ? global_code(c, f.global_index(0, i), f.global_index(1, j), f.global_index(2, k)) + shift
                    : kSentinel;
          if (host(c, i, j, k) != expected) return false;
        }
  return true;
}

/// Runs `f`, which must throw undertow::Error on every rank with a message
/// containing every one of `parts`. Returns this rank's message.
std::string expect_error_everywhere(const std::function<void()>& f, const std::vector<std::string>& parts) {
  std::string message;
  bool threw = false;
  try {
    f();
  } catch (const Error& e) {
    threw = true;
    message = e.what();
  }
  bool ok = threw;
  for (const std::string& p : parts) ok = ok && message.find(p) != std::string::npos;
  INFO("rank " << world_rank() << " message: " << message);
  CHECK(ok);
  CHECK(all_ranks(ok));
  return message;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

/// Serial HDF5 edits used to damage files in the tests.
void set_string_attribute(const std::string& path, const char* name, const std::string& value) {
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  REQUIRE(file >= 0);
  H5Adelete(file, name);
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, value.size());
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t attr = H5Acreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(attr, type, value.data());
  H5Aclose(attr);
  H5Sclose(space);
  H5Tclose(type);
  H5Fclose(file);
}

void delete_attribute(const std::string& path, const char* name) {
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  REQUIRE(file >= 0);
  REQUIRE(H5Adelete(file, name) >= 0);
  H5Fclose(file);
}

/// Byte offset and size of a contiguous dataset in the file.
std::pair<haddr_t, hsize_t> dataset_location(const std::string& path, const char* dataset) {
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t dset = H5Dopen2(file, dataset, H5P_DEFAULT);
  const haddr_t offset = H5Dget_offset(dset);
  const hsize_t size = H5Dget_storage_size(dset);
  H5Dclose(dset);
  H5Fclose(file);
  return {offset, size};
}

void flip_bytes(const std::string& path, std::uint64_t offset, int n) {
  std::fstream io(path, std::ios::in | std::ios::out | std::ios::binary);
  for (int b = 0; b < n; ++b) {
    io.seekg(static_cast<std::streamoff>(offset + b));
    char ch = 0;
    io.get(ch);
    io.seekp(static_cast<std::streamoff>(offset + b));
    io.put(static_cast<char>(~ch));
  }
}

/// Fields "u" (1 component) and "v" (vector: 3 components in 3D, 2 otherwise).
std::vector<Field<double>> code_fields(const std::shared_ptr<const Decomposition>& dec, int ghost, double shift = 0) {
  std::vector<Field<double>> fields{Field<double>(dec, "u", 1, ghost),
                                    Field<double>(dec, "v", dec->dim() == 3 ? 3 : 2, ghost)};
  for (const auto& f : fields) {
    fill_all(f, kSentinel);
    set_code(f, shift);
  }
  return fields;
}

std::vector<Field<double>> sentinel_fields(const std::shared_ptr<const Decomposition>& dec, int ghost) {
  std::vector<Field<double>> fields{Field<double>(dec, "u", 1, ghost),
                                    Field<double>(dec, "v", dec->dim() == 3 ? 3 : 2, ghost)};
  for (const auto& f : fields) fill_all(f, kSentinel);
  return fields;
}

/// A communicator of the first k world ranks (MPI_COMM_NULL on the others).
MPI_Comm first_ranks(int k) {
  MPI_Comm sub = MPI_COMM_NULL;
  MPI_Comm_split(MPI_COMM_WORLD, world_rank() < k ? 0 : MPI_UNDEFINED, world_rank(), &sub);
  return sub;
}

}  // namespace

TEST_CASE("fields round-trip in 1D, 2D and 3D with info, scalars and untouched ghosts", "[io]") {
  for (int dim = 1; dim <= 3; ++dim) {
    INFO(dim << "D");
    auto dec = Decomposition::create(undertow_test::small_grid(dim, {true, false, false}), MPI_COMM_WORLD);
    const std::string path = out_path("roundtrip_" + std::to_string(dim) + "d");
    io::FieldFileInfo info;
    info.step = 42 + dim;
    info.time = 0.125 * dim;
    info.scalars = {{"objective", 3.5}, {"pi", 3.141592653589793}};
    info.integers = {{"snapshots", 7}, {"big", std::int64_t(1) << 50}};
    io::write_fields(path, code_fields(dec, 1), info);
    CHECK(std::filesystem::exists(path));
    CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
    CHECK(std::filesystem::exists(io::xdmf_path(path)));

    for (int ghost : {0, 2}) {  // other ghost widths than the writer's
      auto in = sentinel_fields(dec, ghost);
      const io::FieldFileInfo got = io::read_fields(path, in);
      CHECK(all_ranks(holds_code(in[0]) && holds_code(in[1])));
      CHECK(got.step == info.step);
      CHECK(got.time == info.time);
      CHECK(got.scalars == info.scalars);
      CHECK(got.integers == info.integers);
    }

    const io::FieldFileDescription d = io::describe_field_file(path, MPI_COMM_WORLD);
    CHECK(d.grid.dim == dim);
    CHECK(d.grid.cells == dec->grid().cells);
    CHECK(d.grid.periodic == dec->grid().periodic);
    CHECK(d.undertow_version == UNDERTOW_VERSION);
    CHECK(d.format_version == io::field_file_format_version);
    REQUIRE(d.fields.size() == 2);
    CHECK(d.fields[0].name == "u");
    CHECK(d.fields[1].name == "v");
    CHECK(d.fields[1].components == (dim == 3 ? 3 : 2));
    CHECK(d.fields[0].checksum == io::checksum(code_fields(dec, 1)[0]));

    // Reading a dataset into a field of another name.
    Field<double> w(dec, "w", 1, 1);
    fill_all(w, kSentinel);
    io::read_fields(path, {w}, {"u"});
    CHECK(all_ranks(holds_code(w)));
  }
}

TEST_CASE("files written by k ranks are read by any number of ranks (N-to-M)", "[io]") {
  const int world = world_size();
  for (int dim : {2, 3}) {
    const GridSpec grid = undertow_test::small_grid(dim, {false, true, false});
    std::vector<std::uint64_t> checksums;
    for (int k = 1; k <= world; ++k) {
      INFO(dim << "D written by " << k << " of " << world << " ranks");
      const std::string path = out_path("nm_" + std::to_string(dim) + "d_w" + std::to_string(k));
      MPI_Comm writers = first_ranks(k);
      if (writers != MPI_COMM_NULL) {
        auto dec = Decomposition::create(grid, writers);
        io::write_fields(path, code_fields(dec, 1, 0.5), {k, 0.1 * k, {}, {}}, false);
        MPI_Comm_free(&writers);
      }
      MPI_Barrier(MPI_COMM_WORLD);
      checksums.push_back(io::describe_field_file(path, MPI_COMM_WORLD).fields.at(1).checksum);
      for (int q = 1; q <= world; ++q) {
        INFO("read by " << q << " ranks");
        MPI_Comm readers = first_ranks(q);
        bool ok = true;
        if (readers != MPI_COMM_NULL) {
          auto dec = Decomposition::create(grid, readers);
          auto in = sentinel_fields(dec, 2);
          const io::FieldFileInfo info = io::read_fields(path, in);
          ok = holds_code(in[0], 0.5) && holds_code(in[1], 0.5) && info.step == k;
          in.clear();
          dec.reset();
          MPI_Comm_free(&readers);
        }
        CHECK(all_ranks(ok));
      }
    }
    // The same global array, whatever the writer count: the same checksum.
    for (std::uint64_t c : checksums) CHECK(c == checksums.front());
  }
}

TEST_CASE("the checksum is independent of the decomposition and sensitive to every value", "[io]") {
  const GridSpec grid = undertow_test::small_grid(3, {false, false, false});
  auto dec = Decomposition::create(grid, MPI_COMM_WORLD);
  Field<double> f(dec, "f", 2, 1);
  set_code(f);
  const std::uint64_t all = io::checksum(f);
  std::uint64_t single = 0;
  MPI_Comm one = first_ranks(1);
  if (one != MPI_COMM_NULL) {
    auto dec1 = Decomposition::create(grid, one);
    Field<double> g(dec1, "f", 2, 0);
    set_code(g);
    single = io::checksum(g);
    g = Field<double>();
    dec1.reset();
    MPI_Comm_free(&one);
  }
  MPI_Bcast(&single, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  CHECK(all == single);
  // Swapping two values (same multiset of bits) changes the checksum.
  set_by_global_index<double>(f, [](int c, std::int64_t i, std::int64_t j, std::int64_t k) {
    if (c == 0 && i == 0 && j == 0 && k == 0) return global_code(0, 0, 0, 1);
    if (c == 0 && i == 0 && j == 0 && k == 1) return global_code(0, 0, 0, 0);
    return global_code(c, i, j, k);
  });
  CHECK(io::checksum(f) != all);
}

TEST_CASE("damaged or mismatching files give the same clear error on every rank", "[io]") {
  auto dec = Decomposition::create(undertow_test::small_grid(3, {false, false, false}), MPI_COMM_WORLD);
  const std::string good = out_path("errors_good");
  io::write_fields(good, code_fields(dec, 1), {}, false);

  SECTION("missing file") {
    const std::string path = out_path("errors_missing");
    on_root([&] { std::filesystem::remove(path); });
    expect_error_everywhere([&] { io::read_fields(path, sentinel_fields(dec, 1)); }, {path, "does not exist"});
    expect_error_everywhere([&] { io::describe_field_file(path, MPI_COMM_WORLD); }, {path, "does not exist"});
  }
  SECTION("not an HDF5 file") {
    const std::string path = out_path("errors_text");
    on_root([&] { std::ofstream(path) << "this is not HDF5\n"; });
    expect_error_everywhere([&] { io::read_fields(path, sentinel_fields(dec, 1)); }, {path, "not an HDF5 file"});
  }
  SECTION("truncated file") {
    const std::string path = out_path("errors_truncated");
    io::write_fields(path, code_fields(dec, 1), {}, false);
    on_root([&] { std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2); });
    expect_error_everywhere([&] { io::read_fields(path, sentinel_fields(dec, 1)); }, {path, "truncated"});
  }
  SECTION("flipped bytes in the middle of a dataset; the fields stay untouched") {
    const std::string path = out_path("errors_flipped");
    io::write_fields(path, code_fields(dec, 1), {}, false);
    on_root([&] {
      const auto [offset, size] = dataset_location(path, "/fields/v");
      REQUIRE(size == 9 * 8 * 7 * 3 * sizeof(double));
      flip_bytes(path, offset + size / 2, 3);
    });
    auto in = sentinel_fields(dec, 1);
    expect_error_everywhere([&] { io::read_fields(path, in); }, {path, "/fields/v", "checksum mismatch"});
    bool untouched = true;
    for (const auto& f : in) {
      auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), f.view());
      for (std::size_t n = 0; n < host.span(); ++n) untouched = untouched && host.data()[n] == kSentinel;
    }
    CHECK(all_ranks(untouched));
    // The undamaged field alone still reads.
    auto u = sentinel_fields(dec, 1);
    io::read_fields(path, {u[0]});
    CHECK(all_ranks(holds_code(u[0])));
  }
  SECTION("missing dataset") {
    Field<double> p(dec, "pressure", 1, 1);
    expect_error_everywhere([&] { io::read_fields(good, {p}); },
                            {good, "no dataset '/fields/pressure'", "fields in the file: u, v"});
  }
  SECTION("wrong grid") {
    auto other = Decomposition::create(GridSpec::box(9, 8, 6), MPI_COMM_WORLD);
    expect_error_everywhere([&] { io::read_fields(good, sentinel_fields(other, 1)); }, {good, "grid mismatch"});
    auto flat = Decomposition::create(GridSpec::rect(9, 8), MPI_COMM_WORLD);
    expect_error_everywhere([&] { io::read_fields(good, sentinel_fields(flat, 1)); }, {good, "grid mismatch"});
  }
  SECTION("wrong component count") {
    Field<double> v(dec, "v", 2, 1);
    expect_error_everywhere([&] { io::read_fields(good, {v}); }, {good, "'/fields/v' has 3 component(s)", "has 2"});
  }
  SECTION("version mismatch") {
    const std::string path = out_path("errors_version");
    io::write_fields(path, code_fields(dec, 1), {}, false);
    on_root([&] { set_string_attribute(path, "undertow_version", "7.3.1"); });
    expect_error_everywhere([&] { io::read_fields(path, sentinel_fields(dec, 1)); },
                            {path, "version mismatch", "7.3.1", UNDERTOW_VERSION});
  }
  SECTION("incomplete file (no completion marker)") {
    const std::string path = out_path("errors_incomplete");
    io::write_fields(path, code_fields(dec, 1), {}, false);
    on_root([&] { delete_attribute(path, "complete"); });
    expect_error_everywhere([&] { io::read_fields(path, sentinel_fields(dec, 1)); }, {path, "incomplete"});
  }
  SECTION("bad write requests") {
    const std::string path = out_path("errors_write");
    Field<double> a(dec, "a", 1, 1), a2(dec, "a", 1, 1), slash(dec, "x/y", 1, 1);
    auto flat = Decomposition::create(GridSpec::rect(9, 8), MPI_COMM_WORLD);
    Field<double> b(flat, "b", 1, 1);
    expect_error_everywhere([&] { io::write_fields(path, {a, a2}); }, {path, "two fields are named 'a'"});
    expect_error_everywhere([&] { io::write_fields(path, {slash}); }, {path, "'x/y' is not allowed"});
    expect_error_everywhere([&] { io::write_fields(path, {a, b}); }, {path, "not on the same grid"});
    const std::string nowhere = output_dir() + "/no/such/dir/f.h5";
    expect_error_everywhere([&] { io::write_fields(nowhere, {a}); }, {nowhere, "cannot create the temporary file"});
    CHECK_FALSE(std::filesystem::exists(nowhere));
  }
}

TEST_CASE("writing replaces files atomically and survives a stale temporary file", "[io]") {
  auto dec = Decomposition::create(undertow_test::small_grid(2, {false, false, false}), MPI_COMM_WORLD);
  const std::string path = out_path("atomic");
  on_root([&] { std::ofstream(path + ".tmp") << "left over from a crashed run"; });
  io::write_fields(path, code_fields(dec, 1, 1.0), {1, 1.0, {}, {}});
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
  io::write_fields(path, code_fields(dec, 1, 2.0), {2, 2.0, {}, {}});
  auto in = sentinel_fields(dec, 1);
  CHECK(io::read_fields(path, in).step == 2);
  CHECK(all_ranks(holds_code(in[0], 2.0) && holds_code(in[1], 2.0)));
}

TEST_CASE("XDMF beside each file describes the mesh and every field", "[io]") {
  for (int dim = 1; dim <= 3; ++dim) {
    auto dec = Decomposition::create(undertow_test::small_grid(dim, {false, false, false}), MPI_COMM_WORLD);
    const std::string path = out_path("xdmf_" + std::to_string(dim) + "d");
    io::write_fields(path, code_fields(dec, 1), {3, 0.75, {}, {}});
    const std::string xmf = read_text(io::xdmf_path(path));
    const std::string h5name = std::filesystem::path(path).filename().string();
    CHECK(io::xdmf_path(path).substr(io::xdmf_path(path).size() - 4) == ".xmf");
    CHECK(count(xmf, dim == 3 ? "3DCoRectMesh" : "2DCoRectMesh") == 1);
    CHECK(count(xmf, dim == 3 ? "ORIGIN_DXDYDZ" : "ORIGIN_DXDY\"") == 1);
    CHECK(count(xmf, "Center=\"Cell\"") == 2);
    CHECK(count(xmf, "AttributeType=\"Vector\"") == 1);
    CHECK(count(xmf, h5name + ":/fields/u<") == 1);
    CHECK(count(xmf, "<Time Value=\"0.75\"/>") == 1);
    const std::string nodes = dim == 1 ? "\"2 14\"" : dim == 2 ? "\"10 12\"" : "\"8 9 10\"";
    CHECK(count(xmf, "Dimensions=" + nodes) == 1);
    const std::string vec = dim == 1 ? "\"1 13 2\"" : dim == 2 ? "\"9 11 2\"" : "\"7 8 9 3\"";
    CHECK(count(xmf, "Dimensions=" + vec) == 1);
  }
}

TEST_CASE("a time series writes one file per step and one temporal XDMF collection", "[io]") {
  auto dec = Decomposition::create(undertow_test::small_grid(3, {true, true, true}), MPI_COMM_WORLD);
  const std::string prefix = out_path("series", "");
  io::TimeSeriesWriter series(prefix);
  on_root([&] {  // step files of an earlier run would join the resumed series
    for (std::int64_t step : {0, 10, 20, 30}) std::filesystem::remove(series.step_path(step));
  });
  for (std::int64_t step : {0, 10, 20, 10}) {  // step 10 written twice: replaced
    io::FieldFileInfo info;
    info.step = step;
    info.time = 0.5 * static_cast<double>(step);
    const std::string written = series.write(code_fields(dec, 1, static_cast<double>(step)), info);
    CHECK(written == series.step_path(step));
  }
  CHECK(series.steps() == std::vector<std::int64_t>{0, 10, 20});
  const std::string xmf = read_text(series.xdmf_path());
  CHECK(count(xmf, "CollectionType=\"Temporal\"") == 1);
  CHECK(count(xmf, "<Grid Name=\"step_") == 3);
  CHECK(count(xmf, "<Time Value=\"5\"/>") == 1);
  CHECK(count(xmf, std::filesystem::path(series.step_path(20)).filename().string() + ":/fields/v") == 1);
  CHECK_FALSE(std::filesystem::exists(io::xdmf_path(series.step_path(0))));

  auto in = sentinel_fields(dec, 1);
  CHECK(io::read_fields(series.step_path(20), in).time == 10.0);
  CHECK(all_ranks(holds_code(in[0], 20.0) && holds_code(in[1], 20.0)));

  // A restarted run picks the series up from the files on disk.
  io::TimeSeriesWriter resumed(prefix, MPI_COMM_WORLD, true);
  CHECK(resumed.steps() == std::vector<std::int64_t>{0, 10, 20});
  io::FieldFileInfo info;
  info.step = 30;
  info.time = 15.0;
  resumed.write(code_fields(dec, 1), info);
  CHECK(count(read_text(resumed.xdmf_path()), "<Grid Name=\"step_") == 4);
}

TEST_CASE("output directories: created with their parents; an unusable path is an error on every rank", "[io]") {
  const std::string base = output_dir() + "/outdir_np" + std::to_string(world_size());
  on_root([&] { std::filesystem::remove_all(base); });
  const std::string nested = base + "/a/b/c";
  io::create_output_directory(nested, MPI_COMM_WORLD);
  CHECK(all_ranks(std::filesystem::is_directory(nested)));
  io::create_output_directory(nested, MPI_COMM_WORLD);  // existing: fine
  CHECK(all_ranks(!std::filesystem::exists(nested + "/.undertow_write_probe")));
  io::create_output_directory_for_prefix(base + "/p/run1", MPI_COMM_WORLD);
  CHECK(all_ranks(std::filesystem::is_directory(base + "/p")));

  const std::string file = base + "/plain_file";
  on_root([&] { std::ofstream(file) << "not a directory\n"; });
  expect_error_everywhere([&] { io::create_output_directory(file, MPI_COMM_WORLD); },
                          {"cannot use output directory '" + file + "'", "not a directory"});
  expect_error_everywhere([&] { io::create_output_directory(file + "/sub", MPI_COMM_WORLD); },
                          {"cannot use output directory '" + file + "/sub'"});
  expect_error_everywhere([&] { io::create_output_directory_for_prefix(file + "/sub/run1", MPI_COMM_WORLD); },
                          {"'" + file + "/sub'"});
  expect_error_everywhere([&] { io::create_output_directory("/proc/undertow_output", MPI_COMM_WORLD); },
                          {"'/proc/undertow_output'"});
  expect_error_everywhere([&] { io::create_output_directory("", MPI_COMM_WORLD); }, {"empty"});
}

TEST_CASE("a check that fails inside on_root fails every rank at once", "[io]") {
  // What used to hang until the timeout: rank 0 leaves the test case, the others
  // wait at a barrier. Now every rank throws, with rank 0's reason.
  bool threw = false;
  try {
    on_root([] { throw Error("deliberate failure on rank 0"); });
  } catch (const Error& e) {
    threw = world_rank() == 0 && std::string(e.what()) == "deliberate failure on rank 0";
  } catch (const std::runtime_error& e) {
    threw = world_rank() != 0 && std::string(e.what()).find("rank 0 failed") != std::string::npos;
  }
  CHECK(all_ranks(threw));
}
