// ShallowWaterSolver: 2D shallow water (tsunamis, storm surges, lakes) over a
// bathymetry, with a wave-gauge objective and its gradient with respect to the
// initial surface elevation and the sea floor. Public API only.
//
//   dh/dt  + div(h u)                   = 0
//   dhu/dt + div(hu u) + g h d(eta)/dx  = 0,     eta = h + b
//   dhv/dt + div(hv u) + g h d(eta)/dy  = 0
//
// h is the water depth, (hu, hv) the momentum, b the bed elevation (metres,
// negative below the rest level; depth of the lake at rest = eta_rest - b).
// First-order finite volumes with a well-balanced local Lax-Friedrichs (Rusanov)
// flux (kernels in shallow_water_kernels.hpp: the lake at rest is preserved
// exactly), forward Euler or SSP-RK2, each stage a kernel of the step Program.
// The state (h, hu, hv) is one 3-component State variable "h_hu_hv", b a
// Parameter, the water mask and the gauge weights Data.
//
// Objective: J = sum_{n=1..N} dt sum_cells G (eta^n - eta_rest)^2 (m^2 s), the
// time integral of the squared surface elevation seen by a gauge with a Gaussian
// footprint G. `gradient(n)` returns dJ/d(eta0) (initial surface elevation, bed
// fixed) and dJ/db (bed, initial surface elevation fixed), through a Problem:
// the program's Initial section maps (eta0, b) to the state (eta0 - b, 0, 0), its
// Step section is one time step, and the Problem reverses both under one
// checkpoint policy (every state kept, or revolve).
//
// Land: cells whose mesh mask is 0 or whose still-water depth is below
// `min_depth` are inactive, and the coastline is a reflective wall (no wetting and
// drying: h > 0 in every water cell). Grid faces follow the mesh: wall ->
// reflective (WallReflection::momentum(1)), neumann -> zero gradient, outflow ->
// zero-order extrapolation (waves leave), periodic -> halo
// exchange; dirichlet is refused. The time step is checked at construction against
// the CFL condition of the initial state (global reductions: every rank agrees);
// a larger one is refused with the largest stable step in the message. A NaN/Inf
// state stops every rank with the step, the time and dt. The verbs are Solver's
// (time/solver.hpp); kernels: shallow_water_kernels.hpp; set-up:
// src/shallow_water.cpp. See docs/solvers.md.
#pragma once

#include <cstdint>
#include <string>

#include "undertow/time/solver.hpp"

namespace undertow {
namespace solvers {

enum class TimeScheme { ForwardEuler, SspRk2 };
const char* to_string(TimeScheme scheme);

/// The gauge of the objective: weights G ~ exp(-r^2 / (2 radius^2)) around (x, y)
/// on water cells, scaled to sum 1 over the whole grid (so they sum to the water
/// fraction of the footprint). radius <= 0: the grid's centre, radius two cells.
struct Gauge {
  double x = 0.0;
  double y = 0.0;
  double radius = 0.0;
};

struct ShallowWaterParameters : SolverParameters {
  /// Fraction of the largest stable time step used when dt is 0; in (0, 1].
  double safety = 0.8;
  double gravity = 9.81;
  TimeScheme scheme = TimeScheme::ForwardEuler;
  /// Surface elevation of the lake at rest (m).
  double eta_rest = 0.0;
  /// Still-water depth (m, positive below eta_rest): the constant `depth`, unless
  /// `depth_function` or (mesh constructors) the cell field `depth_field` is given.
  double depth = 10.0;
  CellFunction depth_function;
  std::string depth_field;
  /// Mesh constructors: a mask cell field (1 water, 0 land); "" for none.
  std::string mask_field;
  /// Cells shallower than this (m) are land.
  double min_depth = 0.0;
  /// Initial surface elevation eta0(x, y, z); eta_rest if empty. The initial
  /// velocity is zero.
  CellFunction initial_elevation;
  Gauge gauge;
  /// Smoothing of |u| and max in the flux, relative to sqrt(g * max depth); > 0
  /// keeps the discrete map differentiable at rest and at ties.
  double speed_smoothing = 1e-3;
  /// Refuse dt above the CFL limit of the initial state (off only to study
  /// instabilities: the run then stops with a non-finite-state error).
  bool enforce_cfl = true;
};

class ShallowWaterSolver : public Solver {
 public:
  /// Collective over the placement's communicator. Throws Error (on every rank)
  /// for an unusable set-up: not 2D, a bad parameter, a dirichlet face, no water,
  /// a dry water cell, a gauge without water, an unstable time step (the message
  /// states the largest stable one). dt is in seconds.
  /// A bare grid gets reflective walls on its non-periodic faces.
  ShallowWaterSolver(const SolverDomain& domain, const SolverPlacement& placement, ShallowWaterParameters params = {});

