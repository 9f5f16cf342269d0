// Solver: what every time-stepping solver built on a Program shares.
//
// A solver (heat, Burgers, advection, shallow water, ...) is a mesh, its
// decomposition, one Program whose Step section is one time step (an optional
// Initial section maps parameters to the initial state; Final-section terms end
// the objective) and the list of the variables its derivatives are taken with
// respect to. The physics lives in the derived class, which builds the program;
// this base gives all of them the same verbs:
//
//   step(), run(n)            advance the state (an error names the step, t and dt)
//   objective()               J of the run so far (step terms + final terms now)
//   function(n, checkpointing) the map inputs -> (outputs, J) over n steps, a Problem
//   gradient(n, checkpointing) dJ/d(inputs), left in program().adjoint(input)
//   tangent(n, directions)    dJ in a direction
//
// Derivatives start from the current state (or, when the program has an Initial
// section, from the parameters it reads) and leave the solver where it was.
// See docs/solvers.md, "Writing a solver".
#pragma once

#include <mpi.h>

#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "undertow/field/global_access.hpp"
#include "undertow/mesh/mesh.hpp"
#include "undertow/program/program.hpp"
#include "undertow/time/problem.hpp"

namespace undertow {

/// The parameters every solver takes (each solver's parameters derive from it).
struct SolverParameters {
  /// Time step. 0 (default): the solver's safety fraction of its largest stable step.
  double dt = 0.0;
  /// Check the state for NaN/Inf after every step (one global reduction per step).
  bool check_finite = true;
  /// How kernel adjoints are assembled (Gather: bitwise reproducible for any rank/thread count).
  AdjointForm adjoint_form = AdjointForm::Gather;
  /// Process grid (zeros: chosen automatically). Ignored when a Decomposition is given.
  std::array<int, 3> ranks_per_dim{0, 0, 0};
};

/// Where a solver runs: a communicator (the mesh's grid is then decomposed with
/// the parameters' ranks_per_dim) or a decomposition of the mesh's grid.
class SolverPlacement {
 public:
  SolverPlacement(MPI_Comm comm) : comm_(comm) {}                      // NOLINT: implicit at call sites
  SolverPlacement(std::shared_ptr<const Decomposition> decomposition)  // NOLINT
      : decomposition_(std::move(decomposition)), given_(true) {}
  SolverPlacement(std::shared_ptr<Decomposition> decomposition)  // NOLINT
      : decomposition_(std::move(decomposition)), given_(true) {}

  /// The decomposition for `mesh` (collective when it is built here).
  std::shared_ptr<const Decomposition> resolve(const mesh::Mesh& mesh, const std::array<int, 3>& ranks_per_dim) const;

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  std::shared_ptr<const Decomposition> decomposition_;
  bool given_ = false;
};

/// What a solver discretises: a mesh (grid, boundary kinds, cell fields), or a
/// bare grid that the solver completes with its default kind on every
/// non-periodic face (each solver's constructor says which).
class SolverDomain {
 public:
  SolverDomain(mesh::Mesh mesh) : mesh_(std::move(mesh)), has_mesh_(true) {}  // NOLINT: implicit at call sites
  SolverDomain(const GridSpec& grid) : grid_(grid) {}                         // NOLINT

  /// The mesh, or the grid with `default_face` on its non-periodic faces, named `name`.
  mesh::Mesh mesh(const mesh::FaceBoundary& default_face, const std::string& name) const;

 private:
  mesh::Mesh mesh_;
  GridSpec grid_;
  bool has_mesh_ = false;
};

class Solver {
 public:
  virtual ~Solver();
  Solver(const Solver&) = delete;
  Solver& operator=(const Solver&) = delete;

  // ---- where it runs and what it runs ----
  Program& program() { return *program_; }
  const Program& program() const { return *program_; }
  const Decomposition& decomposition() const { return *decomposition_; }
  std::shared_ptr<const Decomposition> decomposition_ptr() const { return decomposition_; }
  const mesh::Mesh& mesh() const { return mesh_; }
  const GridSpec& grid() const { return decomposition_->grid(); }
  /// The variables derivatives are taken with respect to, and the outputs of function(n).
  const std::vector<Var>& inputs() const { return inputs_; }
  const std::vector<Var>& outputs() const { return outputs_; }

