// HeatSolver: the primal against exact solutions (Fourier-mode decay factors,
// the steady state of a layered rod, conservation with insulated walls), the
// derivatives with the verification harness, gradients identical on 1-4 ranks and
// against a single-rank run, refusal of unstable time steps, NaN detection, and
// runs on the sample mesh files.
#include <cmath>

#include "solvers/solver_test_util.hpp"
#include "undertow/solvers/heat.hpp"
#include "undertow_source_tree.hpp"

using namespace undertow;
using namespace undertow::solvers;
using namespace undertow_test;
using namespace solver_test;

namespace {

using undertow_test::kPi;

GridSpec periodic_grid(int dim) {
  if (dim == 1) return GridSpec::line(40, true);
  if (dim == 2) return GridSpec::rect(24, 20, {true, true});
  return GridSpec::box(12, 10, 8, {true, true, true});
}

/// A smooth positive conductivity with a sizeable contrast.
double kappa_profile(double x, double y, double z) {
  return 1.0 + 0.5 * std::sin(2 * kPi * x) * std::cos(2 * kPi * y) + 0.3 * std::cos(2 * kPi * z + 0.4);
}

double initial_profile(double x, double y, double z) {
  return std::sin(2 * kPi * x + 0.3) * std::cos(2 * kPi * y - 0.2) + 0.4 * std::cos(4 * kPi * z) +
         0.2 * std::sin(6 * kPi * x * y + 1.0);
}

}  // namespace

TEST_CASE("heat: a Fourier mode decays by the exact discrete factor per step", "[heat][primal]") {
  for (int dim = 1; dim <= 3; ++dim) {
    INFO("dimension " << dim);
    const GridSpec g = periodic_grid(dim);
    const int k[3] = {1, dim == 2 ? 2 : 1, 1};
    const double kappa = 0.7;
    HeatParameters p;
    p.conductivity = kappa;
    p.initial = [&](double x, double y, double z) {
      double v = std::sin(2 * kPi * k[0] * x);
      if (dim > 1) v *= std::sin(2 * kPi * k[1] * y);
      if (dim > 2) v *= std::sin(2 * kPi * k[2] * z);
      return v;
    };
    HeatSolver solver(g, MPI_COMM_WORLD, p);
    const std::vector<double> u0 = gather_global(solver.temperature_field());
    const int n = 25;
    solver.run(n);
    // Per step: 1 - 4 dt kappa sum_d sin^2(pi k_d h_d) / h_d^2 (exact eigenvalue of the scheme).
    double lambda_h = 0, lambda = 0;
    for (int d = 0; d < dim; ++d) {
      const double h = g.spacing(d), s = std::sin(kPi * k[d] * h);
      lambda_h += 4 * kappa * s * s / (h * h);
      lambda += 4 * kPi * kPi * k[d] * k[d] * kappa;
    }
    const double factor = std::pow(1.0 - solver.dt() * lambda_h, n);
    const std::vector<double> un = gather_global(solver.temperature_field());
    std::vector<double> expected(u0.size());
    for (std::size_t i = 0; i < u0.size(); ++i) expected[i] = factor * u0[i];
    CHECK(max_abs_difference(un, expected) <= 1e-13);
    // And close to the continuous decay exp(-4 pi^2 |k|^2 kappa t): the rates agree
    // to the discretisation error (a few percent on these coarse grids).
    CHECK(std::abs(std::log(factor) + lambda * solver.time()) <= 0.06 * lambda * solver.time());
    CHECK(factor < 0.9);  // the test decays noticeably
  }
}

