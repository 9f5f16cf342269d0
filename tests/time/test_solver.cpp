// undertow::Solver, the base of the time-stepping solvers, through a minimal
// solver (explicit diffusion with a step-integrated and a terminal objective):
// where it runs, the accumulated objective, derivatives that leave the solver
// where it was and agree with the forward run, the time-step choice and its
// messages, and a failing step named on every rank.
#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "program/test_kernels.hpp"
#include "solvers/solver_test_util.hpp"
#include "test_util.hpp"
#include "undertow/core/format.hpp"

using namespace undertow;
using Catch::Matchers::Contains;

namespace {

struct DiffusionParameters : SolverParameters {
  double safety = 0.9;
  double conductivity = 1.0;
  CellFunction initial;
};

/// u_{n+1} = u_n + dt div(kappa grad u_n) on a 2D grid; J = dt sum_n sum u_n
/// (step terms) + 1/2 |u_N - obs|^2 (final term).
class DiffusionSolver : public Solver {
 public:
  DiffusionSolver(const SolverDomain& domain, const SolverPlacement& placement, DiffusionParameters params = {})
      : Solver("DiffusionSolver", domain.mesh(mesh::FaceBoundary::neumann(), "diffusion"), placement, params),
        params_(std::move(params)) {
    collective_check(decomposition().comm(), [&] { check_time_step_request(params_.dt, params_.safety, "safety"); });
    Program& p = program();
    u_ = p.add_state("u", 1, 2);
    kappa_ = p.add_parameter("kappa", 1, 2);
    next_ = p.add_temporary("u_next", 1, 2);
    obs_ = p.add_data("obs", 1, 0);
    set_coefficient(p.value(kappa_), "", CellFunction(), params_.conductivity);
    if (params_.initial) set_by_cell_center(p.value(u_), params_.initial);
    const double h = grid().spacing(0);
    choose_time_step(params_.dt, params_.safety, max_stable_dt(), "dt <= h^2 / (4 kappa)");
    undertow_test::Diffusion<2> kernel;
    kernel.dt_over_h2 = dt() / (h * h);
    p.exchange(u_);
    p.boundary(u_, mesh::boundary_fills(mesh().boundary(), 2));
    p.exchange(kappa_);
    p.boundary(kappa_, BoundaryConditions::walls(grid(), FaceCondition::neumann()));
    p.apply(kernel, {u_, kappa_}, {next_});
    p.copy(u_, next_);
    p.check_finite(u_);
    p.objective_sum(u_, dt());
    p.set_section(Section::Final);
    p.objective_misfit(u_, obs_, 1.0);
    p.set_section(Section::Step);
    set_problem_variables({u_, kappa_}, {u_});
  }

  double max_stable_dt() const {
    const double h = grid().spacing(0);
    return params_.conductivity > 0 ? h * h / (4.0 * params_.conductivity) : std::numeric_limits<double>::infinity();
  }
  const Field<double>& state() const { return program().value(u_); }
  const Field<double>& observation() const { return program().value(obs_); }
  /// The accumulated objective starts again (a new run from the current state).
  void restart() { restart_clock(); }
  std::string describe() const override { return "diffusion test solver"; }

 private:
  DiffusionParameters params_;
  Var u_, kappa_, next_, obs_;
};

DiffusionParameters bump() {
  DiffusionParameters params;
  params.initial = [](double x, double y, double) { return std::exp(-20.0 * ((x - 0.4) * (x - 0.4) + y * y)); };
  return params;
}

std::unique_ptr<DiffusionSolver> make(MPI_Comm comm, DiffusionParameters params = bump()) {
  auto s = std::make_unique<DiffusionSolver>(GridSpec::rect(12, 10), comm, params);
  fill(s->observation(), 0.1);
  return s;
}

}  // namespace

TEST_CASE("Solver: where it runs is checked on every rank", "[time][solver][errors]") {
  CHECK_THROWS_WITH(DiffusionSolver(GridSpec::rect(12, 10), MPI_COMM_NULL), Contains("MPI_COMM_NULL"));
  auto other = Decomposition::create(GridSpec::rect(12, 11), MPI_COMM_WORLD);
  CHECK_THROWS_WITH(DiffusionSolver(GridSpec::rect(12, 10), other), Contains("is not the mesh's grid"));
  // A mesh is taken as it is; a bare grid gets the solver's default faces.
  DiffusionSolver on_grid(GridSpec::rect(12, 10), MPI_COMM_WORLD);
  CHECK(on_grid.mesh().boundary().at(0, 0).kind == mesh::BoundaryKind::Neumann);
  const GridSpec g = GridSpec::rect(12, 10);
  const mesh::Mesh walls(g, mesh::BoundarySpec::periodic_or(g, mesh::FaceBoundary::dirichlet(1.0)), "walls");
  DiffusionSolver on_mesh(walls, MPI_COMM_WORLD);
  CHECK(on_mesh.mesh().boundary().at(1, 1) == mesh::FaceBoundary::dirichlet(1.0));
  CHECK(on_mesh.decomposition().grid().cells[1] == 10);
}

