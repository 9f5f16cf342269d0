// The shallow-water solver's primal behaviour, checked against physics rather
// than against the code: the lake at rest stays at rest over a non-flat bed with
// a coastline, mass is conserved to round-off behind walls, a small pulse travels
// at sqrt(g H), a symmetric problem stays symmetric; and bad set-ups (CFL, dry
// cells, a gauge on land, a NaN mid-run) are refused with the same message on
// every rank.
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "sw_test_setup.hpp"
#include "undertow_source_tree.hpp"

using namespace undertow;
using namespace sw_test;
using undertow_test::all_ranks;

namespace {

/// max |component c| over water cells, gathered (identical on every rank).
double max_component(const ShallowWaterSolver& s, int c) {
  const std::vector<double> u = gather_global(s.state_field());
  const std::vector<double> w = gather_global(s.water_field());
  const std::size_t n = w.size();
  double m = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (w[i] > 0.5) m = std::max(m, std::abs(u[static_cast<std::size_t>(c) * n + i]));
  }
  return m;
}

std::vector<double> elevation(const ShallowWaterSolver& s) {
  Field<double> eta(s.decomposition_ptr(), "eta", 1, 0);
  s.surface_elevation(eta);
  return gather_global(eta);
}

}  // namespace

TEST_CASE("lake at rest stays at rest over a non-flat bed with an island", "[shallow_water]") {
  for (auto scheme : {TimeScheme::ForwardEuler, TimeScheme::SspRk2}) {
    for (double eta_rest : {0.0, 0.37}) {
      INFO(to_string(scheme) << ", eta_rest = " << eta_rest);
      ShallowWaterParameters p = basin_parameters(scheme);
      p.eta_rest = eta_rest;
      p.initial_elevation = nullptr;  // eta_rest everywhere
      ShallowWaterSolver s(basin_grid(), MPI_COMM_WORLD, p);
      REQUIRE(s.water_cells() < 24 * 20);  // the island is land
      REQUIRE(s.water_cells() > 24 * 20 - 20);
      const double v0 = s.volume();
      s.run(300);
      const double mom = std::max(max_component(s, 1), max_component(s, 2));
      const double elev = s.max_elevation();
      INFO("max |hu|, |hv| = " << mom << "  max |eta - eta_rest| = " << elev);
      if (eta_rest == 0.0) {
        // h = -b exactly: every flux term is exactly zero.
        CHECK(mom == 0.0);
        CHECK(elev == 0.0);
      } else {
        // h + b = eta_rest only to round-off of |b| ~ 60 m.
        CHECK(mom < 1e-10);
        CHECK(elev < 1e-11);
      }
      CHECK(std::abs(s.volume() - v0) <= 1e-13 * v0);
      CHECK(s.objective() < 1e-20);
    }
  }
}

TEST_CASE("mass is conserved to round-off behind walls and the coastline", "[shallow_water]") {
  for (auto scheme : {TimeScheme::ForwardEuler, TimeScheme::SspRk2}) {
    INFO(to_string(scheme));
    auto s = basin(MPI_COMM_WORLD, basin_parameters(scheme));
    const double v0 = s->volume();
    double worst = 0;
    s->run(200, [&](std::int64_t) { worst = std::max(worst, std::abs(s->volume() - v0) / v0); });
    INFO("volume " << v0 << " m^3, worst relative drift " << worst);
    CHECK(worst < 1e-13);
    CHECK(s->steps_taken() == 200);
    // The wave did move and reach the gauge.
    CHECK(s->max_elevation() < 1.0);
    CHECK(s->objective() > 0.0);
  }
}