TEST_CASE("heat: a layered rod with fixed end temperatures reaches the exact steady state", "[heat][primal]") {
  // kappa = 1 on [0, 1/2), 3 on [1/2, 1); u(0) = 1, u(1) = 0. With harmonic face
  // means the discrete steady state is the exact piecewise-linear profile.
  const GridSpec g = GridSpec::line(12, false);
  mesh::BoundarySpec bc;
  bc.at(0, 0) = mesh::FaceBoundary::dirichlet(1.0);
  bc.at(0, 1) = mesh::FaceBoundary::dirichlet(0.0);
  HeatParameters p;
  p.conductivity_function = [](double x, double, double) { return x < 0.5 ? 1.0 : 3.0; };
  p.initial = [](double x, double, double) { return 0.3 + 0.2 * std::cos(7 * x); };
  HeatSolver solver(mesh::Mesh(g, bc), MPI_COMM_WORLD, p);
  solver.run(3000);
  const double q = 1.0 / (0.5 / 1.0 + 0.5 / 3.0);  // flux through the rod
  const std::vector<double> u = gather_global(solver.temperature_field());
  double err = 0;
  for (std::int64_t i = 0; i < 12; ++i) {
    const double x = g.center(0, i);
    const double exact = x < 0.5 ? 1.0 - q * x : 1.0 - q * 0.5 - q * (x - 0.5) / 3.0;
    err = std::max(err, std::abs(u[static_cast<std::size_t>(i)] - exact));
  }
  CHECK(err <= 1e-9);
}

TEST_CASE("heat: insulated walls conserve heat and the maximum principle holds", "[heat][primal]") {
  const GridSpec g = GridSpec::rect(22, 17, {false, false}, {1.0, 0.8});
  HeatParameters p;
  p.conductivity_function = kappa_profile;
  p.initial = initial_profile;
  HeatSolver solver(g, MPI_COMM_WORLD, p);
  const double total0 = sum(solver.temperature_field());
  const std::vector<double> u0 = gather_global(solver.temperature_field());
  const double lo = *std::min_element(u0.begin(), u0.end()), hi = *std::max_element(u0.begin(), u0.end());
  solver.run(60);
  const double total = sum(solver.temperature_field());
  CHECK(std::abs(total - total0) <= 1e-13 * static_cast<double>(g.total_cells()));
  const std::vector<double> u = gather_global(solver.temperature_field());
  CHECK(*std::min_element(u.begin(), u.end()) >= lo);
  CHECK(*std::max_element(u.begin(), u.end()) <= hi);
  CHECK(*std::max_element(u.begin(), u.end()) < 0.9 * hi);  // it did diffuse
}

TEST_CASE("heat: derivatives pass the dot-product and Taylor tests", "[heat][derivatives]") {
  struct Case {
    std::string name;
    GridSpec grid;
    mesh::BoundarySpec bc;
  };
  std::vector<Case> cases;
  cases.push_back({"1d-periodic", GridSpec::line(30, true), {}});
  {
    const GridSpec g = GridSpec::rect(16, 13, {true, false}, {1.0, 0.7});
    mesh::BoundarySpec bc = mesh::BoundarySpec::periodic_or(g, mesh::FaceBoundary::wall());
    bc.at(1, 0) = mesh::FaceBoundary::dirichlet(0.4);
    cases.push_back({"2d-walls", g, bc});
  }
  cases.push_back({"3d-periodic", GridSpec::box(9, 8, 8, {true, true, true}), {}});
  for (auto& c : cases) {
    INFO(c.name);
    if (c.name != "2d-walls") c.bc = mesh::BoundarySpec::periodic_or(c.grid, mesh::FaceBoundary::neumann());
    HeatParameters p;
    p.conductivity_function = kappa_profile;
    p.initial = initial_profile;
    p.observation = [](double x, double y, double) { return 0.1 * x - 0.2 * y; };
    HeatSolver solver(mesh::Mesh(c.grid, c.bc), MPI_COMM_WORLD, p);
    Problem f = solver.function(3);
    VerifyOptions opt;
    opt.name = "heat " + c.name;
    const VerificationReport r = verify(f, opt);
    INFO(r.str());
    CHECK(r.dot_passed);
    CHECK(r.taylor_passed);
    CHECK_FALSE(r.linear);  // kappa enters nonlinearly
  }
}

