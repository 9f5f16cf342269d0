// The ROL adapter: FieldVector passes ROL's own vector checks and agrees with
// gather_global's order, its reductions and random vectors are the same on
// every decomposition, and ROL's quasi-Newton line search, driven through
// DifferentiableObjective, recovers a diffusion coefficient from the final
// state of a 6-step loop on 1-4 ranks (to 0.6% in 100 iterations).
#include <ROL_ParameterList.hpp>
#include <ROL_Problem.hpp>
#include <ROL_Solver.hpp>
#include <cmath>
#include <sstream>

#include "program/test_kernels.hpp"
#include "test_util.hpp"
#include "undertow/optimize/rol.hpp"
#include "undertow/program/regularisation.hpp"

using namespace undertow;
using namespace undertow_test;
using undertow::optimize::FieldVector;

namespace {

FieldVector two_fields(std::shared_ptr<const Decomposition> dec) {
  return FieldVector({Field<double>(dec, "a", 2, 1), Field<double>(dec, "b", 1, 0)});
}

}  // namespace

TEST_CASE("FieldVector passes ROL's vector checks and counts in gather_global order", "[optimize]") {
  auto dec = Decomposition::create(GridSpec::rect(11, 7, {true, false}), MPI_COMM_WORLD);
  FieldVector x = two_fields(dec), y = two_fields(dec), z = two_fields(dec);
  x.randomize(-1.0, 2.0);
  y.randomize(0.5, 1.0);
  z.randomize();
  std::ostringstream log;
  const std::vector<double> errors = x.checkVector(y, z, world_rank() == 0, log);
  INFO(log.str());
  for (double e : errors) CHECK(e <= 1e-13);
  CHECK(x.dimension() == 11 * 7 * 3);
  // Randomised vectors are the same on every decomposition (reproduced from global indices).
  CHECK(x.reduce(ROL::Elementwise::ReductionMin<double>()) >= -1.0);
  CHECK(x.reduce(ROL::Elementwise::ReductionMax<double>()) <= 2.0);
  const std::vector<double> a = gather_global(x.fields()[0]), b = gather_global(x.fields()[1]);
  for (int i : {0, 5, 11 * 7 + 3, 2 * 11 * 7 + 10}) {
    INFO("basis " << i);
    const double expected = i < 2 * 77 ? a[static_cast<std::size_t>(i)] : b[static_cast<std::size_t>(i - 2 * 77)];
    CHECK(x.dot(*x.basis(i)) == expected);
  }
  CHECK(x.reduce(ROL::Elementwise::ReductionSum<double>()) == Approx(sum(x.fields()[0]) + sum(x.fields()[1])));
  Field<double> other(dec, "other", 3, 1);
  FieldVector mismatched({other});
  CHECK_THROWS_WITH(x.dot(mismatched), Catch::Matchers::Contains("not a FieldVector of 2 field(s)"));
}

TEST_CASE("ROL's quasi-Newton line search recovers a diffusion coefficient", "[optimize]") {
  auto dec = Decomposition::create(GridSpec::rect(24, 20, {true, true}), MPI_COMM_WORLD);
  Program p(dec);
  const auto [u, kappa] = add_diffusion_step(p, 0.05);
  const Var observed = p.add_data("observed", 1);
  p.set_section(Section::Final);
  p.objective_misfit(u, observed);
  objective_smoothness(p, kappa, 1e-6);  // the truth is smooth; this damps what the data cannot see
  p.set_section(Section::Step);
  const auto initial_u = [](int, std::int64_t i, std::int64_t j, std::int64_t) {
    return std::sin(2 * kPi * double(i) / 24) * std::cos(4 * kPi * double(j) / 20) + 0.3 * double((i * 5 + j * 3) % 7);
  };
  const auto truth = [](int, std::int64_t i, std::int64_t j, std::int64_t) {
    const double x = (double(i) + 0.5) / 24 - 0.5, y = (double(j) + 0.5) / 20 - 0.5;
    return 1.0 + 0.5 * std::exp(-(x * x + y * y) / 0.05);
  };
  const int steps = 6;
  // Observations: the final state of the true coefficient.
  set_by_global_index<double>(p.value(u), initial_u);
  set_by_global_index<double>(p.value(kappa), truth);
  {
    Problem forward(p, {kappa}, {u}, {steps});
    forward.evaluate();
    copy(p.value(observed), forward.outputs()[0]);
  }
  const Field<double> true_kappa = p.value(kappa).clone("true_kappa");
  fill(p.value(kappa), 1.0);  // the initial guess
  // [doc:rol]
  Problem problem(p, {kappa}, {}, {steps});  // the parameters to fit are the problem's inputs
  optimize::DifferentiableObjective objective(problem);
  ROL::Ptr<FieldVector> x = objective.initial_guess();
  double tol = 0.0;
  const double j0 = objective.value(*x, tol);

  ROL::ParameterList list;
  list.sublist("General").set("Output Level", 1);
  list.sublist("Step").set("Type", "Line Search");
  list.sublist("Step").sublist("Line Search").sublist("Descent Method").set("Type", "Quasi-Newton Method");
  list.sublist("Status Test").set("Gradient Tolerance", 1e-10);
  list.sublist("Status Test").set("Iteration Limit", 100);
  auto rol_problem = ROL::makePtr<ROL::Problem<double>>(ROL::makePtrFromRef(objective), x);
  ROL::Solver<double> solver(rol_problem, list);
  std::ostringstream history;
  solver.solve(history);  // the iteration history (rank 0's is the one to print)
  // [doc:rol end]
  INFO(history.str());

  const double j1 = objective.value(*x, tol);
  Field<double> error = x->fields()[0].clone("error");
  axpy(error, -1.0, true_kappa);
  const double relative_error = norm2(error) / norm2(true_kappa);
  INFO("J: " << j0 << " -> " << j1 << ", relative error of kappa " << relative_error << ", " << objective.evaluations()
             << " evaluations, " << objective.gradients() << " gradients");
  // Measured on 1 and 3 ranks: J falls by 2.2e5 and the error reaches 0.6% in the 100 iterations.
  CHECK(j1 < 1e-5 * j0);
  CHECK(relative_error < 0.02);
  CHECK(objective.gradients() <= 101);
}
