#include "undertow/time/problem.hpp"

#include <chrono>
#include <string>
#include <utility>

#include "undertow/core/error.hpp"
#include "undertow/field/field_ops.hpp"
#include "undertow/time/step_program.hpp"

namespace undertow {

namespace {

/// The step program as a Stepper whose Final section reads the terminal values
/// and seeds the output adjoints with the caller's weights (Problem sets the
/// objective's adjoints before the sweep).
class ProblemStepper : public StepProgram {
 public:
  ProblemStepper(Program& program, std::int64_t first_step, bool run_initial, const std::vector<Var>& outputs,
                 std::vector<Field<double>>& output_values, const std::vector<Field<double>>& weights)
      : StepProgram(program, first_step, InitialSectionHandled{}),
        run_initial_(run_initial),
        outputs_(outputs),
        output_values_(output_values),
        weights_(weights) {}

  double objective = 0.0;

  // The objective travels with the adjoint state, so that a resumed reverse
  // sweep (whose forward sweep ran in another process) still knows it.
  std::vector<double> adjoint_scalars() const override { return {objective}; }
  void set_adjoint_scalars(const std::vector<double>& values) override {
    if (!values.empty()) objective = values[0];
  }

  /// The loop's step 0 starts from the Initial section's result (its objective
  /// terms included); Problem reverses that section after the loop.
  void begin_forward() override {
    StepProgram::begin_forward();
    if (run_initial_) program().run_forward(Section::Initial);
  }

 protected:
  void seed_final() override {
    Program& p = program();
    objective = p.objective();
    for (std::size_t i = 0; i < outputs_.size(); ++i) {
      Kokkos::deep_copy(output_values_[i].view(), p.value(outputs_[i]).view());
      if (!weights_.empty()) axpy(p.adjoint(outputs_[i]), 1.0, weights_[i]);
    }
  }

 private:
  bool run_initial_;
  const std::vector<Var>& outputs_;
  std::vector<Field<double>>& output_values_;
  const std::vector<Field<double>>& weights_;
};

}  // namespace

struct Problem::Impl {
  Program& program;
  std::vector<Var> inputs, outputs, states;
  ProblemOptions options;
  std::vector<Field<double>> base_states, output_values;
  std::vector<Program::Recording> recordings;  // one per step, kept between gradients
  double base_objective = 0.0;
  std::int64_t base_step = 0;
  GradientResult last;

  Impl(Program& p, std::vector<Var> in, std::vector<Var> out, ProblemOptions opt)
      : program(p), inputs(std::move(in)), outputs(std::move(out)), options(std::move(opt)) {}

  /// The base point: State values (ghosts included), the objective, the step index.
  void save_base() {
    for (std::size_t s = 0; s < states.size(); ++s)
      Kokkos::deep_copy(base_states[s].view(), program.value(states[s]).view());
    base_objective = program.objective();
    base_step = program.step_index();
  }
  void restore_base() {
    for (std::size_t s = 0; s < states.size(); ++s)
      Kokkos::deep_copy(program.value(states[s]).view(), base_states[s].view());
    program.set_objective(base_objective);
    program.set_step_index(base_step);
  }
  void copy_outputs() {
    for (std::size_t i = 0; i < outputs.size(); ++i)
      Kokkos::deep_copy(output_values[i].view(), program.value(outputs[i]).view());
  }

  bool runs_initial() const { return options.run_initial && program.has_operations(Section::Initial); }

  CheckpointSchedule schedule() const {
    const int n = options.steps, c = options.checkpointing.snapshots;
    return c == 0 ? CheckpointSchedule::store_all(n) : CheckpointSchedule::binomial(n, c);
  }

  void check_counts(const char* what, const std::vector<Field<double>>& fields, std::size_t expected,
                    const char* of) const {
    if (fields.size() != expected) {
      throw Error(std::string("Problem::") + what + ": " + std::to_string(fields.size()) + " fields for " +
                  std::to_string(expected) + " " + of);
    }
  }

