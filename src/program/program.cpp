#include "undertow/program/program.hpp"

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <sstream>

namespace undertow {
namespace {

using Policy4 = Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<4>>;

Policy4 owned_policy(const Field<double>& f, int c0, int c1) {
  const Box b = f.owned_box();
  return Policy4({c0, b.lo[0], b.lo[1], b.lo[2]}, {c1, b.hi[0], b.hi[1], b.hi[2]});
}

/// Sum over owned cells of components [c0, c1), identical on every rank.
double sum_components(const Field<double>& f, int c0, int c1) {
  auto v = f.view();
  double local = 0;
  Kokkos::parallel_reduce(
      "undertow::sum_components", owned_policy(f, c0, c1),
      KOKKOS_LAMBDA(int c, int i, int j, int k, double& acc) { acc += v(c, i, j, k); }, local);
  return detail::ordered_global_sum(f.decomposition().comm(), local);
}

/// sum over owned cells of (x - obs)[c] * t[c0 + c] for c < ncomp.
double misfit_dot(const Field<double>& x, const Field<double>& obs, const Field<double>& t, int c0) {
  auto xv = x.view(), ov = obs.view(), tv = t.view();
  const int ox = obs.ghost(0) - x.ghost(0), oy = obs.ghost(1) - x.ghost(1), oz = obs.ghost(2) - x.ghost(2);
  double local = 0;
  Kokkos::parallel_reduce(
      "undertow::misfit_dot", owned_policy(x, 0, x.components()),
      KOKKOS_LAMBDA(int c, int i, int j, int k, double& acc) {
        acc += (xv(c, i, j, k) - ov(c, i + ox, j + oy, k + oz)) * tv(c0 + c, i, j, k);
      },
      local);
  return detail::ordered_global_sum(x.decomposition().comm(), local);
}

/// sum over owned cells of |x - obs|^2.
double misfit_dot_self(const Field<double>& x, const Field<double>& obs) {
  auto xv = x.view(), ov = obs.view();
  const int ox = obs.ghost(0) - x.ghost(0), oy = obs.ghost(1) - x.ghost(1), oz = obs.ghost(2) - x.ghost(2);
  double local = 0;
  Kokkos::parallel_reduce(
      "undertow::misfit", owned_policy(x, 0, x.components()),
      KOKKOS_LAMBDA(int c, int i, int j, int k, double& acc) {
        const double r = xv(c, i, j, k) - ov(c, i + ox, j + oy, k + oz);
        acc += r * r;
      },
      local);
  return detail::ordered_global_sum(x.decomposition().comm(), local);
}

/// The objective adjoint of each reverse seed, times a weight: a POD a kernel
/// captures (seed s of component c is component s * ncomp + c).
struct SeedWeights {
  double w[8] = {};
  int components = 1;
  KOKKOS_INLINE_FUNCTION double of(int c) const { return w[c / components]; }
};

SeedWeights seed_weights(const Program& p, double weight, int components) {
  SeedWeights s;
  s.components = components;
  for (int m = 0; m < p.reverse_seeds(); ++m) s.w[m] = weight * p.objective_adjoints()[static_cast<std::size_t>(m)];
  return s;
}

class ExchangeOperation : public Operation {
 public:
  ExchangeOperation(int v, HaloPattern pattern) : v_(v), pattern_(pattern) {}
  std::string describe(const Program& p) const override {
    return std::string("exchange ") + p.name(Var{v_}) + " (" + to_string(pattern_) + ", width " +
           std::to_string(p.value(Var{v_}).ghost()) + ")";
  }
  std::vector<int> writes() const override { return {v_}; }
  bool reverse_needs_only_values() const override { return true; }
  bool fills_ghosts_only() const override { return true; }
  std::optional<HaloPattern> exchange_pattern(int v) const override {
    return v == v_ ? std::optional<HaloPattern>(pattern_) : std::nullopt;
  }
  void forward(Program& p) override {
    auto& x = variable(p, v_);
    halo(p, pattern_, x.value.ghost()).exchange(x.value);
  }
  void tangent(Program& p, int) override {
    auto& x = variable(p, v_);
    halo(p, pattern_, x.value.ghost()).exchange(x.value, x.tangent);  // one message
  }
  void reverse(Program& p) override {
    auto& x = variable(p, v_);
    if (!x.ghost_adjoint_pending) {
      count_elided_exchange(p);  // gather adjoints leave no ghost contribution
      return;
    }
    halo(p, pattern_, x.value.ghost()).exchange_adjoint(x.adjoint);
    x.ghost_adjoint_pending = false;
  }

