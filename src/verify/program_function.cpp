#include "undertow/verify/program_function.hpp"

namespace undertow {

ProgramFunction::ProgramFunction(Program& program, std::vector<Var> inputs, std::vector<Var> outputs, int steps,
                                 bool objective)
    : program_(program),
      inputs_(std::move(inputs)),
      outputs_(std::move(outputs)),
      steps_(steps),
      objective_(objective) {
  if (steps_ < 1) throw Error("ProgramFunction: steps must be >= 1, got " + std::to_string(steps_));
  for (Var v : inputs_) {
    if (program_.role(v) == VarRole::Data) {
      throw Error("ProgramFunction: input '" + program_.name(v) +
                  "' is a Data variable, which is passive (kernels compute no adjoint for it); add it with "
                  "add_parameter to differentiate with respect to it");
    }
  }
  for (int id = 0; id < program_.variable_count(); ++id) {
    if (program_.role(Var{id}) == VarRole::State) states_.push_back(Var{id});
  }
  for (Var v : states_) base_states_.push_back(program_.value(v).clone_layout(program_.name(v) + "_base"));
  for (Var v : outputs_) output_values_.push_back(program_.value(v).clone_layout(program_.name(v) + "_output"));
}

void ProgramFunction::save_base() {
  for (std::size_t s = 0; s < states_.size(); ++s) {
    Kokkos::deep_copy(base_states_[s].view(), program_.value(states_[s]).view());
  }
}

void ProgramFunction::restore_base() {
  for (std::size_t s = 0; s < states_.size(); ++s) {
    Kokkos::deep_copy(program_.value(states_[s]).view(), base_states_[s].view());
  }
}

std::vector<Field<double>> ProgramFunction::inputs() {
  std::vector<Field<double>> f;
  for (Var v : inputs_) f.push_back(program_.value(v));
  return f;
}

std::vector<Field<double>> ProgramFunction::outputs() {
  return output_values_;
}

double ProgramFunction::evaluate() {
  save_base();
  program_.set_objective(0.0);
  for (int n = 0; n < steps_; ++n) program_.run_forward(Section::Step);
  program_.run_forward(Section::Final);
  for (std::size_t i = 0; i < outputs_.size(); ++i) {
    Kokkos::deep_copy(output_values_[i].view(), program_.value(outputs_[i]).view());
  }
  restore_base();
  return program_.objective();
}

double ProgramFunction::tangent(const std::vector<Field<double>>& directions,
                                const std::vector<Field<double>>& output_tangents) {
  save_base();
  program_.set_objective(0.0);
  program_.prepare_tangent(1);  // zeroes every tangent
  for (std::size_t i = 0; i < inputs_.size(); ++i) copy(program_.tangent(inputs_[i]), directions[i]);
  for (int n = 0; n < steps_; ++n) program_.run_tangent(Section::Step);
  program_.run_tangent(Section::Final);
  for (std::size_t i = 0; i < outputs_.size(); ++i) copy(output_tangents[i], program_.tangent(outputs_[i]));
  restore_base();
  return program_.objective_tangent()[0];
}

void ProgramFunction::adjoint(const std::vector<Field<double>>& weights, double objective_weight,
                              const std::vector<Field<double>>& input_adjoints) {
  if (program_.reverse_seeds() != 1) {
    throw Error("ProgramFunction: the program reverses " + std::to_string(program_.reverse_seeds()) +
                " seeds at once; a ProgramFunction drives one (call prepare_reverse(1))");
  }
  program_.set_objective(0.0);
  program_.zero_adjoints();
  // Store-all: the state before every step, ghosts included.
  if (stored_states_.size() != static_cast<std::size_t>(steps_)) {
    stored_states_.assign(static_cast<std::size_t>(steps_), {});
    for (auto& slot : stored_states_) {
      for (Var v : states_) slot.push_back(program_.value(v).clone_layout(program_.name(v) + "_stored"));
    }
  }
  for (int n = 0; n < steps_; ++n) {
    for (std::size_t s = 0; s < states_.size(); ++s) {
      Kokkos::deep_copy(stored_states_[static_cast<std::size_t>(n)][s].view(), program_.value(states_[s]).view());
    }
    program_.run_forward(Section::Step);
  }
  program_.run_forward_record(Section::Final);
  // Replaying steps below re-adds their objective terms: keep the true value.
  const double objective = program_.objective();
  for (std::size_t i = 0; i < outputs_.size(); ++i) axpy(program_.adjoint(outputs_[i]), 1.0, weights[i]);
  program_.set_objective_adjoint(objective_weight);
  program_.run_reverse(Section::Final);
  for (int n = steps_ - 1; n >= 0; --n) {
    for (std::size_t s = 0; s < states_.size(); ++s) {
      Kokkos::deep_copy(program_.value(states_[s]).view(), stored_states_[static_cast<std::size_t>(n)][s].view());
    }
    program_.run_forward_record(Section::Step);
    program_.run_reverse(Section::Step);
  }
  for (std::size_t i = 0; i < inputs_.size(); ++i) copy(input_adjoints[i], program_.adjoint(inputs_[i]));
  // The last replay (step 0) advanced the states again: back to the base point.
  for (std::size_t s = 0; s < states_.size(); ++s) {
    Kokkos::deep_copy(program_.value(states_[s]).view(), stored_states_.front()[s].view());
  }
  program_.set_objective(objective);
}

}  // namespace undertow
