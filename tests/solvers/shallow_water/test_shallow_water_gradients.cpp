// Gradients of the shallow-water gauge objective with respect to the initial
// surface elevation and the bed: the public verification harness (dot-product and
// Taylor tests) through the checkpointed AdjointLoop for both time schemes, the
// step program itself, finite differences along physical perturbations, and
// decomposition invariance (world vs MPI_COMM_SELF bitwise, gather mode; hashes
// compared across rank and thread counts by tests/compare_hashes.sh).
#include <cmath>
#include <cstring>

#include "sw_test_setup.hpp"

using namespace undertow;
using namespace sw_test;
using undertow_test::all_ranks;

namespace {

constexpr int kSteps = 30;  // enough for the hump's wave to reach the gauge

std::vector<double> gathered(const ShallowWaterSolver& s) {
  std::vector<double> all = gather_global(s.gradient_initial_elevation());
  const std::vector<double> b = gather_global(s.gradient_bed());
  all.insert(all.end(), b.begin(), b.end());
  return all;  // not J: its global sum rounds differently on other rank counts
}

double relative_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff += (a[i] - b[i]) * (a[i] - b[i]);
    norm += a[i] * a[i];
  }
  return std::sqrt(diff / std::max(norm, 1e-300));
}

Checkpointing revolve(int snapshots) {
  Checkpointing c;
  c.snapshots = snapshots;
  return c;
}

}  // namespace

TEST_CASE("verify: dJ/d(eta0) and dJ/d(bed) through the checkpointed adjoint loop", "[shallow_water][gradient]") {
  for (auto scheme : {TimeScheme::ForwardEuler, TimeScheme::SspRk2}) {
    auto s = basin(MPI_COMM_WORLD, basin_parameters(scheme));
    auto f = s->function(kSteps, revolve(3));
    VerifyOptions vo;
    vo.name = std::string("shallow water gauge, ") + to_string(scheme);
    const VerificationReport r = verify(f, vo);
    root_print(MPI_COMM_WORLD, r.str());
    INFO(r.str());
    CHECK(r.dot_passed);
    CHECK(r.taylor_passed);
    CHECK(!r.linear);
    CHECK(r.dot_error < 1e-12);
  }
}

TEST_CASE("the gauge function keeps its base point: evaluate then adjoint equals adjoint alone",
          "[shallow_water][gradient]") {
  auto s = basin(MPI_COMM_WORLD, basin_parameters(TimeScheme::SspRk2));
  auto f = s->function(kSteps, revolve(3));
  auto gradient = [&](bool evaluate_first) {
    if (evaluate_first) f.evaluate();
    const std::vector<Field<double>> in = f.inputs();
    std::vector<Field<double>> g = {in[0].clone_layout("g_eta0"), in[1].clone_layout("g_bed")};
    f.adjoint({f.outputs()[0].clone_layout("w")}, 1.0, g);
    std::vector<double> all = gather_global(g[0]);
    const std::vector<double> b = gather_global(g[1]);
    all.insert(all.end(), b.begin(), b.end());
    return all;
  };
  const std::vector<double> alone = gradient(false);
  const std::vector<double> after_evaluate = gradient(true);
  REQUIRE(alone.size() == after_evaluate.size());
  CHECK(std::memcmp(alone.data(), after_evaluate.data(), alone.size() * sizeof(double)) == 0);
}

TEST_CASE("verify: the step program with momentum, both inputs (state and bed)", "[shallow_water][gradient]") {
  for (auto scheme : {TimeScheme::ForwardEuler, TimeScheme::SspRk2}) {
    auto s = basin(MPI_COMM_WORLD, basin_parameters(scheme));
    s->run(12);  // a base point with currents
    ProblemOptions options(3);
    options.run_initial = false;  // from the state as it is, not from eta0
    Problem f(s->program(), {s->state(), s->bed()}, {s->state()}, options);
    VerifyOptions vo;
    vo.name = std::string("shallow water step program, ") + to_string(scheme);
    vo.relative_step = 1e-3;
    const VerificationReport r = verify(f, vo);
    root_print(MPI_COMM_WORLD, r.str());
    INFO(r.str());
    CHECK(r.passed());
  }
}