 private:
  int v_;
  HaloPattern pattern_;
};

class BoundaryOperation : public Operation {
 public:
  BoundaryOperation(int v, const BoundaryConditions& bc) : v_(v), bc_(bc) {}
  std::string describe(const Program& p) const override {
    return "boundary " + p.name(Var{v_}) + " [" + undertow::describe(bc_, p.decomposition().dim()) + "]";
  }
  std::vector<int> writes() const override { return {v_}; }
  bool reverse_needs_only_values() const override { return true; }
  bool fills_ghosts_only() const override { return true; }
  void forward(Program& p) override {
    auto& x = variable(p, v_);
    apply_boundary(x.value, bc_, x.value.components(), 1, false);
  }
  void tangent(Program& p, int directions) override {
    auto& x = variable(p, v_);
    apply_boundary(x.value, bc_, x.value.components(), 1, false);
    apply_boundary(x.tangent, bc_, x.value.components(), directions, true);
  }
  void reverse(Program& p) override {
    auto& x = variable(p, v_);
    apply_boundary_transpose(x.adjoint, bc_, x.value.components());
  }

 private:
  int v_;
  BoundaryConditions bc_;
};

class CopyOperation : public Operation {
 public:
  CopyOperation(int dst, int src) : dst_(dst), src_(src) {}
  std::string describe(const Program& p) const override {
    return "copy " + p.name(Var{src_}) + " -> " + p.name(Var{dst_});
  }
  std::vector<int> writes() const override { return {dst_}; }
  bool reverse_needs_only_values() const override { return true; }
  void forward(Program& p) override { copy(variable(p, dst_).value, variable(p, src_).value); }
  void tangent(Program& p, int) override {
    copy(variable(p, dst_).value, variable(p, src_).value);
    copy(variable(p, dst_).tangent, variable(p, src_).tangent);
  }
  void reverse(Program& p) override {
    Field<double>& src_bar = variable(p, src_).adjoint;
    Field<double>& dst_bar = variable(p, dst_).adjoint;
    // src_bar += dst_bar, then dst_bar = 0 (owned cells). When src_bar is zero on
    // every rank -- the u <- u_next of a time step, whose kernel reverse has just
    // cleared u_next's adjoint -- that is a move: one reading pass to check and
    // the storage trades places, instead of four passes. The test is global, so
    // every decomposition takes the same branch (and gets the same bits).
    if (src_bar.ghost() == dst_bar.ghost() && count_nonzero(src_bar) == 0) {
      swap_owned(src_bar, dst_bar);
    } else {
      axpy(src_bar, 1.0, dst_bar);
      fill(dst_bar, 0.0);
    }
  }

 private:
  int dst_, src_;
};

class AxpyOperation : public Operation {
 public:
  AxpyOperation(int y, double a, int x) : y_(y), x_(x), a_(a) {}
  std::string describe(const Program& p) const override {
    std::ostringstream os;
    os << p.name(Var{y_}) << " += " << a_ << " * " << p.name(Var{x_});
    return os.str();
  }
  std::vector<int> writes() const override { return {y_}; }
  bool reverse_needs_only_values() const override { return true; }
  void forward(Program& p) override { axpy(variable(p, y_).value, a_, variable(p, x_).value); }
  void tangent(Program& p, int) override {
    axpy(variable(p, y_).value, a_, variable(p, x_).value);
    axpy(variable(p, y_).tangent, a_, variable(p, x_).tangent);
  }
  void reverse(Program& p) override { axpy(variable(p, x_).adjoint, a_, variable(p, y_).adjoint); }

 private:
  int y_, x_;
  double a_;
};

class ScaleOperation : public Operation {
 public:
  ScaleOperation(int x, double a) : x_(x), a_(a) {}
  std::string describe(const Program& p) const override {
    std::ostringstream os;
    os << p.name(Var{x_}) << " *= " << a_;
    return os.str();
  }
  std::vector<int> writes() const override { return {x_}; }
  bool reverse_needs_only_values() const override { return true; }
  void forward(Program& p) override { scale(variable(p, x_).value, a_); }
  void tangent(Program& p, int) override {
    scale(variable(p, x_).value, a_);
    scale(variable(p, x_).tangent, a_);
  }
  void reverse(Program& p) override { scale(variable(p, x_).adjoint, a_); }