  /// How many blocks of `of`'s components each field holds (the same for all);
  /// `what` names the call in the error.
  int blocks(const char* what, const std::vector<Field<double>>& fields, const std::vector<Var>& of) const {
    int n = 0;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      const int per_block = program.value(of[i]).components();
      const int c = fields[i].components();
      const int b = c % per_block == 0 ? c / per_block : -1;
      if (b < 1 || (n != 0 && b != n)) {
        throw Error(std::string("Problem::") + what + ": field '" + fields[i].name() + "' has " + std::to_string(c) +
                    " components for '" + program.name(of[i]) + "' with " + std::to_string(per_block) +
                    (n != 0 ? "; the other fields hold " + std::to_string(n) + " blocks of them" : "") +
                    " (each field holds one block of the variable's components per direction or seed)");
      }
      n = b;
    }
    return n;
  }

  /// The reverse sweep with one seed per objective weight; output weights (if
  /// any) hold as many blocks.
  /// Whether the options write restart points (and so allow resume()).
  bool writes_restarts() const {
    return options.checkpointing.loop.restart_interval > 0 && !options.checkpointing.loop.directory.empty();
  }

  /// `resume`: continue the interrupted reverse sweep of a gradient() from its
  /// restart point instead of starting one.
  double reverse(const std::vector<Field<double>>& weights, const std::vector<double>& objective_weights,
                 bool resume = false) {
    const int seeds = static_cast<int>(objective_weights.size());
    if (seeds != program.reverse_seeds()) program.prepare_reverse(seeds);  // checks 1, 2, 4, 8
    // Set once for the whole sweep, here rather than when the Final section is
    // seeded: a resumed sweep does not seed it again.
    program.set_objective_adjoints(objective_weights);
    save_base();
    ProblemStepper stepper(program, base_step, runs_initial(), outputs, output_values, weights);
    last = GradientResult{};
    try {
      if (resume) {
        AdjointLoop loop(stepper, schedule(), options.checkpointing.loop);
        loop.resume();
        last.stats = loop.stats();
      } else if (records_forward()) {
        reverse_recorded(stepper);
      } else if (states.empty()) {
        reverse_stateless(stepper);
      } else {
        AdjointLoop loop(stepper, schedule(), options.checkpointing.loop);
        loop.run();
        last.stats = loop.stats();
      }
      if (runs_initial()) {
        // The Initial section's inputs as the forward sweep saw them, then its transpose.
        restore_base();
        program.run_forward_record(Section::Initial);
        program.run_reverse(Section::Initial);
      }
    } catch (...) {
      restore_base();  // the base point survives a failed or interrupted sweep
      throw;
    }
    restore_base();
    last.objective = stepper.objective;
    last.steps = options.steps;
    return stepper.objective;
  }

  bool records_forward() const {
    const Checkpointing& c = options.checkpointing;
    return c.snapshots == 0 && c.record_forward && c.loop.storage == SnapshotStorage::Memory &&
           c.loop.restart_interval == 0 && program.replayable(Section::Step);
  }

  /// Store-all with a recording forward sweep: every step keeps what its reverse
  /// reads, then the recordings are reversed in turn; no step runs twice.
  void reverse_recorded(ProblemStepper& stepper) {
    using Clock = std::chrono::steady_clock;
    const auto since = [](Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); };
    const int n = options.steps;
    const AdjointLoopOptions& loop = options.checkpointing.loop;
    ProgressMeter progress(program.decomposition().comm(), progress_interval(loop), loop.progress_sink);
    progress.set_totals(n, n);
    recordings.resize(static_cast<std::size_t>(n));
    const Clock::time_point start = Clock::now();
    stepper.begin_forward();
    for (int k = 0; k < n; ++k) {
      program.set_step_index(base_step + k);
      program.run_forward_record(Section::Step, recordings[static_cast<std::size_t>(k)]);
      progress.step_done(LoopPhase::Forward, k);
    }
    last.stats.seconds_forward = since(start);
    const Clock::time_point reverse_start = Clock::now();
    stepper.begin_adjoint(n);
    for (int k = n - 1; k >= 0; --k) {
      program.set_step_index(base_step + k + 1);
      program.run_reverse(Section::Step, recordings[static_cast<std::size_t>(k)]);
      progress.step_done(LoopPhase::Reverse, k);
      if (loop.after_reverse_step) loop.after_reverse_step(k);
    }
    last.stats.seconds_reverse = since(reverse_start);
    last.stats.seconds_total = since(start);
    // Every step ran once, recording: none was recorded again before its reverse.
    last.stats.forward_steps = last.stats.initial_forward_steps = n;
    last.stats.adjoint_steps = n;
    if (progress.enabled()) progress.print_now("done");
  }

  /// A program without State variables (one linear solve, say) has no state to
  /// keep: every step starts from the same values, so each reverse step records
  /// its step again and nothing is checkpointed.
  void reverse_stateless(ProblemStepper& stepper) {
    const int n = options.steps;
    stepper.begin_forward();
    for (int k = 0; k < n; ++k) stepper.step(k);
    stepper.begin_adjoint(n);
    for (int k = n - 1; k >= 0; --k) {
      stepper.step_record(k);
      stepper.step_adjoint(k);
    }
    last.stats.forward_steps = last.stats.initial_forward_steps = n;
    last.stats.recorded_steps = last.stats.adjoint_steps = n;
  }
};

