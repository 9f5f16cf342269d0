#include "undertow/time/solver.hpp"

#include <cmath>
#include <utility>

#include "undertow/core/error.hpp"
#include "undertow/core/format.hpp"
#include "undertow/field/field_ops.hpp"

namespace undertow {

std::shared_ptr<const Decomposition> SolverPlacement::resolve(const mesh::Mesh& mesh,
                                                              const std::array<int, 3>& ranks_per_dim) const {
  if (given_) return decomposition_;
  if (comm_ == MPI_COMM_NULL) throw Error("a solver needs a communicator or a decomposition, got MPI_COMM_NULL");
  return mesh.decompose(comm_, ranks_per_dim);
}

mesh::Mesh SolverDomain::mesh(const mesh::FaceBoundary& default_face, const std::string& name) const {
  if (has_mesh_) return mesh_;
  return mesh::Mesh(grid_, mesh::BoundarySpec::periodic_or(grid_, default_face), name);
}

Solver::Solver(std::string name, mesh::Mesh mesh, const SolverPlacement& placement, const SolverParameters& parameters)
    : name_(std::move(name)), mesh_(std::move(mesh)) {
  decomposition_ = placement.resolve(mesh_, parameters.ranks_per_dim);
  if (!decomposition_) throw Error(name_ + ": null decomposition");
  const GridSpec& g = decomposition_->grid();
  collective_check(decomposition_->comm(), [&] {
    const GridSpec& m = mesh_.grid();
    bool same = m.dim == g.dim;
    for (int d = 0; d < 3; ++d) same = same && m.cells[d] == g.cells[d] && m.periodic[d] == g.periodic[d];
    if (!same) {
      throw Error(name_ + ": the decomposition's grid (" + g.describe() + ") is not the mesh's grid (" + m.describe() +
                  ")");
    }
  });
  program_ = std::make_unique<Program>(decomposition_, ProgramOptions{parameters.adjoint_form});
}

Solver::~Solver() = default;

void Solver::set_problem_variables(std::vector<Var> inputs, std::vector<Var> outputs) {
  inputs_ = std::move(inputs);
  outputs_ = std::move(outputs);
}

void Solver::restart_clock() {
  steps_ = 0;
  accumulated_objective_ = 0.0;
}

void Solver::step() {
  Program& p = *program_;
  p.set_step_index(steps_);
  p.set_objective(accumulated_objective_);
  try {
    p.run_forward(Section::Step);
  } catch (const Error& e) {
    // Every rank is here: a failing operation (the finite check) is collective.
    throw Error(
        name_ + ": the run failed in time step " + std::to_string(steps_) + " -> " + std::to_string(steps_ + 1) +
        " (t = " + format_number(time()) + " to " + format_number(time() + dt_) + ", dt = " + format_number(dt_) +
        (std::isfinite(dt_max_) ? ", largest stable dt " + format_number(dt_max_) : std::string()) + "): " + e.what());
  }
  accumulated_objective_ = p.objective();
  ++steps_;
}

void Solver::run(int n, const std::function<void(std::int64_t)>& after_step) {
  for (int i = 0; i < n; ++i) {
    step();
    if (after_step) after_step(steps_);
  }
}

double Solver::objective() {
  Program& p = *program_;
  p.set_objective(accumulated_objective_);
  p.run_forward(Section::Final);
  const double j = p.objective();
  p.set_objective(accumulated_objective_);
  return j;
}

Problem Solver::function(int n, const Checkpointing& checkpointing) {
  if (inputs_.empty()) throw Error(name_ + ": the solver declared no inputs to differentiate with respect to");
  // A program with an Initial section starts from the parameters at time 0;
  // otherwise the map continues the run from the current state.
  program_->set_step_index(program_->has_operations(Section::Initial) ? 0 : steps_);
  ProblemOptions options(n);
  options.checkpointing = checkpointing;
  return Problem(*program_, inputs_, outputs_, options);
}

GradientResult Solver::gradient(int n, const Checkpointing& checkpointing) {
  return function(n, checkpointing).gradient();
}

double Solver::tangent(int n, const std::vector<Field<double>>& directions,
                       const std::vector<Field<double>>& output_tangents) {
  Problem f = function(n);
  if (!output_tangents.empty()) return f.tangent(directions, output_tangents);
  std::vector<Field<double>> dropped;
  for (const Var& v : outputs_)
    dropped.push_back(program_->value(v).clone_layout(program_->value(v).name() + "_tangent"));
  return f.tangent(directions, dropped);
}

void Solver::check_time_step_request(double dt, double safety, const std::string& safety_name) const {
  if (!(safety > 0.0 && safety <= 1.0)) {
    throw Error(name_ + ": " + safety_name + " must lie in (0, 1], got " + format_number(safety));
  }
  if (!(dt >= 0.0) || !std::isfinite(dt)) {
    throw Error(name_ + ": the time step must be a finite positive number (0: automatic), got " + format_number(dt));
  }
}

void Solver::choose_time_step(double requested, double safety, double dt_max, const std::string& limit, bool enforce) {
  const double wanted = dt_ > 0.0 ? dt_ : requested;
  if (enforce && wanted == 0.0 && !std::isfinite(dt_max)) {
    throw Error(name_ + ": there is no stability limit to derive a time step from (" + limit + "): give dt");
  }
  const double dt = wanted > 0.0 ? wanted : safety * dt_max;
  if (enforce && dt > dt_max * (1.0 + 1e-12)) {
    throw Error(name_ + ": the time step dt = " + format_number(dt) +
                " is unstable; the largest stable time step is dt_max = " + format_down(dt_max) + " (" + limit + ")");
  }
  set_dt(dt, dt_max);
}

void Solver::check_mesh_field(const std::string& mesh_field) const {
  collective_check(decomposition_->comm(), [&] {
    if (!mesh_field.empty()) mesh_.field_info(mesh_field);  // throws, listing the mesh's fields
  });
}

void Solver::set_coefficient(const Field<double>& field, const std::string& mesh_field, const CellFunction& f,
                             double constant) const {
  if (!mesh_field.empty()) {
    mesh_.read_field(mesh_field, field);
  } else if (f) {
    set_by_cell_center(field, f);
  } else {
    fill(field, constant);
  }
}

}  // namespace undertow