TEST_CASE("a small plane pulse travels at sqrt(g H) on a flat bed", "[shallow_water]") {
  // A 200 km x 8 km channel, 10 m deep, walls; a y-uniform 1 cm Gaussian at x0.
  const double H = 10.0, L = 200000.0, x0 = 60000.0, sigma = 3000.0;
  const GridSpec grid = GridSpec::rect(200, 4, {false, false}, {L, 8000.0});
  ShallowWaterParameters p;
  p.depth = H;
  p.initial_elevation = [&](double x, double, double) { return 0.01 * std::exp(-0.5 * std::pow((x - x0) / sigma, 2)); };
  p.gauge = {x0, 4000.0, 2000.0};
  p.safety = 0.5;
  ShallowWaterSolver s(grid, MPI_COMM_WORLD, p);
  const double c = std::sqrt(p.gravity * H);
  const int steps = static_cast<int>(std::round(2500.0 / s.dt()));
  s.run(steps);
  // Centroid of the right-going pulse (x > x0; the left one is 2 c t away).
  const std::vector<double> e = elevation(s);
  double m0 = 0, m1 = 0;
  for (int i = 0; i < 200; ++i) {
    const double x = grid.center(0, i);
    if (x <= x0) continue;
    for (int j = 0; j < 4; ++j) {
      m0 += e[static_cast<std::size_t>(i) * 4 + j];
      m1 += x * e[static_cast<std::size_t>(i) * 4 + j];
    }
  }
  const double speed = (m1 / m0 - x0) / s.time();
  INFO("pulse speed " << speed << " m/s, sqrt(g H) = " << c << " m/s, t = " << s.time() << " s");
  CHECK(std::abs(speed - c) < 0.01 * c);
  // Every column of the channel is the same (plane wave).
  double asym = 0;
  for (int i = 0; i < 200; ++i) {
    for (int j = 1; j < 4; ++j) {
      asym = std::max(asym, std::abs(e[static_cast<std::size_t>(i) * 4 + j] - e[static_cast<std::size_t>(i) * 4]));
    }
  }
  CHECK(asym <= 1e-15);
}

TEST_CASE("a centred hump in a square basin stays mirror- and diagonal-symmetric", "[shallow_water]") {
  const int n = 20;
  const GridSpec grid = GridSpec::rect(n, n, {false, false}, {20000.0, 20000.0});
  for (auto scheme : {TimeScheme::ForwardEuler, TimeScheme::SspRk2}) {
    ShallowWaterParameters p;
    p.scheme = scheme;
    p.depth_function = [](double x, double y, double) {
      return 40.0 - 10.0 * std::exp(-(std::pow(x - 10000.0, 2) + std::pow(y - 10000.0, 2)) / 2.5e7);
    };
    p.initial_elevation = [](double x, double y, double) {
      return 2.0 * std::exp(-(std::pow(x - 10000.0, 2) + std::pow(y - 10000.0, 2)) / 8.0e6);
    };
    ShallowWaterSolver s(grid, MPI_COMM_WORLD, p);  // default gauge: the centre
    s.run(120);
    const std::vector<double> e = elevation(s);
    auto at = [&](int i, int j) { return e[static_cast<std::size_t>(i) * n + j]; };
    double scale = 0, mirror = 0, diagonal = 0;
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) {
        scale = std::max(scale, std::abs(at(i, j)));
        mirror = std::max(mirror, std::abs(at(i, j) - at(n - 1 - i, j)));
        mirror = std::max(mirror, std::abs(at(i, j) - at(i, n - 1 - j)));
        diagonal = std::max(diagonal, std::abs(at(i, j) - at(j, i)));
      }
    }
    INFO(to_string(scheme) << ": max |eta| " << scale << ", mirror error " << mirror << ", diagonal error "
                           << diagonal);
    CHECK(scale > 0.05);
    // eta = h + b carries the rounding of h ~ 40 m: symmetric to round-off of the depth.
    CHECK(mirror <= 1e-14 * 40.0 * 10);
    CHECK(diagonal <= 1e-14 * 40.0 * 10);
    CHECK(s.objective() > 0.0);
  }
}