Problem::Problem(Program& program, std::vector<Var> inputs, std::vector<Var> outputs, ProblemOptions options)
    : impl_(std::make_unique<Impl>(program, std::move(inputs), std::move(outputs), std::move(options))) {
  Impl& m = *impl_;
  // Every rank sees the same arguments: the checks agree without communication.
  if (m.options.steps < 1) throw Error("Problem: steps must be >= 1, got " + std::to_string(m.options.steps));
  if (m.options.checkpointing.snapshots < 0) {
    throw Error("Problem: checkpointing.snapshots must be 0 (keep every state) or >= 1 (revolve), got " +
                std::to_string(m.options.checkpointing.snapshots));
  }
  for (Var v : m.inputs) {
    if (program.role(v) == VarRole::Data) {
      throw Error("Problem: input '" + program.name(v) +
                  "' is a Data variable, which is passive (kernels compute no adjoint for it); add it with "
                  "add_parameter to differentiate with respect to it");
    }
  }
  for (int id = 0; id < program.variable_count(); ++id) {
    if (program.role(Var{id}) == VarRole::State) m.states.push_back(Var{id});
  }
  for (Var v : m.states) m.base_states.push_back(program.value(v).clone_layout(program.name(v) + "_base"));
  for (Var v : m.outputs) m.output_values.push_back(program.value(v).clone_layout(program.name(v) + "_output"));
}

Problem::~Problem() = default;
Problem::Problem(Problem&&) noexcept = default;

std::vector<Field<double>> Problem::inputs() {
  std::vector<Field<double>> f;
  for (Var v : impl_->inputs) f.push_back(impl_->program.value(v));
  return f;
}

std::vector<Field<double>> Problem::outputs() {
  return impl_->output_values;
}
bool Problem::has_objective() const {
  return impl_->options.objective;
}
const ProblemOptions& Problem::options() const {
  return impl_->options;
}
Program& Problem::program() {
  return impl_->program;
}
const GradientResult& Problem::last_gradient() const {
  return impl_->last;
}

double Problem::evaluate() {
  Impl& m = *impl_;
  m.save_base();
  m.program.set_objective(0.0);
  if (m.runs_initial()) m.program.run_forward(Section::Initial);
  for (int n = 0; n < m.options.steps; ++n) m.program.run_forward(Section::Step);
  m.program.run_forward(Section::Final);
  m.copy_outputs();
  const double objective = m.program.objective();
  m.restore_base();
  return objective;
}

double Problem::tangent(const std::vector<Field<double>>& directions,
                        const std::vector<Field<double>>& output_tangents) {
  Impl& m = *impl_;
  m.check_counts("tangent", directions, m.inputs.size(), "inputs");
  if (m.blocks("tangent", directions, m.inputs) > 1) {
    throw Error("Problem::tangent: the directions hold several blocks of components; use tangents()");
  }
  return tangents(directions, output_tangents)[0];
}

