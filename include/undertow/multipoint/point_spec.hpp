// PointSpec: what a multipoint model declares about each of its points.
//
// A multipoint model feeds one shared set of derived inputs y (computed from the
// design variables x by a cheap `Upstream`) to n expensive points, each a PDE
// solve producing a few responses z_p. Before anything runs, every rank must
// agree on the shape of the problem without having built the points' solvers:
// how many responses each point has (rows of the Jacobian dz/dx), how many ranks it
// needs and can use, its relative cost (used to share out spare ranks), and
// optionally which design variables it can depend on at all (used to colour design
// variables in forward mode). Global response indices are point-major: point 0's
// responses first, then point 1's, and so on.
#pragma once

#include <string>
#include <vector>

namespace undertow {

struct PointSpec {
  /// Shown in messages ("point 2 'cruise'"); may be empty.
  std::string name;
  /// Number of responses the point computes, at least 1.
  int responses = 1;
  /// Ranks the point's solver needs at least (>= 1) and can use at most (0 = no limit).
  int min_ranks = 1;
  int max_ranks = 0;
  /// Relative cost of one solve (> 0): spare ranks and shared groups follow it.
  double weight = 1.0;
  /// Design variables x_k that can influence this point's responses (through y);
  /// empty means all. Trusted, not checked: forward-mode colouring leaves the
  /// entries of the other design variables at zero without solving for them.
  std::vector<int> depends_on;
};

/// "point 2" or "point 2 'cruise'", for messages.
std::string describe_point(const std::vector<PointSpec>& points, int point);

/// Start of each point's responses in the global response numbering, plus the
/// total at the end (size points.size() + 1).
std::vector<int> response_offsets(const std::vector<PointSpec>& points);

/// True if `point` declares a dependency on design variable `k` (or declares none).
bool depends_on_variable(const PointSpec& point, int k);

}  // namespace undertow
