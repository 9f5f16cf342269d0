// Checkpoint schedules, simulated without a PDE: validity of every schedule and
// the exact revolve step counts.
#include <map>
#include <random>

#include "test_util.hpp"
#include "undertow/time/schedule.hpp"

using namespace undertow;

namespace {

/// What an independent simulation of a schedule observed.
struct Simulated {
  std::int64_t advances = 0;
  std::int64_t records = 0;
  std::int64_t takes = 0;
  int peak_live = 0;
  std::string error;  // empty if valid
};

/// Replays the actions on a model where a "state" is just its step index: checks
/// every rule a time loop relies on, independently of undertow::summarize.
Simulated simulate(const CheckpointSchedule& schedule) {
  Simulated out;
  const int n = schedule.n_steps();
  std::map<int, int> slot_state;
  int current = 0;
  int expected_reverse = n - 1;
  std::int64_t index = 0;
  for (const Action& a : schedule.all_actions()) {
    const std::string where = "action " + std::to_string(index++) + " " + to_string(a) + ": ";
    switch (a.kind) {
      case ActionKind::Advance:
        if (current != a.step) return out.error = where + "advance from wrong state", out;
        for (int i = 0; i < a.count; ++i) ++current, ++out.advances;
        if (current >= n) return out.error = where + "advanced to state n", out;
        break;
      case ActionKind::Take:
        if (slot_state.count(a.slot) || current != a.step || a.slot < 0) return out.error = where + "bad take", out;
        slot_state[a.slot] = current;
        ++out.takes;
        out.peak_live = std::max(out.peak_live, static_cast<int>(slot_state.size()));
        break;
      case ActionKind::Restore:
        if (!slot_state.count(a.slot) || slot_state[a.slot] != a.step) return out.error = where + "bad restore", out;
        current = slot_state[a.slot];
        break;
      case ActionKind::Free:
        if (!slot_state.count(a.slot) || slot_state[a.slot] != a.step) return out.error = where + "bad free", out;
        slot_state.erase(a.slot);
        break;
      case ActionKind::FirstReverse:
      case ActionKind::Reverse: {
        const bool first = a.kind == ActionKind::FirstReverse;
        if (first != (expected_reverse == n - 1)) return out.error = where + "first reverse misplaced", out;
        if (a.step != expected_reverse) return out.error = where + "reverse out of order", out;
        if (current != a.step) return out.error = where + "record from the wrong state", out;
        ++out.records;  // step_record(a.step): state a.step -> a.step + 1
        current = a.step + 1;
        --expected_reverse;  // step_adjoint(a.step) right after its record
        break;
      }
    }
  }
  if (expected_reverse != -1) out.error = "missing reverse of step " + std::to_string(expected_reverse);
  if (!slot_state.empty()) out.error = "snapshots not freed";
  return out;
}

void check_binomial(int n, int c) {
  INFO("binomial n=" << n << " c=" << c);
  const CheckpointSchedule s = CheckpointSchedule::binomial(n, c);
  const Simulated sim = simulate(s);
  REQUIRE(sim.error == "");
  CHECK(sim.advances == binomial_forward_steps(n, c));
  CHECK(sim.records == n);
  CHECK(sim.peak_live <= c);
  CHECK(sim.peak_live <= s.max_snapshots());
  const ScheduleSummary sum = summarize(s);
  CHECK(sum.forward_steps == sim.advances);
  CHECK(sum.reverse_steps == n);
  CHECK(sum.initial_forward_steps == n - 1);
  CHECK(sum.peak_live == sim.peak_live);
  CHECK(sum.takes == sim.takes);
}

}  // namespace

