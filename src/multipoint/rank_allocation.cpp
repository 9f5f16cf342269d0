#include "undertow/multipoint/rank_allocation.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "undertow/core/error.hpp"

namespace undertow {
namespace {

template <class T>
std::string list(const std::vector<T>& v) {
  std::ostringstream os;
  os << "[";
  for (std::size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  os << "]";
  return os.str();
}

void validate(int ranks, const std::vector<PointSpec>& points) {
  if (ranks < 1) throw Error("allocate_ranks: need at least one rank, got " + std::to_string(ranks));
  if (points.empty()) throw Error("allocate_ranks: no points to allocate ranks to");
  for (std::size_t p = 0; p < points.size(); ++p) {
    const PointSpec& s = points[p];
    const std::string who = "allocate_ranks: " + describe_point(points, static_cast<int>(p));
    if (s.min_ranks < 1) throw Error(who + " has min_ranks " + std::to_string(s.min_ranks) + "; it must be at least 1");
    if (s.max_ranks != 0 && s.max_ranks < s.min_ranks) {
      throw Error(who + " has max_ranks " + std::to_string(s.max_ranks) + " below its min_ranks " +
                  std::to_string(s.min_ranks) + " (0 means no limit)");
    }
    if (!(s.weight > 0.0) || !std::isfinite(s.weight)) {
      std::ostringstream os;
      os << who << " has weight " << s.weight << "; it must be positive and finite";
      throw Error(os.str());
    }
  }
}

// Hands out `spare` ranks one at a time, each to the entry with the largest weight
// per rank among those below their maximum (0 = none); ties go to the lowest index.
// Products instead of quotients: exact for integer weights, so ties are real ties.
void hand_out_spares(std::vector<int>& count, const std::vector<double>& weight, const std::vector<int>& max_ranks,
                     int spare) {
  for (; spare > 0; --spare) {
    int best = -1;
    for (std::size_t i = 0; i < count.size(); ++i) {
      if (max_ranks[i] != 0 && count[i] >= max_ranks[i]) continue;
      const std::size_t b = static_cast<std::size_t>(best);
      if (best < 0 || weight[i] * count[b] > weight[b] * count[i]) best = static_cast<int>(i);
    }
    if (best < 0) throw Error("allocate_ranks: internal error, no group can take a spare rank");
    ++count[static_cast<std::size_t>(best)];
  }
}

RankAllocation build(int ranks, std::vector<std::vector<int>> members, const std::vector<int>& sizes,
                     std::size_t npoints) {
  RankAllocation a;
  a.ranks = ranks;
  a.group_of_point.assign(npoints, -1);
  a.points_of_group = std::move(members);
  a.group_size = sizes;
  int next = 0;
  for (std::size_t g = 0; g < sizes.size(); ++g) {
    a.first_rank.push_back(next);
    next += sizes[g];
    for (int p : a.points_of_group[g]) a.group_of_point[static_cast<std::size_t>(p)] = static_cast<int>(g);
  }
  return a;
}

// Sharing: G groups, points dealt by decreasing weight (ties: lower index first)
// to the least loaded group (ties: lowest group), groups renumbered by their
// lowest point. Returns false if the groups' ranges of ranks cannot add up to `ranks`.
bool try_groups(int ranks, const std::vector<PointSpec>& points, int G, RankAllocation& out) {
  const std::size_t n = points.size();
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return points[static_cast<std::size_t>(a)].weight > points[static_cast<std::size_t>(b)].weight;
  });
  std::vector<double> load(static_cast<std::size_t>(G), 0.0);
  std::vector<std::vector<int>> members(static_cast<std::size_t>(G));
  for (int p : order) {
    std::size_t g = 0;
    for (std::size_t h = 1; h < load.size(); ++h)
      if (load[h] < load[g]) g = h;
    members[g].push_back(p);
    load[g] += points[static_cast<std::size_t>(p)].weight;
  }
  for (auto& m : members) std::sort(m.begin(), m.end());
  std::vector<std::size_t> by_lowest(static_cast<std::size_t>(G));
  std::iota(by_lowest.begin(), by_lowest.end(), 0);
  std::sort(by_lowest.begin(), by_lowest.end(),
            [&](std::size_t a, std::size_t b) { return members[a].front() < members[b].front(); });

