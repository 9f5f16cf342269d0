// Stepper: what the adjoint time loop needs from a time-dependent model.
//
// The adjoint time loop (`AdjointLoop`) and the checkpoint schedules know nothing
// about kernels or programs: they drive any model through this interface. A
// model's primal state between steps is a list of fields (plus a few scalars such
// as the running objective); the loop snapshots and restores them, replays steps
// forward, and calls `step_adjoint` in reverse order, each right after a
// `step_record` of the same step. `StepProgram` (program layer) implements it for
// any recorded step; tests and users can implement it by hand.
#pragma once

#include <vector>

#include "undertow/field/field.hpp"

namespace undertow {

class Stepper {
 public:
  virtual ~Stepper() = default;

  /// Handles to the fields that hold the primal state between steps. The loop
  /// copies their owned cells into checkpoints and back; ghosts are refreshed by
  /// the model's own step.
  virtual std::vector<Field<double>> primal_state() = 0;
  /// Handles to the fields that hold the adjoint state between reverse steps,
  /// including gradient accumulators (saved for restarts of the reverse sweep).
  virtual std::vector<Field<double>> adjoint_state() = 0;
  /// Scalars that travel with the primal state (e.g. the accumulated objective).
  virtual std::vector<double> primal_scalars() const { return {}; }
  virtual void set_primal_scalars(const std::vector<double>& /*values*/) {}
  /// Scalars that travel with the adjoint state.
  virtual std::vector<double> adjoint_scalars() const { return {}; }
  virtual void set_adjoint_scalars(const std::vector<double>& /*values*/) {}

  /// Called once before the forward sweep from the initial state (step 0).
  virtual void begin_forward() {}
  /// Advances the primal state from step n to n + 1.
  virtual void step(int n) = 0;
  /// The same, and keeps what `step_adjoint(n)` needs (the last record only).
  virtual void step_record(int n) = 0;
  /// Called once after the forward sweep reached `n_steps`: seeds the adjoint
  /// state with the derivative of the terminal part of the objective.
  virtual void begin_adjoint(int n_steps) = 0;
  /// Adjoint of step n: adjoint state at n + 1 -> adjoint state at n, adding to the
  /// gradient accumulators. Always called right after `step_record(n)`.
  virtual void step_adjoint(int n) = 0;
  /// Called once after the adjoint of step 0: adds initial-state contributions.
  virtual void end_adjoint() {}
};

}  // namespace undertow