TEST_CASE("heat: gradients agree bitwise across ranks, threads, schedules and adapters", "[heat][derivatives]") {
  const GridSpec g = GridSpec::rect(20, 12, {true, false}, {2.0, 1.0});
  mesh::BoundarySpec bc = mesh::BoundarySpec::periodic_or(g, mesh::FaceBoundary::wall());
  bc.at(1, 1) = mesh::FaceBoundary::dirichlet(-0.5);
  const mesh::Mesh m(g, bc);
  HeatParameters p;
  p.conductivity_function = kappa_profile;
  p.initial = initial_profile;
  p.observation = [](double x, double y, double) { return std::cos(x) * y; };
  const int n = 12;

  auto gradient_of = [&](std::shared_ptr<const Decomposition> dec, int snapshots, double* objective) {
    HeatSolver s(m, dec, p);
    Checkpointing o;
    o.snapshots = snapshots;
    const GradientResult r = s.gradient(n, o);
    if (objective) *objective = r.objective;
    std::vector<double> all = gather_global(s.gradient_initial_temperature());
    const std::vector<double> gk = gather_global(s.gradient_conductivity());
    all.insert(all.end(), gk.begin(), gk.end());
    // the temperature is back at the initial state
    HeatSolver fresh(m, dec, p);
    CHECK(bitwise_equal(gather_global(s.temperature_field()), gather_global(fresh.temperature_field())));
    return all;
  };
  double j_world = 0, j_self = 0;
  const auto world = gradient_of(Decomposition::create(g, MPI_COMM_WORLD), 0, &j_world);
  const auto world_binomial = gradient_of(Decomposition::create(g, MPI_COMM_WORLD), 3, nullptr);
  const auto self = gradient_of(Decomposition::create(g, MPI_COMM_SELF), 0, &j_self);
  CHECK(bitwise_equal(world, world_binomial));
  CHECK(bitwise_equal(world, self));
  // (a global sum: partial sums per rank, so equal to round-off only)
  CHECK(j_world == Approx(j_self).epsilon(1e-14));

  // The store-all Problem adjoint (weights 0, objective weight 1) is the same gradient.
  HeatSolver s(m, MPI_COMM_WORLD, p);
  Problem f = s.function(n);
  std::vector<Field<double>> grads = {s.temperature_field().clone_layout("gu"),
                                      s.conductivity_field().clone_layout("gk")};
  Field<double> zero = s.temperature_field().clone_layout("w");
  f.evaluate();  // must not move the base point the adjoint starts from
  f.adjoint({zero}, 1.0, grads);
  std::vector<double> pf = gather_global(grads[0]);
  const std::vector<double> pk = gather_global(grads[1]);
  pf.insert(pf.end(), pk.begin(), pk.end());
  CHECK(bitwise_equal(world, pf));

  // Objective from a plain forward run.
  HeatSolver fwd(m, MPI_COMM_WORLD, p);
  fwd.run(n);
  CHECK(fwd.objective() == j_world);

  // Tangent in a random direction equals <gradient, direction>.
  HeatSolver t(m, MPI_COMM_WORLD, p);
  Field<double> du = t.temperature_field().clone_layout("du"), dk = t.conductivity_field().clone_layout("dk");
  fill_random(du, 11);
  fill_random(dk, 12);
  const double dj = t.tangent(n, du, dk);
  HeatSolver a(m, t.decomposition_ptr(), p);
  a.gradient(n);
  const double adj = dot(a.gradient_initial_temperature(), du) + dot(a.gradient_conductivity(), dk);
  CHECK(std::abs(dj - adj) <= 1e-12 * std::max(1.0, std::abs(dj)));

  undertow_test::record_gradient_hash("solver_hash_heat_", "2d_walls", world);
}

