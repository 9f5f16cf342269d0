// Poisson on undertow::linear_solve. Second-order convergence to a manufactured
// solution; gradients (wrt the source and the conductivity) through the
// verification harness; decomposition invariance (to CG tolerance: the
// reductions' summation order depends on the rank count); how the CG tolerance
// limits the gradient's accuracy; and the errors a user meets (iteration cap,
// negative conductivity). Implicit heat has its own folder.
#include <cmath>
#include <cstdio>

#include "solvers/solver_test_util.hpp"
#include "test_util.hpp"
#include "undertow/solvers/poisson.hpp"

using namespace undertow;
using namespace undertow::solvers;
using namespace undertow_test;
using namespace solver_test;

namespace {

using undertow_test::kPi;

/// u = sin(a x) sin(b y), kappa = 1 + 0.5 sin(a x) cos(b y) on [0,1] x [0,Ly]
/// (u = 0 on the walls), f = -div(kappa grad u).
struct Manufactured {
  double ly = 0.75;
  double a = kPi, b = kPi / 0.75;
  double u(double x, double y) const { return std::sin(a * x) * std::sin(b * y); }
  double kappa(double x, double y) const { return 1.0 + 0.5 * std::sin(a * x) * std::cos(b * y); }
  double f(double x, double y) const {
    const double ux = a * std::cos(a * x) * std::sin(b * y), uy = b * std::sin(a * x) * std::cos(b * y);
    const double kx = 0.5 * a * std::cos(a * x) * std::cos(b * y), ky = -0.5 * b * std::sin(a * x) * std::sin(b * y);
    return -(kx * ux + ky * uy) + (a * a + b * b) * kappa(x, y) * u(x, y);
  }
};

double manufactured_error(int nx, int ny) {
  const Manufactured m;
  auto dec = Decomposition::create(GridSpec::rect(nx, ny, {false, false}, {1.0, m.ly}), MPI_COMM_WORLD);
  const GridSpec& g = dec->grid();
  PoissonOptions opt;
  opt.solve.relative_tolerance = 1e-12;
  Poisson problem(dec, opt);
  set_by_global_index<double>(problem.conductivity(), [&](int, std::int64_t i, std::int64_t j, std::int64_t) {
    return m.kappa(g.center(0, i), g.center(1, j));
  });
  set_by_global_index<double>(problem.source(), [&](int, std::int64_t i, std::int64_t j, std::int64_t) {
    return m.f(g.center(0, i), g.center(1, j));
  });
  // The misfit against the exact solution measures the error (in the 2-norm).
  set_by_global_index<double>(problem.observation(), [&](int, std::int64_t i, std::int64_t j, std::int64_t) {
    return m.u(g.center(0, i), g.center(1, j));
  });
  problem.solve();
  Field<double> err = problem.solution().clone_layout("error");
  copy(err, problem.solution());
  axpy(err, -1.0, problem.observation());
  return max_abs(err);
}

std::shared_ptr<const Decomposition> small_rect(MPI_Comm comm) {
  return Decomposition::create(GridSpec::rect(24, 18, {false, false}, {1.0, 0.75}), comm);
}

void set_inputs(Poisson& problem) {
  set_by_global_index<double>(problem.conductivity(), [](int, std::int64_t i, std::int64_t j, std::int64_t) {
    return 1.0 + 0.5 * std::sin(0.3 * double(i)) * std::cos(0.4 * double(j));
  });
  set_by_global_index<double>(problem.source(), [](int, std::int64_t i, std::int64_t j, std::int64_t) {
    return 1.0 + std::cos(0.2 * double(i) - 0.5 * double(j));
  });
  fill_random(problem.observation(), 9);
  scale(problem.observation(), 0.05);
}

/// (grad_f, grad_kappa) on every rank, for the given CG tolerance and communicator.
std::vector<double> poisson_gradient(MPI_Comm comm, double tolerance, double* objective = nullptr) {
  PoissonOptions opt;
  opt.solve.relative_tolerance = tolerance;
  Poisson problem(small_rect(comm), opt);
  set_inputs(problem);
  const double j = problem.gradient();
  if (objective) *objective = j;
  return gather_concatenated({problem.gradient_source(), problem.gradient_conductivity()});
}

}  // namespace