TEST_CASE("the largest stable time step is global and matches the analytic CFL bound", "[shallow_water]") {
  // Flat bed, lake at rest: face speed a = sqrt(g H) + 1.5 delta, delta = 1e-3 sqrt(g H).
  const GridSpec grid = GridSpec::rect(16, 12, {false, false}, {16000.0, 6000.0});
  ShallowWaterParameters p;
  p.depth = 30.0;
  ShallowWaterSolver rest(grid, MPI_COMM_WORLD, p);
  const double c = std::sqrt(p.gravity * p.depth), delta = 1e-3 * c;
  const double expected = ShallowWaterSolver::largest_stable_dt(grid, c + 1.5 * delta);
  CHECK(std::abs(expected - 1.0 / ((c + 1.5 * delta) * (1.0 / 1000.0 + 1.0 / 500.0))) <= 1e-15 * expected);
  CHECK(std::abs(rest.max_stable_dt() - expected) <= 1e-13 * expected);
  CHECK(rest.dt() == p.safety * rest.max_stable_dt());

  // With a hump the limit comes from one rank's cells; every rank and a
  // single-rank run agree bitwise.
  auto world = basin(MPI_COMM_WORLD, basin_parameters());
  auto self = basin(MPI_COMM_SELF, basin_parameters());
  CHECK(all_ranks(world->max_stable_dt() == self->max_stable_dt()));
  CHECK(world->max_stable_dt() < 1000.0 / std::sqrt(9.81 * 55.0));

  // A step above the limit is refused at construction, naming the limit (rounded down).
  ShallowWaterParameters bad = basin_parameters();
  bad.dt = 1.5 * world->max_stable_dt();
  std::ostringstream limit;
  limit << std::setprecision(5) << world->max_stable_dt();
  CHECK_THROWS_WITH(basin(MPI_COMM_WORLD, bad),
                    Catch::Contains("is unstable") && Catch::Contains("the CFL condition of the initial state") &&
                        Catch::Contains("largest stable time step is dt_max = " + limit.str()));
  ShallowWaterParameters ok = basin_parameters();
  ok.dt = 0.99 * world->max_stable_dt();
  CHECK_NOTHROW(basin(MPI_COMM_WORLD, ok));
  // A new initial state that makes the fixed dt unstable (5 m more water: faster
  // waves) is refused too.
  auto s = basin(MPI_COMM_WORLD, ok);
  CHECK_THROWS_WITH(s->set_initial_elevation([](double, double, double) { return 5.0; }),
                    Catch::Contains("the CFL condition of the initial state"));
}

TEST_CASE("a NaN mid-run stops every rank with the step and the field", "[shallow_water]") {
  // An unstable step (CFL enforcement off on purpose) blows up after a while.
  ShallowWaterParameters p = basin_parameters();
  p.enforce_cfl = false;
  p.dt = 4.0 * basin(MPI_COMM_WORLD, basin_parameters())->max_stable_dt();
  auto s = basin(MPI_COMM_WORLD, p);
  CHECK(s->dt() > s->max_stable_dt());
  CHECK_THROWS_WITH(s->run(400), Catch::Contains("non-finite values in 'h_hu_hv'") &&
                                     Catch::Contains("the run failed in time step") &&
                                     Catch::Contains("largest stable dt"));

  // A NaN planted after step 5 is reported in time step 5 -> 6 on every rank.
  auto t = basin(MPI_COMM_WORLD, basin_parameters());
  t->run(5);
  const std::vector<double> u = gather_global(t->state_field());
  const std::size_t cells = u.size() / 3;
  set_by_global_index<double>(t->state_field(), [&](int c, std::int64_t i, std::int64_t j, std::int64_t) {
    const std::size_t k = static_cast<std::size_t>(i) * 20 + static_cast<std::size_t>(j);
    return (c == 0 && i == 3 && j == 17) ? std::nan("") : u[static_cast<std::size_t>(c) * cells + k];
  });
  CHECK_THROWS_WITH(t->step(), Catch::Contains("time step 5 -> 6") &&
                                   Catch::Contains("non-finite values in 'h_hu_hv'") && Catch::Contains("at step 5"));
}

