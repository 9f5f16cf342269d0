#include <set>

#include "test_util.hpp"

using namespace undertow;
using undertow_test::world_size;
using Catch::Matchers::Contains;

TEST_CASE("automatic process grids balance subdomains", "[grid]") {
  CHECK(Decomposition::choose_ranks_per_dim(GridSpec::rect(100, 100), 4, {0, 0, 0}) == std::array<int, 3>{2, 2, 1});
  CHECK(Decomposition::choose_ranks_per_dim(GridSpec::rect(400, 10), 4, {0, 0, 0}) == std::array<int, 3>{4, 1, 1});
  CHECK(Decomposition::choose_ranks_per_dim(GridSpec::box(8, 8, 8), 8, {0, 0, 0}) == std::array<int, 3>{2, 2, 2});
  CHECK(Decomposition::choose_ranks_per_dim(GridSpec::line(10), 3, {0, 0, 0}) == std::array<int, 3>{3, 1, 1});
  CHECK(Decomposition::choose_ranks_per_dim(GridSpec::rect(100, 100), 6, {0, 3, 0}) ==
        std::array<int, 3>{2, 3, 1});
  // A dimension with too few cells takes fewer ranks.
  CHECK(Decomposition::choose_ranks_per_dim(GridSpec::rect(2, 100), 4, {0, 0, 0}) == std::array<int, 3>{1, 4, 1});
}

TEST_CASE("invalid process grids are refused with the numbers in the message", "[grid][errors]") {
  CHECK_THROWS_WITH(Decomposition::choose_ranks_per_dim(GridSpec::rect(10, 10), 4, {3, 1, 0}),
                    Contains("cannot multiply to the communicator size 4"));
  CHECK_THROWS_WITH(Decomposition::choose_ranks_per_dim(GridSpec::line(3), 4, {0, 0, 0}),
                    Contains("more ranks than cells"));
  CHECK_THROWS_WITH(Decomposition::choose_ranks_per_dim(GridSpec::line(3), 4, {4, 0, 0}),
                    Contains("only 3 cell(s)"));
  CHECK_THROWS_WITH(Decomposition::choose_ranks_per_dim(GridSpec::line(30), 4, {2, 2, 0}),
                    Contains("but the grid is 1D"));
  CHECK_THROWS_WITH(Decomposition::choose_ranks_per_dim(GridSpec::rect(30, 30), 4, {-1, 0, 0}), Contains(">= 0"));
}

TEST_CASE("GridSpec validation names the problem", "[grid][errors]") {
  CHECK_THROWS_WITH(GridSpec::rect(0, 10).validate(), Contains("cell count in x must be positive, got 0"));
  CHECK_THROWS_WITH(GridSpec::box(4, 4, -2).validate(), Contains("cell count in z must be positive, got -2"));
  GridSpec bad = GridSpec::line(8);
  bad.upper[0] = -1.0;
  CHECK_THROWS_WITH(bad.validate(), Contains("lower < upper"));
  GridSpec mismatch = GridSpec::line(8);
  mismatch.cells[1] = 5;
  CHECK_THROWS_WITH(mismatch.validate(), Contains("1D grid must have 1 cell"));
  GridSpec nodim;
  CHECK_THROWS_WITH(nodim.validate(), Contains("dim must be 1, 2 or 3"));
}