  std::vector<std::vector<int>> groups;
  std::vector<double> weight;
  std::vector<int> gmin, gmax;
  long sum_min = 0, sum_max = 0;
  bool unlimited = false;
  for (std::size_t g : by_lowest) {
    int lo = 1, hi = 0;
    for (int p : members[g]) {
      const PointSpec& s = points[static_cast<std::size_t>(p)];
      lo = std::max(lo, s.min_ranks);
      if (s.max_ranks != 0) hi = (hi == 0) ? s.max_ranks : std::min(hi, s.max_ranks);
    }
    if (hi != 0 && lo > hi) return false;
    groups.push_back(members[g]);
    weight.push_back(load[g]);
    gmin.push_back(lo);
    gmax.push_back(hi);
    sum_min += lo;
    sum_max += hi;
    unlimited = unlimited || hi == 0;
  }
  if (sum_min > ranks || (!unlimited && sum_max < ranks)) return false;
  std::vector<int> count = gmin;
  hand_out_spares(count, weight, gmax, ranks - static_cast<int>(sum_min));
  out = build(ranks, std::move(groups), count, n);
  return true;
}

}  // namespace

int RankAllocation::group_of_rank(int rank) const {
  for (int g = 0; g < groups(); ++g) {
    const std::size_t G = static_cast<std::size_t>(g);
    if (rank >= first_rank[G] && rank < first_rank[G] + group_size[G]) return g;
  }
  throw Error("RankAllocation: rank " + std::to_string(rank) + " is outside the " + std::to_string(ranks) +
              " allocated ranks");
}

std::vector<int> RankAllocation::ranks_of_point() const {
  std::vector<int> r;
  for (int g : group_of_point) r.push_back(group_size[static_cast<std::size_t>(g)]);
  return r;
}

std::vector<std::vector<int>> RankAllocation::points_of_rank() const {
  std::vector<std::vector<int>> map;
  for (int r = 0; r < ranks; ++r) map.push_back(points_of_group[static_cast<std::size_t>(group_of_rank(r))]);
  return map;
}

bool RankAllocation::shared() const {
  for (const auto& m : points_of_group)
    if (m.size() > 1) return true;
  return false;
}

std::string RankAllocation::describe() const {
  std::ostringstream os;
  for (int g = 0; g < groups(); ++g) {
    const std::size_t G = static_cast<std::size_t>(g);
    os << (g ? "\n" : "") << "group " << g << ": ranks " << first_rank[G];
    if (group_size[G] > 1) os << "-" << first_rank[G] + group_size[G] - 1;
    os << ", points " << list(points_of_group[G]);
  }
  return os.str();
}

RankAllocation allocate_ranks(int ranks, const std::vector<PointSpec>& points, Sharing sharing) {
  validate(ranks, points);
  const std::size_t n = points.size();
  std::vector<int> mins, maxs;
  std::vector<double> weights;
  long sum_min = 0, sum_max = 0;
  bool unlimited = false;
  for (const PointSpec& s : points) {
    mins.push_back(s.min_ranks);
    maxs.push_back(s.max_ranks);
    weights.push_back(s.weight);
    sum_min += s.min_ranks;
    sum_max += s.max_ranks;
    unlimited = unlimited || s.max_ranks == 0;
  }
  if (!unlimited && ranks > sum_max) {
    throw Error("allocate_ranks: " + std::to_string(ranks) + " ranks but the points' maximum ranks " + list(maxs) +
                " add up to " + std::to_string(sum_max) + ": the points can only use " + std::to_string(sum_max) +
                " ranks; run on fewer ranks or raise a maximum");
  }
  if (ranks >= sum_min) {
    // One group per point, in point order: minimums first, then spare ranks by weight.
    std::vector<int> count = mins;
    hand_out_spares(count, weights, maxs, ranks - static_cast<int>(sum_min));
    std::vector<std::vector<int>> members;
    for (std::size_t p = 0; p < n; ++p) members.push_back({static_cast<int>(p)});
    return build(ranks, std::move(members), count, n);
  }
  if (sharing == Sharing::Forbid) {
    if (ranks < static_cast<int>(n)) {
      throw Error("allocate_ranks: " + std::to_string(ranks) + " ranks for " + std::to_string(n) +
                  " points that may not share ranks: need at least " + std::to_string(sum_min) + " ranks (minimums " +
                  list(mins) + "), or allow sharing");
    }
    throw Error("allocate_ranks: the points' minimum ranks " + list(mins) + " add up to " + std::to_string(sum_min) +
                " but only " + std::to_string(ranks) + " ranks were given, and points may not share ranks");
  }
  // Fewer ranks than the minimums need: the most groups that still fit.
  RankAllocation a;
  for (int G = std::min(ranks, static_cast<int>(n)); G >= 1; --G) {
    if (try_groups(ranks, points, G, a)) return a;
  }
  throw Error("allocate_ranks: cannot place " + std::to_string(n) + " points on " + std::to_string(ranks) +
              " ranks even sharing groups: no grouping meets every point's minimum and maximum ranks (minimums " +
              list(mins) + ", maximums " + list(maxs) + ", 0 = no limit)");
}

}  // namespace undertow
