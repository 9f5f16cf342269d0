// SeedColouring: which derivative seeds a multipoint model solves in the same round.
//
// In reverse mode the seeds are the responses (one adjoint solve each, giving one
// row of dz/dx); in forward mode they are the design variables (one tangent solve
// per point, giving a column). A colour is a set of seeds solved in one round, all
// at once on disjoint ranks: every rank group seeds only its own part, solves on its
// own ranks, pushes the result through its private copy of the upstream, and the
// pieces are all-gathered. The private copies keep the seeds of one colour apart, so
// the only rule is that they must not need the same solve:
// * reverse: at most one response of a colour per rank group (two would share the
//   group's ranks);
// * forward: at most one design variable of a colour per point among those the
//   point depends on (its tangent seed would otherwise mix them).
// Colour -1 means uncoloured: such seeds fall back to the ordinary serialised
// algorithm through the shared upstream, one seed per round, with the same result.
#pragma once

#include <vector>

#include "undertow/multipoint/point_spec.hpp"
#include "undertow/multipoint/rank_allocation.hpp"

namespace undertow {

struct SeedColouring {
  /// Colour of each seed (>= 0), or -1 for uncoloured.
  std::vector<int> colour;

  /// Every seed uncoloured: the plain serialised algorithm.
  static SeedColouring none(int seeds) { return SeedColouring{std::vector<int>(static_cast<std::size_t>(seeds), -1)}; }
  int seeds() const { return static_cast<int>(colour.size()); }
  /// 1 + the largest colour (0 if none).
  int colours() const;
  /// Seeds of each colour, ascending (empty colours included).
  std::vector<std::vector<int>> members() const;
  /// Seeds with colour -1, ascending.
  std::vector<int> uncoloured() const;
};

/// Greedy reverse colouring: responses in global order, each taking the lowest
/// colour that holds no response of the same rank group. Round k then seeds the
/// k-th response of every group, and the number of rounds is the largest number
/// of responses on one group.
SeedColouring colour_responses(const std::vector<PointSpec>& points, const RankAllocation& allocation);

/// Throws Error naming the first two responses of one colour on the same rank group
/// (or a malformed colouring).
void check_response_colouring(const SeedColouring& colouring, const std::vector<PointSpec>& points,
                              const RankAllocation& allocation);

/// Greedy forward colouring: design variables in order, each taking the lowest
/// colour that holds no variable sharing a point with it (per `depends_on`). With no
/// declared dependencies every variable gets its own colour.
SeedColouring colour_design_variables(int design_variables, const std::vector<PointSpec>& points);

/// Throws Error naming the first two design variables of one colour that a point
/// depends on (or a malformed colouring).
void check_design_colouring(const SeedColouring& colouring, int design_variables, const std::vector<PointSpec>& points);

}  // namespace undertow
