// ShallowWaterFunction: a shallow-water run (eta0, b) -> (final state, J) as a
// Differentiable, so that `undertow::verify` checks the solver's gradients.
//
// Inputs are the solver's live initial surface elevation and bed fields (the
// harness perturbs them in place); outputs are the state (h, hu, hv) after n steps
// and the gauge objective J. evaluate() runs forward from the initial state,
// tangent() runs the step program in tangent mode, and adjoint() runs the time
// layer's AdjointLoop with the function's schedule (revolve by default): exactly
// the path ShallowWaterSolver::gradient takes, so verification covers the
// checkpointing too. Obtain one from ShallowWaterSolver::function(n).
#pragma once

#include <vector>

#include "undertow/time/schedule.hpp"
#include "undertow/verify/differentiable.hpp"

namespace undertow {
namespace solvers {

class ShallowWaterSolver;

class ShallowWaterFunction : public Differentiable {
 public:
  /// `snapshots` > 0: revolve with that many snapshots; otherwise store-all.
  ShallowWaterFunction(ShallowWaterSolver& solver, int steps, int snapshots = 3);

  std::vector<Field<double>> inputs() override;
  std::vector<Field<double>> outputs() override;
  bool has_objective() const override { return true; }
  double evaluate() override;
  double tangent(const std::vector<Field<double>>& directions,
                 const std::vector<Field<double>>& output_tangents) override;
  void adjoint(const std::vector<Field<double>>& weights, double objective_weight,
               const std::vector<Field<double>>& input_adjoints) override;

  int steps() const { return steps_; }
  const CheckpointSchedule& schedule() const { return schedule_; }

 private:
  ShallowWaterSolver& solver_;
  int steps_;
  CheckpointSchedule schedule_;
};

}  // namespace solvers
}  // namespace undertow
