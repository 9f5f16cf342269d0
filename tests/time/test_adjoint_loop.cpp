// AdjointLoop on a toy nonlinear diffusion model: the gradient is bitwise the
// same for every schedule and storage, matches finite differences, survives an
// interrupted reverse sweep, and the statistics agree with the schedules.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "test_util.hpp"
#include "time/toy_stepper.hpp"
#include "undertow/time/adjoint_loop.hpp"

using namespace undertow;
using undertow_test::ToyStepper;

namespace {

constexpr int kSteps = 24;

/// A fresh (emptied) scratch directory for this rank count and thread count.
std::string output_dir(const std::string& name) {
  const char* base = std::getenv("UNDERTOW_TEST_OUTPUT_DIR");
  const char* threads = std::getenv("OMP_NUM_THREADS");
  const std::string dir =
      (std::filesystem::path(base ? base : ".") /
       ("time_np" + std::to_string(undertow_test::world_size()) + "_t" + (threads ? threads : "x") + "_" + name))
          .string();
  if (undertow_test::world_rank() == 0) std::filesystem::remove_all(dir);
  MPI_Barrier(MPI_COMM_WORLD);
  return dir;
}

struct Result {
  std::vector<double> gradient;  // gathered dJ/du_0
  double a_bar = 0;
  double objective = 0;
  AdjointLoopStats stats;
  ScheduleSummary summary;
};

Result run_case(const CheckpointSchedule& schedule, AdjointLoopOptions options = {}) {
  auto dec = Decomposition::create(ToyStepper::grid(), MPI_COMM_WORLD);
  ToyStepper toy(dec);
  toy.set_initial();
  AdjointLoop loop(toy, schedule, options);
  loop.run();
  Result r;
  r.gradient = gather_global(toy.gradient());
  r.a_bar = toy.a_bar();
  r.objective = toy.objective_value();
  r.stats = loop.stats();
  r.summary = loop.schedule_summary();
  CHECK(toy.records() == kSteps);
  return r;
}

bool bitwise_equal(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

void check_same(const Result& ref, const Result& r) {
  CHECK(bitwise_equal(ref.gradient, r.gradient));
  CHECK(std::memcmp(&ref.a_bar, &r.a_bar, sizeof(double)) == 0);
  CHECK(std::memcmp(&ref.objective, &r.objective, sizeof(double)) == 0);
}

/// Disk traffic must be exactly that of the slots placed on disk.
void check_disk_traffic(const Result& r, const std::vector<SnapshotMedium>& placement) {
  std::int64_t disk_takes = 0, disk_restores = 0;
  for (std::size_t i = 0; i < placement.size(); ++i) {
    if (placement[i] == SnapshotMedium::Disk) {
      disk_takes += r.summary.slot_takes[i];
      disk_restores += r.summary.slot_restores[i];
    }
  }
  CHECK(r.stats.snapshots_written_to_disk == disk_takes);
  CHECK(r.stats.snapshots_read_from_disk == disk_restores);
}

void check_stats(const Result& r) {
  CHECK(r.stats.forward_steps == r.summary.forward_steps);
  CHECK(r.stats.initial_forward_steps == kSteps - 1);
  CHECK(r.stats.recomputed_steps == r.summary.recomputed_steps);
  CHECK(r.stats.recorded_steps == kSteps);
  CHECK(r.stats.adjoint_steps == kSteps);
  CHECK(r.stats.snapshots_written == r.summary.takes);
  CHECK(r.stats.snapshots_read == r.summary.restores);
  CHECK(r.stats.peak_live_snapshots == r.summary.peak_live);
}

}  // namespace

TEST_CASE("the toy adjoint matches finite differences", "[time][loop]") {
  auto dec = Decomposition::create(ToyStepper::grid(), MPI_COMM_WORLD);
  ToyStepper toy(dec);
  toy.set_initial();
  AdjointLoop loop(toy, CheckpointSchedule::store_all(kSteps));
  loop.run();
  // <dJ/du_0, v> against a central difference along v.
  Field<double> v = toy.u().clone_layout("v");
  set_by_global_index<double>(
      v, [](int, std::int64_t i, std::int64_t j, std::int64_t) { return ToyStepper::direction(i, j); });
  const double adjoint = dot(toy.gradient(), v);
  const double a_bar = toy.a_bar();
  const double h = 1e-5;
  toy.set_initial(h);
  const double jp = toy.objective(kSteps);
  toy.set_initial(-h);
  const double jm = toy.objective(kSteps);
  const double fd = (jp - jm) / (2 * h);
  INFO("adjoint " << adjoint << " finite difference " << fd);
  CHECK(std::abs(adjoint - fd) <= 1e-6 * std::abs(fd));
  // dJ/da likewise.
  toy.set_initial();
  toy.set_a(0.8 + h);
  const double ap = toy.objective(kSteps);
  toy.set_initial();
  toy.set_a(0.8 - h);
  const double am = toy.objective(kSteps);
  const double fda = (ap - am) / (2 * h);
  INFO("dJ/da adjoint " << a_bar << " finite difference " << fda);
  CHECK(std::abs(a_bar - fda) <= 1e-6 * std::abs(fda));
}

TEST_CASE("every schedule and storage gives the bitwise same gradient", "[time][loop]") {
  const Result ref = run_case(CheckpointSchedule::store_all(kSteps));
  check_stats(ref);
  CHECK(ref.stats.recomputed_steps == 0);

  SECTION("memory snapshots, every schedule") {
    std::vector<CheckpointSchedule> schedules = {
        CheckpointSchedule::periodic(kSteps, 1), CheckpointSchedule::periodic(kSteps, 5),
        CheckpointSchedule::periodic(kSteps, 7), CheckpointSchedule::binomial(kSteps, 1),
        CheckpointSchedule::binomial(kSteps, 2), CheckpointSchedule::binomial(kSteps, 3),
        CheckpointSchedule::binomial(kSteps, 5), CheckpointSchedule::binomial(kSteps, 40)};
    for (const CheckpointSchedule& s : schedules) {
      INFO(s.describe());
      const Result r = run_case(s);
      check_same(ref, r);
      check_stats(r);
      if (s.kind() == ScheduleKind::Binomial) {
        CHECK(r.stats.forward_steps == binomial_forward_steps(kSteps, s.parameter()));
        CHECK(r.stats.peak_live_snapshots <= s.parameter());
      }
      CHECK(r.stats.snapshots_written_to_disk == 0);
    }
  }

  SECTION("disk snapshots") {
    AdjointLoopOptions o;
    o.storage = SnapshotStorage::Disk;
    o.directory = output_dir("disk");
    for (const CheckpointSchedule& s :
         {CheckpointSchedule::binomial(kSteps, 3), CheckpointSchedule::periodic(kSteps, 6)}) {
      INFO(s.describe());
      const Result r = run_case(s, o);
      check_same(ref, r);
      check_stats(r);
      CHECK(r.stats.snapshots_written_to_disk == r.summary.takes);
      CHECK(r.stats.snapshots_read_from_disk == r.summary.restores);
      CHECK(r.stats.peak_memory_snapshots == 0);
      CHECK(r.stats.disk_bytes_written == r.summary.takes * r.stats.snapshot_bytes);
      // The loop leaves no file of its own behind.
      CHECK(std::filesystem::is_empty(o.directory));
    }
  }

  SECTION("memory-then-disk snapshots") {
    AdjointLoopOptions o;
    o.storage = SnapshotStorage::MemoryThenDisk;
    o.directory = output_dir("memdisk");
    for (int memory : {0, 2, 3}) {
      o.memory_snapshots = memory;
      const CheckpointSchedule s = CheckpointSchedule::binomial(kSteps, 4);
      INFO(s.describe() << " memory " << memory);
      const Result r = run_case(s, o);
      check_same(ref, r);
      check_stats(r);
      CHECK(r.stats.peak_memory_snapshots <= memory);
      // The slots placed on disk carry the least traffic; their takes went to disk.
      check_disk_traffic(r, place_snapshots(r.summary, SnapshotStorage::MemoryThenDisk, memory));
      if (memory > 0) CHECK(r.stats.snapshots_written_to_disk < r.summary.takes);
    }
    // Periodic: the long-lived segment starts go to disk, the segment's states stay in memory.
    // Slots 0-2 hold the starts of segments 0-2 (written once, read twice); the
    // other slots are rewritten for every segment.
    o.memory_snapshots = 4;
    const Result r = run_case(CheckpointSchedule::periodic(kSteps, 6), o);
    check_same(ref, r);
    check_stats(r);
    const auto placement = place_snapshots(r.summary, SnapshotStorage::MemoryThenDisk, 4);
    check_disk_traffic(r, placement);
    for (int s = 0; s < 3; ++s) CHECK(placement[static_cast<std::size_t>(s)] == SnapshotMedium::Disk);
    CHECK(r.stats.peak_memory_snapshots <= 4);
  }
}

TEST_CASE("placement puts the least-used slots on disk", "[time][loop]") {
  const ScheduleSummary s = summarize(CheckpointSchedule::binomial(100, 5));
  const auto p = place_snapshots(s, SnapshotStorage::MemoryThenDisk, 2);
  REQUIRE(p.size() == 5);
  // Slot 0 holds the initial state for the whole run and is written once.
  CHECK(p[0] == SnapshotMedium::Disk);
  int on_disk = 0;
  for (auto m : p) on_disk += m == SnapshotMedium::Disk;
  CHECK(on_disk == 3);
  std::int64_t worst_disk = 0, best_memory = INT64_MAX;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const std::int64_t traffic = s.slot_takes[i] + s.slot_restores[i];
    if (p[i] == SnapshotMedium::Disk) worst_disk = std::max(worst_disk, traffic);
    if (p[i] == SnapshotMedium::Memory) best_memory = std::min(best_memory, traffic);
  }
  CHECK(worst_disk <= best_memory);
  CHECK_THROWS_AS(place_snapshots(s, SnapshotStorage::MemoryThenDisk, -1), Error);
}

