#include "undertow/time/schedule.hpp"

#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "undertow/core/error.hpp"

namespace undertow {

const char* to_string(ActionKind kind) {
  switch (kind) {
    case ActionKind::Advance:
      return "advance";
    case ActionKind::Take:
      return "take";
    case ActionKind::Restore:
      return "restore";
    case ActionKind::Free:
      return "free";
    case ActionKind::FirstReverse:
      return "first_reverse";
    case ActionKind::Reverse:
      return "reverse";
  }
  return "?";
}

const char* to_string(ScheduleKind kind) {
  switch (kind) {
    case ScheduleKind::StoreAll:
      return "store_all";
    case ScheduleKind::Periodic:
      return "periodic";
    case ScheduleKind::Binomial:
      return "binomial";
  }
  return "?";
}

bool operator==(const Action& a, const Action& b) {
  return a.kind == b.kind && a.step == b.step && a.count == b.count && a.slot == b.slot;
}

std::string to_string(const Action& a) {
  std::ostringstream os;
  os << to_string(a.kind);
  switch (a.kind) {
    case ActionKind::Advance:
      os << " " << a.step << " -> " << a.step + a.count;
      break;
    case ActionKind::Take:
    case ActionKind::Restore:
    case ActionKind::Free:
      os << " slot " << a.slot << " (state " << a.step << ")";
      break;
    case ActionKind::FirstReverse:
    case ActionKind::Reverse:
      os << " step " << a.step;
      break;
  }
  return os.str();
}

ActionStream::ActionStream(std::unique_ptr<Generator> generator) : generator_(std::move(generator)) {}
ActionStream::ActionStream(ActionStream&&) noexcept = default;
ActionStream& ActionStream::operator=(ActionStream&&) noexcept = default;
ActionStream::~ActionStream() = default;

bool ActionStream::next(Action& action) {
  if (!generator_ || !generator_->next(action)) return false;
  ++position_;
  return true;
}

namespace {

constexpr std::int64_t kSaturated = std::numeric_limits<std::int64_t>::max() / 4;

/// C(a, b), saturating at kSaturated (only compared against step counts).
std::int64_t choose(std::int64_t a, std::int64_t b) {
  if (b < 0 || a < b) return 0;
  b = std::min(b, a - b);
  std::int64_t result = 1;
  for (std::int64_t i = 1; i <= b; ++i) {
    // result * (a - b + i) / i is exact at every i; guard the product.
    const std::int64_t factor = a - b + i;
    if (result > kSaturated / factor) return kSaturated;
    result = result * factor / i;
  }
  return result;
}

/// beta(c, r) = C(c + r, c): the most steps c snapshots reverse with r repetitions.
std::int64_t beta(int c, int r) {
  return r < 0 ? 0 : choose(std::int64_t(c) + r, c);
}

/// Lowest-free-id slot allocation: deterministic, and slot ids stay dense.
class SlotAllocator {
 public:
  int take() {
    if (!free_.empty()) {
      const int s = *free_.begin();
      free_.erase(free_.begin());
      return s;
    }
    return next_++;
  }
  void release(int slot) { free_.insert(slot); }

 private:
  std::set<int> free_;
  int next_ = 0;
};

Action advance(int from, int count) {
  return Action{ActionKind::Advance, from, count, -1};
}
Action slot_action(ActionKind kind, int slot, int step) {
  return Action{kind, step, 0, slot};
}

// Binomial (revolve) schedule. Reversing [start, end) from a state held in a
// snapshot, with c snapshots in all (that one included), costs
//   T(l, c) = min_m  m + T(l - m, c - 1) + T(m, c),  T(1, c) = 0,
// advance m steps, keep that state, reverse the tail with one snapshot fewer,
// then restore `start` and reverse the head. With r minimal such that
// beta(c, r) >= l, every m with
//   max(beta(c, r-2), l - beta(c-1, r)) <= m <= min(beta(c, r-1), l - beta(c-1, r-1))
// puts the head in the (r-1)-repetition regime and the tail in the r-repetition
// regime, and then T(l, c) = r*l - beta(c+1, r-1) by Pascal's rule: the optimum.
class BinomialGenerator : public ActionStream::Generator {
 public:
  BinomialGenerator(int n, int c) : n_(n) {
    if (n == 1) {
      tasks_.push_back(Task::emit(Action{ActionKind::FirstReverse, 0, 0, -1}));
      return;
    }
    const int s0 = slots_.take();
    // Stack: pushed in reverse order of execution.
    tasks_.push_back(Task::emit(slot_action(ActionKind::Free, s0, 0)));
    tasks_.push_back(Task::range(0, n, c, s0));
    tasks_.push_back(Task::emit(slot_action(ActionKind::Take, s0, 0)));
  }