TEST_CASE("unusable set-ups are refused on every rank with a clear message", "[shallow_water]") {
  // A trough that empties water cells.
  ShallowWaterParameters trough = basin_parameters();
  trough.initial_elevation = [](double x, double y, double) {
    return -80.0 * std::exp(-(std::pow(x - 5000.0, 2) + std::pow(y - 5000.0, 2)) / 4.0e6);
  };
  CHECK_THROWS_WITH(basin(MPI_COMM_WORLD, trough), Catch::Contains("initial water depth eta0 - b is <= 0"));
  // A gauge on the island, and one outside the grid.
  ShallowWaterParameters on_land = basin_parameters();
  on_land.gauge = {17000.0, 13000.0, 300.0};
  CHECK_THROWS_WITH(basin(MPI_COMM_WORLD, on_land), Catch::Contains("covers almost no water"));
  ShallowWaterParameters outside = basin_parameters();
  outside.gauge = {-1.0e6, 13000.0, 300.0};
  CHECK_THROWS_WITH(basin(MPI_COMM_WORLD, outside), Catch::Contains("lies outside the grid"));
  // Unsmoothed flux (not differentiable at rest), a bad safety factor, 3D, all land.
  ShallowWaterParameters sharp = basin_parameters();
  sharp.speed_smoothing = 0.0;
  CHECK_THROWS_WITH(basin(MPI_COMM_WORLD, sharp), Catch::Contains("speed_smoothing must be > 0"));
  ShallowWaterParameters unsafe = basin_parameters();
  unsafe.safety = 1.5;
  CHECK_THROWS_WITH(basin(MPI_COMM_WORLD, unsafe), Catch::Contains("safety must lie in (0, 1]"));
  CHECK_THROWS_WITH(ShallowWaterSolver(GridSpec::box(8, 8, 8), MPI_COMM_WORLD), Catch::Contains("needs a 2D grid"));
  ShallowWaterParameters dry = basin_parameters();
  dry.min_depth = 100.0;
  CHECK_THROWS_WITH(basin(MPI_COMM_WORLD, dry), Catch::Contains("no water cell"));
  // A Dirichlet face is not a shallow-water boundary condition here.
  mesh::BoundarySpec spec = mesh::BoundarySpec::periodic_or(basin_grid(), mesh::FaceBoundary::wall());
  spec.at(0, 0) = mesh::FaceBoundary::dirichlet(1.0);
  CHECK_THROWS_WITH(ShallowWaterSolver(mesh::Mesh(basin_grid(), spec), MPI_COMM_WORLD, basin_parameters()),
                    Catch::Contains("x_lower is 'dirichlet'"));
}

TEST_CASE("the coastal-basin mesh: lake at rest with an open boundary and a coastline", "[shallow_water]") {
  const mesh::Mesh m =
      mesh::load_mesh(std::string(undertow_build::source_dir) + "/meshes/coastal_basin.toml", MPI_COMM_WORLD);
  ShallowWaterParameters p;
  p.depth_field = "bathymetry";
  p.mask_field = "water";
  p.min_depth = 10.0;
  p.gauge = {225000.0, 120000.0, 4000.0};
  ShallowWaterSolver s(m, MPI_COMM_WORLD, p);
  // Water = mask and depth >= 10 m: fewer cells than the mesh's mask (10938).
  CHECK(s.water_cells() > 9000);
  CHECK(s.water_cells() < 10938);
  CHECK(s.max_stable_dt() < 2000.0 / (2.0 * std::sqrt(9.81 * 3999.0)));
  s.run(40);
  CHECK(max_component(s, 1) == 0.0);
  CHECK(max_component(s, 2) == 0.0);
  CHECK(s.max_elevation() == 0.0);
  CHECK(s.objective() == 0.0);
  // An unknown field name is refused, listing the mesh's fields.
  ShallowWaterParameters wrong = p;
  wrong.depth_field = "depth";
  CHECK_THROWS_WITH(ShallowWaterSolver(m, MPI_COMM_WORLD, wrong), Catch::Contains("bathymetry"));
}