TEST_CASE("an interrupted reverse sweep resumes to the bitwise same gradient", "[time][loop][restart]") {
  const Result ref = run_case(CheckpointSchedule::store_all(kSteps));
  struct Crash {};
  for (SnapshotStorage storage : {SnapshotStorage::Disk, SnapshotStorage::MemoryThenDisk}) {
    INFO(to_string(storage));
    AdjointLoopOptions o;
    o.storage = storage;
    o.memory_snapshots = 2;
    o.directory = output_dir(std::string("restart_") + to_string(storage));
    o.restart_interval = 3;
    const CheckpointSchedule schedule = CheckpointSchedule::binomial(kSteps, 4);
    {
      auto dec = Decomposition::create(ToyStepper::grid(), MPI_COMM_WORLD);
      ToyStepper toy(dec);
      toy.set_initial();
      AdjointLoopOptions crashing = o;
      crashing.after_reverse_step = [](int step) {
        if (step == 9) throw Crash{};  // the same step on every rank: no collective is left hanging
      };
      AdjointLoop loop(toy, schedule, crashing);
      CHECK_THROWS_AS(loop.run(), Crash);
      CHECK(loop.stats().restart_points >= 2);
      if (storage == SnapshotStorage::MemoryThenDisk) CHECK(loop.stats().spilled_snapshots > 0);
    }
    CHECK(AdjointLoop::restart_available(o.directory, MPI_COMM_WORLD));
    if (storage == SnapshotStorage::MemoryThenDisk && undertow_test::world_rank() == 0) {
      // The restart point includes memory snapshots, written out for it.
      std::ifstream in(std::filesystem::path(o.directory) / "restart.txt");
      const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      INFO(text);
      CHECK(text.find(" memory snapshot_") != std::string::npos);
    }
    // A fresh process state: new model, zero adjoint, wrong initial state.
    auto dec = Decomposition::create(ToyStepper::grid(), MPI_COMM_WORLD);
    ToyStepper toy(dec);
    toy.set_initial(0.5);
    AdjointLoop loop(toy, schedule, o);
    loop.resume();
    CHECK(loop.stats().resumed);
    CHECK(loop.stats().resumed_at_action > 0);
    CHECK(loop.stats().initial_forward_steps == 0);
    CHECK(loop.stats().adjoint_steps < kSteps);
    CHECK(bitwise_equal(ref.gradient, gather_global(toy.gradient())));
    const double a_bar = toy.a_bar();
    CHECK(std::memcmp(&ref.a_bar, &a_bar, sizeof(double)) == 0);
    CHECK_FALSE(AdjointLoop::restart_available(o.directory, MPI_COMM_WORLD));
  }
}