std::vector<double> Problem::tangents(const std::vector<Field<double>>& directions,
                                      const std::vector<Field<double>>& output_tangents) {
  Impl& m = *impl_;
  m.check_counts("tangents", directions, m.inputs.size(), "inputs");
  m.check_counts("tangents", output_tangents, m.outputs.size(), "outputs");
  if (m.inputs.empty()) throw Error("Problem::tangents: the problem has no inputs");
  const int n_directions = m.blocks("tangents", directions, m.inputs);
  if (!output_tangents.empty() && m.blocks("tangents", output_tangents, m.outputs) != n_directions) {
    throw Error("Problem::tangents: " + std::to_string(n_directions) +
                " directions, but the output tangents hold another number of blocks");
  }
  m.save_base();
  m.program.set_objective(0.0);
  m.program.prepare_tangent(n_directions);  // checks 1, 2, 4, 8; zeroes every tangent
  for (std::size_t i = 0; i < m.inputs.size(); ++i) copy(m.program.tangent(m.inputs[i]), directions[i]);
  if (m.runs_initial()) m.program.run_tangent(Section::Initial);
  for (int n = 0; n < m.options.steps; ++n) m.program.run_tangent(Section::Step);
  m.program.run_tangent(Section::Final);
  for (std::size_t i = 0; i < m.outputs.size(); ++i) copy(output_tangents[i], m.program.tangent(m.outputs[i]));
  const std::vector<double> objective_tangents = m.program.objective_tangent();
  m.restore_base();
  return objective_tangents;
}

void Problem::adjoint(const std::vector<Field<double>>& weights, double objective_weight,
                      const std::vector<Field<double>>& input_adjoints) {
  Impl& m = *impl_;
  m.check_counts("adjoint", weights, m.outputs.size(), "outputs");
  m.check_counts("adjoint", input_adjoints, m.inputs.size(), "inputs");
  if (m.blocks("adjoint", weights, m.outputs) > 1 || m.blocks("adjoint", input_adjoints, m.inputs) > 1) {
    throw Error("Problem::adjoint: the fields hold several blocks of components; use adjoints()");
  }
  m.reverse(weights, {m.options.objective ? objective_weight : 0.0});
  for (std::size_t i = 0; i < m.inputs.size(); ++i) copy(input_adjoints[i], m.program.adjoint(m.inputs[i]));
}

GradientResult Problem::gradient() {
  Impl& m = *impl_;
  if (!m.options.objective) {
    throw Error(
        "Problem::gradient: the problem has no objective (ProblemOptions::objective is false); use adjoint() "
        "with output weights");
  }
  m.reverse({}, {1.0});
  return m.last;
}

bool Problem::restart_available() const {
  const Impl& m = *impl_;
  if (!m.writes_restarts()) return false;
  return AdjointLoop::restart_available(m.options.checkpointing.loop.directory, m.program.decomposition().comm());
}

GradientResult Problem::resume() {
  Impl& m = *impl_;
  // Every rank holds the same options: the checks agree without communication.
  if (!m.options.objective) throw Error("Problem::resume: the problem has no objective (resume continues gradient())");
  if (!m.writes_restarts() || m.states.empty()) {
    throw Error(
        "Problem::resume: these options write no restart points (checkpointing.loop.restart_interval > 0 and "
        "checkpointing.loop.directory are needed, and a program with State variables)");
  }
  m.reverse({}, {1.0}, true);
  return m.last;
}

void Problem::adjoints(const std::vector<Field<double>>& weights, const std::vector<double>& objective_weights,
                       const std::vector<Field<double>>& input_adjoints) {
  Impl& m = *impl_;
  m.check_counts("adjoints", weights, m.outputs.size(), "outputs");
  m.check_counts("adjoints", input_adjoints, m.inputs.size(), "inputs");
  const int seeds = static_cast<int>(objective_weights.size());
  const auto check_seeds = [&](const std::vector<Field<double>>& fields, const std::vector<Var>& of) {
    if (!fields.empty() && m.blocks("adjoints", fields, of) != seeds) {
      throw Error("Problem::adjoints: " + std::to_string(seeds) +
                  " objective weights (one per seed), but the fields hold another number of blocks");
    }
  };
  check_seeds(weights, m.outputs);
  check_seeds(input_adjoints, m.inputs);
  std::vector<double> objective = objective_weights;
  if (!m.options.objective) objective.assign(objective.size(), 0.0);
  m.reverse(weights, objective);
  for (std::size_t i = 0; i < m.inputs.size(); ++i) copy(input_adjoints[i], m.program.adjoint(m.inputs[i]));
}

}  // namespace undertow