TEST_CASE("Solver: the time step is chosen and refused with its limit", "[time][solver][errors]") {
  auto s = make(MPI_COMM_WORLD);
  CHECK(s->dt() == 0.9 * s->max_stable_dt());
  DiffusionParameters unstable = bump();
  unstable.dt = 1.01 * s->max_stable_dt();
  CHECK_THROWS_WITH(make(MPI_COMM_WORLD, unstable),
                    Contains("DiffusionSolver: the time step dt = ") && Contains("is unstable") &&
                        Contains("dt_max = " + format_down(s->max_stable_dt())) && Contains("h^2 / (4 kappa)"));
  DiffusionParameters no_limit = bump();
  no_limit.conductivity = 0.0;
  CHECK_THROWS_WITH(make(MPI_COMM_WORLD, no_limit), Contains("no stability limit") && Contains("give dt"));
  no_limit.dt = 1e-3;
  CHECK_NOTHROW(make(MPI_COMM_WORLD, no_limit));
  DiffusionParameters unsafe = bump();
  unsafe.safety = 1.5;
  CHECK_THROWS_WITH(make(MPI_COMM_WORLD, unsafe), Contains("safety must lie in (0, 1], got 1.5"));
  DiffusionParameters negative = bump();
  negative.dt = -1.0;
  CHECK_THROWS_WITH(make(MPI_COMM_WORLD, negative), Contains("finite positive number"));
}

TEST_CASE("Solver: the objective accumulates step terms and adds the final ones", "[time][solver]") {
  auto s = make(MPI_COMM_WORLD);
  const double final_only = s->objective();
  CHECK(s->objective() == final_only);  // asking twice counts nothing twice
  s->run(3);
  CHECK(s->steps_taken() == 3);
  CHECK(s->time() == 3 * s->dt());
  const double after_three = s->objective();
  CHECK(s->objective() == after_three);
  // The step terms: dt sum u over the three new states, which the restart forgets.
  s->restart();
  const double final_now = s->objective();
  CHECK(after_three - final_now > 0.0);
  CHECK(s->steps_taken() == 0);
}

TEST_CASE("Solver: derivatives leave the solver where it was and agree with the forward run",
          "[time][solver][derivatives]") {
  const int n = 4;
  auto s = make(MPI_COMM_WORLD);
  s->run(2);
  s->restart();  // J of the next n steps alone
  const std::vector<double> before = gather_global(s->state());
  const GradientResult result = s->gradient(n);
  CHECK(gather_global(s->state()) == before);
  CHECK(s->steps_taken() == 0);
  s->run(n);
  CHECK(s->objective() == Approx(result.objective).epsilon(1e-14));

  auto t = make(MPI_COMM_WORLD);
  {
    Problem f = t->function(n);
    solver_test::check_derivatives(f, "Solver::function(4)");
  }
  // tangent() with the outputs dropped gives the Problem's dJ.
  Field<double> du = t->state().clone_layout("du");
  Field<double> dk = t->program().value(t->inputs()[1]).clone_layout("dk");
  fill_random(du, 3);
  fill_random(dk, 4);
  const double dj = t->tangent(n, {du, dk});
  Field<double> out = t->state().clone_layout("out");
  CHECK(t->function(n).tangent({du, dk}, {out}) == dj);
}

TEST_CASE("Solver: a failing step is named on every rank", "[time][solver][errors]") {
  auto s = make(MPI_COMM_WORLD);
  s->run(3);
  set_by_global_index<double>(s->state(), [](int, std::int64_t i, std::int64_t j, std::int64_t) {
    return i == 7 && j == 2 ? std::nan("") : 0.0;
  });
  std::string message;
  try {
    s->step();
  } catch (const Error& e) {
    message = e.what();
  }
  CHECK(undertow_test::all_ranks(message.find("DiffusionSolver: the run failed in time step 3 -> 4") !=
                                 std::string::npos));
  CHECK(undertow_test::all_ranks(message.find("largest stable dt " + format_number(s->max_stable_dt())) !=
                                 std::string::npos));
  CHECK(undertow_test::all_ranks(message.find("non-finite values in 'u'") != std::string::npos));
  CHECK(s->steps_taken() == 3);
}
