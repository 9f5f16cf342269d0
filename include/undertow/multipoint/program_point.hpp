// ProgramPoint: a Program-based solver as one point of a multipoint model.
//
// A point of a multipoint model maps the shared inputs y to a few responses by a
// PDE solve. When that solve is a step `Program` (a time step written once as
// library operations), nothing about its derivatives has to be written by hand:
// `ProgramPoint` runs the program for a fixed number of steps as a
// `Problem` and reads the tangent and the adjoint from the program's own
// tangent and reverse modes. The user supplies, per point (a factory that knows
// the point index and its communicator):
// * the Program, built on the point's communicator, with the initial values of its
//   State variables already set (they are snapshotted and restored before every
//   run) and the number of steps;
// * a `ProgramInputMap`: how y enters the program, i.e. which variables (parameters,
//   forcing, or initial states) it writes, with the map's tangent and adjoint.
//   `BasisInputMap` covers the usual case, a variable = base + sum_j y_j phi_j;
// * the responses: the program's objective (terms added with objective_sum /
//   objective_misfit, in the Step or the Final section) or weighted sums
//   sum_cells w * v of a variable after the last step (and the Final section).
// Every call re-runs the program from the restored initial state with the y of
// the last `analyse`, so `tangent` and `adjoint` linearise about that analysis.
// The adjoint stores every step's state in memory (Problem's store-all
// strategy): memory grows with steps x state size (`memory_bytes`).
#pragma once

#include <mpi.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "undertow/field/field.hpp"
#include "undertow/multipoint/multipoint.hpp"
#include "undertow/multipoint/point_model.hpp"
#include "undertow/program/program.hpp"
#include "undertow/time/problem.hpp"

namespace undertow {

/// How the shared inputs y enter a program. The map writes the owned cells of its
/// target variables; the program fills their ghosts itself (an exchange and
/// boundary fill in its step), as for any parameter. Calls are collective over
/// the program's communicator and must give the same ybar on every rank (use the
/// ordered reductions: dot, sum).
class ProgramInputMap {
 public:
  virtual ~ProgramInputMap() = default;
  /// The program variables the map writes.
  virtual std::vector<Var> targets() const = 0;
  /// Writes the targets' owned values from y.
  virtual void apply(Program& program, const std::vector<double>& y) = 0;
  /// Writes the targets' tangents (layouts of targets(), zero-initialised) for ydot at y.
  virtual void tangent(Program& program, const std::vector<double>& y, const std::vector<double>& ydot,
                       const std::vector<Field<double>>& target_tangents) = 0;
  /// ybar = (d targets / dy)^T target_adjoints at y (one value per y).
  virtual std::vector<double> adjoint(Program& program, const std::vector<double>& y,
                                      const std::vector<Field<double>>& target_adjoints) = 0;
};

/// An affine map: target v = base_v + sum over its terms of y_j * phi_{v,j}. A
/// target without a base starts from zero. Scalar parameters (an amplitude, a
/// boundary temperature spread over a field) are terms with a fixed shape.
class BasisInputMap : public ProgramInputMap {
 public:
  /// Sets the y-independent part of `target` (a copy is kept).
  BasisInputMap& set_base(Var target, const Field<double>& base);
  /// Adds y[y_index] * phi to `target` (phi's layout: the target's; a copy is kept).
  BasisInputMap& add_term(Var target, int y_index, const Field<double>& phi);

  std::vector<Var> targets() const override;
  void apply(Program& program, const std::vector<double>& y) override;
  void tangent(Program& program, const std::vector<double>& y, const std::vector<double>& ydot,
               const std::vector<Field<double>>& target_tangents) override;
  std::vector<double> adjoint(Program& program, const std::vector<double>& y,
                              const std::vector<Field<double>>& target_adjoints) override;
  /// 1 + the largest y index used (the map needs at least this many y values).
  int inputs_used() const { return inputs_used_; }

 private:
  struct Term {
    int y_index;
    Field<double> phi;
  };
  struct Target {
    Var var;
    Field<double> base;  // invalid: zero
    std::vector<Term> terms;
  };
  Target& target(Var v);
  std::vector<Target> targets_;
  int inputs_used_ = 0;
};

/// One response of a program point.
struct ProgramResponse {
  enum class Kind { Objective, WeightedSum };
  std::string name;
  Kind kind = Kind::Objective;
  Var variable;          // WeightedSum: the variable summed after the run
  Field<double> weight;  // WeightedSum: per-cell weights (the variable's layout)

  /// The program's objective after the run (all its terms, Step and Final).
  static ProgramResponse objective(std::string name);
  /// sum over owned cells and components of weight * value(variable) after the run.
  static ProgramResponse weighted_sum(std::string name, Var variable, Field<double> weight);
};

/// What a factory builds for one point.
struct ProgramPointSetup {
  std::unique_ptr<Program> program;  // on the point's communicator; initial states set
  int steps = 1;                     // Step-section runs, then the Final section once
  std::shared_ptr<ProgramInputMap> inputs;
  std::vector<ProgramResponse> responses;  // at most one Objective
};

class ProgramPoint : public PointModel {
 public:
  /// Collective over the program's communicator; checks the setup (every rank
  /// throws the same Error on a bad one) and snapshots the initial states.
  explicit ProgramPoint(ProgramPointSetup setup);

  std::vector<double> analyse(MPI_Comm comm, const std::vector<double>& y) override;
  std::vector<double> tangent(MPI_Comm comm, const std::vector<double>& ydot) override;
  std::vector<double> adjoint(MPI_Comm comm, const std::vector<double>& zbar) override;

  Program& program() { return *setup_.program; }
  int steps() const { return setup_.steps; }
  const std::vector<ProgramResponse>& responses() const { return setup_.responses; }
  /// y of the last analysis.
  const std::vector<double>& inputs() const { return y_; }
  /// This rank's bytes in the point's fields: every program variable's value,
  /// adjoint and tangent, the initial-state snapshot, the map's scratch fields and
  /// the adjoint's stored states (steps x State variables).
  std::int64_t memory_bytes() const;

 private:
  void check_comm(MPI_Comm comm, const char* what) const;
  /// Restores the initial states and writes the targets from y_.
  void reset();

  ProgramPointSetup setup_;
  std::vector<Var> targets_, outputs_;   // outputs_: distinct weighted-sum variables
  std::vector<int> output_of_response_;  // index into outputs_ (-1: objective)
  bool has_objective_ = false;
  std::vector<Var> states_;
  std::vector<Field<double>> initial_states_;
  std::vector<Field<double>> target_scratch_, output_scratch_;
  std::unique_ptr<Problem> function_;
  std::vector<double> y_;
  bool analysed_ = false;
};

/// A Multipoint point factory from a setup factory: the result builds a
/// ProgramPoint from `make_setup(point, point_comm)`.
Multipoint::PointFactory program_point_factory(
    std::function<ProgramPointSetup(int point, MPI_Comm point_comm)> make_setup);

}  // namespace undertow