namespace {

struct CrashAtStep9 {};

/// Runs the toy loop with `o` until it crashes after reverse step 9 (on every
/// rank), leaving a restart point in o.directory.
void crash_leaving_restart(const CheckpointSchedule& schedule, AdjointLoopOptions o) {
  auto dec = Decomposition::create(ToyStepper::grid(), MPI_COMM_WORLD);
  ToyStepper toy(dec);
  toy.set_initial();
  o.after_reverse_step = [](int step) {
    if (step == 9) throw CrashAtStep9{};
  };
  AdjointLoop loop(toy, schedule, o);
  REQUIRE_THROWS_AS(loop.run(), CrashAtStep9);
}

/// "name size" of every file in `directory`, sorted (read on rank 0, empty elsewhere).
std::vector<std::string> listing(const std::string& directory) {
  std::vector<std::string> out;
  if (undertow_test::world_rank() != 0) return out;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    out.push_back(entry.path().filename().string() + " " + std::to_string(entry.file_size()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// Rank 0 replaces the contents of `path`; every rank returns after it is written.
void overwrite(const std::string& path, const std::string& text) {
  undertow_test::on_root([&] {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    REQUIRE(out.good());
  });
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// The Error message of `f` on this rank ("" if it did not throw).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a damaged restart point is an error naming the file, and nothing is deleted", "[time][loop][restart]") {
  AdjointLoopOptions o;
  o.storage = SnapshotStorage::Disk;
  o.directory = output_dir("damaged_restart");
  o.restart_interval = 3;
  const CheckpointSchedule schedule = CheckpointSchedule::binomial(kSteps, 4);
  crash_leaving_restart(schedule, o);
  const std::string manifest = (std::filesystem::path(o.directory) / "restart.txt").string();
  const std::string good = read_all(manifest);  // rank 0's copy is the one that matters
  REQUIRE(AdjointLoop::restart_available(o.directory, MPI_COMM_WORLD));

  auto dec = Decomposition::create(ToyStepper::grid(), MPI_COMM_WORLD);
  ToyStepper toy(dec);
  toy.set_initial();

  const std::pair<const char*, std::string> damages[] = {
      {"truncated", good.substr(0, good.size() / 2)},
      {"cut before 'end'", good.substr(0, good.rfind("end"))},
      {"not a manifest", std::string("\xff\xfe garbage\n", 11)},
      {"empty", ""},
  };
  for (const auto& damage : damages) {
    INFO("manifest " << damage.first);
    overwrite(manifest, damage.second);
    const std::vector<std::string> before = listing(o.directory);
    const std::string available = error_of([&] { AdjointLoop::restart_available(o.directory, MPI_COMM_WORLD); });
    INFO(available);
    CHECK(available.find("damaged restart point") != std::string::npos);
    CHECK(available.find(manifest) != std::string::npos);
    CHECK(available.find("Nothing was deleted") != std::string::npos);
    AdjointLoop loop(toy, schedule, o);
    const std::string resumed = error_of([&] { loop.resume(); });
    INFO(resumed);
    CHECK(resumed.find(manifest) != std::string::npos);
    CHECK(listing(o.directory) == before);
  }

  // A manifest of another schedule: resume refuses it, nothing is deleted.
  overwrite(manifest, good);
  {
    const std::vector<std::string> before = listing(o.directory);
    AdjointLoop other(toy, CheckpointSchedule::binomial(kSteps, 3), o);
    const std::string resumed = error_of([&] { other.resume(); });
    INFO(resumed);
    CHECK(resumed.find("was written for schedule") != std::string::npos);
    CHECK(listing(o.directory) == before);
  }

  // A truncated snapshot file: resume stops with an error naming it, and leaves it.
  std::string snapshot;
  if (undertow_test::world_rank() == 0) {
    for (const auto& entry : std::filesystem::directory_iterator(o.directory)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("snapshot_", 0) == 0 && good.find(name) != std::string::npos) snapshot = entry.path().string();
    }
  }
  int length = static_cast<int>(snapshot.size());
  MPI_Bcast(&length, 1, MPI_INT, 0, MPI_COMM_WORLD);
  snapshot.resize(static_cast<std::size_t>(length));
  MPI_Bcast(&snapshot[0], length, MPI_CHAR, 0, MPI_COMM_WORLD);
  REQUIRE_FALSE(snapshot.empty());
  overwrite(snapshot, read_all(snapshot).substr(0, 200));
  {
    AdjointLoop loop(toy, schedule, o);
    const std::string resumed = error_of([&] { loop.resume(); });
    INFO(resumed);
    CHECK(resumed.find(std::filesystem::path(snapshot).filename().string()) != std::string::npos);
  }
  CHECK(undertow_test::all_ranks(std::filesystem::exists(snapshot)));
  CHECK(undertow_test::all_ranks(std::filesystem::exists(manifest)));
}

TEST_CASE("adjoint loop errors are clear and collective", "[time][loop]") {
  auto dec = Decomposition::create(ToyStepper::grid(), MPI_COMM_WORLD);
  ToyStepper toy(dec);
  toy.set_initial();
  AdjointLoopOptions o;
  o.storage = SnapshotStorage::Disk;
  CHECK_THROWS_WITH(AdjointLoop(toy, CheckpointSchedule::binomial(kSteps, 3), o),
                    Catch::Contains("need options.directory"));
  o.storage = SnapshotStorage::Memory;
  o.restart_interval = -1;
  CHECK_THROWS_WITH(AdjointLoop(toy, CheckpointSchedule::binomial(kSteps, 3), o), Catch::Contains("restart_interval"));
  // Resuming where no restart point exists.
  o.restart_interval = 2;
  o.directory = output_dir("no_restart");
  AdjointLoop loop(toy, CheckpointSchedule::binomial(kSteps, 3), o);
  CHECK_THROWS_WITH(loop.resume(), Catch::Contains("no restart point"));
  // A restart point written for another schedule is refused.
  o.directory = output_dir("other_schedule");
  struct Crash {};
  {
    AdjointLoopOptions crashing = o;
    crashing.after_reverse_step = [](int step) {
      if (step == 15) throw Crash{};
    };
    AdjointLoop first(toy, CheckpointSchedule::binomial(kSteps, 3), crashing);
    CHECK_THROWS_AS(first.run(), Crash);
  }
  AdjointLoop other(toy, CheckpointSchedule::binomial(kSteps, 4), o);
  CHECK_THROWS_WITH(other.resume(), Catch::Contains("was written for schedule"));
}

namespace {

/// The progress lines of a binomial(3) run of the toy stepper, printed at most
/// every `interval` seconds (rank 0; none elsewhere).
std::vector<std::string> progress_lines(double interval) {
  auto dec = Decomposition::create(ToyStepper::grid(), MPI_COMM_WORLD);
  ToyStepper toy(dec);
  toy.set_initial();
  std::vector<std::string> lines;
  AdjointLoopOptions o;
  o.progress_seconds = interval;
  o.progress_sink = [&](const std::string& line) { lines.push_back(line); };
  AdjointLoop loop(toy, CheckpointSchedule::binomial(kSteps, 3), o);
  loop.run();
  return lines;
}

}  // namespace

TEST_CASE("a run shorter than the progress interval ends with its mean rate, not 0.0 steps/s", "[time][loop]") {
  const std::vector<std::string> lines = progress_lines(3600);  // no interval line: only the final one
  if (undertow_test::world_rank() != 0) return;
  REQUIRE(!lines.empty());
  const std::string& done = lines.back();
  INFO(done);
  CHECK(done.find("[undertow done]") != std::string::npos);
  const auto bar = done.rfind(" steps/s");
  REQUIRE(bar != std::string::npos);
  const double rate = std::stod(done.substr(done.rfind("| ", bar) + 2));
  CHECK(rate > 0.0);
}

TEST_CASE("progress lines report phase, rate and time left on rank 0 only", "[time][loop]") {
  const std::vector<std::string> lines = progress_lines(1e-9);  // every step
  auto dec = Decomposition::create(ToyStepper::grid(), MPI_COMM_WORLD);
  ToyStepper toy(dec);
  toy.set_initial();
  // Off by default: no sink calls.
  std::vector<std::string> none;
  AdjointLoopOptions quiet;
  quiet.progress_sink = [&](const std::string& line) { none.push_back(line); };
  if (std::getenv("UNDERTOW_PROGRESS") == nullptr) {
    AdjointLoop silent(toy, CheckpointSchedule::binomial(kSteps, 3), quiet);
    silent.run();
    CHECK(none.empty());
  }
  if (undertow_test::world_rank() != 0) {
    CHECK(lines.empty());
    return;
  }
  REQUIRE(lines.size() >= static_cast<std::size_t>(kSteps));
  auto any = [&](const std::string& text) {
    for (const auto& l : lines)
      if (l.find(text) != std::string::npos) return true;
    return false;
  };
  CHECK(any("forward "));
  CHECK(any("recompute"));
  CHECK(any("reverse "));
  CHECK(any("steps/s"));
  CHECK(any("left 0:00:"));
  CHECK(lines.back().find("[undertow done]") != std::string::npos);
  CHECK(lines.back().find("reverse " + std::to_string(kSteps) + "/" + std::to_string(kSteps)) != std::string::npos);
}
