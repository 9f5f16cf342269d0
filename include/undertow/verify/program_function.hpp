// ProgramFunction: a step program run for n steps, seen as a Differentiable.
//
// Inputs are program variables (initial states, parameters); outputs are program
// variables after the last step (and the objective, if any). The tangent runs the
// program in tangent mode; the adjoint stores every step's state in memory, then
// replays each step with recording and runs its reverse, last step first (the
// checkpointed version for long runs is AdjointLoop in the time layer). This is
// what the verification harness calls for programs, and a simple way to get a
// gradient of a short run.
//
// Every call starts from the values in inputs() and leaves them there: the
// program's State variables are saved before a run and restored after it, so
// `f.evaluate(); f.adjoint(...)` differentiates at the same point as
// `f.adjoint(...)` alone. outputs() are the function's own copies of the output
// variables after the last step of the latest evaluate().
#pragma once

#include <vector>

#include "undertow/program/program.hpp"
#include "undertow/verify/differentiable.hpp"

namespace undertow {

class ProgramFunction : public Differentiable {
 public:
  ProgramFunction(Program& program, std::vector<Var> inputs, std::vector<Var> outputs, int steps = 1,
                  bool objective = true);

  std::vector<Field<double>> inputs() override;
  std::vector<Field<double>> outputs() override;
  bool has_objective() const override { return objective_; }
  double evaluate() override;
  double tangent(const std::vector<Field<double>>& directions,
                 const std::vector<Field<double>>& output_tangents) override;
  void adjoint(const std::vector<Field<double>>& weights, double objective_weight,
               const std::vector<Field<double>>& input_adjoints) override;

  Program& program() { return program_; }

 private:
  Program& program_;
  std::vector<Var> inputs_, outputs_;
  int steps_;
  bool objective_;
  /// Saves / restores the State variables (ghosts included): the base point.
  void save_base();
  void restore_base();

  std::vector<Var> states_;
  std::vector<Field<double>> base_states_;
  std::vector<Field<double>> output_values_;
  std::vector<std::vector<Field<double>>> stored_states_;
};

}  // namespace undertow
