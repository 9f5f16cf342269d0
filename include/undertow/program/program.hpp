// Program: a time step written once as a sequence of library operations, run
// forward, in tangent mode and in reverse.
//
// Variables are distributed fields with a role: State (carried from step to step),
// Parameter (constant in time: coefficients, controls; gradients accumulate),
// Temporary, and Data (observations, never differentiated). Operations are
// appended in order: halo exchange, boundary fill, kernel application, copy /
// axpy / scale, and objective terms (weighted sum, squared misfit). The program
// then runs
//   run_forward()         the step;
//   run_tangent()         the step and its directional derivatives (vector mode:
//                         prepare_tangent(N) allocates N directions per variable);
//                         a value and its tangent travel in one halo message;
//   run_forward_record()  the step, keeping the few values the reverse needs (a
//                         value is snapshotted only if a later operation of the
//                         step overwrites it);
//   run_reverse()         the adjoint of the recorded step: each operation is
//                         replaced by its transpose in reverse order (exchange ->
//                         transposed exchange, elided where the gather assembly
//                         left no ghost contribution; boundary fill -> its
//                         transpose; objective sum -> broadcast of its adjoint).
// Operations go to one of three sections: Initial (run once before the first
// step: the map from parameters to the initial state, e.g. a surface elevation
// to a water depth), Step (one time step) and Final (terms evaluated once after
// the last step, e.g. a terminal misfit). Users never write a reverse loop: a
// Problem (time/problem.hpp) runs the sections and their reverses; gradients are
// read from adjoint(var).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "undertow/core/error.hpp"
#include "undertow/field/field.hpp"
#include "undertow/field/field_ops.hpp"
#include "undertow/halo/halo.hpp"
#include "undertow/kernel/kernel.hpp"
#include "undertow/kernel/kernel_application.hpp"
#include "undertow/program/boundary.hpp"

namespace undertow {

enum class VarRole { State, Parameter, Temporary, Data };
/// Where an operation goes; see the header comment. Initial runs once before the
/// first step, Step once per step, Final once after the last step.
enum class Section { Initial, Step, Final };

/// Handle to a program variable.
struct Var {
  int id = -1;
  bool valid() const { return id >= 0; }
};

struct ProgramOptions {
  /// Assembly of kernel adjoints unless an apply() says otherwise.
  AdjointForm adjoint_form = AdjointForm::Gather;
  /// How gather adjoints differentiate one cell (Automatic: per kernel).
  LocalDerivative local_derivative = LocalDerivative::Automatic;
  /// Where MPI reads the program's halo messages (Automatic: see halo/halo.hpp).
  MessageBuffers message_buffers = MessageBuffers::Automatic;
};

class Program;

/// A program variable as operations see it: its fields and the state of its
/// ghost adjoints. Users read values and adjoints through Program::value() and
/// Program::adjoint().
struct ProgramVariable {
  std::string name;
  VarRole role;
  Field<double> value, adjoint, tangent;
  bool ghost_adjoint_pending = false;  // ghost cells of `adjoint` hold contributions
};

/// One operation of a program. Library operations implement it; users normally
/// never do. The program's plumbing (variables by id, recorded values, halos,
/// the running objective) is reachable from operations only, through the
/// protected accessors below.
class Operation {
 public:
  virtual ~Operation() = default;
  virtual std::string describe(const Program& p) const = 0;
  /// Variables this operation writes (any cell, ghosts included).
  virtual std::vector<int> writes() const = 0;
  /// Variables whose values (at the time the operation runs) its reverse needs.
  virtual std::vector<int> reverse_reads() const { return {}; }
  /// The pattern of this operation's primal halo exchange of variable v, if it is one.
  virtual std::optional<HaloPattern> exchange_pattern(int /*v*/) const { return std::nullopt; }
  /// Variables whose ghost cells this operation reads, each with the exchange
  /// pattern those ghosts must have been filled with (checked before a run).
  virtual std::vector<std::pair<int, HaloPattern>> ghost_reads() const { return {}; }
  /// Whether reverse() reads nothing but program values (through recorded() and
  /// the variables' current values), so that a Program::Recording of it can be
  /// reversed after later steps ran. An operation that keeps results of its own
  /// forward (a linear solve keeps its solution) returns false.
  virtual bool reverse_needs_only_values() const { return false; }
  /// Whether it writes only ghost cells, from owned values (exchange, boundary
  /// fill): repeating it on unchanged owned values changes nothing.
  virtual bool fills_ghosts_only() const { return false; }
  virtual void forward(Program& p) = 0;
  virtual void tangent(Program& p, int directions) = 0;
  virtual void reverse(Program& p) = 0;

