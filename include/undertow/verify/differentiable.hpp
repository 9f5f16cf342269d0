// Differentiable: the contract the verification harness checks.
//
// Anything with inputs (fields), outputs (fields and optionally a scalar
// objective), a tangent (J v) and an adjoint (J^T w) can be verified: a single
// kernel, a step program, a whole time loop, a solver. The harness writes input
// values through `inputs()` (live handles), calls evaluate / tangent / adjoint
// from the same base point, and compares. Implementations must compute from the
// values currently in `inputs()` and must not keep state between calls.
#pragma once

#include <vector>

#include "undertow/field/field.hpp"

namespace undertow {

class Differentiable {
 public:
  virtual ~Differentiable() = default;
  /// Live handles to the input fields (the harness sets their owned values).
  virtual std::vector<Field<double>> inputs() = 0;
  /// Output fields as evaluate() leaves them (live handles are fine).
  virtual std::vector<Field<double>> outputs() = 0;
  virtual bool has_objective() const { return false; }

  /// F(u): fills outputs(), returns the objective (0 if none).
  virtual double evaluate() = 0;
  /// J v: writes d outputs into output_tangents (layouts of outputs()), returns
  /// the objective's derivative. `directions` has the layouts of inputs().
  virtual double tangent(const std::vector<Field<double>>& directions,
                         const std::vector<Field<double>>& output_tangents) = 0;
  /// J^T w: overwrites input_adjoints (layouts of inputs()) with the adjoint of
  /// the output weights `weights` and the objective weight.
  virtual void adjoint(const std::vector<Field<double>>& weights, double objective_weight,
                       const std::vector<Field<double>>& input_adjoints) = 0;
};

}  // namespace undertow
