// ConductionSolver: what the explicit (heat.hpp) and the implicit
// (implicit_heat.hpp) heat solvers share. Both evolve a temperature (a State)
// under a conductivity field (a Parameter) and end with the misfit against an
// observation (Data); their derivatives are taken with respect to the initial
// temperature and the conductivity. The parameters that set those fields, the
// variables and their accessors are written once here; each solver adds its time
// step (forward Euler, or backward Euler with a CG solve).
#pragma once

#include <string>

#include "undertow/field/field_ops.hpp"
#include "undertow/field/global_access.hpp"
#include "undertow/time/solver.hpp"

namespace undertow {
namespace solvers {

struct ConductionParameters : SolverParameters {
  /// Constant conductivity (> 0), used unless `conductivity_function` or
  /// `conductivity_field` is given.
  double conductivity = 1.0;
  /// kappa(x, y, z) at cell centres (> 0 everywhere).
  CellFunction conductivity_function;
  /// Name of a cell field of the mesh holding the conductivity (Mesh constructors only).
  std::string conductivity_field;
  /// Initial temperature u_0(x, y, z); zero if empty.
  CellFunction initial;
  /// Observations for the misfit objective; zero if empty.
  CellFunction observation;
};

class ConductionSolver : public Solver {
 public:
  Var temperature() const { return u_; }
  Var conductivity() const { return kappa_; }
  Var observation() const { return obs_; }
  /// Inputs and data: set their owned cells (ghosts are filled by the program).
  const Field<double>& temperature_field() const { return program().value(u_); }
  const Field<double>& conductivity_field() const { return program().value(kappa_); }
  const Field<double>& observation_field() const { return program().value(obs_); }
  /// After gradient() or function(n).adjoint(): dJ/du_0 and dJ/dkappa.
  const Field<double>& gradient_initial_temperature() const { return program().adjoint(u_); }
  const Field<double>& gradient_conductivity() const { return program().adjoint(kappa_); }

  void set_temperature(const CellFunction& f) { set_by_cell_center(temperature_field(), f); }
  void set_temperature(const Field<double>& f) { copy(temperature_field(), f); }
  void set_observation(const CellFunction& f) { set_by_cell_center(observation_field(), f); }
  void set_observation(const Field<double>& f) { copy(observation_field(), f); }

 protected:
  using Solver::Solver;

  /// Adds the temperature (State, `temperature_ghost` layers), the conductivity
  /// (Parameter, 2 layers: the gather adjoint of a radius-1 stencil) and the
  /// observation (Data) to the program.
  void add_conduction_variables(int temperature_ghost) {
    u_ = program().add_state("temperature", 1, temperature_ghost);
    kappa_ = program().add_parameter("conductivity", 1, 2);
    obs_ = program().add_data("observation", 1, 0);
  }
  /// Fills the conductivity, the initial temperature and the observation as
  /// `params` says (see ConductionParameters).
  void set_conduction_fields(const ConductionParameters& params) const {
    set_coefficient(conductivity_field(), params.conductivity_field, params.conductivity_function, params.conductivity);
    if (params.initial) set_by_cell_center(temperature_field(), params.initial);
    if (params.observation) set_by_cell_center(observation_field(), params.observation);
  }

  Var u_, kappa_, obs_;
};

}  // namespace solvers
}  // namespace undertow
