#include <cmath>
#include <cstring>

#include "test_util.hpp"

using namespace undertow;
using undertow_test::global_code;

namespace {

bool identical_on_all_ranks(double x) {
  double lo = 0, hi = 0;
  MPI_Allreduce(&x, &lo, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&x, &hi, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return std::memcmp(&lo, &hi, sizeof(double)) == 0;
}

/// Whether every value of f on this rank, ghosts included, equals `value`.
bool every_value_is(const Field<double>& f, double value) {
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), f.view());
  for (std::size_t n = 0; n < host.span(); ++n) {
    if (host.data()[n] != value) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("fields expose owned and ghost index ranges", "[field]") {
  auto dec = Decomposition::create(GridSpec::rect(11, 9), MPI_COMM_WORLD);
  Field<double> f(dec, "u", 3, 2);
  CHECK(f.components() == 3);
  CHECK(f.ghost(0) == 2);
  CHECK(f.ghost(2) == 0);
  CHECK(f.extent(0) == dec->owned_cells()[0] + 4);
  CHECK(f.extent(2) == 1);
  const Box o = f.owned_box();
  CHECK(o.lo[0] == 2);
  CHECK(o.hi[1] == 2 + dec->owned_cells()[1]);
  CHECK(f.local_index(0, dec->owned_lo()[0]) == 2);
  CHECK(f.global_index(1, 2) == dec->owned_lo()[1]);
  CHECK(f.owns(dec->owned_lo()[0], dec->owned_lo()[1]));
  CHECK_FALSE(f.owns(-1, 0));
}

TEST_CASE("pointwise operations and reductions", "[field]") {
  auto dec = Decomposition::create(GridSpec::box(9, 8, 7), MPI_COMM_WORLD);
  Field<double> x(dec, "x", 2, 1), y(dec, "y", 2, 1);
  const double cells = 9 * 8 * 7 * 2;
  fill_all(x, 100.0);  // ghosts hold junk that no reduction may see
  fill(x, 1.0);
  fill(y, 2.0);
  axpy(y, 3.0, x);  // y = 5
  CHECK(sum(y) == Approx(5.0 * cells));
  CHECK(dot(x, y) == Approx(5.0 * cells));
  CHECK(norm2(x) == Approx(std::sqrt(cells)));
  scale(y, -2.0);
  CHECK(max_abs(y) == 10.0);
  Field<double> z = y.clone("z");
  copy(z, x);
  CHECK(sum(z) == Approx(cells));
  CHECK(count_nonfinite(z) == 0);
  zero_ghosts(x);
  CHECK(dot_all(x, x) == Approx(cells));
}

TEST_CASE("global indexing and gathering round-trip on any decomposition", "[field]") {
  for (int dim = 1; dim <= 3; ++dim) {
    const GridSpec g = undertow_test::small_grid(dim, {false, false, false});
    auto dec = Decomposition::create(g, MPI_COMM_WORLD);
    Field<double> f(dec, "f", 2, 1);
    set_by_global_index<double>(
        f, [](int c, std::int64_t i, std::int64_t j, std::int64_t k) { return global_code(c, i, j, k); });
    const std::vector<double> all = gather_global(f);
    REQUIRE(all.size() == static_cast<std::size_t>(g.total_cells() * 2));
    bool ok = true;
    for (int c = 0; c < 2; ++c)
      for (std::int64_t i = 0; i < g.cells[0]; ++i)
        for (std::int64_t j = 0; j < g.cells[1]; ++j)
          for (std::int64_t k = 0; k < g.cells[2]; ++k) {
            const double want = global_code(c, i, j, k);
            if (all[static_cast<std::size_t>(((c * g.cells[0] + i) * g.cells[1] + j) * g.cells[2] + k)] != want)
              ok = false;
          }
    CHECK(ok);
  }
}

TEST_CASE("reductions are bitwise identical on every rank", "[field]") {
  auto dec = Decomposition::create(GridSpec::rect(37, 23), MPI_COMM_WORLD);
  Field<double> f(dec, "f");
  set_by_global_index<double>(f, [](int, std::int64_t i, std::int64_t j, std::int64_t) {
    return std::sin(0.37 * static_cast<double>(i)) * std::exp(0.01 * static_cast<double>(j)) / 3.0;
  });
  CHECK(identical_on_all_ranks(sum(f)));
  CHECK(identical_on_all_ranks(dot(f, f)));
  CHECK(identical_on_all_ranks(norm2(f)));
  CHECK(identical_on_all_ranks(max_abs(f)));
}

TEST_CASE("min_value, max_value and norm1 see every rank's cells and components", "[field]") {
  auto dec = Decomposition::create(GridSpec::rect(31, 17), MPI_COMM_WORLD);
  Field<double> f(dec, "f", 2, 1);
  fill_all(f, 1e9);  // ghosts must not count
  // Extremes in the last cell of component 1 and the first cell of component 0:
  // on different ranks of any decomposition into more than one rank along x.
  set_by_global_index<double>(f, [](int c, std::int64_t i, std::int64_t j, std::int64_t) {
    if (c == 1 && i == 30 && j == 16) return 7.5;
    if (c == 0 && i == 0 && j == 0) return -4.25;
    return std::sin(0.3 * static_cast<double>(i + j)) + 0.5 * c;
  });
  CHECK(min_value(f) == -4.25);
  CHECK(max_value(f) == 7.5);
  double expected = 0.0;
  for (int c = 0; c < 2; ++c)
    for (std::int64_t i = 0; i < 31; ++i)
      for (std::int64_t j = 0; j < 17; ++j) {
        const double x = c == 1 && i == 30 && j == 16 ? 7.5
                         : c == 0 && i == 0 && j == 0 ? -4.25
                                                      : std::sin(0.3 * static_cast<double>(i + j)) + 0.5 * c;
        expected += std::abs(x);
      }
  CHECK(std::abs(norm1(f) - expected) <= 1e-13 * expected);
  CHECK(identical_on_all_ranks(norm1(f)));
  CHECK(identical_on_all_ranks(min_value(f)));
  // A rank without the extreme still reports it: a constant field minus one cell.
  fill(f, 2.0);
  set_by_global_index<double>(f, [](int, std::int64_t i, std::int64_t, std::int64_t) { return i == 15 ? -1.0 : 2.0; });
  CHECK(min_value(f) == -1.0);
  CHECK(max_value(f) == 2.0);
}

TEST_CASE("set_by_cell_center evaluates a function of the cell centre on every owned cell", "[field]") {
  const GridSpec grid = GridSpec::rect(9, 7, {false, true}, {2.0, 1.4});
  auto dec = Decomposition::create(grid, MPI_COMM_WORLD);
  Field<double> f(dec, "f", 2, 1);
  fill_all(f, -1.0);
  set_by_cell_center(f, [](double x, double y, double z) { return 10.0 * x + y + z; });
  const std::vector<double> all = gather_global(f);
  const std::size_t cells = 9 * 7;
  for (int c = 0; c < 2; ++c)
    for (std::int64_t i = 0; i < 9; ++i)
      for (std::int64_t j = 0; j < 7; ++j) {
        const double expected = 10.0 * (i + 0.5) * (2.0 / 9) + (j + 0.5) * (1.4 / 7) + grid.center(2, 0);
        CHECK(std::abs(all[c * cells + static_cast<std::size_t>(i * 7 + j)] - expected) <= 1e-14 * 20);
      }
  CHECK(min_value(f) > 0.0);  // every owned cell was set (the ghosts keep their -1)
  CHECK_THROWS_WITH(set_by_cell_center(f, CellFunction()), Catch::Matchers::Contains("empty function for field 'f'"));
}

TEST_CASE("swap_owned trades owned values in O(ghost cells); ghost layers stay", "[field]") {
  for (int dim = 1; dim <= 3; ++dim) {
    INFO(dim << "D");
    auto dec = Decomposition::create(undertow_test::small_grid(dim, {false, dim == 2, false}), MPI_COMM_WORLD);
    Field<double> a(dec, "a", 2, 2), b(dec, "b", 2, 2);
    fill_all(a, -1.0);
    fill_all(b, -2.0);
    set_by_global_index<double>(a, [](int c, std::int64_t i, std::int64_t j, std::int64_t k) {
      return 1.0 + c + 10.0 * i + 100.0 * j + 1000.0 * k;
    });
    fill(b, 0.5);
    const std::vector<double> a_owned = gather_global(a), b_owned = gather_global(b);
    swap_owned(a, b);
    CHECK(a.name() == "a");
    CHECK(gather_global(a) == b_owned);
    CHECK(gather_global(b) == a_owned);
    // Ghosts: every value outside the owned cells is where it was.
    fill(a, -1.0);
    fill(b, -2.0);
    CHECK(every_value_is(a, -1.0));
    CHECK(every_value_is(b, -2.0));
  }
  auto dec = Decomposition::create(GridSpec::line(12), MPI_COMM_WORLD);
  Field<double> one_ghost(dec, "one_ghost", 1, 1), two_ghosts(dec, "two_ghosts", 1, 2);
  CHECK_THROWS_WITH(swap_owned(one_ghost, two_ghosts), Catch::Matchers::Contains("ghost width"));
}

TEST_CASE("count_nonzero counts every rank's nonzero values, NaN included", "[field]") {
  auto dec = Decomposition::create(GridSpec::line(40), MPI_COMM_WORLD);
  Field<double> f(dec, "f", 2, 1);
  fill_all(f, 7.0);  // ghosts are not counted
  fill(f, 0.0);
  CHECK(count_nonzero(f) == 0);
  set_by_global_index<double>(f, [](int c, std::int64_t i, std::int64_t, std::int64_t) {
    return c == 1 && i == 39 ? std::nan("") : (c == 0 && i % 10 == 0 ? -0.5 : -0.0);
  });
  CHECK(count_nonzero(f) == 5);
}

TEST_CASE("a NaN on one rank is counted on every rank", "[field][errors]") {
  auto dec = Decomposition::create(GridSpec::line(40), MPI_COMM_WORLD);
  Field<double> f(dec, "f");
  fill(f, 1.0);
  set_by_global_index<double>(
      f, [](int, std::int64_t i, std::int64_t, std::int64_t) { return i == 39 ? std::nan("") : 1.0; });
  CHECK(count_nonfinite(f) == 1);
}

TEST_CASE("field construction errors are collective", "[field][errors]") {
  auto dec = Decomposition::create(GridSpec::line(4 * undertow_test::world_size(), true), MPI_COMM_WORLD);
  CHECK_THROWS_WITH(Field<double>(dec, "f", 0, 1), Catch::Matchers::Contains("at least one component"));
  CHECK_THROWS_WITH(Field<double>(dec, "f", 1, 5), Catch::Matchers::Contains("ghost width 5"));
}