TEST_CASE("revolve reaches the published step counts", "[time][schedule]") {
  CHECK(binomial_forward_steps(100, 5) == 316);
  CHECK(binomial_forward_steps(1000, 10) == 3636);
  CHECK(binomial_forward_steps(1000, 20) == 2747);
  CHECK(binomial_forward_steps(10000, 10) == 57624);
  CHECK(binomial_forward_steps(10000, 50) == 28622);
  // The counts below come out of walking the real schedules.
  const std::vector<std::array<int, 3>> cases = {
      {100, 5, 316}, {1000, 10, 3636}, {1000, 20, 2747}, {10000, 10, 57624}, {10000, 50, 28622}};
  for (const auto& c : cases) {
    INFO("n=" << c[0] << " c=" << c[1]);
    const Simulated sim = simulate(CheckpointSchedule::binomial(c[0], c[1]));
    REQUIRE(sim.error == "");
    CHECK(sim.advances == c[2]);
    CHECK(sim.records == c[0]);
    CHECK(sim.peak_live <= c[1]);
  }
}

TEST_CASE("revolve is optimal and valid over a sweep of (n, c)", "[time][schedule]") {
  // Pure logic: the cases are shared out over the ranks.
  const int rank = undertow_test::world_rank(), size = undertow_test::world_size();
  int index = 0;
  for (int n = 1; n <= 90; ++n)
    for (int c = 1; c <= 10; ++c)
      if (index++ % size == rank) check_binomial(n, c);
  std::mt19937 gen(42);
  std::uniform_int_distribution<int> nd(121, 3000), cd(1, 40);
  for (int i = 0; i < 24; ++i) {
    const int n = nd(gen), c = cd(gen);
    if (i % size == rank) check_binomial(n, c);
  }
  // c >= n - 1 is store-all: no recomputation.
  for (int n : {1, 2, 7, 50}) {
    for (int c : {n - 1, n, n + 5}) {
      if (c < 1) continue;
      const ScheduleSummary sum = summarize(CheckpointSchedule::binomial(n, c));
      CHECK(sum.forward_steps == n - 1);
      CHECK(sum.peak_live == n - 1);
    }
  }
  // One snapshot: every state recomputed from the start, n(n-1)/2 advances.
  CHECK(summarize(CheckpointSchedule::binomial(40, 1)).forward_steps == 40 * 39 / 2);
}

TEST_CASE("schedule edge cases fail clearly", "[time][schedule]") {
  CHECK_THROWS_WITH(CheckpointSchedule::binomial(10, 0), Catch::Contains("needs at least 1 snapshot"));
  CHECK_THROWS_WITH(CheckpointSchedule::binomial(10, -1), Catch::Contains("must not be negative"));
  CHECK_THROWS_WITH(CheckpointSchedule::binomial(0, 3), Catch::Contains("at least one step"));
  CHECK_THROWS_WITH(CheckpointSchedule::periodic(10, 0), Catch::Contains("interval must be at least 1"));
  CHECK_THROWS_WITH(CheckpointSchedule::store_all(-2), Catch::Contains("at least one step"));
  // A single step needs no snapshot at all.
  const auto one = CheckpointSchedule::binomial(1, 0).all_actions();
  REQUIRE(one.size() == 1);
  CHECK(one[0].kind == ActionKind::FirstReverse);
  CHECK(summarize(CheckpointSchedule::store_all(1)).takes == 0);
}

TEST_CASE("store-all and periodic schedules are valid and cost what they should", "[time][schedule]") {
  const int rank = undertow_test::world_rank(), size = undertow_test::world_size();
  for (int n = 1; n <= 40; ++n) {
    if (n % size != rank) continue;
    const Simulated all = simulate(CheckpointSchedule::store_all(n));
    INFO("n=" << n);
    REQUIRE(all.error == "");
    CHECK(all.advances == n - 1);
    CHECK(all.peak_live == n - 1);
    for (int k = 1; k <= n + 1; ++k) {
      INFO("periodic k=" << k);
      const CheckpointSchedule p = CheckpointSchedule::periodic(n, k);
      const Simulated sim = simulate(p);
      REQUIRE(sim.error == "");
      // Each segment but the last is recomputed once: (length - 1) advances each.
      const int kk = std::min(k, n);
      const int segments = (n + kk - 1) / kk;
      CHECK(sim.advances == (n - 1) + (segments - 1) * (kk - 1));
      CHECK(sim.peak_live == p.max_snapshots());
      CHECK(summarize(p).forward_steps == sim.advances);
    }
  }
}
