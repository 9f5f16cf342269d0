// Snippet for docs/programs.md: writing your own program operation. A penalty on
// the total mass of a field, J += w/2 (sum(x) - m)^2, needs a global sum: it is not
// a per-cell kernel, so it is written as an Operation with its tangent and reverse.
// The operation reaches the program's variables, recorded values and objective
// through Operation's protected accessors (the plumbing is not public API). It is
// appended to a diffusion step and verified by the harness over 4 steps: the
// dot-product and Taylor tests pass; a copy with a wrong reverse must fail the
// dot-product test. It also runs the program calls docs/programs.md shows (single
// runs, and a Problem with revolve, whose gradient must equal the store-all one
// bitwise). Exits non-zero otherwise.
#include <memory>
#include <string>
#include <vector>

#include "undertow/undertow.hpp"

using namespace undertow;

// [doc:operation]
/// J += weight / 2 * (sum over owned cells of x - target)^2, in every step.
class MassPenalty : public Operation {
 public:
  MassPenalty(Program& p, Var x, double target, double weight)
      : x_(x.id), target_(target), weight_(weight), ones_(variable(p, x).value.clone_layout("mass_penalty_ones")) {
    fill(ones_, 1.0);
  }
  std::string describe(const Program& p) const override { return "mass penalty on " + p.name(Var{x_}); }
  std::vector<int> writes() const override { return {}; }           // only the objective
  std::vector<int> reverse_reads() const override { return {x_}; }  // the reverse needs x ...
  bool reverse_needs_only_values() const override { return true; }  // ... and nothing else

  void forward(Program& p) override {
    const double excess = sum(variable(p, x_).value) - target_;  // a global, ordered sum
    objective(p) += 0.5 * weight_ * excess * excess;
  }
  void tangent(Program& p, int directions) override {
    if (directions != 1) throw Error("MassPenalty: one tangent direction at a time");
    forward(p);
    objective_tangent(p)[0] += weight_ * (sum(variable(p, x_).value) - target_) * sum(variable(p, x_).tangent);
  }
  void reverse(Program& p) override {
    if (p.reverse_seeds() != 1) throw Error("MassPenalty: one reverse seed at a time");
    // x as the forward saw it: a later operation of the step may have overwritten it.
    const double excess = sum(recorded(p, x_)) - target_;
    axpy(variable(p, x_).adjoint, weight_ * excess * p.objective_adjoint(), ones_);  // x_bar += w (s - m) J_bar
  }

 private:
  int x_;
  double target_, weight_;
  Field<double> ones_;
};
// [doc:operation end]

/// The same term with a reverse that forgets the factor 1/2's derivative: the
/// harness must catch it.
class WrongMassPenalty : public MassPenalty {
 public:
  using MassPenalty::MassPenalty;
  void reverse(Program& p) override {
    MassPenalty::reverse(p);
    MassPenalty::reverse(p);  // twice the adjoint
  }
};

struct Diffusion : Kernel<Inputs<1>, Outputs<1>> {
  static constexpr Stencil stencil = Stencil::star(2, 1);
  double nu = 0.2;
  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    out(0) = in(0, 0, 0) + nu * (in(0, 1, 0) + in(0, -1, 0) + in(0, 0, 1) + in(0, 0, -1) - 4.0 * in(0, 0, 0));
  }
};

/// A diffusion step with the penalty of type Penalty appended, at a non-trivial
/// point; returns the state variable.
template <class Penalty>
Var penalised_step(Program& program) {
  // [doc:append]
  const Var u = program.add_state("u", 1, 2);
  const Var next = program.add_temporary("u_next", 1, 2);
  program.exchange(u);
  program.apply(Diffusion{}, {u}, {next});
  program.copy(u, next);
  program.append(std::make_unique<Penalty>(program, u, /*target=*/100.0, /*weight=*/1e-3));
  // [doc:append end]
  set_by_global_index<double>(program.value(u), [](int, std::int64_t i, std::int64_t j, std::int64_t) {
    return 0.1 * double((i * 7 + j * 3) % 11);
  });
  return u;
}

template <class Penalty>
VerificationReport verify_penalty(std::shared_ptr<const Decomposition> dec, const std::string& name) {
  Program program(dec);
  const Var u = penalised_step<Penalty>(program);
  Problem four_steps(program, {u}, {}, {/*steps=*/4});
  VerifyOptions options;
  options.name = name;
  return verify(four_steps, options);
}

/// The runs of docs/programs.md on the penalised step, then a gradient over 10
/// steps with revolve: it must equal the store-all gradient bitwise.
bool runs_and_problem(std::shared_ptr<const Decomposition> dec) {
  undertow::Program program(dec);
  const Var u = penalised_step<MassPenalty>(program);
  const int steps = 10;
  // [doc:runs]
  program.run_forward();         // one step
  program.prepare_tangent(1);    // directions per variable: 1, 2, 4 or 8
  program.run_tangent();         // one step and its directional derivatives
  program.run_forward_record();  // one step, keeping what the reverse needs
  program.run_reverse();         // adjoint of that step
  // [doc:runs end]

  // [doc:problem]
  undertow::ProblemOptions options;
  options.steps = steps;
  options.checkpointing.snapshots = 3;  // revolve with 3 snapshots; 0 keeps every state
  undertow::Problem run(program, {u}, {}, options);
  const undertow::GradientResult result = run.gradient();  // objective and what the sweep cost
  // dJ/du0 is now program.adjoint(u)
  // [doc:problem end]
  const std::vector<double> revolve = gather_global(program.adjoint(u));
  undertow::Problem store_all(program, {u}, {}, {steps});
  const double objective = store_all.gradient().objective;
  return objective == result.objective && gather_global(program.adjoint(u)) == revolve &&
         result.stats.recomputed_steps > 0;
}

int main(int argc, char** argv) {
  Environment env(argc, argv);
  bool ok = true;
  {
    auto dec = Decomposition::create(GridSpec::rect(24, 20, {true, true}), env.world());
    const VerificationReport good = verify_penalty<MassPenalty>(dec, "mass penalty");
    const VerificationReport wrong = verify_penalty<WrongMassPenalty>(dec, "mass penalty, doubled reverse");
    root_print(env.world(), good.str());
    root_print(env.world(), wrong.str());
    const bool same_gradient = runs_and_problem(dec);
    if (!same_gradient) root_print(env.world(), "revolve and store-all gradients differ");
    ok = good.passed() && !wrong.dot_passed && same_gradient;
  }
  root_print(env.world(), ok ? "snippet_operation: OK" : "snippet_operation: FAILED");
  return ok ? 0 : 1;
}