TEST_CASE("Poisson: second-order convergence to a manufactured solution", "[poisson]") {
  const double coarse = manufactured_error(32, 24), fine = manufactured_error(64, 48);
  const double order = std::log2(coarse / fine);
  INFO("max error " << coarse << " (32 x 24), " << fine << " (64 x 48), order " << order);
  CHECK(order > 1.85);
  CHECK(order < 2.2);
  CHECK(fine < 1e-3);
}

TEST_CASE("Poisson: gradients wrt source and conductivity pass the verification harness", "[poisson]") {
  PoissonOptions opt;
  opt.solve.relative_tolerance = 1e-13;
  Poisson problem(small_rect(MPI_COMM_WORLD), opt);
  set_inputs(problem);
  {
    Problem f(problem.program(), {problem.f(), problem.kappa()}, {problem.u()}, {1});
    check_derivatives(f, "Poisson (f, kappa) -> (u, J)");
  }
  {
    // Taylor order 2 with respect to kappa alone (u is nonlinear in kappa).
    Problem f(problem.program(), {problem.kappa()}, {problem.u()}, {1});
    VerifyOptions vo;
    vo.name = "Poisson kappa -> (u, J)";
    const VerificationReport report = verify(f, vo);
    INFO(report.str());
    CHECK(report.taylor_passed);
    CHECK_FALSE(report.linear);
    REQUIRE(report.orders.size() >= 2);
    CHECK(std::abs(report.orders.back() - 2.0) < 0.1);
  }
  // One adjoint CG solve per gradient, converged to the tolerance.
  problem.gradient();
  CHECK(problem.stats().last_adjoint.iterations > 0);
  CHECK(problem.stats().last_adjoint.relative_residual <= 1e-13);
}

TEST_CASE("Poisson: gradients agree across decompositions to the CG tolerance", "[poisson]") {
  double j_world = 0, j_self = 0;
  const std::vector<double> world = poisson_gradient(MPI_COMM_WORLD, 1e-13, &j_world);
  const std::vector<double> self = poisson_gradient(MPI_COMM_SELF, 1e-13, &j_self);
  const double rel = relative_difference(world, self);
  INFO("relative difference of the gradients, " << world_size() << " ranks vs 1: " << rel);
  // Not bitwise: the CG dot products sum per-rank partials, so rounding depends on
  // the partition, and CG stops at a slightly different iterate.
  CHECK(rel <= 1e-10);
  CHECK(std::abs(j_world - j_self) <= 1e-12 * std::abs(j_self));
}

TEST_CASE("Poisson: the gradient error shrinks with the CG tolerance", "[poisson][tolerance]") {
  const std::vector<double> reference = poisson_gradient(MPI_COMM_WORLD, 1e-14);
  double previous = 1e300;
  if (world_rank() == 0) std::printf("CG tolerance   relative gradient error\n");
  for (double tolerance : {1e-2, 1e-4, 1e-6, 1e-8, 1e-10, 1e-12}) {
    const double err = relative_difference(poisson_gradient(MPI_COMM_WORLD, tolerance), reference);
    if (world_rank() == 0) std::printf("%9.0e      %.3e\n", tolerance, err);
    INFO("tolerance " << tolerance << ": relative gradient error " << err);
    CHECK(err < previous);
    CHECK(err <= 100.0 * tolerance);  // about tolerance x a small factor (conditioning)
    previous = err;
  }
}

TEST_CASE("Poisson: clear errors for a too-small iteration cap and negative kappa", "[poisson][errors]") {
  {
    PoissonOptions opt;
    opt.solve.max_iterations = 2;
    Poisson problem(small_rect(MPI_COMM_WORLD), opt);
    set_inputs(problem);
    CHECK_THROWS_WITH(problem.solve(), Catch::Matchers::Contains("did not converge in 2 iterations") &&
                                           Catch::Matchers::Contains("relative residual"));
  }
  {
    PoissonOptions opt;
    opt.solve.preconditioner = Preconditioner::None;
    Poisson problem(small_rect(MPI_COMM_WORLD), opt);
    set_inputs(problem);
    scale(problem.conductivity(), -1.0);
    CHECK_THROWS_WITH(problem.solve(), Catch::Matchers::Contains("not positive definite"));
  }
}
