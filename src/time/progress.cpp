#include "undertow/time/progress.hpp"

#include <cmath>
#include <cstdio>

#include "undertow/core/log.hpp"

namespace undertow {

const char* to_string(LoopPhase phase) {
  switch (phase) {
    case LoopPhase::Forward:
      return "forward";
    case LoopPhase::Recompute:
      return "recompute";
    case LoopPhase::Reverse:
      return "reverse";
  }
  return "?";
}

namespace {

std::string clock_text(double seconds) {
  if (!(seconds >= 0)) return "?";
  const auto s = static_cast<long long>(std::llround(seconds));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
  return buf;
}

}  // namespace

ProgressMeter::ProgressMeter(MPI_Comm comm, double interval_seconds, Sink sink)
    : interval_(interval_seconds), sink_(std::move(sink)), comm_(comm) {
  MPI_Comm_rank(comm, &rank_);
  start_ = last_step_ = last_print_ = Clock::now();
}

void ProgressMeter::set_totals(std::int64_t total_forward, std::int64_t total_reverse, std::int64_t done_forward,
                               std::int64_t done_reverse) {
  total_forward_ = total_forward;
  total_reverse_ = total_reverse;
  done_forward_ = done_forward;
  done_reverse_ = done_reverse;
  done_at_last_print_ = done_forward + done_reverse;
  start_ = last_step_ = last_print_ = Clock::now();
}

void ProgressMeter::step_done(LoopPhase phase, int step) {
  if (!enabled()) return;
  const Clock::time_point now = Clock::now();
  const double dt = std::chrono::duration<double>(now - last_step_).count();
  last_step_ = now;
  phase_ = phase;
  step_ = step;
  // Snapshot I/O between steps is charged to the step that follows it: the
  // estimate is of whole-loop cost per step, not of the model alone.
  if (phase == LoopPhase::Reverse) {
    ++done_reverse_;
    ++measured_reverse_;
    seconds_reverse_ += dt;
  } else {
    ++done_forward_;
    ++measured_forward_;
    seconds_forward_ += dt;
  }
  const double since_print = std::chrono::duration<double>(now - last_print_).count();
  if (since_print < interval_) return;
  const std::int64_t done = done_forward_ + done_reverse_;
  rate_ = static_cast<double>(done - done_at_last_print_) / since_print;
  done_at_last_print_ = done;
  last_print_ = now;
  const std::string text = line("progress");
  if (sink_) {
    sink_(text);
  } else {
    root_print(comm_, text);
  }
}

void ProgressMeter::print_now(const std::string& label) {
  if (!enabled()) return;
  // The mean rate of the steps this process ran: a run shorter than one interval
  // has no interval rate, and a summary line wants the whole run's anyway.
  const double seconds = seconds_forward_ + seconds_reverse_;
  if (seconds > 0) rate_ = static_cast<double>(measured_forward_ + measured_reverse_) / seconds;
  const std::string text = line(label);
  if (sink_) {
    sink_(text);
  } else {
    root_print(comm_, text);
  }
}

double ProgressMeter::eta_seconds() const {
  if (measured_forward_ == 0 && measured_reverse_ == 0) return -1;
  const double per_forward = measured_forward_ > 0 ? seconds_forward_ / static_cast<double>(measured_forward_) : -1;
  // Before the first reverse step, guess one reverse = record + adjoint = 3 forward steps.
  const double per_reverse =
      measured_reverse_ > 0 ? seconds_reverse_ / static_cast<double>(measured_reverse_) : 3.0 * per_forward;
  const double f = per_forward >= 0 ? per_forward : per_reverse / 3.0;
  return static_cast<double>(total_forward_ - done_forward_) * f +
         static_cast<double>(total_reverse_ - done_reverse_) * per_reverse;
}

std::string ProgressMeter::line(const std::string& label) const {
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "[undertow %s] %-9s step %d | forward %lld/%lld reverse %lld/%lld | %.1f steps/s | elapsed %s | "
                "left %s",
                label.c_str(), to_string(phase_), step_, static_cast<long long>(done_forward_),
                static_cast<long long>(total_forward_), static_cast<long long>(done_reverse_),
                static_cast<long long>(total_reverse_), rate_, clock_text(elapsed).c_str(),
                clock_text(eta_seconds()).c_str());
  return buf;
}

}  // namespace undertow