 protected:
  /// Variable v of p (an Error for a handle that is not p's).
  static ProgramVariable& variable(Program& p, Var v);
  static const ProgramVariable& variable(const Program& p, Var v);
  static ProgramVariable& variable(Program& p, int id) { return variable(p, Var{id}); }
  static const ProgramVariable& variable(const Program& p, int id) { return variable(p, Var{id}); }
  /// The value of variable `id` as the running operation saw it during the
  /// recorded forward (its current value unless a later operation overwrote it).
  static const Field<double>& recorded(const Program& p, int id);
  /// The program's halo for a pattern and width (built once, shared by operations).
  static Halo& halo(Program& p, HaloPattern pattern, int width);
  /// The running objective, and its tangent per direction.
  static double& objective(Program& p);
  static std::vector<double>& objective_tangent(Program& p);
  /// Counts a transposed exchange skipped (Program::elided_transposed_exchanges).
  static void count_elided_exchange(Program& p);
};

class Program {
 public:
  explicit Program(std::shared_ptr<const Decomposition> decomposition, ProgramOptions options = {});
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;

  // ---- variables ----
  Var add_variable(const std::string& name, VarRole role, int components = 1, int ghost = 1);
  Var add_state(const std::string& name, int components = 1, int ghost = 1) {
    return add_variable(name, VarRole::State, components, ghost);
  }
  Var add_parameter(const std::string& name, int components = 1, int ghost = 1) {
    return add_variable(name, VarRole::Parameter, components, ghost);
  }
  Var add_temporary(const std::string& name, int components = 1, int ghost = 1) {
    return add_variable(name, VarRole::Temporary, components, ghost);
  }
  Var add_data(const std::string& name, int components = 1, int ghost = 0) {
    return add_variable(name, VarRole::Data, components, ghost);
  }
  Var find(const std::string& name) const;

  // ---- operations (appended to the current section) ----
  void set_section(Section s) { section_ = s; }
  /// Whether section s holds any operation.
  bool has_operations(Section s) const { return !ops_[index(s)].empty(); }
  /// Primal halo exchange of the whole ghost layer of v (Box pattern by default:
  /// gather adjoints need corners).
  void exchange(Var v, HaloPattern pattern = HaloPattern::Box);
  void boundary(Var v, const BoundaryConditions& bc);
  template <class K>
  void apply(const K& kernel, const std::array<Var, K::num_inputs>& inputs,
             const std::array<Var, K::num_outputs>& outputs, std::optional<AdjointForm> form = std::nullopt);
  void copy(Var destination, Var source);
  void axpy(Var y, double a, Var x);
  void scale(Var x, double a);
  /// Objective term J += weight * sum over owned cells of x.
  void objective_sum(Var x, double weight = 1.0);
  /// Objective term J += weight / 2 * sum over owned cells of (x - observation)^2.
  void objective_misfit(Var x, Var observation, double weight = 1.0);
  /// Checks that v holds only finite values; otherwise every rank throws an Error
  /// naming the variable, the step (see step_index) and how many values are bad.
  void check_finite(Var v);
  /// Appends any operation (for library extensions).
  void append(std::unique_ptr<Operation> op);

  // ---- runs ----
  void run_forward(Section s = Section::Step);
  void run_forward_record(Section s = Section::Step);
  void run_reverse(Section s = Section::Step);

  /// What the reverse of one run of a section reads, held outside the program so
  /// that the runs of many steps can be kept at once: Problem's store-all sweep
  /// records every step as it runs forward, then reverses the recordings in turn
  /// (no step is run twice). Allocated by the first run_forward_record into it.
  class Recording {
   private:
    friend class Program;
    std::vector<std::vector<std::pair<int, Field<double>>>> snapshots_;  // per operation, as the plan's
    std::vector<std::pair<int, Field<double>>> end_values_;              // read by the reverse as the run left them
    Section section_ = Section::Step;
    std::uint64_t generation_ = 0;  // of the program's operations; 0: not allocated
  };
  /// Whether every operation of section s can be reversed from a Recording
  /// (Operation::reverse_needs_only_values; false with a linear solve).
  bool replayable(Section s) const;
  /// run_forward_record(s), keeping what the reverse reads in `recording`.
  void run_forward_record(Section s, Recording& recording);
  /// The reverse of the run held by `recording` (the latest run_forward_record
  /// into it); sets the values of the variables its reverse reads.
  void run_reverse(Section s, const Recording& recording);
  /// Allocates N tangent directions per variable (zeroed). N in {1, 2, 4, 8}.
  void prepare_tangent(int directions);
  /// A vector reverse: M adjoint seeds per variable (M in {1, 2, 4, 8}; adjoints
  /// zeroed, objective adjoints 1). One run_reverse then computes M adjoints,
  /// seed-major like tangents (component s * ncomp + c is seed s), sharing the
  /// recorded forward, one local-reverse recording per cell and one halo message
  /// per neighbour; seed s gets what a one-seed reverse seeded with seed s gives.
  /// Linear solves take one seed only (an error otherwise).
  void prepare_reverse(int seeds);
  int reverse_seeds() const { return static_cast<int>(objective_adjoints_.size()); }
  void run_tangent(Section s = Section::Step);

