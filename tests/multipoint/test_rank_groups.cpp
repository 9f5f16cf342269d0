// Rank allocation (a pure function, table-driven), colourings (pure), and the MPI
// split into point groups at whatever rank count the test runs with.
#include <string>
#include <vector>

#include "test_util.hpp"

using namespace undertow;

namespace {

std::vector<PointSpec> weighted(const std::vector<double>& weights) {
  std::vector<PointSpec> points;
  for (double w : weights) {
    PointSpec p;
    p.weight = w;
    points.push_back(p);
  }
  return points;
}

std::vector<PointSpec> limited(const std::vector<int>& mins, const std::vector<int>& maxs,
                               const std::vector<double>& weights) {
  std::vector<PointSpec> points;
  for (std::size_t i = 0; i < mins.size(); ++i) {
    PointSpec p;
    p.min_ranks = mins[i];
    p.max_ranks = maxs[i];
    p.weight = weights[i];
    points.push_back(p);
  }
  return points;
}

using Map = std::vector<std::vector<int>>;

}  // namespace

TEST_CASE("allocation: minimums first, spare ranks by weight per rank", "[multipoint][allocation]") {
  struct Row {
    int ranks;
    std::vector<PointSpec> points;
    Map rank_to_points;
  };
  const std::vector<Row> table = {
      // The examples.
      {8, weighted({1, 2, 1, 4}), {{0}, {1}, {1}, {2}, {3}, {3}, {3}, {3}}},
      {6, weighted({1, 2, 1}), {{0}, {0}, {1}, {1}, {1}, {2}}},
      // Equal weights, ties to the lowest point.
      {4, weighted({1, 1, 1, 1}), {{0}, {1}, {2}, {3}}},
      {5, weighted({1, 1}), {{0}, {0}, {0}, {1}, {1}}},
      // Minimums first: 2,1, then 1/2 < 1/1 -> point 1, then a tie -> point 0.
      {5, limited({2, 1}, {0, 0}, {1, 1}), {{0}, {0}, {0}, {1}, {1}}},
      // A maximum stops a heavy point; the rest go to the light one.
      {10, limited({1, 1}, {0, 3}, {1, 10}), {{0}, {0}, {0}, {0}, {0}, {0}, {0}, {1}, {1}, {1}}},
      // Exactly the sum of the maximums.
      {5, limited({1, 1, 1}, {1, 2, 2}, {1, 1, 1}), {{0}, {1}, {1}, {2}, {2}}},
      // Sharing: fewer ranks than points; heaviest first onto the least loaded group.
      {3, weighted({1, 2, 1, 4}), {{0, 2}, {1}, {3}}},
      {1, weighted({1, 1, 1}), {{0, 1, 2}}},
      {2, weighted({3, 1, 2}), {{0}, {1, 2}}},
      // Sharing forced by minimums: 3 groups need 4 ranks, 2 groups fit.
      {3, limited({2, 1, 1}, {0, 0, 0}, {1, 1, 1}), {{0, 2}, {0, 2}, {1}}},
  };
  for (const Row& row : table) {
    INFO("ranks " << row.ranks << " points " << row.points.size());
    const RankAllocation a = allocate_ranks(row.ranks, row.points, Sharing::Allow);
    INFO(a.describe());
    CHECK(a.points_of_rank() == row.rank_to_points);
    CHECK(a.ranks == row.ranks);
    int total = 0;
    for (int s : a.group_size) total += s;
    CHECK(total == row.ranks);
  }
}

TEST_CASE("allocation: the issue's examples", "[multipoint][allocation]") {
  CHECK(allocate_ranks(8, weighted({1, 2, 1, 4}), Sharing::Forbid).points_of_rank() ==
        Map{{0}, {1}, {1}, {2}, {3}, {3}, {3}, {3}});
  CHECK(allocate_ranks(6, weighted({1, 2, 1}), Sharing::Forbid).ranks_of_point() == std::vector<int>{2, 3, 1});
  CHECK_THROWS_WITH(allocate_ranks(6, limited({1, 1, 1}, {1, 2, 2}, {1, 1, 1}), Sharing::Allow),
                    Catch::Contains("can only use 5"));
}