  bool next(Action& action) override {
    while (!tasks_.empty()) {
      Task t = tasks_.back();
      tasks_.pop_back();
      if (t.is_action) {
        action = t.action;
        if (action.kind == ActionKind::Reverse && action.step == n_ - 1) action.kind = ActionKind::FirstReverse;
        // A slot becomes reusable once its Free is emitted. Ranges expand lazily, in
        // execution order, so a slot is allocated right before its Take is emitted.
        if (action.kind == ActionKind::Free) slots_.release(action.slot);
        return true;
      }
      expand(t);
    }
    return false;
  }

 private:
  struct Task {
    bool is_action = false;
    Action action;
    int start = 0, end = 0, c = 0, slot = -1;
    static Task emit(const Action& a) {
      Task t;
      t.is_action = true;
      t.action = a;
      return t;
    }
    static Task range(int start, int end, int c, int slot) {
      Task t;
      t.start = start;
      t.end = end;
      t.c = c;
      t.slot = slot;
      return t;
    }
  };

  static int split(int l, int c) {
    int r = 0;
    while (beta(c, r) < l) ++r;
    std::int64_t lo = std::max(beta(c, r - 2), std::int64_t(l) - beta(c - 1, r));
    std::int64_t hi = std::min(beta(c, r - 1), std::int64_t(l) - beta(c - 1, r - 1));
    lo = std::max<std::int64_t>(lo, 1);
    hi = std::min<std::int64_t>(hi, l - 1);
    if (lo > hi) throw Error("binomial schedule: internal error, no optimal split for l=" + std::to_string(l));
    // Every m in [lo, hi] is optimal in advances; the smallest writes the fewest
    // snapshots (e.g. 53 instead of 61 takes for n=100, c=5).
    return static_cast<int>(lo);
  }

  // The current state is `start`, held in `slot`.
  void expand(const Task& t) {
    const int l = t.end - t.start;
    if (l == 1) {
      tasks_.push_back(Task::emit(Action{ActionKind::Reverse, t.start, 0, -1}));
      return;
    }
    const int c = std::min(t.c, l - 1);
    const int m = split(l, c);
    const int mid = t.start + m;
    // Pushed in reverse order: head range, restore start, [free], tail, [take], advance.
    tasks_.push_back(Task::range(t.start, mid, c, t.slot));
    tasks_.push_back(Task::emit(slot_action(ActionKind::Restore, t.slot, t.start)));
    if (t.end - mid == 1) {
      tasks_.push_back(Task::emit(Action{ActionKind::Reverse, mid, 0, -1}));
    } else {
      const int s = slots_.take();
      tasks_.push_back(Task::emit(slot_action(ActionKind::Free, s, mid)));
      tasks_.push_back(Task::range(mid, t.end, c - 1, s));
      tasks_.push_back(Task::emit(slot_action(ActionKind::Take, s, mid)));
    }
    tasks_.push_back(Task::emit(advance(t.start, m)));
  }

  int n_;
  std::vector<Task> tasks_;
  SlotAllocator slots_;
};

// Periodic schedule: segments [j*k, min((j+1)*k, n)). The forward sweep keeps each
// segment start but the last; the last segment is traversed keeping all its states
// and reversed at once. Every other segment, last to first, is recomputed once
// from its start keeping all its states, then reversed.
class PeriodicGenerator : public ActionStream::Generator {
 public:
  PeriodicGenerator(int n, int k) : n_(n), k_(std::min(k, n)) {
    segments_ = (n_ + k_ - 1) / k_;
    forward_phase();
    next_segment_ = segments_ - 2;
  }

  bool next(Action& action) override {
    while (buffer_.empty()) {
      if (next_segment_ < 0) return false;
      reverse_segment(next_segment_--);
    }
    action = buffer_.front();
    buffer_.pop_front();
    return true;
  }

 private:
  int seg_start(int j) const { return j * k_; }
  int seg_end(int j) const { return std::min((j + 1) * k_, n_); }

