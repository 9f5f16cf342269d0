// Checkpoint schedules: which primal states to keep, and when to recompute, so
// that a time loop of n steps can be run in reverse with bounded memory.
//
// A schedule is pure logic (no MPI, no fields): a deterministic sequence of
// `Action`s over abstract snapshot slots, which `AdjointLoop` executes against a
// `Stepper` and a snapshot storage. Three families, all in the spirit of Griewank
// & Walther's revolve (TOMS Alg. 799):
// * store-all: keep every state (n - 1 snapshots), no recomputation;
// * periodic(k): keep every k-th state in the forward sweep; reverse one segment
//   at a time by recomputing it once while keeping all its states (the classic
//   two-level scheme: ceil(n/k) - 1 long-lived plus up to k - 1 short-lived slots);
// * binomial(c): revolve with c snapshots. With r the smallest integer such that
//   C(c+r, c) >= n, it advances exactly t(n, c) = r*n - C(c+r, c+1) steps (initial
//   sweep included), the proven minimum. As in revolve, a reverse step is the
//   pair step_record(k) + step_adjoint(k); its recording step is part of the
//   reverse sweep and not among those t(n, c) advances (t(1, c) = 0).
// Actions are generated lazily (memory O(depth), not O(n)); `summarize` walks a
// schedule once, checks that it is valid and counts what it costs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace undertow {

enum class ActionKind {
  Advance,       ///< `count` plain steps from state `step` (Stepper::step)
  Take,          ///< copy the current state (at `step`) into `slot`
  Restore,       ///< make the state held in `slot` (at `step`) current
  Free,          ///< `slot` (holding `step`) is no longer needed
  FirstReverse,  ///< step_record(step), begin_adjoint(n), step_adjoint(step); step = n - 1
  Reverse        ///< step_record(step), step_adjoint(step)
};

const char* to_string(ActionKind kind);

struct Action {
  ActionKind kind = ActionKind::Advance;
  int step = 0;   ///< Advance: first step; slot actions: state index held; reverses: step reversed
  int count = 0;  ///< Advance only: number of steps
  int slot = -1;  ///< Take, Restore, Free only

  bool is_reverse() const { return kind == ActionKind::FirstReverse || kind == ActionKind::Reverse; }
};

bool operator==(const Action& a, const Action& b);
std::string to_string(const Action& action);

/// A single pass over a schedule's actions, generated on demand.
class ActionStream {
 public:
  class Generator {
   public:
    virtual ~Generator() = default;
    virtual bool next(Action& action) = 0;
  };

  explicit ActionStream(std::unique_ptr<Generator> generator);
  ActionStream(ActionStream&&) noexcept;
  ActionStream& operator=(ActionStream&&) noexcept;
  ~ActionStream();

  /// Writes the next action and returns true, or returns false at the end.
  bool next(Action& action);
  /// Index of the next action (actions returned so far).
  std::int64_t position() const { return position_; }

 private:
  std::unique_ptr<Generator> generator_;
  std::int64_t position_ = 0;
};

enum class ScheduleKind { StoreAll, Periodic, Binomial };

const char* to_string(ScheduleKind kind);

class CheckpointSchedule {
 public:
  /// Every state kept: n - 1 snapshots, n - 1 advances. n >= 1.
  static CheckpointSchedule store_all(int n_steps);
  /// A snapshot every `interval` steps (interval >= 1; interval >= n is store-all).
  static CheckpointSchedule periodic(int n_steps, int interval);
  /// Revolve with at most `snapshots` live snapshots. snapshots >= 1, or 0 for
  /// n = 1; snapshots >= n behaves like store-all (n - 1 are used).
  static CheckpointSchedule binomial(int n_steps, int snapshots);

  ScheduleKind kind() const { return kind_; }
  int n_steps() const { return n_steps_; }
  /// Interval (periodic), snapshots (binomial), 0 (store-all).
  int parameter() const { return parameter_; }
  /// The most snapshots the schedule ever holds at once (what storage must provide):
  /// store-all n - 1; binomial min(c, n - 1); periodic ceil(n/k) - 1 + max(L - 1, k - 2)
  /// with L the length of the last segment.
  int max_snapshots() const;
  /// E.g. "binomial(n=100, snapshots=5)".
  std::string describe() const;

  /// A fresh pass over the actions, from the first.
  ActionStream actions() const;
  /// All actions at once (for tests and small n).
  std::vector<Action> all_actions() const;

 private:
  CheckpointSchedule(ScheduleKind kind, int n_steps, int parameter)
      : kind_(kind), n_steps_(n_steps), parameter_(parameter) {}
  ScheduleKind kind_;
  int n_steps_;
  int parameter_;
};

/// What a schedule costs, counted by walking it (see `summarize`).
struct ScheduleSummary {
  std::int64_t actions = 0;
  std::int64_t forward_steps = 0;          ///< Stepper::step calls (Advance counts), initial sweep included
  std::int64_t initial_forward_steps = 0;  ///< of those, before the first reverse (n - 1)
  std::int64_t recomputed_steps = 0;       ///< forward_steps - initial_forward_steps
  std::int64_t reverse_steps = 0;          ///< = n; each is one step_record + one step_adjoint
  std::int64_t takes = 0;
  std::int64_t restores = 0;
  int slots = 0;                            ///< slot ids used are 0 .. slots - 1
  int peak_live = 0;                        ///< most snapshots held at once
  std::vector<std::int64_t> slot_takes;     ///< per slot id
  std::vector<std::int64_t> slot_restores;  ///< per slot id
};

/// Walks the schedule once and checks it: every Advance starts from the current
/// state, every Restore reads a live slot holding that state, every Take writes a
/// free slot, reverses come in order n-1, ..., 0 each from the state it reverses,
/// every slot is freed, and no more snapshots are live than the schedule allows.
/// Throws Error naming the first violation. Pure; O(actions) time.
ScheduleSummary summarize(const CheckpointSchedule& schedule);

/// The revolve bound: r, the smallest integer with C(c+r, c) >= n (n >= 1, c >= 1).
int binomial_repetitions(std::int64_t n, int c);
/// The revolve bound t(n, c) = r*n - C(c+r, c+1): the minimal number of advances
/// (initial sweep included) to reverse n steps with c snapshots (c >= 1).
std::int64_t binomial_forward_steps(std::int64_t n, int c);

}  // namespace undertow
