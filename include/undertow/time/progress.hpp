// ProgressMeter: rank-0 progress lines for long time loops.
//
// A meter knows the total work of a run up front (forward steps and reverse
// steps, e.g. from a checkpoint schedule's summary) and is told after every step
// which phase it was in (forward sweep, recomputation, reverse). At most once per
// `interval_seconds` it prints one line on rank 0: the phase, the step, the work
// done, the rate over the last interval (step evaluations per second, a reverse
// step counting as one) and the estimated time left, from the mean measured cost
// of a forward and of a reverse step so far. It is off unless an interval > 0 is
// given; it makes no MPI calls besides the rank query at construction, so it may
// be updated from any code path.
#pragma once

#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace undertow {

enum class LoopPhase { Forward, Recompute, Reverse };

const char* to_string(LoopPhase phase);

class ProgressMeter {
 public:
  using Sink = std::function<void(const std::string&)>;

  /// interval_seconds <= 0: silent. The sink receives each line on rank 0 only
  /// (default: print to stdout via root_print).
  ProgressMeter(MPI_Comm comm, double interval_seconds, Sink sink = {});

  bool enabled() const { return interval_ > 0 && rank_ == 0; }
  /// Total work of the run; `done_*` is work already done before this process
  /// started (a resumed run).
  void set_totals(std::int64_t total_forward, std::int64_t total_reverse, std::int64_t done_forward = 0,
                  std::int64_t done_reverse = 0);
  /// One step of `phase` (at time-step index `step`) has just finished.
  void step_done(LoopPhase phase, int step);
  /// Prints a line now, regardless of the interval (e.g. at the end of a run).
  void print_now(const std::string& label);

  /// Estimated seconds left (negative while nothing has been measured).
  double eta_seconds() const;

 private:
  using Clock = std::chrono::steady_clock;
  std::string line(const std::string& label) const;

  int rank_ = 0;
  double interval_ = 0;
  Sink sink_;
  MPI_Comm comm_;
  std::int64_t total_forward_ = 0, total_reverse_ = 0;
  std::int64_t done_forward_ = 0, done_reverse_ = 0;
  std::int64_t measured_forward_ = 0, measured_reverse_ = 0;
  double seconds_forward_ = 0, seconds_reverse_ = 0;
  LoopPhase phase_ = LoopPhase::Forward;
  int step_ = 0;
  Clock::time_point start_, last_step_, last_print_;
  std::int64_t done_at_last_print_ = 0;
  double rate_ = 0;
};

}  // namespace undertow
