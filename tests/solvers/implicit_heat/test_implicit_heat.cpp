// Backward-Euler heat on undertow::linear_solve: the discrete decay factor of a
// Fourier mode; gradients (wrt the initial temperature and the conductivity)
// through the verification harness; Solver::gradient under every checkpoint
// policy against the harness's adjoint; evaluate-then-gradient equal to the
// gradient alone; decomposition invariance (to the CG tolerance: the reductions'
// summation order depends on the rank count); clear errors.
#include <cmath>
#include <memory>

#include "solvers/solver_test_util.hpp"
#include "test_util.hpp"
#include "undertow/solvers/implicit_heat.hpp"

using namespace undertow;
using namespace undertow::solvers;
using namespace undertow_test;
using namespace solver_test;

namespace {

using undertow_test::kPi;

std::unique_ptr<ImplicitHeatSolver> make_solver(MPI_Comm comm) {
  ImplicitHeatParameters params;
  params.dt = 5e-3;
  params.solve.relative_tolerance = 1e-13;
  params.initial = [](double x, double y, double) { return std::sin(6.0 * x) * std::cos(2.8 * y) + 0.3; };
  params.conductivity_function = [](double x, double y, double) { return 1.0 + 0.4 * std::cos(5.0 * x + 4.9 * y); };
  auto heat = std::make_unique<ImplicitHeatSolver>(GridSpec::rect(20, 14), comm, params);
  fill_random(heat->observation_field(), 17);
  scale(heat->observation_field(), 0.1);
  return heat;
}

std::vector<double> flatten_gradient(const ImplicitHeatSolver& heat) {
  return gather_concatenated({heat.gradient_initial_temperature(), heat.gradient_conductivity()});
}

}  // namespace

TEST_CASE("implicit heat: a Fourier mode decays by the discrete backward-Euler factor", "[implicit_heat]") {
  const int n = 64, k = 3, steps = 5;
  const double kappa = 0.7, dt = 2e-3, h = 1.0 / n;
  for (bool periodic : {true, false}) {
    INFO((periodic ? "periodic, sin(2 kPi k x)" : "Dirichlet walls, sin(kPi k x)"));
    ImplicitHeatParameters params;
    params.dt = dt;
    params.conductivity = kappa;
    params.solve.relative_tolerance = 1e-14;
    ImplicitHeatSolver heat(GridSpec::line(n, periodic), MPI_COMM_WORLD, params);
    // Eigenvalue of -Laplacian: 4/h^2 sin^2(theta/2) for the mode of phase step theta per cell.
    const double theta = periodic ? 2.0 * kPi * k * h : kPi * k * h;
    const double factor = 1.0 / (1.0 + 4.0 * dt * kappa / (h * h) * std::pow(std::sin(theta / 2.0), 2));
    auto mode = [&](int, std::int64_t i, std::int64_t, std::int64_t) { return std::sin(theta * (double(i) + 0.5)); };
    set_by_global_index<double>(heat.temperature_field(), mode);
    heat.run(steps);
    CHECK(heat.steps_taken() == steps);
    Field<double> expected = heat.temperature_field().clone_layout("expected");
    set_by_global_index<double>(expected, mode);
    scale(expected, std::pow(factor, steps));
    Field<double> err = expected.clone_layout("err");
    copy(err, heat.temperature_field());
    axpy(err, -1.0, expected);
    INFO("decay factor per step " << factor << ", error " << max_abs(err));
    CHECK(factor < 0.97);
    CHECK(max_abs(err) <= 1e-12 * max_abs(expected));
  }
}

TEST_CASE("implicit heat: gradients wrt the initial temperature and kappa", "[implicit_heat][derivatives]") {
  const int steps = 4;
  auto heat = make_solver(MPI_COMM_WORLD);
  {
    Problem f = heat->function(steps);
    check_derivatives(f, "implicit heat (u0, kappa) -> (u_n, J)");
  }
  // Solver::gradient gives the harness's adjoint (objective weight 1, no output weight).
  std::vector<double> harness;
  {
    Problem f = heat->function(steps);
    std::vector<Field<double>> grads = {heat->temperature_field().clone_layout("gu"),
                                        heat->conductivity_field().clone_layout("gk")};
    Field<double> zero = heat->temperature_field().clone_layout("w");
    f.adjoint({zero}, 1.0, grads);
    harness = gather_concatenated(grads);
  }
  const double j = heat->gradient(steps).objective;
  const std::vector<double> gradient = flatten_gradient(*heat);
  CHECK(relative_difference(gradient, harness) <= 1e-12);
  CHECK(heat->stats().adjoint_solves >= steps);
  CHECK(heat->steps_taken() == 0);

  // evaluate() then gradient() equals gradient() alone, bitwise.
  {
    auto fresh = make_solver(MPI_COMM_WORLD);
    Problem f = fresh->function(steps);
    f.evaluate();
    f.gradient();
    CHECK(bitwise_equal(flatten_gradient(*fresh), gradient));
  }
  // Binomial checkpointing (2 snapshots for 7 steps) replays steps: same gradient.
  auto store_all = make_solver(MPI_COMM_WORLD);
  auto binomial = make_solver(MPI_COMM_WORLD);
  Checkpointing revolve;
  revolve.snapshots = 2;
  const double j_all = store_all->gradient(7).objective, j_bin = binomial->gradient(7, revolve).objective;
  CHECK(j_all == Approx(j_bin).epsilon(1e-14));
  CHECK(relative_difference(flatten_gradient(*binomial), flatten_gradient(*store_all)) <= 1e-13);
  CHECK(binomial->stats().forward_solves > store_all->stats().forward_solves);
  // Decomposition: all ranks vs one.
  auto self = make_solver(MPI_COMM_SELF);
  const double j_self = self->gradient(steps).objective;
  CHECK(std::abs(j - j_self) <= 1e-12 * std::abs(j_self));
  CHECK(relative_difference(gradient, flatten_gradient(*self)) <= 1e-10);
  // J from the gradient's forward sweep equals a plain forward run.
  heat->run(steps);
  CHECK(heat->objective() == Approx(j).epsilon(1e-13));
}

TEST_CASE("implicit heat: clear errors for an indefinite operator and a bad time step", "[implicit_heat][errors]") {
  {
    ImplicitHeatParameters params;
    params.dt = 1e-2;
    params.conductivity = -3.0;  // I + dt div(3 grad): indefinite for this dt
    ImplicitHeatSolver heat(GridSpec::line(32), MPI_COMM_WORLD, params);
    fill(heat.temperature_field(), 1.0);
    CHECK_THROWS_WITH(heat.run(1),
                      Catch::Matchers::Contains("not positive") && Catch::Matchers::Contains("time step 0 -> 1"));
  }
  for (double dt : {-1.0, 0.0}) {
    ImplicitHeatParameters params;
    params.dt = dt;
    CHECK_THROWS_WITH(ImplicitHeatSolver(GridSpec::line(32), MPI_COMM_WORLD, params),
                      Catch::Matchers::Contains("dt must be positive"));
  }
}