TEST_CASE("allocation: errors carry the numbers", "[multipoint][allocation]") {
  CHECK_THROWS_WITH(allocate_ranks(6, limited({1, 1, 1}, {1, 2, 2}, {1, 1, 1}), Sharing::Forbid),
                    Catch::Contains("6 ranks") && Catch::Contains("[1, 2, 2]") && Catch::Contains("can only use 5"));
  CHECK_THROWS_WITH(allocate_ranks(3, weighted({1, 1, 1, 1}), Sharing::Forbid),
                    Catch::Contains("3 ranks for 4 points"));
  CHECK_THROWS_WITH(allocate_ranks(3, limited({2, 2}, {0, 0}, {1, 1}), Sharing::Forbid),
                    Catch::Contains("add up to 4 but only 3 ranks"));
  CHECK_THROWS_WITH(allocate_ranks(4, limited({2, 2, 1}, {2, 2, 1}, {1, 1, 1}), Sharing::Allow),
                    Catch::Contains("cannot place 3 points on 4 ranks"));
  CHECK_THROWS_WITH(allocate_ranks(4, limited({0}, {0}, {1}), Sharing::Allow), Catch::Contains("min_ranks 0"));
  CHECK_THROWS_WITH(allocate_ranks(4, limited({3}, {2}, {1}), Sharing::Allow),
                    Catch::Contains("max_ranks 2 below its min_ranks 3"));
  CHECK_THROWS_WITH(allocate_ranks(4, weighted({1, -2}), Sharing::Allow), Catch::Contains("weight -2"));
  CHECK_THROWS_WITH(allocate_ranks(0, weighted({1}), Sharing::Allow), Catch::Contains("got 0"));
  CHECK_THROWS_AS(allocate_ranks(2, {}, Sharing::Allow), Error);
}

TEST_CASE("allocation is deterministic and respects every minimum and maximum", "[multipoint][allocation]") {
  // A sweep over rank counts: each point within [min, max], ranks all used, and the
  // greedy rule's promise: no spare rank could move to a point with more weight per rank.
  const std::vector<PointSpec> points = limited({1, 2, 1, 1}, {0, 6, 3, 0}, {1.5, 4, 2, 0.5});
  for (int ranks = 5; ranks <= 30; ++ranks) {
    INFO("ranks " << ranks);
    const RankAllocation a = allocate_ranks(ranks, points, Sharing::Forbid);
    CHECK(a.points_of_rank() == allocate_ranks(ranks, points, Sharing::Forbid).points_of_rank());
    const std::vector<int> n = a.ranks_of_point();
    for (std::size_t p = 0; p < points.size(); ++p) {
      CHECK(n[p] >= points[p].min_ranks);
      if (points[p].max_ranks) CHECK(n[p] <= points[p].max_ranks);
    }
    for (std::size_t p = 0; p < points.size(); ++p) {
      for (std::size_t q = 0; q < points.size(); ++q) {
        // Taking one spare rank from q (above its minimum) and giving it to p (below
        // its maximum) must not lower the larger weight per rank of the two.
        if (p == q || n[q] <= points[q].min_ranks || (points[p].max_ranks && n[p] >= points[p].max_ranks)) continue;
        const double before = std::max(points[p].weight / n[p], points[q].weight / n[q]);
        const double after = std::max(points[p].weight / (n[p] + 1), points[q].weight / (n[q] - 1));
        CHECK(after >= before);
      }
    }
  }
}

TEST_CASE("colourings: greedy defaults and conflicts named", "[multipoint][colouring]") {
  std::vector<PointSpec> points = weighted({3, 1, 2});
  points[0].responses = 3;
  points[2].responses = 2;
  points[0].name = "cruise";
  // One group per point: the k-th response of each group gets colour k.
  const RankAllocation separate = allocate_ranks(3, points, Sharing::Forbid);
  CHECK(colour_responses(points, separate).colour == std::vector<int>{0, 1, 2, 0, 0, 1});
  // Points 1 and 2 share a group: its responses follow one another.
  const RankAllocation two = allocate_ranks(2, points, Sharing::Allow);
  CHECK(colour_responses(points, two).colour == std::vector<int>{0, 1, 2, 0, 1, 2});
  CHECK(colour_responses(points, allocate_ranks(1, points, Sharing::Allow)).colour ==
        std::vector<int>{0, 1, 2, 3, 4, 5});
  CHECK_NOTHROW(check_response_colouring(colour_responses(points, two), points, two));
  CHECK_NOTHROW(check_response_colouring(SeedColouring::none(6), points, two));
  CHECK_THROWS_WITH(check_response_colouring(SeedColouring{{0, 1, 2, 0, 0, 1}}, points, two),
                    Catch::Contains("response 3 (point 1, response 0) and response 4 (point 2, response 0)") &&
                        Catch::Contains("colour 0") && Catch::Contains("same ranks 1 (group 1)"));
  CHECK_THROWS_WITH(check_response_colouring(SeedColouring{{0, 0, -1, 1, 2, 3}}, points, separate),
                    Catch::Contains("response 0 (point 0 'cruise', response 0) and response 1 (point 0 'cruise', "
                                    "response 1)"));
  CHECK_THROWS_WITH(check_response_colouring(SeedColouring{{0, 1}}, points, separate),
                    Catch::Contains("2 entries for 6 responses"));
  CHECK_THROWS_WITH(check_response_colouring(SeedColouring{{0, 1, 2, 0, 0, -3}}, points, separate),
                    Catch::Contains("colour -3"));

  // Forward: shared variables 0, 1 and one private variable per point.
  for (std::size_t p = 0; p < points.size(); ++p) points[p].depends_on = {0, 1, 2 + static_cast<int>(p)};
  const SeedColouring fwd = colour_design_variables(5, points);
  CHECK(fwd.colour == std::vector<int>{0, 1, 2, 2, 2});
  CHECK(fwd.colours() == 3);
  CHECK(fwd.members() == Map{{0}, {1}, {2, 3, 4}});
  CHECK_NOTHROW(check_design_colouring(fwd, 5, points));
  CHECK_THROWS_WITH(
      check_design_colouring(SeedColouring{{0, 0, 1, 1, 1}}, 5, points),
      Catch::Contains("design variables 0 and 1 both have colour 0 but point 0 'cruise' depends on both"));
  CHECK_THROWS_WITH(check_design_colouring(SeedColouring{{0, 1, 2, 3, -1}}, 4, points), Catch::Contains("4 design"));
  points[1].depends_on = {7};
  CHECK_THROWS_WITH(check_design_colouring(SeedColouring::none(5), 5, points),
                    Catch::Contains("point 1 depends on design variable 7 but there are 5"));
  // No declarations: every variable its own colour.
  CHECK(colour_design_variables(3, weighted({1, 1})).colour == std::vector<int>{0, 1, 2});
}

