#include "undertow/multipoint/seed_colouring.hpp"

#include <algorithm>

#include "undertow/core/error.hpp"

namespace undertow {
namespace {

void check_shape(const SeedColouring& c, int seeds, const char* what) {
  if (c.seeds() != seeds) {
    throw Error(std::string("colouring of ") + what + ": has " + std::to_string(c.seeds()) + " entries for " +
                std::to_string(seeds) + " " + what);
  }
  for (int i = 0; i < c.seeds(); ++i) {
    if (c.colour[static_cast<std::size_t>(i)] < -1) {
      throw Error(std::string("colouring of ") + what + ": entry " + std::to_string(i) + " has colour " +
                  std::to_string(c.colour[static_cast<std::size_t>(i)]) + "; colours are >= 0, or -1 for uncoloured");
    }
  }
}

std::string describe_response(const std::vector<PointSpec>& points, const std::vector<int>& offsets, int row) {
  const int p = static_cast<int>(std::upper_bound(offsets.begin(), offsets.end(), row) - offsets.begin()) - 1;
  return "response " + std::to_string(row) + " (" + describe_point(points, p) + ", response " +
         std::to_string(row - offsets[static_cast<std::size_t>(p)]) + ")";
}

// Point owning each global response.
std::vector<int> point_of_response(const std::vector<PointSpec>& points) {
  std::vector<int> owner;
  for (std::size_t p = 0; p < points.size(); ++p)
    owner.insert(owner.end(), static_cast<std::size_t>(std::max(points[p].responses, 0)), static_cast<int>(p));
  return owner;
}

void check_points(const std::vector<PointSpec>& points, const RankAllocation* allocation) {
  for (std::size_t p = 0; p < points.size(); ++p) {
    if (points[p].responses < 1) {
      throw Error(describe_point(points, static_cast<int>(p)) + " declares " + std::to_string(points[p].responses) +
                  " responses; a point needs at least one");
    }
  }
  if (allocation && allocation->group_of_point.size() != points.size()) {
    throw Error("colouring: the rank allocation is for " + std::to_string(allocation->group_of_point.size()) +
                " points, not " + std::to_string(points.size()));
  }
}

}  // namespace

int SeedColouring::colours() const {
  int m = -1;
  for (int c : colour) m = std::max(m, c);
  return m + 1;
}

std::vector<std::vector<int>> SeedColouring::members() const {
  std::vector<std::vector<int>> m(static_cast<std::size_t>(colours()));
  for (int i = 0; i < seeds(); ++i) {
    const int c = colour[static_cast<std::size_t>(i)];
    if (c >= 0) m[static_cast<std::size_t>(c)].push_back(i);
  }
  return m;
}

std::vector<int> SeedColouring::uncoloured() const {
  std::vector<int> u;
  for (int i = 0; i < seeds(); ++i)
    if (colour[static_cast<std::size_t>(i)] < 0) u.push_back(i);
  return u;
}

SeedColouring colour_responses(const std::vector<PointSpec>& points, const RankAllocation& allocation) {
  check_points(points, &allocation);
  // Colours are taken per group in order, so the k-th response of each group
  // (in global order) gets colour k.
  std::vector<int> next(static_cast<std::size_t>(allocation.groups()), 0);
  SeedColouring c;
  for (int p : point_of_response(points)) {
    c.colour.push_back(next[static_cast<std::size_t>(allocation.group_of_point[static_cast<std::size_t>(p)])]++);
  }
  return c;
}

void check_response_colouring(const SeedColouring& colouring, const std::vector<PointSpec>& points,
                              const RankAllocation& allocation) {
  check_points(points, &allocation);
  const std::vector<int> offsets = response_offsets(points);
  const std::vector<int> owner = point_of_response(points);
  check_shape(colouring, offsets.back(), "responses");
  for (int a = 0; a < colouring.seeds(); ++a) {
    const int ca = colouring.colour[static_cast<std::size_t>(a)];
    if (ca < 0) continue;
    const int ga = allocation.group_of_point[static_cast<std::size_t>(owner[static_cast<std::size_t>(a)])];
    for (int b = a + 1; b < colouring.seeds(); ++b) {
      const int gb = allocation.group_of_point[static_cast<std::size_t>(owner[static_cast<std::size_t>(b)])];
      if (colouring.colour[static_cast<std::size_t>(b)] != ca || gb != ga) continue;
      const std::size_t G = static_cast<std::size_t>(ga);
      std::string ranks = std::to_string(allocation.first_rank[G]);
      if (allocation.group_size[G] > 1)
        ranks += "-" + std::to_string(allocation.first_rank[G] + allocation.group_size[G] - 1);
      throw Error("colouring of responses: " + describe_response(points, offsets, a) + " and " +
                  describe_response(points, offsets, b) + " both have colour " + std::to_string(ca) +
                  " but run on the same ranks " + ranks + " (group " + std::to_string(ga) +
                  "); a colour may hold at most one response per rank group");
    }
  }
}

SeedColouring colour_design_variables(int design_variables, const std::vector<PointSpec>& points) {
  // used[p][c]: colour c already holds a variable that point p depends on.
  std::vector<std::vector<bool>> used(points.size());
  SeedColouring c;
  for (int k = 0; k < design_variables; ++k) {
    int colour = 0;
    for (;; ++colour) {
      bool free = true;
      for (std::size_t p = 0; p < points.size() && free; ++p) {
        free = !(depends_on_variable(points[p], k) && static_cast<std::size_t>(colour) < used[p].size() &&
                 used[p][static_cast<std::size_t>(colour)]);
      }
      if (free) break;
    }
    for (std::size_t p = 0; p < points.size(); ++p) {
      if (!depends_on_variable(points[p], k)) continue;
      if (used[p].size() <= static_cast<std::size_t>(colour)) used[p].resize(static_cast<std::size_t>(colour) + 1);
      used[p][static_cast<std::size_t>(colour)] = true;
    }
    c.colour.push_back(colour);
  }
  return c;
}

void check_design_colouring(const SeedColouring& colouring, int design_variables,
                            const std::vector<PointSpec>& points) {
  check_shape(colouring, design_variables, "design variables");
  for (std::size_t p = 0; p < points.size(); ++p) {
    for (int k : points[p].depends_on) {
      if (k < 0 || k >= design_variables) {
        throw Error(describe_point(points, static_cast<int>(p)) + " depends on design variable " + std::to_string(k) +
                    " but there are " + std::to_string(design_variables));
      }
    }
  }
  for (int a = 0; a < design_variables; ++a) {
    const int ca = colouring.colour[static_cast<std::size_t>(a)];
    if (ca < 0) continue;
    for (int b = a + 1; b < design_variables; ++b) {
      if (colouring.colour[static_cast<std::size_t>(b)] != ca) continue;
      for (std::size_t p = 0; p < points.size(); ++p) {
        if (depends_on_variable(points[p], a) && depends_on_variable(points[p], b)) {
          throw Error("colouring of design variables: design variables " + std::to_string(a) + " and " +
                      std::to_string(b) + " both have colour " + std::to_string(ca) + " but " +
                      describe_point(points, static_cast<int>(p)) +
                      " depends on both; a colour may hold at most one design variable per point");
        }
      }
    }
  }
}

}  // namespace undertow