  /// dt_max = 1 / (a (1/dx + 1/dy)) for a largest face speed a (m/s).
  static double largest_stable_dt(const GridSpec& grid, double face_speed);

  const ShallowWaterParameters& parameters() const { return params_; }
  Var state() const { return U_; }                 ///< (h, hu, hv)
  Var bed() const { return b_; }                   ///< b
  Var initial_elevation() const { return eta0_; }  ///< eta0, input of the Initial section
  Var water() const { return water_; }             ///< 1 water, 0 land
  Var gauge() const { return G_; }                 ///< weights G
  const Field<double>& state_field() const { return program().value(U_); }
  const Field<double>& bed_field() const { return program().value(b_); }
  const Field<double>& water_field() const { return program().value(water_); }
  const Field<double>& gauge_field() const { return program().value(G_); }
  /// eta0 (live: the verification harness perturbs it; reset() reads it).
  const Field<double>& initial_elevation_field() const { return program().value(eta0_); }
  /// After gradient() or function(n).adjoint(): dJ/d(eta0) (no ghosts) and dJ/db
  /// (owned cells count; the ghost layers are scratch), both 1 component.
  const Field<double>& gradient_initial_elevation() const { return program().adjoint(eta0_); }
  const Field<double>& gradient_bed() const { return program().adjoint(b_); }

  /// The largest stable time step of the initial state: 1 / max over water cells
  /// of (a_x/dx + a_y/dy), a the face-speed bound of the flux.
  double max_stable_dt() const { return dt_max_; }
  /// Largest |u| + sqrt(g h) of the initial state (m/s).
  double max_wave_speed() const { return max_speed_; }
  std::int64_t water_cells() const { return water_cells_; }
  /// Sum of the gauge weights: the water fraction of the gauge footprint.
  double gauge_coverage() const { return gauge_coverage_; }
  /// The smoothing speed delta of the flux (m/s).
  double smoothing_speed() const { return delta_; }

  // ---- initial state ----
  /// New initial surface elevation; re-checks depth positivity and the CFL
  /// condition for the fixed dt (collective; throws on every rank), then reset().
  void set_initial_elevation(const CellFunction& eta0);
  void set_initial_elevation(const Field<double>& eta0);
  /// State = (eta0 - b, 0, 0) on water (0 on land), time 0, J = 0. Collective.
  void reset();

  // ---- diagnostics (collective) ----
  /// Writes the surface elevation h + b (eta_rest on land) into `eta` (1 component).
  void surface_elevation(const Field<double>& eta) const;
  /// Water volume sum h dx dy (m^3).
  double volume() const;
  /// Gauge reading sum G eta / sum G (m).
  double gauge_elevation() const;
  /// Largest |eta - eta_rest| over water cells (m).
  double max_elevation() const;

  using Solver::tangent;
  /// dJ in direction (d_eta0, d_bed) over n steps from the initial state; the
  /// final state's tangent goes to `final_state_tangent` if valid. Directions: 1
  /// component, any ghost width.
  double tangent(int n, const Field<double>& d_eta0, const Field<double>& d_bed,
                 const Field<double>& final_state_tangent = Field<double>());

  std::string describe() const override;

 private:
  void build();
  /// Land, water and the smoothing speed from the depth and the mask.
  void set_bed_and_water();
  void set_gauge_weights();
  void check_initial_state();
  /// Runs the Diagnostics kernel on the current state into the fields below.
  void diagnostics() const;

  ShallowWaterParameters params_;
  Var U_, b_, eta0_, water_, G_, U1_, U2_, q_;
  // Diagnostics outputs (1 component, no ghosts).
  Field<double> eta_, anomaly_, depth_h_, dry_, rate_, speed_;
  double dt_max_ = 0.0;
  double max_speed_ = 0.0;
  double delta_ = 0.0;
  double gauge_coverage_ = 0.0;
  std::int64_t water_cells_ = 0;
};

}  // namespace solvers
}  // namespace undertow