  // ---- fields and scalars ----
  const Field<double>& value(Var v) const { return var(v).value; }
  /// Adjoint of v: reverse_seeds() * components components, seed-major. A reverse
  /// sweep may trade adjoint storage between variables (a copy's reverse moves
  /// it): keep the reference, or call adjoint() again after a sweep, rather than
  /// a copy of the Field handle taken before it.
  const Field<double>& adjoint(Var v) const { return var(v).adjoint; }
  /// Tangent of v: directions * components components, direction-major.
  const Field<double>& tangent(Var v) const;
  int tangent_directions() const { return directions_; }
  void zero_adjoints();
  void zero_tangents();

  /// Steps run so far in the Step section (forward, record or tangent); used in
  /// error messages. Drivers may set it (e.g. when replaying a checkpoint).
  std::int64_t step_index() const { return step_index_; }
  void set_step_index(std::int64_t n) { step_index_ = n; }

  double objective() const { return objective_; }
  void set_objective(double j) { objective_ = j; }
  /// Derivative of the objective in each tangent direction.
  const std::vector<double>& objective_tangent() const { return objective_tangent_; }
  void zero_objective_tangent() { objective_tangent_.assign(objective_tangent_.size(), 0.0); }
  /// The adjoint of the objective (1 for a gradient); constant through reverse.
  /// With several reverse seeds: seed 0's; the setter sets every seed's.
  double objective_adjoint() const { return objective_adjoints_[0]; }
  void set_objective_adjoint(double jbar) { objective_adjoints_.assign(objective_adjoints_.size(), jbar); }
  /// The objective's adjoint per reverse seed (one value per seed).
  const std::vector<double>& objective_adjoints() const { return objective_adjoints_; }
  void set_objective_adjoints(const std::vector<double>& jbar);

  // ---- introspection ----
  const Decomposition& decomposition() const { return *decomp_; }
  std::shared_ptr<const Decomposition> decomposition_ptr() const { return decomp_; }
  const ProgramOptions& options() const { return options_; }
  std::string describe() const;
  const std::string& name(Var v) const { return var(v).name; }
  VarRole role(Var v) const { return var(v).role; }
  int variable_count() const { return static_cast<int>(vars_.size()); }
  /// Transposed exchanges skipped because no ghost contribution was pending.
  std::int64_t elided_transposed_exchanges() const { return elided_; }

 private:
  friend class Operation;  // its protected accessors are the operations' door in
  ProgramVariable& var(Var v);
  const ProgramVariable& var(Var v) const;
  const Field<double>& recorded(int id) const;
  Halo& halo(HaloPattern pattern, int width);
  // per operation: (variable id, snapshot field) for values a later op overwrites
  using Snapshots = std::vector<std::vector<std::pair<int, Field<double>>>>;
  struct Plan {
    Snapshots snapshots;
    bool built = false;
    bool exchanges_checked = false;
  };
  static std::size_t index(Section s) { return static_cast<std::size_t>(s); }
  std::vector<std::unique_ptr<Operation>>& ops(Section s) { return ops_[index(s)]; }
  Plan& plan(Section s) { return plans_[index(s)]; }
  void build_plan(Section s);
  /// Every ghost read is fed by an exchange of a sufficient pattern (else Error).
  void check_exchanges(Section s);
  void check_var(Var v, const char* what) const;
  /// Runs section s; records into `record` when given.
  void run(Section s, Snapshots* record);
  void reverse(Section s, const Snapshots& recorded);
  /// The variables whose values at the end of a run of s its reverse reads and
  /// that a later run may change (each once).
  std::vector<int> end_values_read(Section s);

