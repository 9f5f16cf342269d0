// Multipoint: analysis and parallel derivatives of a fan-out model on rank groups.
//
// A cheap shared `Upstream` maps design variables x to derived inputs y; n
// expensive points (`PointModel`s, one solver each) map y to their responses z_p.
// The driver splits its communicator into rank groups (`PointGroups`), builds each
// point's model on its group through a factory, and then:
// * `analyse(x)`: every rank evaluates y = f(x) itself; all points solve at once on
//   their groups; the responses are all-gathered.
// * `reverse(colouring)`: the full Jacobian dz/dx row by row. In each round (one
//   colour) every group seeds only its own responses of that colour, solves the
//   adjoint on its ranks, back-propagates through its private copy of the upstream,
//   and the rows are all-gathered. Groups with nothing to seed still take part in
//   the round's collectives. Uncoloured responses run the ordinary serialised
//   reverse: one adjoint solve at a time, its ybar broadcast, the upstream
//   back-propagated on every rank. Both give bitwise the same rows.
// * `forward(colouring)`: the mirror image, column by column: each group pushes its
//   part of a colour of design variables through its private upstream and tangent.
// * `vjp(zbar)` / `jvp(xdot)`: one product with the Jacobian, all groups at once.
// Every rank ends with identical results; errors on any rank are raised on every
// rank. Each point's adjoint and tangent solves are counted (`solve_counts`).
#pragma once

#include <mpi.h>

#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "undertow/multipoint/multipoint_jacobian.hpp"
#include "undertow/multipoint/point_groups.hpp"
#include "undertow/multipoint/point_model.hpp"
#include "undertow/multipoint/point_spec.hpp"
#include "undertow/multipoint/rank_allocation.hpp"
#include "undertow/multipoint/seed_colouring.hpp"
#include "undertow/multipoint/upstream.hpp"

namespace undertow {

/// Solves per point since the driver was built (identical on every rank).
struct SolveCounts {
  std::vector<long> analyses;
  std::vector<long> tangent_solves;
  std::vector<long> adjoint_solves;
};

class Multipoint {
 public:
  /// Builds the model of one point on its own communicator; called only on the
  /// ranks of the point's group, collectively over `point_comm`.
  using PointFactory = std::function<std::unique_ptr<PointModel>(int point, MPI_Comm point_comm)>;

  /// Collective over `comm`. `upstream` is this rank's private copy.
  Multipoint(MPI_Comm comm, std::vector<PointSpec> points, std::shared_ptr<Upstream> upstream,
             const PointFactory& make_point, Sharing sharing = Sharing::Allow);
  ~Multipoint();
  Multipoint(const Multipoint&) = delete;
  Multipoint& operator=(const Multipoint&) = delete;

  const PointGroups& groups() const { return groups_; }
  const std::vector<PointSpec>& points() const { return points_; }
  int num_points() const { return static_cast<int>(points_.size()); }
  int num_design_variables() const { return nx_; }
  int num_upstream_outputs() const { return ny_; }
  int num_responses() const { return offsets_.back(); }
  /// Global index of response r of a point.
  int response_index(int point, int r) const;
  /// The model of a point run by this rank (nullptr for a point elsewhere).
  PointModel* local_model(int point) const;

  /// Collective. Evaluates the model at x (identical on every rank) and returns all
  /// responses in global order, identical on every rank.
  std::vector<double> analyse(const std::vector<double>& x);
  /// The x, y and responses of the last analysis.
  const std::vector<double>& design() const { return x_; }
  const std::vector<double>& upstream_outputs() const { return y_; }
  const std::vector<double>& responses() const { return z_; }

  /// Collective. dz/dx about the last analysis by reverse mode: `colour_responses`
  /// by default, `SeedColouring::none` for the plain serialised reverse.
  MultipointJacobian reverse();
  MultipointJacobian reverse(const SeedColouring& colouring);
  /// Collective. dz/dx by forward mode: `colour_design_variables` by default.
  MultipointJacobian forward();
  MultipointJacobian forward(const SeedColouring& colouring);
  /// Collective. zbar^T dz/dx (one adjoint solve per point with a non-zero part of
  /// zbar, all at once) and dz/dx xdot (one tangent solve per point).
  std::vector<double> vjp(const std::vector<double>& zbar);
  std::vector<double> jvp(const std::vector<double>& xdot);

  /// Collective. Solves per point so far, the same on every rank.
  SolveCounts solve_counts() const;
  /// Rounds (collective all-gathers of results) of the last derivative call.
  int last_rounds() const { return last_rounds_; }

 private:
  void require_analysis(const char* what) const;
  std::vector<double> solve_adjoint(int point, const std::vector<double>& zbar);
  std::vector<double> solve_tangent(int point, const std::vector<double>& ydot);
  std::vector<double> upstream_vjp(const std::vector<double>& ybar) const;
  std::vector<double> upstream_jvp(const std::vector<double>& xdot) const;

  std::vector<PointSpec> points_;
  std::vector<int> offsets_;
  PointGroups groups_;
  std::shared_ptr<Upstream> upstream_;
  int nx_ = 0, ny_ = 0;
  std::map<int, std::unique_ptr<PointModel>> models_;
  std::vector<long> analyses_, tangents_, adjoints_;
  std::vector<double> x_, y_, z_;
  bool analysed_ = false;
  int last_rounds_ = 0;
};

}  // namespace undertow
