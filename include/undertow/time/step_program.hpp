// StepProgram: any step Program seen as a Stepper for the adjoint time loop.
//
// The state is the program's State variables; the adjoint state is the adjoints
// of the State and Parameter variables (parameter gradients accumulate over the
// whole reverse sweep); the running objective travels as a primal scalar. The
// Step section is one time step; the Final section (terminal objective terms) is
// recorded and reversed once in begin_adjoint(), with `seed_final()` in between
// for a subclass that reads the terminal values or seeds output adjoints
// (Problem does both). So `AdjointLoop` can checkpoint
// and reverse any program, with any schedule, without the user writing a reverse.
// A program with an Initial section needs a Problem, which also reverses that
// section after the loop; StepProgram refuses it rather than return a gradient
// that stops at the initial state.
#pragma once

#include <cstdint>
#include <vector>

#include "undertow/core/error.hpp"
#include "undertow/program/program.hpp"
#include "undertow/time/stepper.hpp"

namespace undertow {

class StepProgram : public Stepper {
 public:
  /// `first_step`: the program's step index (error messages) at the loop's step 0.
  /// A program without State variables has no primal state: AdjointLoop refuses
  /// it, Problem reverses it without checkpoints.
  explicit StepProgram(Program& program, std::int64_t first_step = 0)
      : StepProgram(program, first_step, InitialSectionHandled{}) {
    if (program.has_operations(Section::Initial)) {
      throw Error(
          "StepProgram: the program has an Initial section, which AdjointLoop does not reverse (the gradient would "
          "stop at the initial state); differentiate it with a Problem (undertow/time/problem.hpp)");
    }
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
    program_.set_step_index(first_step_);
  }
  void step(int n) override {
    program_.set_step_index(first_step_ + n);
    program_.run_forward(Section::Step);
  }
  void step_record(int n) override {
    program_.set_step_index(first_step_ + n);
    program_.run_forward_record(Section::Step);
  }
  void begin_adjoint(int n_steps) override {
    program_.zero_adjoints();
    program_.set_step_index(first_step_ + n_steps);
    program_.run_forward_record(Section::Final);
    seed_final();
    program_.run_reverse(Section::Final);
  }
  void step_adjoint(int n) override {
    program_.set_step_index(first_step_ + n + 1);
    program_.run_reverse(Section::Step);
  }

  Program& program() { return program_; }

 protected:
  /// For a subclass that runs and reverses the Initial section itself (Problem).
  struct InitialSectionHandled {};
  StepProgram(Program& program, std::int64_t first_step, InitialSectionHandled)
      : program_(program), first_step_(first_step) {
    for (int id = 0; id < program_.variable_count(); ++id) {
      const VarRole r = program_.role(Var{id});
      if (r == VarRole::State) states_.push_back(Var{id});
      if (r == VarRole::Parameter) parameters_.push_back(Var{id});
    }
  }

  /// Runs after the Final section is recorded and before it is reversed: the
  /// objective and the final values are at hand; output adjoints may be seeded.
  virtual void seed_final() {}

 private:
  Program& program_;
  std::int64_t first_step_ = 0;
  std::vector<Var> states_, parameters_;
};

}  // namespace undertow