  // Slot ids by role, so that a slot keeps one role for the whole run (placement
  // on memory or disk is per slot): segment j < J-1 starts in slot j, the states
  // inside a segment use slots J-1, J, ...
  void take(int step) {
    const bool segment_start = step % k_ == 0 && step / k_ + 1 < segments_;
    const int s = segment_start ? step / k_ : segments_ - 1 + inner_slots_.take();
    held_[step] = s;
    buffer_.push_back(slot_action(ActionKind::Take, s, step));
  }
  void restore(int step) { buffer_.push_back(slot_action(ActionKind::Restore, held_.at(step), step)); }
  void release(int step) {
    const int s = held_.at(step);
    held_.erase(step);
    if (s >= segments_ - 1) inner_slots_.release(s - (segments_ - 1));
    buffer_.push_back(slot_action(ActionKind::Free, s, step));
  }
  void reverse(int step) {
    buffer_.push_back(Action{step == n_ - 1 ? ActionKind::FirstReverse : ActionKind::Reverse, step, 0, -1});
  }

  /// Keeps every state of [s, e) but the last while advancing from s to e - 1,
  /// then reverses e-1 .. s. `s` must be current; with `s_held` it is already kept.
  void store_all_segment(int s, int e, bool s_held) {
    for (int i = s; i < e - 1; ++i) {
      if (i > s || !s_held) take(i);
      buffer_.push_back(advance(i, 1));
    }
    reverse(e - 1);
    if (e - 1 == s && s_held) release(s);
    for (int i = e - 2; i >= s; --i) {
      restore(i);
      reverse(i);
      release(i);
    }
  }

  void forward_phase() {
    for (int j = 0; j + 1 < segments_; ++j) {
      take(seg_start(j));
      buffer_.push_back(advance(seg_start(j), seg_end(j) - seg_start(j)));
    }
    store_all_segment(seg_start(segments_ - 1), n_, false);
  }

  void reverse_segment(int j) {
    restore(seg_start(j));
    store_all_segment(seg_start(j), seg_end(j), true);
  }