TEST_CASE("heat: an unstable time step is refused with the largest stable one", "[heat][errors]") {
  const GridSpec g = GridSpec::rect(20, 10, {true, false}, {1.0, 0.25});
  HeatParameters p;
  p.conductivity_function = kappa_profile;
  HeatSolver probe(g, MPI_COMM_WORLD, p);
  const double dt_max = probe.max_stable_dt();
  // kappa_max over cell centres, dt_max = 1 / (2 kappa_max (1/hx^2 + 1/hy^2))
  const std::vector<double> kappa = gather_global(probe.conductivity_field());
  const double kmax = *std::max_element(kappa.begin(), kappa.end());
  const double hx = 1.0 / 20, hy = 0.025;
  CHECK(dt_max == Approx(1.0 / (2 * kmax * (1 / (hx * hx) + 1 / (hy * hy)))).epsilon(1e-14));
  CHECK(probe.dt() == Approx(0.9 * dt_max).epsilon(1e-14));

  p.dt = 1.05 * dt_max;
  const std::string msg = error_message([&] { HeatSolver s(g, MPI_COMM_WORLD, p); });
  INFO(msg);
  CHECK(all_ranks(!msg.empty()));
  CHECK(msg.find("largest stable time step") != std::string::npos);
  const double stated = number_after(msg, "dt_max = ");
  CHECK(stated <= dt_max);
  CHECK(stated >= dt_max * (1 - 1e-5));
  // The stated value itself is accepted, as is dt_max exactly.
  p.dt = stated;
  CHECK_NOTHROW(HeatSolver(g, MPI_COMM_WORLD, p));
  p.dt = dt_max;
  CHECK_NOTHROW(HeatSolver(g, MPI_COMM_WORLD, p));

  // A non-positive conductivity is refused too.
  HeatParameters bad;
  bad.conductivity_function = [](double x, double, double) { return x < 0.5 ? 1.0 : -0.1; };
  const std::string msg2 = error_message([&] { HeatSolver s(g, MPI_COMM_WORLD, bad); });
  CHECK(all_ranks(msg2.find("conductivity must be finite and > 0") != std::string::npos));
  // Raising kappa later re-checks the time step.
  HeatSolver later(g, MPI_COMM_WORLD, HeatParameters{});
  const std::string msg3 = error_message([&] { later.set_conductivity([](double, double, double) { return 2.0; }); });
  CHECK(all_ranks(msg3.find("dt_max = ") != std::string::npos));
}

TEST_CASE("heat: a NaN or Inf appearing mid-run is reported with the step and field on every rank", "[heat][errors]") {
  const GridSpec g = GridSpec::rect(16, 12, {true, true});
  HeatParameters p;
  p.initial = initial_profile;
  {
    HeatSolver s(g, MPI_COMM_WORLD, p);
    s.run(3);
    poke(s.temperature_field(), 5, 7, 0, std::nan(""));
    const std::string msg = error_message([&] { s.step(); });
    INFO(msg);
    CHECK(all_ranks(msg.find("non-finite values in 'temperature' at step 3") != std::string::npos));
  }
  {
    // A parameter that produces Inf: an absurd conductivity written behind the solver's back.
    HeatSolver s(g, MPI_COMM_WORLD, p);
    s.run(2);
    poke(s.conductivity_field(), 3, 4, 0, 1e308);
    const std::string msg = error_message([&] { s.run(5); });
    INFO(msg);
    CHECK(all_ranks(msg.find("non-finite values in 'temperature' at step 2") != std::string::npos));
  }
}

TEST_CASE("heat: runs on the sample mesh files with their conductivity fields", "[heat][mesh]") {
  struct Sample {
    const char* file;
    const char* field;
  };
  for (const Sample& sample : {Sample{"ring1d.toml", "conductivity"}, Sample{"channel2d.toml", "diffusivity"},
                               Sample{"box3d.toml", "conductivity"}}) {
    INFO(sample.file);
    const mesh::Mesh m = mesh::load_mesh(std::string(undertow_build::meshes_dir) + "/" + sample.file, MPI_COMM_WORLD);
    HeatParameters p;
    p.conductivity_field = sample.field;
    p.initial = initial_profile;
    HeatSolver s(m, MPI_COMM_WORLD, p);
    const Field<double> loaded = m.load_field(sample.field, s.decomposition_ptr(), 1);
    CHECK(bitwise_equal(gather_global(loaded), gather_global(s.conductivity_field())));
    Problem f = s.function(2);
    VerifyOptions opt;
    opt.name = std::string("heat on ") + sample.file;
    const VerificationReport r = verify(f, opt);
    INFO(r.str());
    CHECK(r.passed());
  }
  const mesh::Mesh m = mesh::load_mesh(std::string(undertow_build::meshes_dir) + "/channel2d.toml", MPI_COMM_WORLD);
  HeatParameters p;
  p.conductivity_field = "no_such_field";
  const std::string msg = error_message([&] { HeatSolver s(m, MPI_COMM_WORLD, p); });
  CHECK(all_ranks(msg.find("no_such_field") != std::string::npos));
}
