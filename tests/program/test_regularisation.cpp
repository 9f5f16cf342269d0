// Regularisation terms (program/regularisation.hpp): their values against closed
// forms, their derivatives through the public harness (dot-product and Taylor
// tests) in 1-3 dimensions with walls and periodic faces, several components and
// a variable without ghost cells, gradients bitwise identical on any ranks x
// threads (hashes), and clear errors for bad weights.
#include <cmath>

#include "program/test_kernels.hpp"
#include "test_util.hpp"
#include "undertow/program/regularisation.hpp"

using namespace undertow;
using namespace undertow_test;

namespace {

/// A program whose only terms are the penalties on a Parameter `x` (no ghosts of
/// its own) with `components` components; returns x.
Var penalties_only(Program& p, int components, double smooth, double tv, double epsilon) {
  const Var x = p.add_parameter("x", components, 0);
  if (smooth > 0) objective_smoothness(p, x, smooth);
  if (tv > 0) objective_total_variation(p, x, tv, epsilon);
  return x;
}

double objective_of(Program& p) {
  p.set_objective(0.0);
  p.run_forward();
  return p.objective();
}

}  // namespace

TEST_CASE("smoothness and total variation of a linear ramp match their closed forms", "[program][regularisation]") {
  // x = 3 * (x-coordinate) on a 12 x 9 grid of 2.0 x 1.5, walls in x, periodic in y.
  auto dec = Decomposition::create(GridSpec::rect(12, 9, {false, true}, {2.0, 1.5}), MPI_COMM_WORLD);
  const double hx = 2.0 / 12, hy = 1.5 / 9, volume = hx * hy;
  const double upper_faces = 11.0 * 9.0;  // faces across x inside the walls; y differences are 0
  const double weight = 0.7, epsilon = 0.25;
  auto ramp = [&](Program& p, Var x) {
    set_by_global_index<double>(p.value(x), [&](int, std::int64_t i, std::int64_t, std::int64_t) {
      return 3.0 * (static_cast<double>(i) + 0.5) * hx;
    });
  };
  {
    Program p(dec);
    const Var x = penalties_only(p, 1, weight, 0.0, 0.0);
    ramp(p, x);
    CHECK(objective_of(p) == Approx(0.5 * weight * volume * upper_faces * 9.0).epsilon(1e-13));
  }
  {
    Program p(dec);
    const Var x = penalties_only(p, 1, 0.0, weight, epsilon);
    ramp(p, x);
    CHECK(objective_of(p) ==
          Approx(weight * volume * upper_faces * (std::sqrt(9.0 + epsilon * epsilon) - epsilon)).epsilon(1e-13));
  }
  {
    Program p(dec);  // a constant field has neither
    const Var x = penalties_only(p, 2, weight, weight, epsilon);
    fill(p.value(x), 4.5);
    CHECK(objective_of(p) == 0.0);
  }
}

TEST_CASE("regularisation terms pass the dot-product and Taylor tests; gradients are bitwise invariant",
          "[program][regularisation]") {
  for (int dim = 1; dim <= 3; ++dim) {
    for (bool periodic : {false, true}) {
      INFO(dim << "D, " << (periodic ? "periodic" : "walls"));
      auto dec = Decomposition::create(small_grid(dim, {periodic, false, periodic}), MPI_COMM_WORLD);
      Program p(dec);
      const Var x = penalties_only(p, 2, 0.3, 0.2, 0.5);
      set_by_global_index<double>(p.value(x), [](int c, std::int64_t i, std::int64_t j, std::int64_t k) {
        return std::sin(0.7 * double(i) + 1.3 * double(j) - 0.4 * double(k) + double(c)) + 0.1 * double(i * j % 5);
      });
      Problem problem(p, {x}, {}, {/*steps=*/1});
      VerifyOptions options;
      options.name = "regularisation " + std::to_string(dim) + "D";
      const VerificationReport report = verify(problem, options);
      INFO(report.str());
      CHECK(report.passed());
      CHECK(report.norm_adjoint > 0.0);
      problem.gradient();
      record_gradient_hash("regularisation_hash_", std::to_string(dim) + (periodic ? "d_periodic" : "d_walls"),
                           gather_global(p.adjoint(x)));
    }
  }
}

TEST_CASE("a penalty in the Final section regularises a parameter of a time loop", "[program][regularisation]") {
  // J = misfit(u, obs) + smoothness(kappa) + TV(kappa) after 3 diffusion steps.
  auto dec = Decomposition::create(GridSpec::rect(14, 10, {true, false}), MPI_COMM_WORLD);
  Program p(dec);
  const auto [u, kappa] = add_diffusion_step(p, 0.1);
  const Var obs = p.add_data("obs", 1);
  // [doc:regularise]
  p.set_section(Section::Final);
  p.objective_misfit(u, obs);                      // the data
  objective_smoothness(p, kappa, 1e-2);            // 1e-2/2 * integral |grad kappa|^2
  objective_total_variation(p, kappa, 1e-2, 0.1);  // 1e-2 * smoothed TV of kappa
  p.set_section(Section::Step);
  // [doc:regularise end]
  set_by_global_index<double>(p.value(u), [](int, std::int64_t i, std::int64_t j, std::int64_t) {
    return std::cos(0.5 * double(i)) * std::sin(0.3 * double(j + 1));
  });
  set_by_global_index<double>(p.value(kappa), [](int, std::int64_t i, std::int64_t j, std::int64_t) {
    return 1.0 + 0.5 * double((i / 4 + j / 3) % 2);  // blocks: where TV matters
  });
  fill(p.value(obs), 0.2);
  Problem problem(p, {u, kappa}, {}, {/*steps=*/3});
  VerifyOptions options;
  options.name = "diffusion with a regularised coefficient";
  const VerificationReport report = verify(problem, options);
  INFO(report.str());
  CHECK(report.passed());
  problem.gradient();
  record_gradient_hash("regularisation_hash_", "time_loop", gather_global(p.adjoint(kappa)));
}

TEST_CASE("regularisation terms refuse bad weights and smoothing on every rank", "[program][regularisation][errors]") {
  auto dec = Decomposition::create(GridSpec::rect(8, 8), MPI_COMM_WORLD);
  Program p(dec);
  const Var x = p.add_parameter("x");
  CHECK_THROWS_WITH(objective_smoothness(p, x, -1.0), Catch::Matchers::Contains("weight must be finite and >= 0"));
  CHECK_THROWS_WITH(objective_smoothness(p, x, std::nan("")), Catch::Matchers::Contains("weight must be finite"));
  CHECK_THROWS_WITH(objective_total_variation(p, x, 1.0, 0.0), Catch::Matchers::Contains("epsilon must be finite"));
  CHECK_THROWS_WITH(objective_total_variation(p, x, 1.0, INFINITY), Catch::Matchers::Contains("epsilon"));
  CHECK_THROWS_WITH(objective_smoothness(p, Var{7}, 1.0), Catch::Matchers::Contains("not a variable"));
}