TEST_CASE("owned boxes tile the grid and uneven splits spread the remainder", "[grid]") {
  for (int dim = 1; dim <= 3; ++dim) {
    const GridSpec g = undertow_test::small_grid(dim, {false, false, false});
    Decomposition dec(g, MPI_COMM_WORLD);
    std::int64_t owned = dec.owned_total();
    std::int64_t total = 0;
    MPI_Allreduce(&owned, &total, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
    CHECK(total == g.total_cells());
    for (int d = 0; d < 3; ++d) {
      const int p = dec.ranks_per_dim()[d];
      std::int64_t covered = 0;
      for (int q = 0; q < p; ++q) {
        CHECK(dec.block_start(d, q) == covered);
        CHECK(dec.block_cells(d, q) >= g.cells[d] / p);
        CHECK(dec.block_cells(d, q) <= g.cells[d] / p + 1);
        if (q > 0) CHECK(dec.block_cells(d, q) <= dec.block_cells(d, q - 1));
        covered += dec.block_cells(d, q);
      }
      CHECK(covered == g.cells[d]);
    }
  }
}

TEST_CASE("neighbours are symmetric, wrap when periodic and may be the rank itself", "[grid]") {
  for (int dim = 1; dim <= 3; ++dim) {
    for (bool periodic : {false, true}) {
      const GridSpec g = undertow_test::small_grid(dim, {periodic, periodic, periodic});
      Decomposition dec(g, MPI_COMM_WORLD);
      std::vector<int> mine(27), all(27 * static_cast<std::size_t>(world_size()));
      for (int q = 0; q < 27; ++q) mine[static_cast<std::size_t>(q)] = dec.neighbor(q / 9 - 1, q / 3 % 3 - 1, q % 3 - 1);
      MPI_Allgather(mine.data(), 27, MPI_INT, all.data(), 27, MPI_INT, MPI_COMM_WORLD);
      for (int q = 0; q < 27; ++q) {
        const int nb = mine[static_cast<std::size_t>(q)];
        if (nb == MPI_PROC_NULL) continue;
        // My neighbour in direction o sees me in direction -o.
        CHECK(all[static_cast<std::size_t>(nb * 27 + (26 - q))] == dec.rank());
      }
      CHECK(dec.neighbor(0, 0, 0) == dec.rank());
      for (int d = 0; d < dim; ++d) {
        Index3 lo{0, 0, 0};
        lo[d] = -1;
        if (periodic) {
          CHECK(dec.neighbor(lo) != MPI_PROC_NULL);
          if (dec.ranks_per_dim()[d] == 1) CHECK(dec.neighbor(lo) == dec.rank());
        } else if (dec.at_boundary(d, 0)) {
          CHECK(dec.neighbor(lo) == MPI_PROC_NULL);
        }
      }
    }
  }
}

TEST_CASE("user-given process grids are honoured", "[grid]") {
  const int n = world_size();
  Decomposition dec(GridSpec::rect(40, 40), MPI_COMM_WORLD, {1, n, 1});
  CHECK(dec.ranks_per_dim()[0] == 1);
  CHECK(dec.ranks_per_dim()[1] == n);
}

TEST_CASE("bad decompositions throw the same error on every rank", "[grid][errors]") {
  const int n = world_size();
  CHECK_THROWS_WITH(Decomposition(GridSpec::rect(0, 8), MPI_COMM_WORLD), Contains("must be positive"));
  CHECK_THROWS_WITH(Decomposition(GridSpec::rect(8, 8), MPI_COMM_WORLD, {n + 1, 1, 1}),
                    Contains("cannot multiply"));
  if (n > 1) {
    CHECK_THROWS_WITH(Decomposition(GridSpec::line(n - 1), MPI_COMM_WORLD), Contains("more ranks than cells"));
  }
  Decomposition dec(GridSpec::line(4 * n, true), MPI_COMM_WORLD);
  CHECK_THROWS_WITH(dec.check_ghost_width(5), Contains("ghost width 5 is wider than the smallest owned extent in x"));
  CHECK_NOTHROW(dec.check_ghost_width(4));
  CHECK_THROWS_WITH(dec.check_ghost_width(-1), Contains(">= 0"));
}

TEST_CASE("agree_or_throw makes a one-rank problem every rank's error", "[core][errors]") {
  const int last = world_size() - 1;
  const bool ok = undertow_test::world_rank() != last;
  CHECK_THROWS_WITH(agree_or_throw(MPI_COMM_WORLD, ok, "file 'x.h5' is missing"), Contains("file 'x.h5' is missing"));
  CHECK_NOTHROW(agree_or_throw(MPI_COMM_WORLD, true, "unused"));
}
