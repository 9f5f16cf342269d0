// ProgramPoint on a realistic multipoint model: nonlinear transient heat
// conduction with a designed conductivity field at several operating conditions
// (examples/multipoint/heat_design.hpp). Each point is a step Program whose tangent
// and adjoint come from the program itself. Checked at every rank count: the
// coloured reverse Jacobian is bitwise the serialised one, equals the forward one,
// the one of the same model on a single rank, and central finite differences of
// the whole model; with two conditions on four ranks each point runs on two ranks;
// the adapter's own products pass a dot-product test; bad setups and calls raise
// an Error on every rank.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "heat_design.hpp"
#include "test_util.hpp"

using namespace undertow;
using namespace undertow_test;

namespace {

heat_design::Config three_conditions() {
  heat_design::Config c;
  c.cells = 20;
  c.conditions = heat_design::default_conditions(24);
  return c;
}

heat_design::Config two_conditions() {
  heat_design::Config c;
  c.cells = 20;
  c.conditions = {{"low", 0.5, 0.1, 20}, {"high", 0.9, -0.1, 20}};
  return c;
}

double relative_difference(const MultipointJacobian& a, const MultipointJacobian& b) {
  return a.max_abs_difference(b) / std::max(a.max_abs(), 1e-300);
}

/// Rounds of the default colouring: the most responses on one rank group.
int expected_rounds(const Multipoint& m) {
  int rounds = 0;
  for (const auto& points : m.groups().allocation().points_of_group) {
    int responses = 0;
    for (int p : points) responses += m.points()[static_cast<std::size_t>(p)].responses;
    rounds = std::max(rounds, responses);
  }
  return rounds;
}

void check_model(const heat_design::Config& config) {
  auto model = heat_design::make_model(MPI_COMM_WORLD, config);
  INFO(model->groups().allocation().describe());
  const std::vector<double> x = heat_design::default_design();
  const std::vector<double> z = model->analyse(x);
  REQUIRE(static_cast<int>(z.size()) == heat_design::kResponsesPerPoint * static_cast<int>(config.conditions.size()));
  for (double v : z) CHECK(std::isfinite(v));

  const SolveCounts before = model->solve_counts();
  const MultipointJacobian coloured = model->reverse();
  CHECK(model->last_rounds() == expected_rounds(*model));
  const MultipointJacobian serial = model->reverse(SeedColouring::none(model->num_responses()));
  CHECK(model->last_rounds() == model->num_responses());
  const SolveCounts after = model->solve_counts();
  for (int p = 0; p < model->num_points(); ++p) {
    CHECK(after.adjoint_solves[static_cast<std::size_t>(p)] - before.adjoint_solves[static_cast<std::size_t>(p)] ==
          2 * heat_design::kResponsesPerPoint);
  }
  // The same adjoint solves and upstream products on the same values: same bits.
  CHECK(coloured.max_abs_difference(serial) == 0.0);
  // Every design variable moves every response.
  for (int r = 0; r < coloured.rows(); ++r) {
    for (int k = 0; k < coloured.cols(); ++k) CHECK(coloured(r, k) != 0.0);
  }
  const MultipointJacobian forward = model->forward();
  CHECK(relative_difference(coloured, forward) <= 1e-12);

  // The same model on one rank (every point on MPI_COMM_SELF): only the order of
  // the reductions differs.
  auto single = heat_design::make_model(MPI_COMM_SELF, config);
  const std::vector<double> z1 = single->analyse(x);
  for (std::size_t i = 0; i < z.size(); ++i) CHECK(std::fabs(z[i] - z1[i]) <= 1e-13 * std::max(1.0, std::fabs(z[i])));
  const MultipointJacobian one_rank = single->reverse();
  CHECK(relative_difference(coloured, one_rank) <= 1e-12);
  CHECK(all_ranks(relative_difference(coloured, one_rank) <= 1e-12));

  // Central finite differences of the whole model (upstream and all solves).
  const double h = 1e-4;
  double worst = 0.0;
  for (int k = 0; k < model->num_design_variables(); ++k) {
    std::vector<double> xp = x, xm = x;
    xp[static_cast<std::size_t>(k)] += h;
    xm[static_cast<std::size_t>(k)] -= h;
    const std::vector<double> zp = model->analyse(xp);
    const std::vector<double> zm = model->analyse(xm);
    for (int r = 0; r < model->num_responses(); ++r) {
      const double fd = (zp[static_cast<std::size_t>(r)] - zm[static_cast<std::size_t>(r)]) / (2 * h);
      worst = std::max(worst, std::fabs(fd - coloured(r, k)) / std::max(std::fabs(coloured(r, k)), 1e-3));
    }
  }
  INFO("worst relative finite-difference error " << worst);
  CHECK(worst <= 1e-6);
}

}  // namespace

TEST_CASE("heat design at three conditions: coloured = serialised = forward = one rank = finite differences",
          "[multipoint][program_point]") {
  check_model(three_conditions());
}