 private:
  int x_;
  double a_;
};

class ObjectiveSumOperation : public Operation {
 public:
  ObjectiveSumOperation(int x, double w) : x_(x), w_(w) {}
  std::string describe(const Program& p) const override {
    std::ostringstream os;
    os << "J += " << w_ << " * sum(" << p.name(Var{x_}) << ")";
    return os.str();
  }
  std::vector<int> writes() const override { return {}; }
  bool reverse_needs_only_values() const override { return true; }
  void forward(Program& p) override { objective(p) += w_ * sum(variable(p, x_).value); }
  void tangent(Program& p, int directions) override {
    forward(p);
    const auto& x = variable(p, x_);
    const int nc = x.value.components();
    for (int n = 0; n < directions; ++n) {
      objective_tangent(p)[static_cast<std::size_t>(n)] += w_ * sum_components(x.tangent, n * nc, (n + 1) * nc);
    }
  }
  void reverse(Program& p) override {
    // The adjoint of a global sum is a broadcast: every owned cell gets w * J_bar
    // (of its seed).
    auto v = variable(p, x_).adjoint.view();
    const SeedWeights add = seed_weights(p, w_, variable(p, x_).value.components());
    Kokkos::parallel_for(
        "undertow::objective_sum_adjoint",
        owned_policy(variable(p, x_).adjoint, 0, variable(p, x_).adjoint.components()),
        KOKKOS_LAMBDA(int c, int i, int j, int k) { v(c, i, j, k) += add.of(c); });
  }

 private:
  int x_;
  double w_;
};

class ObjectiveMisfitOperation : public Operation {
 public:
  ObjectiveMisfitOperation(int x, int obs, double w) : x_(x), obs_(obs), w_(w) {}
  std::string describe(const Program& p) const override {
    std::ostringstream os;
    os << "J += " << w_ << "/2 * |" << p.name(Var{x_}) << " - " << p.name(Var{obs_}) << "|^2";
    return os.str();
  }
  std::vector<int> writes() const override { return {}; }
  bool reverse_needs_only_values() const override { return true; }
  std::vector<int> reverse_reads() const override { return {x_, obs_}; }
  void forward(Program& p) override {
    const auto& x = variable(p, x_).value;
    objective(p) += 0.5 * w_ * misfit_dot_self(x, variable(p, obs_).value);
  }
  void tangent(Program& p, int directions) override {
    forward(p);
    const auto& x = variable(p, x_);
    for (int n = 0; n < directions; ++n) {
      objective_tangent(p)[static_cast<std::size_t>(n)] +=
          w_ * misfit_dot(x.value, variable(p, obs_).value, x.tangent, n * x.value.components());
    }
  }
  void reverse(Program& p) override {
    const Field<double>& x = recorded(p, x_);
    const Field<double>& obs = recorded(p, obs_);
    auto xv = x.view(), ov = obs.view(), bar = variable(p, x_).adjoint.view();
    const int ox = obs.ghost(0) - x.ghost(0), oy = obs.ghost(1) - x.ghost(1), oz = obs.ghost(2) - x.ghost(2);
    const int nc = x.components();
    const SeedWeights scale_by = seed_weights(p, w_, nc);
    Kokkos::parallel_for(
        "undertow::objective_misfit_adjoint", owned_policy(x, 0, nc * p.reverse_seeds()),
        KOKKOS_LAMBDA(int c, int i, int j, int k) {
          const int cx = c % nc;
          bar(c, i, j, k) += scale_by.of(c) * (xv(cx, i, j, k) - ov(cx, i + ox, j + oy, k + oz));
        });
  }

 private:
  int x_, obs_;
  double w_;
};

class CheckFiniteOperation : public Operation {
 public:
  explicit CheckFiniteOperation(int v) : v_(v) {}
  std::string describe(const Program& p) const override { return "check finite " + p.name(Var{v_}); }
  std::vector<int> writes() const override { return {}; }
  bool reverse_needs_only_values() const override { return true; }
  void forward(Program& p) override { check(p, variable(p, v_).value, ""); }
  void tangent(Program& p, int) override {
    check(p, variable(p, v_).value, "");
    check(p, variable(p, v_).tangent, " (tangent)");
  }
  void reverse(Program& p) override { check(p, variable(p, v_).adjoint, " (adjoint)"); }

