// StepProgram: any step Program seen as a Stepper for the adjoint time loop.
//
// The state is the program's State variables; the adjoint state is the adjoints
// of the State and Parameter variables (parameter gradients accumulate over the
// whole reverse sweep); the running objective travels as a primal scalar. The
// Step section is one time step; the Final section (terminal objective terms) is
// recorded and reversed once in begin_adjoint(). So `AdjointLoop` can checkpoint
// and reverse any program, with any schedule, without the user writing a reverse.
#pragma once

#include <vector>

#include "undertow/program/program.hpp"
#include "undertow/time/stepper.hpp"

namespace undertow {

class StepProgram : public Stepper {
 public:
  explicit StepProgram(Program& program) : program_(program) {
    for (int id = 0; id < program_.variable_count(); ++id) {
      const VarRole r = program_.role(Var{id});
      if (r == VarRole::State) states_.push_back(Var{id});
      if (r == VarRole::Parameter) parameters_.push_back(Var{id});
    }
    if (states_.empty()) throw Error("StepProgram: the program has no State variable");
  }

  std::vector<Field<double>> primal_state() override {
    std::vector<Field<double>> f;
    for (Var v : states_) f.push_back(program_.value(v));
    return f;
  }
  std::vector<Field<double>> adjoint_state() override {
    std::vector<Field<double>> f;
    for (Var v : states_) f.push_back(program_.adjoint(v));
    for (Var v : parameters_) f.push_back(program_.adjoint(v));
    return f;
  }
  std::vector<double> primal_scalars() const override { return {program_.objective()}; }
  void set_primal_scalars(const std::vector<double>& values) override {
    if (!values.empty()) program_.set_objective(values[0]);
  }

  void begin_forward() override {
    program_.set_objective(0.0);
    program_.set_step_index(0);
  }
  void step(int n) override {
    program_.set_step_index(n);
    program_.run_forward(Section::Step);
  }
  void step_record(int n) override {
    program_.set_step_index(n);
    program_.run_forward_record(Section::Step);
  }
  void begin_adjoint(int n_steps) override {
    program_.zero_adjoints();
    program_.set_step_index(n_steps);
    program_.run_forward_record(Section::Final);
    program_.run_reverse(Section::Final);
  }
  void step_adjoint(int n) override {
    program_.set_step_index(n + 1);
    program_.run_reverse(Section::Step);
  }

  Program& program() { return program_; }

 private:
  Program& program_;
  std::vector<Var> states_, parameters_;
};

}  // namespace undertow