TEST_CASE("heat design at two conditions: two ranks per point on four ranks", "[multipoint][program_point]") {
  const heat_design::Config config = two_conditions();
  if (world_size() == 4) {
    auto model = heat_design::make_model(MPI_COMM_WORLD, config);
    CHECK(model->groups().allocation().group_size == std::vector<int>{2, 2});
  }
  check_model(config);
}

TEST_CASE("ProgramPoint: tangent and adjoint pass the dot-product test", "[multipoint][program_point]") {
  heat_design::Config config = three_conditions();
  ProgramPoint point(heat_design::make_point(config, 1, MPI_COMM_WORLD));
  heat_design::ConductivityUpstream upstream(config.amplitude);
  const std::vector<double> y = upstream.evaluate(heat_design::default_design());
  point.analyse(MPI_COMM_WORLD, y);
  std::vector<double> ydot(y.size());
  for (std::size_t j = 0; j < ydot.size(); ++j) ydot[j] = std::cos(1.7 * j + 0.3);
  const std::vector<double> zbar{0.7, -1.3};
  const std::vector<double> zdot = point.tangent(MPI_COMM_WORLD, ydot);
  const std::vector<double> ybar = point.adjoint(MPI_COMM_WORLD, zbar);
  double lhs = 0, rhs = 0;
  for (std::size_t r = 0; r < zbar.size(); ++r) lhs += zbar[r] * zdot[r];
  for (std::size_t j = 0; j < y.size(); ++j) rhs += ybar[j] * ydot[j];
  CHECK(std::fabs(lhs - rhs) <= 1e-13 * std::max(std::fabs(lhs), 1e-300));
  CHECK(point.memory_bytes() > 0);
  // A second adjoint from the same analysis gives the same bits.
  const std::vector<double> again = point.adjoint(MPI_COMM_WORLD, zbar);
  CHECK(again == ybar);
}

TEST_CASE("ProgramPoint: bad setups and calls raise an Error on every rank", "[multipoint][program_point][errors]") {
  const heat_design::Config config = three_conditions();
  auto expect_error = [](auto&& body, const std::string& fragment) {
    std::string message;
    bool thrown = false;
    try {
      body();
    } catch (const Error& e) {
      thrown = true;
      message = e.what();
    }
    INFO("message: " << message);
    CHECK(all_ranks(thrown));
    CHECK(message.find(fragment) != std::string::npos);
  };

  expect_error(
      [&] {
        ProgramPoint point(heat_design::make_point(config, 0, MPI_COMM_WORLD));
        point.adjoint(MPI_COMM_WORLD, {1.0, 0.0});
      },
      "call analyse first");
  expect_error(
      [&] {
        ProgramPoint point(heat_design::make_point(config, 0, MPI_COMM_WORLD));
        point.analyse(MPI_COMM_WORLD, std::vector<double>(3, 0.1));
      },
      "y has 3 values");
  expect_error(
      [&] {
        ProgramPoint point(heat_design::make_point(config, 0, MPI_COMM_WORLD));
        point.analyse(MPI_COMM_WORLD, std::vector<double>(heat_design::kCoefficients, 0.1));
        point.adjoint(MPI_COMM_WORLD, {1.0});
      },
      "zbar has 1 values for 2 responses");
  expect_error(
      [&] {
        ProgramPointSetup setup = heat_design::make_point(config, 0, MPI_COMM_WORLD);
        setup.responses.push_back(ProgramResponse::objective("again"));
        ProgramPoint point(std::move(setup));
      },
      "second objective");
  expect_error(
      [&] {
        ProgramPointSetup setup = heat_design::make_point(config, 0, MPI_COMM_WORLD);
        const Var source = setup.program->find("source");
        setup.responses.push_back(
            ProgramResponse::weighted_sum("data", source, setup.program->value(source).clone("w")));
        ProgramPoint point(std::move(setup));
      },
      "Data variable 'source'");
  expect_error(
      [&] {
        ProgramPointSetup setup = heat_design::make_point(config, 0, MPI_COMM_WORLD);
        auto map = std::make_shared<BasisInputMap>();
        const Var next = setup.program->find("u_next");
        map->add_term(next, 0, setup.program->value(next));
        setup.inputs = map;
        ProgramPoint point(std::move(setup));
      },
      "neither a Parameter nor a State");
  expect_error(
      [&] {
        ProgramPointSetup setup = heat_design::make_point(config, 0, MPI_COMM_WORLD);
        setup.steps = 0;
        ProgramPoint point(std::move(setup));
      },
      "steps must be >= 1");

  // An unstable time step: the responses overflow, and the driver raises the
  // point's error on every rank of the whole model.
  heat_design::Config unstable = config;
  unstable.r = 5.0;
  for (auto& c : unstable.conditions) c.steps = 300;
  expect_error(
      [&] {
        auto model = heat_design::make_model(MPI_COMM_WORLD, unstable);
        model->analyse(heat_design::default_design());
      },
      "is not finite after 300 steps");
}