 private:
  static void check(const Program& p, const Field<double>& f, const char* what) {
    // count_nonfinite is a global reduction: every rank sees the same count.
    const std::int64_t bad = count_nonfinite(f);
    if (bad > 0) {
      throw Error("non-finite values in '" + f.name() + "'" + what + " at step " + std::to_string(p.step_index()) +
                  ": " + std::to_string(bad) + " of " +
                  std::to_string(p.decomposition().grid().total_cells() * f.components()) +
                  " values are NaN or infinite (time step too large? unstable parameters?)");
    }
  }
  int v_;
};

}  // namespace

Program::Program(std::shared_ptr<const Decomposition> decomposition, ProgramOptions options)
    : decomp_(std::move(decomposition)), options_(options) {
  if (!decomp_) throw Error("Program: null decomposition");
}

Var Program::add_variable(const std::string& name, VarRole role, int components, int ghost) {
  collective_check(decomp_->comm(), [&] {
    if (name.empty()) throw Error("Program: a variable needs a name");
    for (const auto& v : vars_) {
      if (v.name == name) throw Error("Program: variable '" + name + "' already exists");
    }
  });
  ProgramVariable v;
  v.name = name;
  v.role = role;
  v.value = Field<double>(decomp_, name, components, ghost);
  v.adjoint = Field<double>(decomp_, name + "_adjoint", components * reverse_seeds(), ghost);
  vars_.push_back(std::move(v));
  for (Plan& pl : plans_) pl.built = false;
  ++generation_;
  if (directions_ > 0) {
    vars_.back().tangent = Field<double>(decomp_, name + "_tangent", components * directions_, ghost);
  }
  return Var{static_cast<int>(vars_.size()) - 1};
}

Var Program::find(const std::string& name) const {
  for (std::size_t i = 0; i < vars_.size(); ++i) {
    if (vars_[i].name == name) return Var{static_cast<int>(i)};
  }
  throw Error("Program: no variable named '" + name + "'");
}

void Program::check_var(Var v, const char* what) const {
  if (v.id < 0 || v.id >= static_cast<int>(vars_.size())) {
    throw Error(std::string("Program: ") + what + " is not a variable of this program");
  }
}

ProgramVariable& Program::var(Var v) {
  check_var(v, "variable");
  return vars_[static_cast<std::size_t>(v.id)];
}
const ProgramVariable& Program::var(Var v) const {
  check_var(v, "variable");
  return vars_[static_cast<std::size_t>(v.id)];
}

const Field<double>& Program::tangent(Var v) const {
  if (directions_ == 0) throw Error("Program: call prepare_tangent(directions) before using tangents");
  return var(v).tangent;
}

void Program::append(std::unique_ptr<Operation> op) {
  ops(section_).push_back(std::move(op));
  Plan& changed = plan(section_);
  changed.built = false;
  changed.exchanges_checked = false;
  ++generation_;
}

void Program::exchange(Var v, HaloPattern pattern) {
  check_var(v, "exchanged variable");
  if (var(v).value.ghost() == 0) throw Error("Program: cannot exchange '" + var(v).name + "': it has no ghost cells");
  halo(pattern, var(v).value.ghost());  // validates the width now
  append(std::make_unique<ExchangeOperation>(v.id, pattern));
}

void Program::boundary(Var v, const BoundaryConditions& bc) {
  check_var(v, "boundary variable");
  check_boundary(var(v).value, bc);
  if (bc.empty()) return;  // every face periodic (or none set): nothing to fill
  append(std::make_unique<BoundaryOperation>(v.id, bc));
}

void Program::copy(Var destination, Var source) {
  check_var(destination, "copy destination");
  check_var(source, "copy source");
  if (destination.id == source.id) {
    throw Error("Program::copy: destination and source are the same variable '" + var(source).name +
                "' (a copy onto itself changes nothing; leave it out)");
  }
  detail::require_same_layout(var(destination).value, var(source).value, "Program::copy");
  append(std::make_unique<CopyOperation>(destination.id, source.id));
}

void Program::axpy(Var y, double a, Var x) {
  check_var(y, "axpy target");
  check_var(x, "axpy source");
  detail::require_same_layout(var(y).value, var(x).value, "Program::axpy");
  append(std::make_unique<AxpyOperation>(y.id, a, x.id));
}

void Program::scale(Var x, double a) {
  check_var(x, "scaled variable");
  append(std::make_unique<ScaleOperation>(x.id, a));
}

void Program::check_finite(Var v) {
  check_var(v, "checked variable");
  append(std::make_unique<CheckFiniteOperation>(v.id));
}

void Program::objective_sum(Var x, double weight) {
  check_var(x, "objective variable");
  append(std::make_unique<ObjectiveSumOperation>(x.id, weight));
}

void Program::objective_misfit(Var x, Var observation, double weight) {
  check_var(x, "objective variable");
  check_var(observation, "observation");
  if (var(x).value.components() != var(observation).value.components()) {
    throw Error("Program: misfit of '" + var(x).name + "' against '" + var(observation).name +
                "': component counts differ");
  }
  append(std::make_unique<ObjectiveMisfitOperation>(x.id, observation.id, weight));
}

Halo& Program::halo(HaloPattern pattern, int width) {
  auto key = std::make_pair(static_cast<int>(pattern), width);
  auto it = halos_.find(key);
  if (it == halos_.end())
    it = halos_.emplace(key, Halo::create(decomp_, pattern, width, options_.message_buffers)).first;
  return *it->second;
}

void Program::build_plan(Section s) {
  Plan& built = plan(s);
  auto& list = ops(s);
  built.snapshots.assign(list.size(), {});
  for (std::size_t k = 0; k < list.size(); ++k) {
    for (int id : list[k]->reverse_reads()) {
      bool overwritten_later = false;
      for (std::size_t j = k + 1; j < list.size() && !overwritten_later; ++j) {
        const auto w = list[j]->writes();
        overwritten_later = std::find(w.begin(), w.end(), id) != w.end();
      }
      const auto w = list[k]->writes();
      if (std::find(w.begin(), w.end(), id) != w.end()) overwritten_later = true;
      if (overwritten_later) {
        const auto& v = vars_[static_cast<std::size_t>(id)];
        built.snapshots[k].emplace_back(id, v.value.clone_layout(v.name + "_snapshot"));
      }
    }
  }
  built.built = true;
}

const Field<double>& Program::recorded(int id) const {
  if (current_snapshots_ != nullptr && current_op_ >= 0) {
    for (const auto& snap : (*current_snapshots_)[static_cast<std::size_t>(current_op_)]) {
      if (snap.first == id) return snap.second;
    }
  }
  return vars_[static_cast<std::size_t>(id)].value;
}

void Program::check_exchanges(Section s) {
  // The exchange that fills what operation k reads is the latest one before it:
  // earlier in its section, then (the step repeats) later in the Step section;
  // the first step follows the Initial section; the Final section runs after the
  // steps, so its reads may be fed by the Step's.
  const auto& list = ops(s);
  const auto& step_ops = ops(Section::Step);
  const auto& initial_ops = ops(Section::Initial);
  for (std::size_t k = 0; k < list.size(); ++k) {
    for (const auto& [id, needed] : list[k]->ghost_reads()) {
      if (needed == HaloPattern::Star) continue;
      std::vector<std::pair<const Operation*, std::string>> before;
      for (std::size_t j = k; j-- > 0;) before.emplace_back(list[j].get(), "operation " + std::to_string(j));
      if (s == Section::Step) {
        for (std::size_t j = list.size(); j-- > k + 1;)
          before.emplace_back(list[j].get(), "operation " + std::to_string(j) + " (previous step)");
        for (std::size_t j = initial_ops.size(); j-- > 0;)
          before.emplace_back(initial_ops[j].get(), "initial operation " + std::to_string(j) + " (first step)");
      } else if (s == Section::Final) {
        for (std::size_t j = step_ops.size(); j-- > 0;)
          before.emplace_back(step_ops[j].get(), "step operation " + std::to_string(j));
      }
      for (const auto& [op, where] : before) {
        const std::optional<HaloPattern> pattern = op->exchange_pattern(id);
        if (!pattern) continue;
        if (*pattern == HaloPattern::Star) {
          throw Error("Program: operation " + std::to_string(k) + " (" + list[k]->describe(*this) + ") reads '" +
                      vars_[static_cast<std::size_t>(id)].name +
                      "' in corner ghost cells (a box stencil, or a gather adjoint, which evaluates the stencil at "
                      "neighbouring cells), but " +
                      where +
                      " exchanges it with HaloPattern::Star, which leaves "
                      "the corners stale: results would depend on the decomposition. Exchange it with "
                      "HaloPattern::Box (the default), or give a star-stencil kernel AdjointForm::ScatterAtomic");
        }
        break;
      }
    }
  }
  plan(s).exchanges_checked = true;
}

void Program::run(Section s, Snapshots* record) {
  Plan& run_plan = plan(s);
  if (!run_plan.exchanges_checked) check_exchanges(s);
  auto& list = ops(s);
  for (std::size_t k = 0; k < list.size(); ++k) {
    if (record != nullptr) {
      for (auto& snap : (*record)[k])
        Kokkos::deep_copy(snap.second.view(), vars_[static_cast<std::size_t>(snap.first)].value.view());
    }
    list[k]->forward(*this);
  }
  Kokkos::fence();
  if (s == Section::Step) ++step_index_;
}

void Program::run_forward(Section s) {
  run(s, nullptr);
}
void Program::run_forward_record(Section s) {
  if (!plan(s).built) build_plan(s);
  run(s, &plan(s).snapshots);
}

void Program::run_reverse(Section s) {
  if (!plan(s).built) throw Error("Program: run_reverse without a preceding run_forward_record");
  reverse(s, plan(s).snapshots);
}

bool Program::replayable(Section s) const {
  for (const auto& op : ops_[index(s)]) {
    if (!op->reverse_needs_only_values()) return false;
  }
  return true;
}

std::vector<int> Program::end_values_read(Section s) {
  // What the reverse reads without a snapshot is the value the run left. A later
  // run may change it unless it is a Parameter or Data variable that only ghost
  // fills write (their owned values are constant, so are the fills).
  std::vector<bool> changes(vars_.size(), false);
  for (std::size_t id = 0; id < vars_.size(); ++id) {
    const VarRole role = vars_[id].role;
    changes[id] = role == VarRole::State || role == VarRole::Temporary;
  }
  for (const auto& section : ops_) {
    for (const auto& op : section) {
      if (op->fills_ghosts_only()) continue;
      for (int id : op->writes()) changes[static_cast<std::size_t>(id)] = true;
    }
  }
  const auto& list = ops(s);
  const Snapshots& snapshots = plan(s).snapshots;
  std::vector<int> ids;
  for (std::size_t k = 0; k < list.size(); ++k) {
    for (int id : list[k]->reverse_reads()) {
      bool snapshotted = false;
      for (const auto& snap : snapshots[k]) snapshotted = snapshotted || snap.first == id;
      if (!snapshotted && changes[static_cast<std::size_t>(id)] && std::find(ids.begin(), ids.end(), id) == ids.end())
        ids.push_back(id);
    }
  }
  return ids;
}

void Program::run_forward_record(Section s, Recording& recording) {
  if (!replayable(s)) {
    throw Error(
        "Program: an operation of this section keeps results of its own forward run (a linear solve); "
        "record it with run_forward_record(section) and reverse it right after");
  }
  if (!plan(s).built) build_plan(s);
  if (recording.generation_ != generation_ || recording.section_ != s) {
    recording.snapshots_ = plan(s).snapshots;
    for (auto& op : recording.snapshots_) {
      for (auto& snap : op) snap.second = snap.second.clone_layout(snap.second.name());
    }
    recording.end_values_.clear();
    for (int id : end_values_read(s)) {
      const Field<double>& value = vars_[static_cast<std::size_t>(id)].value;
      recording.end_values_.emplace_back(id, value.clone_layout(value.name() + "_recorded"));
    }
    recording.section_ = s;
    recording.generation_ = generation_;
  }
  run(s, &recording.snapshots_);
  for (auto& [id, field] : recording.end_values_)
    Kokkos::deep_copy(field.view(), vars_[static_cast<std::size_t>(id)].value.view());
}

void Program::run_reverse(Section s, const Recording& recording) {
  if (recording.generation_ != generation_ || recording.section_ != s) {
    throw Error("Program: run_reverse from a recording of " +
                std::string(recording.generation_ == 0 ? "nothing (run_forward_record into it first)"
                                                       : "another section or of the program before it changed"));
  }
  for (const auto& [id, field] : recording.end_values_)
    Kokkos::deep_copy(vars_[static_cast<std::size_t>(id)].value.view(), field.view());
  reverse(s, recording.snapshots_);
}

void Program::reverse(Section s, const Snapshots& recorded) {
  auto& list = ops(s);
  if (s == Section::Step && step_index_ > 0) --step_index_;  // the step being reversed
  current_snapshots_ = &recorded;
  for (int k = static_cast<int>(list.size()) - 1; k >= 0; --k) {
    current_op_ = k;
    list[static_cast<std::size_t>(k)]->reverse(*this);
  }
  current_op_ = -1;
  current_snapshots_ = nullptr;
  // Ghost contributions of variables exchanged outside the program (e.g. a
  // coefficient filled once at set-up) go to their owners: the transpose of that
  // exchange.
  for (auto& v : vars_) {
    if (v.ghost_adjoint_pending) {
      halo(HaloPattern::Box, v.value.ghost()).exchange_adjoint(v.adjoint);
      v.ghost_adjoint_pending = false;
    }
  }
  Kokkos::fence();
}

void Program::prepare_tangent(int directions) {
  collective_check(decomp_->comm(), [&] {
    if (directions != 1 && directions != 2 && directions != 4 && directions != 8) {
      throw Error("Program: tangent directions must be 1, 2, 4 or 8, got " + std::to_string(directions));
    }
  });
  if (directions != directions_) {
    for (auto& v : vars_) {
      v.tangent = Field<double>(decomp_, v.name + "_tangent", v.value.components() * directions, v.value.ghost());
    }
    directions_ = directions;
  }
  zero_tangents();
}

void Program::prepare_reverse(int seeds) {
  collective_check(decomp_->comm(), [&] {
    if (seeds != 1 && seeds != 2 && seeds != 4 && seeds != 8) {
      throw Error("Program: reverse seeds must be 1, 2, 4 or 8, got " + std::to_string(seeds));
    }
  });
  if (seeds != reverse_seeds()) {
    for (auto& v : vars_) {
      v.adjoint = Field<double>(decomp_, v.name + "_adjoint", v.value.components() * seeds, v.value.ghost());
    }
  }
  objective_adjoints_.assign(static_cast<std::size_t>(seeds), 1.0);
  zero_adjoints();
}

void Program::set_objective_adjoints(const std::vector<double>& jbar) {
  collective_check(decomp_->comm(), [&] {
    if (static_cast<int>(jbar.size()) != reverse_seeds()) {
      throw Error("Program: " + std::to_string(jbar.size()) + " objective adjoints for " +
                  std::to_string(reverse_seeds()) + " reverse seed(s) (prepare_reverse sets the count)");
    }
  });
  objective_adjoints_ = jbar;
}

void Program::run_tangent(Section s) {
  if (directions_ == 0) throw Error("Program: call prepare_tangent(directions) before run_tangent");
  if (!plan(s).exchanges_checked) check_exchanges(s);
  for (auto& op : ops(s)) op->tangent(*this, directions_);
  Kokkos::fence();
  if (s == Section::Step) ++step_index_;
}

void Program::zero_adjoints() {
  for (auto& v : vars_) {
    fill_all(v.adjoint, 0.0);
    v.ghost_adjoint_pending = false;
  }
}

void Program::zero_tangents() {
  for (auto& v : vars_) {
    if (v.tangent.valid()) fill_all(v.tangent, 0.0);
  }
  objective_tangent_.assign(static_cast<std::size_t>(directions_), 0.0);
}

std::string Program::describe() const {
  std::ostringstream os;
  static const char* roles[] = {"state", "parameter", "temporary", "data"};
  os << "program on " << decomp_->describe() << "\n  variables:";
  for (const auto& v : vars_) {
    os << " " << v.name << "(" << roles[static_cast<int>(v.role)] << ", " << v.value.components() << "c, g"
       << v.value.ghost() << ")";
  }
  const auto list = [&](const char* title, Section s) {
    os << "\n  " << title << ":";
    const auto& section = ops_[index(s)];
    for (std::size_t k = 0; k < section.size(); ++k) os << "\n    " << k << ". " << section[k]->describe(*this);
  };
  if (has_operations(Section::Initial)) list("initial", Section::Initial);
  list("step", Section::Step);
  if (has_operations(Section::Final)) list("final", Section::Final);
  return os.str();
}

}  // namespace undertow