  // ---- time ----
  double dt() const { return dt_; }
  std::int64_t steps_taken() const { return steps_; }
  double time() const { return static_cast<double>(steps_) * dt_; }
  /// Sets the step counter (e.g. after restoring a state from a checkpoint file).
  void set_time(std::int64_t steps) { steps_ = steps; }

  // ---- forward (collective) ----
  /// One time step. Throws Error on every rank if the step fails (a NaN/Inf state
  /// with check_finite), naming the step, the time and dt.
  void step();
  /// n steps; `after_step(steps_taken())` after each.
  void run(int n, const std::function<void(std::int64_t)>& after_step = {});
  /// J of the run so far: the step terms accumulated since the last restart of
  /// the clock plus the Final-section terms at the current state.
  double objective();

  // ---- derivatives (collective; the solver's state is left where it was) ----
  /// inputs() -> (outputs() after n steps, J) as a Differentiable; its checkpoint
  /// policy is `checkpointing` (every state kept by default).
  Problem function(int n, const Checkpointing& checkpointing = {});
  /// n steps forward and the reverse sweep: dJ/d(input) in program().adjoint(input).
  GradientResult gradient(int n, const Checkpointing& checkpointing = {});
  /// dJ in `directions` (one per input, layouts of the input fields); the outputs'
  /// tangents go to `output_tangents` if given (else they are dropped).
  double tangent(int n, const std::vector<Field<double>>& directions,
                 const std::vector<Field<double>>& output_tangents = {});

  /// A few lines for logs.
  virtual std::string describe() const = 0;

 protected:
  /// Collective over the placement's communicator. Throws Error on every rank if
  /// the decomposition is null or not of the mesh's grid.
  Solver(std::string name, mesh::Mesh mesh, const SolverPlacement& placement, const SolverParameters& parameters);

  /// "HeatSolver", for messages.
  const std::string& name() const { return name_; }
  /// Declares what function(n) differentiates (inputs: State or Parameter variables).
  void set_problem_variables(std::vector<Var> inputs, std::vector<Var> outputs);
  /// The time step, and the largest stable one it was chosen under (named in
  /// the message of a failed step; infinity: none known).
  void set_dt(double dt, double dt_max = std::numeric_limits<double>::infinity()) {
    dt_ = dt;
    dt_max_ = dt_max;
  }
  /// The accumulated objective and the step counter start again from 0.
  void restart_clock();

  /// Error unless dt is finite and >= 0 (0: automatic) and `safety` (the fraction
  /// of the largest stable step, called `safety_name` in messages) lies in (0, 1].
  void check_time_step_request(double dt, double safety, const std::string& safety_name) const;
  /// Sets dt and its limit dt_max: the dt already chosen (the step program is
  /// built with it, so it stays), else `requested`, else safety * dt_max. Unless
  /// `enforce` is false, throws (naming `limit`, the formula of dt_max with its
  /// values; nothing is changed) if dt exceeds dt_max, or if there is neither a
  /// dt nor a finite dt_max to derive one from.
  void choose_time_step(double requested, double safety, double dt_max, const std::string& limit, bool enforce = true);
  /// The named mesh field into `field` if `mesh_field` is non-empty, else f at the
  /// cell centres if f is set, else `constant`.
  void set_coefficient(const Field<double>& field, const std::string& mesh_field, const CellFunction& f,
                       double constant) const;
  /// Error (collective) unless the mesh has the field (or `mesh_field` is empty).
  void check_mesh_field(const std::string& mesh_field) const;

 private:
  std::string name_;
  mesh::Mesh mesh_;
  std::shared_ptr<const Decomposition> decomposition_;
  std::unique_ptr<Program> program_;
  std::vector<Var> inputs_, outputs_;
  double dt_ = 0.0;
  double dt_max_ = std::numeric_limits<double>::infinity();
  double accumulated_objective_ = 0.0;
  std::int64_t steps_ = 0;
};

}  // namespace undertow