TEST_CASE("gradients match finite differences along physical perturbations", "[shallow_water][gradient]") {
  auto s = basin(MPI_COMM_WORLD, basin_parameters());
  const auto g = s->gradient(kSteps, revolve(4));
  CHECK(g.objective > 0);
  CHECK(g.stats.adjoint_steps == kSteps);
  CHECK(g.stats.recomputed_steps > 0);  // revolve really recomputed
  CHECK(s->steps_taken() == 0);         // the solver's state is left where it was
  auto run_j = [&] {
    s->reset();
    s->run(kSteps);
    return s->objective();
  };
  // Along the hump (amplitude A = 1.5 m): dJ/dA = <dJ/deta0, hump / A>.
  Field<double> shape(s->decomposition_ptr(), "shape", 1, 0);
  set_by_global_index<double>(shape, [&](int, std::int64_t i, std::int64_t j, std::int64_t) {
    return basin_hump(basin_grid().center(0, i), basin_grid().center(1, j)) / 1.5;
  });
  const double adjoint_dA = dot(s->gradient_initial_elevation(), shape);
  const double eps = 1e-3;
  const Field<double>& eta0 = s->initial_elevation_field();
  axpy(eta0, eps, shape);
  const double jp = run_j();
  axpy(eta0, -2.0 * eps, shape);
  const double jm = run_j();
  axpy(eta0, eps, shape);
  const double fd_dA = (jp - jm) / (2.0 * eps);
  INFO("dJ/dA adjoint " << adjoint_dA << ", finite difference " << fd_dA);
  CHECK(std::abs(adjoint_dA - fd_dA) <= 1e-6 * std::abs(fd_dA));
  CHECK(adjoint_dA > 0);

  // Along a bump of the bed near the ridge (initial surface fixed).
  Field<double> bump(s->decomposition_ptr(), "bump", 1, 0);
  set_by_global_index<double>(bump, [&](int, std::int64_t i, std::int64_t j, std::int64_t) {
    const double x = basin_grid().center(0, i), y = basin_grid().center(1, j);
    return std::exp(-(std::pow(x - 11000.0, 2) + std::pow(y - 9000.0, 2)) / 1.0e7);
  });
  const double adjoint_db = dot(s->gradient_bed(), bump);
  const Field<double>& bed = s->bed_field();
  axpy(bed, eps, bump);
  const double bp = run_j();
  axpy(bed, -2.0 * eps, bump);
  const double bm = run_j();
  axpy(bed, eps, bump);
  const double fd_db = (bp - bm) / (2.0 * eps);
  INFO("dJ/d(bed bump) adjoint " << adjoint_db << ", finite difference " << fd_db);
  CHECK(std::abs(adjoint_db - fd_db) <= 1e-5 * std::abs(fd_db));

  // The tangent agrees with the adjoint: <dJ/deta0, v> + <dJ/db, w> = tangent(v, w).
  const double tangent = s->tangent(kSteps, shape, bump);
  CHECK(std::abs(tangent - (adjoint_dA + adjoint_db)) <= 1e-12 * std::abs(tangent));
}

TEST_CASE("the gradient is bitwise the same on any decomposition, schedule and thread count",
          "[shallow_water][gradient]") {
  for (auto scheme : {TimeScheme::ForwardEuler, TimeScheme::SspRk2}) {
    const std::string tag = scheme == TimeScheme::ForwardEuler ? "euler" : "rk2";
    INFO(tag);
    auto world = basin(MPI_COMM_WORLD, basin_parameters(scheme));
    auto self = basin(MPI_COMM_SELF, basin_parameters(scheme));
    const double jw = world->gradient(kSteps, revolve(4)).objective;
    const double js = self->gradient(kSteps, revolve(4)).objective;
    const std::vector<double> gw = gathered(*world);
    CHECK(all_ranks(gw == gathered(*self)));
    CHECK(std::abs(jw - js) <= 1e-14 * js);
    // Store-all and revolve replay the same recorded steps.
    world->gradient(kSteps);
    CHECK(all_ranks(gathered(*world) == gw));
    undertow_test::record_gradient_hash("sw_hash_", "gradient_" + tag, gw);

    // Scatter assemblies agree to round-off (they sum in another order).
    for (AdjointForm form : {AdjointForm::ScatterAtomic, AdjointForm::ScatterColoured}) {
      ShallowWaterParameters p = basin_parameters(scheme);
      p.adjoint_form = form;
      auto scatter = basin(MPI_COMM_WORLD, p);
      scatter->gradient(kSteps, revolve(4));
      INFO(to_string(form));
      CHECK(relative_difference(gw, gathered(*scatter)) < 1e-12);
    }
  }
}
