// The contract every time-stepping solver keeps, checked on all five with the same
// code through the Solver base: a gradient depends neither on what ran before it
// at the same point (an evaluation, a tangent) nor on how the reverse sweep gets
// its states (store-all recording every step as the forward sweep runs, store-all
// re-running each step, revolve). All four give bitwise the same gradient and
// objective on any decomposition.
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "solvers/shallow_water/sw_test_setup.hpp"
#include "solvers/solver_test_util.hpp"
#include "test_util.hpp"
#include "undertow/solvers/advection.hpp"
#include "undertow/solvers/burgers.hpp"
#include "undertow/solvers/heat.hpp"
#include "undertow/solvers/implicit_heat.hpp"

using namespace undertow;
using namespace undertow::solvers;
using solver_test::bitwise_equal;
using solver_test::gather_concatenated;

namespace {

using SolverFactory = std::function<std::unique_ptr<Solver>()>;

const GridSpec kGrid = GridSpec::rect(16, 12, {true, false}, {2.0, 1.0});

double bump(double x, double y, double) {
  return 0.5 + 0.4 * std::sin(3.0 * x + 0.5) * std::cos(2.0 * y);
}
double target(double x, double y, double) {
  return 0.3 * std::cos(2.0 * x) + 0.2 * y;
}

/// The heat solvers' conductivity, initial temperature and observation.
void set_conduction(ConductionParameters& p) {
  p.conductivity_function = [](double x, double y, double z) { return 0.6 + 0.3 * bump(x, y, z); };
  p.initial = bump;
  p.observation = target;
}

/// dJ/d(input) for every input of s, concatenated (collective).
std::vector<double> input_gradients(const Solver& s) {
  std::vector<Field<double>> adjoints;
  for (const Var& v : s.inputs()) adjoints.push_back(s.program().adjoint(v));
  return gather_concatenated(adjoints);
}

/// A direction with the layout of every input (the tangent run before a gradient).
std::vector<Field<double>> direction_of(const Solver& s) {
  std::vector<Field<double>> directions;
  for (const Var& v : s.inputs()) {
    directions.push_back(s.program().value(v).clone_layout("direction"));
    fill_random(directions.back(), 7);
  }
  return directions;
}

void check_contract(const std::string& name, const SolverFactory& make, int steps) {
  INFO(name);
  auto alone = make();
  const double objective = alone->gradient(steps).objective;
  const std::vector<double> reference = input_gradients(*alone);
  double size = 0.0;
  for (double g : reference) size += std::abs(g);
  REQUIRE(size > 0.0);  // a zero gradient would make every comparison below pass

  {  // evaluate, then a tangent, then the gradient, through one Problem
    auto s = make();
    Problem f = s->function(steps);
    f.evaluate();
    std::vector<Field<double>> output_tangents;
    for (const Field<double>& out : f.outputs()) output_tangents.push_back(out.clone_layout("output_tangent"));
    f.tangent(direction_of(*s), output_tangents);
    const GradientResult r = f.gradient();
    CHECK(r.objective == objective);
    CHECK(bitwise_equal(input_gradients(*s), reference));
  }
  {  // store-all, each step re-run before its reverse
    auto s = make();
    Checkpointing rerun;
    rerun.record_forward = false;
    CHECK(s->gradient(steps, rerun).objective == objective);
    CHECK(bitwise_equal(input_gradients(*s), reference));
  }
  {  // revolve with 2 snapshots
    auto s = make();
    Checkpointing revolve;
    revolve.snapshots = 2;
    CHECK(s->gradient(steps, revolve).objective == objective);
    CHECK(bitwise_equal(input_gradients(*s), reference));
  }
}

}  // namespace

TEST_CASE("every solver: the gradient is the same after an evaluation and a tangent, and under every checkpoint policy",
          "[solvers][contract]") {
  check_contract(
      "heat",
      [] {
        HeatParameters p;
        set_conduction(p);
        return std::make_unique<HeatSolver>(kGrid, MPI_COMM_WORLD, p);
      },
      7);
  check_contract(
      "implicit heat",
      [] {
        ImplicitHeatParameters p;
        p.dt = 5e-3;
        set_conduction(p);
        return std::make_unique<ImplicitHeatSolver>(kGrid, MPI_COMM_WORLD, p);
      },
      4);
  check_contract(
      "burgers",
      [] {
        BurgersParameters p;
        p.viscosity = 0.02;
        p.initial = [](double x, double y, double z) { return bump(x, y, z) - 0.4; };  // both signs
        p.observation = target;
        return std::make_unique<BurgersSolver>(kGrid, MPI_COMM_WORLD, p);
      },
      7);
  check_contract(
      "advection",
      [] {
        AdvectionParameters p;
        p.velocity = {0.7, 0.45, 0.0};
        p.initial = bump;
        p.observation = target;
        return std::make_unique<AdvectionSolver>(GridSpec::rect(16, 12, {true, true}, {2.0, 1.0}), MPI_COMM_WORLD, p);
      },
      7);
  check_contract(
      "shallow water",
      [] {
        return std::make_unique<ShallowWaterSolver>(sw_test::basin_grid(), MPI_COMM_WORLD, sw_test::basin_parameters());
      },
      8);
}