TEST_CASE("point groups split the communicator as allocated", "[multipoint][groups]") {
  const int size = undertow_test::world_size();
  const int rank = undertow_test::world_rank();
  std::vector<PointSpec> points = weighted({1, 2, 1});
  PointGroups groups(MPI_COMM_WORLD, points, Sharing::Allow);
  const RankAllocation& a = groups.allocation();
  CHECK(a.ranks == size);
  CHECK(groups.size() == size);
  CHECK(groups.rank() == rank);
  CHECK(groups.group() == a.group_of_rank(rank));
  int gsize = 0;
  MPI_Comm_size(groups.group_comm(), &gsize);
  CHECK(gsize == a.group_size[static_cast<std::size_t>(groups.group())]);
  CHECK(groups.leader() == (rank == groups.leader_rank(groups.group())));
  CHECK(groups.local_points() == a.points_of_rank()[static_cast<std::size_t>(rank)]);
  for (int p = 0; p < 3; ++p) {
    if (!groups.is_local(p)) {
      CHECK(groups.point_comm(p) == MPI_COMM_NULL);
      continue;
    }
    // Its own communicator: same ranks as the group, not the same handle.
    int cmp = MPI_UNEQUAL;
    MPI_Comm_compare(groups.point_comm(p), groups.group_comm(), &cmp);
    CHECK(cmp == MPI_CONGRUENT);
    // A solver can build its decomposition on it.
    auto dec = Decomposition::create(GridSpec::rect(8, 6, {true, true}), groups.point_comm(p));
    CHECK(dec->size() == gsize);
  }
  // Every rank sees the same allocation: count ranks per group with MPI.
  std::vector<int> counted(static_cast<std::size_t>(a.groups()), 0), mine(static_cast<std::size_t>(a.groups()), 0);
  mine[static_cast<std::size_t>(groups.group())] = 1;
  MPI_Allreduce(mine.data(), counted.data(), a.groups(), MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  CHECK(counted == a.group_size);
  if (size == 4) CHECK(a.ranks_of_point() == std::vector<int>{1, 2, 1});
  if (size < 3) CHECK(a.shared());
}

TEST_CASE("point groups: allocation errors are raised on every rank", "[multipoint][groups]") {
  const int size = undertow_test::world_size();
  std::vector<PointSpec> points = weighted(std::vector<double>(static_cast<std::size_t>(size) + 1, 1.0));
  CHECK_THROWS_WITH(PointGroups(MPI_COMM_WORLD, points, Sharing::Forbid),
                    Catch::Contains(std::to_string(size) + " ranks for " + std::to_string(size + 1) + " points"));
  if (size > 1) {
    PointSpec one;
    one.max_ranks = size - 1;
    CHECK_THROWS_WITH(PointGroups(MPI_COMM_WORLD, {one}, Sharing::Allow),
                      Catch::Contains("can only use " + std::to_string(size - 1)));
  }
  // A hand-made allocation for the wrong size.
  RankAllocation wrong = allocate_ranks(size + 1, weighted({1}), Sharing::Allow);
  CHECK_THROWS_WITH(PointGroups(MPI_COMM_WORLD, wrong), Catch::Contains("communicator has " + std::to_string(size)));
}