  int n_, k_;
  int segments_ = 0;
  int next_segment_ = -1;
  std::map<int, int> held_;  // state -> slot
  std::deque<Action> buffer_;
  SlotAllocator inner_slots_;
};

void require(bool ok, const std::string& message) {
  if (!ok) throw Error(message);
}

}  // namespace

CheckpointSchedule CheckpointSchedule::store_all(int n_steps) {
  require(n_steps >= 1, "store_all schedule: needs at least one step, got n = " + std::to_string(n_steps));
  return CheckpointSchedule(ScheduleKind::StoreAll, n_steps, 0);
}

CheckpointSchedule CheckpointSchedule::periodic(int n_steps, int interval) {
  require(n_steps >= 1, "periodic schedule: needs at least one step, got n = " + std::to_string(n_steps));
  require(interval >= 1, "periodic schedule: the interval must be at least 1 step, got " + std::to_string(interval));
  return CheckpointSchedule(ScheduleKind::Periodic, n_steps, interval);
}

CheckpointSchedule CheckpointSchedule::binomial(int n_steps, int snapshots) {
  require(n_steps >= 1, "binomial schedule: needs at least one step, got n = " + std::to_string(n_steps));
  require(snapshots >= 0,
          "binomial schedule: the snapshot count must not be negative, got " + std::to_string(snapshots));
  require(snapshots >= 1 || n_steps == 1, "binomial schedule: reversing " + std::to_string(n_steps) +
                                              " steps needs at least 1 snapshot (the initial state must be restored); "
                                              "0 snapshots only reverse a single step");
  return CheckpointSchedule(ScheduleKind::Binomial, n_steps, snapshots);
}

int CheckpointSchedule::max_snapshots() const {
  const int n = n_steps_;
  switch (kind_) {
    case ScheduleKind::StoreAll:
      return n - 1;
    case ScheduleKind::Binomial:
      return std::min(parameter_, n - 1);
    case ScheduleKind::Periodic: {
      const int k = std::min(parameter_, n);
      const int segments = (n + k - 1) / k;
      const int last = n - (segments - 1) * k;
      return segments - 1 + std::max(last - 1, std::max(k - 2, 0));
    }
  }
  return 0;
}

std::string CheckpointSchedule::describe() const {
  std::ostringstream os;
  os << to_string(kind_) << "(n=" << n_steps_;
  if (kind_ == ScheduleKind::Periodic) os << ", interval=" << parameter_;
  if (kind_ == ScheduleKind::Binomial) os << ", snapshots=" << parameter_;
  os << ")";
  return os.str();
}

ActionStream CheckpointSchedule::actions() const {
  switch (kind_) {
    case ScheduleKind::StoreAll:
      return ActionStream(std::make_unique<PeriodicGenerator>(n_steps_, n_steps_));
    case ScheduleKind::Periodic:
      return ActionStream(std::make_unique<PeriodicGenerator>(n_steps_, parameter_));
    case ScheduleKind::Binomial:
      return ActionStream(std::make_unique<BinomialGenerator>(n_steps_, parameter_));
  }
  throw Error("CheckpointSchedule: unknown kind");
}

std::vector<Action> CheckpointSchedule::all_actions() const {
  std::vector<Action> out;
  ActionStream stream = actions();
  Action a;
  while (stream.next(a)) out.push_back(a);
  return out;
}

ScheduleSummary summarize(const CheckpointSchedule& schedule) {
  ScheduleSummary s;
  const int n = schedule.n_steps();
  const int allowed = schedule.max_snapshots();
  const std::string who = schedule.describe() + ": ";
  std::map<int, int> live;  // slot -> state
  int current = 0;          // state index of the current primal state, -1 if unusable
  int next_reverse = n - 1;
  bool reversing = false;
  ActionStream stream = schedule.actions();
  Action a;
  auto fail = [&](const std::string& what) {
    throw Error(who + "invalid action " + std::to_string(stream.position() - 1) + " (" + to_string(a) + "): " + what);
  };
  auto per_slot = [&](std::vector<std::int64_t>& v) -> std::int64_t& {
    if (static_cast<std::size_t>(a.slot) >= v.size()) v.resize(static_cast<std::size_t>(a.slot) + 1, 0);
    return v[static_cast<std::size_t>(a.slot)];
  };
  while (stream.next(a)) {
    ++s.actions;
    switch (a.kind) {
      case ActionKind::Advance:
        if (a.count < 1) fail("advances no step");
        if (a.step != current) fail("the current state is " + std::to_string(current));
        if (a.step + a.count > n - 1) fail("advances past state n - 1 (the last step is only recorded)");
        current += a.count;
        s.forward_steps += a.count;
        if (!reversing) s.initial_forward_steps += a.count;
        break;
      case ActionKind::Take:
        if (a.slot < 0) fail("negative slot");
        if (live.count(a.slot)) fail("slot is in use");
        if (a.step != current) fail("the current state is " + std::to_string(current));
        live[a.slot] = a.step;
        ++s.takes;
        ++per_slot(s.slot_takes);
        per_slot(s.slot_restores);
        s.slots = std::max(s.slots, a.slot + 1);
        s.peak_live = std::max(s.peak_live, static_cast<int>(live.size()));
        if (s.peak_live > allowed) fail("more than " + std::to_string(allowed) + " snapshots live");
        break;
      case ActionKind::Restore:
        if (!live.count(a.slot)) fail("slot is not in use");
        if (live[a.slot] != a.step) fail("slot holds state " + std::to_string(live[a.slot]));
        current = a.step;
        ++s.restores;
        ++per_slot(s.slot_restores);
        break;
      case ActionKind::Free:
        if (!live.count(a.slot)) fail("slot is not in use");
        if (live[a.slot] != a.step) fail("slot holds state " + std::to_string(live[a.slot]));
        live.erase(a.slot);
        break;
      case ActionKind::FirstReverse:
      case ActionKind::Reverse:
        if ((a.kind == ActionKind::FirstReverse) != (a.step == n - 1)) fail("only step n - 1 is the first reverse");
        if (a.step != next_reverse) fail("expected the reverse of step " + std::to_string(next_reverse));
        if (a.step != current) fail("the current state is " + std::to_string(current));
        reversing = true;
        --next_reverse;
        current = -1;  // the recorded step moved the state to step + 1, which is never needed again
        ++s.reverse_steps;
        break;
    }
  }
  if (next_reverse != -1) throw Error(who + "ends before the reverse of step " + std::to_string(next_reverse));
  if (!live.empty()) throw Error(who + "ends with " + std::to_string(live.size()) + " snapshot(s) not freed");
  s.recomputed_steps = s.forward_steps - s.initial_forward_steps;
  return s;
}

int binomial_repetitions(std::int64_t n, int c) {
  if (n < 1 || c < 1) throw Error("binomial_repetitions: needs n >= 1 and c >= 1");
  int r = 0;
  while (beta(c, r) < n) ++r;
  return r;
}

std::int64_t binomial_forward_steps(std::int64_t n, int c) {
  const int r = binomial_repetitions(n, c);
  return r * n - beta(c + 1, r - 1);
}

}  // namespace undertow