  std::shared_ptr<const Decomposition> decomp_;
  ProgramOptions options_;
  std::vector<ProgramVariable> vars_;
  std::array<std::vector<std::unique_ptr<Operation>>, 3> ops_;  // by Section
  std::array<Plan, 3> plans_;
  Section section_ = Section::Step;
  std::map<std::pair<int, int>, std::shared_ptr<Halo>> halos_;
  int directions_ = 0;
  double objective_ = 0.0;
  std::vector<double> objective_tangent_;
  std::vector<double> objective_adjoints_ = {1.0};
  std::int64_t elided_ = 0;
  std::int64_t step_index_ = 0;
  std::uint64_t generation_ = 1;  // changes with every variable or operation added
  // set while an operation runs, for recorded()
  const Snapshots* current_snapshots_ = nullptr;
  int current_op_ = -1;
};

inline ProgramVariable& Operation::variable(Program& p, Var v) {
  return p.var(v);
}
inline const ProgramVariable& Operation::variable(const Program& p, Var v) {
  return p.var(v);
}
inline const Field<double>& Operation::recorded(const Program& p, int id) {
  return p.recorded(id);
}
inline Halo& Operation::halo(Program& p, HaloPattern pattern, int width) {
  return p.halo(pattern, width);
}
inline double& Operation::objective(Program& p) {
  return p.objective_;
}
inline std::vector<double>& Operation::objective_tangent(Program& p) {
  return p.objective_tangent_;
}
inline void Operation::count_elided_exchange(Program& p) {
  ++p.elided_;
}

// ---------------------------------------------------------------------------
// Kernel application as an operation.

namespace detail {
template <class K>
class KernelOperation : public Operation {
 public:
  KernelOperation(Program& p, const K& kernel, const std::array<Var, K::num_inputs>& in,
                  const std::array<Var, K::num_outputs>& out, AdjointForm form,
                  LocalDerivative method = LocalDerivative::Automatic)
      : kernel_(kernel), form_(form), method_(method) {
    for (int f = 0; f < K::num_inputs; ++f) in_[f] = in[f].id;
    for (int f = 0; f < K::num_outputs; ++f) out_[f] = out[f].id;
    // Validate layouts now (throws with a clear message at build time).
    application(p, false);
    const int r = K::stencil.radius;
    if (form_ == AdjointForm::Gather) {
      for (int f = 0; f < K::num_inputs; ++f) {
        const auto& v = variable(p, in_[f]);
        if (v.value.ghost() < 2 * r) {
          throw Error("kernel input '" + v.name + "' has ghost width " + std::to_string(v.value.ghost()) +
                      "; the gather adjoint of a radius-" + std::to_string(r) + " stencil needs " +
                      std::to_string(2 * r) + " (or choose AdjointForm::ScatterAtomic)");
        }
      }
    }
  }

  std::string describe(const Program& p) const override {
    std::string s = "apply kernel (";
    for (int f = 0; f < K::num_inputs; ++f) s += (f ? ", " : "") + p.name(Var{in_[f]});
    s += ") -> (";
    for (int f = 0; f < K::num_outputs; ++f) s += (f ? ", " : "") + p.name(Var{out_[f]});
    return s + "), stencil radius " + std::to_string(K::stencil.radius) + ", adjoint " + to_string(form_);
  }
  std::vector<int> writes() const override { return std::vector<int>(out_.begin(), out_.end()); }
  std::vector<int> reverse_reads() const override { return std::vector<int>(in_.begin(), in_.end()); }
  /// A box stencil reads corner ghosts; so does the gather adjoint of any
  /// stencil (it evaluates the stencil at neighbouring cells).
  bool reverse_needs_only_values() const override { return true; }
  std::vector<std::pair<int, HaloPattern>> ghost_reads() const override {
    std::vector<std::pair<int, HaloPattern>> reads;
    if (K::stencil.radius == 0) return reads;
    const bool corners = K::stencil.shape == StencilShape::Box || form_ == AdjointForm::Gather;
    for (int f = 0; f < K::num_inputs; ++f) reads.emplace_back(in_[f], corners ? HaloPattern::Box : HaloPattern::Star);
    return reads;
  }

  void forward(Program& p) override { application(p, false).forward(); }

  void tangent(Program& p, int directions) override {
    auto app = application(p, false);
    typename KernelApplication<K>::InputFields in_dot;
    typename KernelApplication<K>::OutputFields out_dot;
    for (int f = 0; f < K::num_inputs; ++f) in_dot[f] = variable(p, in_[f]).tangent;
    for (int f = 0; f < K::num_outputs; ++f) out_dot[f] = variable(p, out_[f]).tangent;
    with_width(directions, "tangent directions",
               [&](auto n) { app.template tangent<decltype(n)::value>(in_dot, out_dot); });
  }

