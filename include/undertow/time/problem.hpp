// Problem: a step program run for n steps, as one differentiable map.
//
// The map takes program variables (initial states, parameters) to program
// variables after the last step and, optionally, the objective accumulated by the
// Initial, Step and Final sections. A program with an Initial section (e.g.
// shallow water's surface elevation -> water depth) has it run before the first
// step and reversed after the last step of the reverse sweep. `evaluate()`, `tangent()`, `adjoint()` (the
// Differentiable contract the verification harness checks) and `gradient()` all
// start from the values currently in `inputs()` and leave the program where they
// found it: State variables (ghosts included), the objective and the step index
// are saved before a call and restored after it, so `evaluate(); gradient();`
// gives bitwise the gradient of `gradient()` alone.
//
// The reverse sweep runs under one checkpoint policy (`Checkpointing`): every
// state kept in memory, or binomial checkpointing (revolve) with c snapshots in
// memory, on disk or both, with optional crash-safe restart points (AdjointLoop
// does the work; docs/time.md). Solvers, examples, multipoint points and the
// verification harness all reach gradients through this class.
#pragma once

#include <memory>
#include <vector>

#include "undertow/program/program.hpp"
#include "undertow/time/adjoint_loop.hpp"
#include "undertow/verify/differentiable.hpp"

namespace undertow {

/// How a Problem keeps the primal states its reverse sweep needs.
struct Checkpointing {
  /// 0: keep the state before every step in memory (store-all: no step is run
  /// twice). c >= 1: binomial checkpointing (revolve) with at most c snapshots,
  /// the fewest recomputed steps for that memory.
  int snapshots = 0;
  /// snapshots == 0 only: the forward sweep records, per step, what the reverse
  /// reads (about one extra state per step), so no step runs twice. Used when
  /// snapshots live in memory without restart points and every operation can be
  /// reversed from a recording (not a linear solve); otherwise, or when false,
  /// each reverse step re-runs its step from the stored state.
  bool record_forward = true;
  /// Where snapshots live, restart points, progress lines (docs/time.md).
  AdjointLoopOptions loop;
};

struct ProblemOptions {
  ProblemOptions() = default;
  /// `Problem p(program, inputs, outputs, {steps})`, or `{steps, false}` without objective.
  ProblemOptions(int steps_per_evaluation, bool with_objective = true)  // NOLINT: braces at call sites
      : steps(steps_per_evaluation), objective(with_objective) {}

  /// Time steps (runs of the Step section) per evaluation; >= 1.
  int steps = 1;
  /// Whether the objective (Initial, Step and Final terms) is an output of the map.
  bool objective = true;
  /// Whether every evaluation starts with the program's Initial section (the map
  /// from parameters to the initial state). false: from the State values as they
  /// are (e.g. to differentiate the continuation of a run); the section is then
  /// neither run nor reversed.
  bool run_initial = true;
  Checkpointing checkpointing;
};

/// What the last gradient() or adjoint() did.
struct GradientResult {
  double objective = 0.0;  ///< the objective at the base point
  int steps = 0;
  /// Steps run, recomputed, snapshots, times. With the store-all forward
  /// recording: forward_steps = adjoint_steps = steps, recorded_steps = 0 (no step
  /// is recorded again before its reverse), no snapshots.
  AdjointLoopStats stats;
};

class Problem : public Differentiable {
 public:
  /// `inputs` must be State or Parameter variables (Data variables are passive:
  /// the kernels compute no adjoint for them); `outputs` any variables. Throws
  /// Error on every rank for bad options or inputs.
  Problem(Program& program, std::vector<Var> inputs, std::vector<Var> outputs, ProblemOptions options = {});
  ~Problem() override;
  Problem(Problem&&) noexcept;
  Problem& operator=(Problem&&) = delete;
  Problem(const Problem&) = delete;
  Problem& operator=(const Problem&) = delete;

  // ---- Differentiable ----
  std::vector<Field<double>> inputs() override;
  /// The problem's own copies of the outputs after the last step of the latest
  /// evaluate() (or gradient()/adjoint(), whose forward sweep evaluates too).
  std::vector<Field<double>> outputs() override;
  bool has_objective() const override;
  double evaluate() override;
  double tangent(const std::vector<Field<double>>& directions,
                 const std::vector<Field<double>>& output_tangents) override;
  void adjoint(const std::vector<Field<double>>& weights, double objective_weight,
               const std::vector<Field<double>>& input_adjoints) override;

  /// dJ/d(inputs) (objective weight 1, no output weights), left in
  /// `program().adjoint(input)` for every input (and every Parameter). Collective.
  GradientResult gradient();

  // ---- several directions or seeds in one sweep (N, M in {1, 2, 4, 8}) ----
  /// N tangents in one tangent sweep (values and N tangents travel together):
  /// directions[i] holds N blocks of input i's components (direction-major, like
  /// Program::tangent); output_tangents[i] receives N blocks of output i's.
  /// Returns the N objective tangents; direction d gets what tangent() gives for it.
  std::vector<double> tangents(const std::vector<Field<double>>& directions,
                               const std::vector<Field<double>>& output_tangents);
  /// M adjoints in one reverse sweep (one forward sweep, one local reverse per
  /// cell and one halo message per neighbour for all seeds): weights[i] holds M
  /// blocks of output i's components (seed-major), objective_weights the M
  /// objective weights (all 0 without objective), input_adjoints[i] receives M
  /// blocks of input i's; seed s gets what adjoint() gives for it. The program
  /// keeps M seeds (Program::prepare_reverse) until the next gradient() or
  /// adjoint(). Linear solves reverse one seed at a time: an error.
  void adjoints(const std::vector<Field<double>>& weights, const std::vector<double>& objective_weights,
                const std::vector<Field<double>>& input_adjoints);
  /// The counts and times of the latest gradient(), adjoint() or resume().
  const GradientResult& last_gradient() const;

  // ---- restarts (checkpointing.loop.restart_interval > 0 and a directory) ----
  /// Whether the directory holds a restart point of an interrupted gradient().
  /// Collective; false when the options write no restart points.
  bool restart_available() const;
  /// Continues an interrupted gradient() from its restart point: the same
  /// problem, options and inputs as the run that wrote it (collective). Returns
  /// what that gradient() would have (its stats count this run's own work); the
  /// gradient is in program().adjoint(input). outputs() are not refreshed: the
  /// final state was computed by the interrupted run (evaluate() recomputes it).
  GradientResult resume();

  const ProblemOptions& options() const;
  Program& program();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace undertow