  void reverse(Program& p) override {
    auto app = application(p, true);
    typename KernelApplication<K>::InputFields in_bar;
    typename KernelApplication<K>::OutputFields out_bar;
    // Data variables are passive: no adjoint is computed or written for them.
    for (int f = 0; f < K::num_inputs; ++f) {
      const auto& v = variable(p, in_[f]);
      if (v.role != VarRole::Data) in_bar[f] = v.adjoint;
    }
    for (int f = 0; f < K::num_outputs; ++f) out_bar[f] = variable(p, out_[f]).adjoint;
    const int r = K::stencil.radius;
    if (form_ == AdjointForm::Gather) {
      if (r > 0) {
        for (int f = 0; f < K::num_outputs; ++f) {
          auto& o = variable(p, out_[f]);
          if (o.ghost_adjoint_pending) {
            halo(p, HaloPattern::Box, o.adjoint.ghost()).exchange_adjoint(o.adjoint);
            o.ghost_adjoint_pending = false;
          }
        }
        // The neighbours' output adjoints, one message per neighbour for all outputs.
        const HaloPattern pattern = K::stencil.shape == StencilShape::Box ? HaloPattern::Box : HaloPattern::Star;
        exchange_all(halo(p, pattern, r), out_bar, std::make_index_sequence<K::num_outputs>{});
      }
      adjoint_seeds(app, out_bar, in_bar, AdjointForm::Gather, p.reverse_seeds());
      // Outputs were overwritten: their adjoint is now zero (ghost copies too).
      for (int f = 0; f < K::num_outputs; ++f) fill_all(out_bar[f], 0.0);
    } else {
      adjoint_seeds(app, out_bar, in_bar, form_, p.reverse_seeds());
      for (int f = 0; f < K::num_inputs; ++f) {
        if (r > 0 && in_bar[f].valid()) variable(p, in_[f]).ghost_adjoint_pending = true;
      }
      for (int f = 0; f < K::num_outputs; ++f) fill(out_bar[f], 0.0);
    }
  }

 private:
  void adjoint_seeds(const KernelApplication<K>& app, const typename KernelApplication<K>::OutputFields& out_bar,
                     const typename KernelApplication<K>::InputFields& in_bar, AdjointForm form, int seeds) const {
    with_width(seeds, "reverse seeds",
               [&](auto m) { app.template adjoint<decltype(m)::value>(out_bar, in_bar, form, method_); });
  }

  /// f(std::integral_constant<int, n>{}) for the vector widths the kernels are
  /// compiled for (tangent directions, reverse seeds).
  template <class F>
  static void with_width(int n, const char* what, F&& f) {
    switch (n) {
      case 1:
        return f(std::integral_constant<int, 1>{});
      case 2:
        return f(std::integral_constant<int, 2>{});
      case 4:
        return f(std::integral_constant<int, 4>{});
      case 8:
        return f(std::integral_constant<int, 8>{});
      default:
        throw Error(std::string(what) + " must be 1, 2, 4 or 8, got " + std::to_string(n));
    }
  }

  template <std::size_t... I>
  static void exchange_all(Halo& h, const typename KernelApplication<K>::OutputFields& f, std::index_sequence<I...>) {
    h.exchange(f[I]...);
  }

  KernelApplication<K> application(Program& p, bool use_recorded) const {
    typename KernelApplication<K>::InputFields in;
    typename KernelApplication<K>::OutputFields out;
    for (int f = 0; f < K::num_inputs; ++f) in[f] = use_recorded ? recorded(p, in_[f]) : variable(p, in_[f]).value;
    for (int f = 0; f < K::num_outputs; ++f) out[f] = variable(p, out_[f]).value;
    return KernelApplication<K>(kernel_, in, out);
  }

  K kernel_;
  AdjointForm form_;
  LocalDerivative method_;
  std::array<int, K::num_inputs> in_{};
  std::array<int, K::num_outputs> out_{};
};
}  // namespace detail

template <class K>
void Program::apply(const K& kernel, const std::array<Var, K::num_inputs>& inputs,
                    const std::array<Var, K::num_outputs>& outputs, std::optional<AdjointForm> form) {
  for (const Var& v : inputs) check_var(v, "kernel input");
  for (const Var& v : outputs) {
    check_var(v, "kernel output");
    if (var(v).role == VarRole::Data) throw Error("kernel output '" + var(v).name + "' is a Data variable");
  }
  append(std::make_unique<detail::KernelOperation<K>>(*this, kernel, inputs, outputs,
                                                      form.value_or(options_.adjoint_form), options_.local_derivative));
}

}  // namespace undertow
