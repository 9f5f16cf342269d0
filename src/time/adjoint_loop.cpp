// AdjointLoop (see include/undertow/time/adjoint_loop.hpp and docs/time.md).
//
// The loop executes a schedule's actions one by one. Slots are the schedule's
// abstract snapshot ids; each is placed once in memory or on disk. Disk
// snapshots are io field files named by the schedule position of the Take that
// wrote them (a "serial"), never by slot: a restart point may still refer to the
// old content of a slot that has since been freed and retaken. A file is deleted
// when it is freed unless the last committed restart manifest names it; then it
// is deleted once the next manifest is committed.
#include "undertow/time/adjoint_loop.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "restart_manifest.hpp"
#include "snapshot_io.hpp"
#include "undertow/core/error.hpp"
#include "undertow/io/field_io.hpp"

namespace undertow {

using time_detail::Buffer;
using time_detail::RestartManifest;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string scalar_name(const char* prefix, std::size_t i) {
  return std::string(prefix) + std::to_string(i);
}

std::int64_t global_sum(MPI_Comm comm, std::int64_t local) {
  std::int64_t global = 0;
  check_mpi(MPI_Allreduce(&local, &global, 1, MPI_INT64_T, MPI_SUM, comm), "MPI_Allreduce");
  return global;
}

}  // namespace

class AdjointLoop::Impl {
 public:
  Impl(Stepper& stepper, CheckpointSchedule schedule, AdjointLoopOptions options)
      : stepper_(stepper), schedule_(std::move(schedule)), options_(std::move(options)) {
    primal_ = stepper_.primal_state();
    if (primal_.empty() || !primal_[0].valid()) {
      throw Error("AdjointLoop: the stepper's primal_state() must name at least one initialised field");
    }
    comm_ = primal_[0].decomposition().comm();
    MPI_Comm_rank(comm_, &rank_);
    collective_check(comm_, [&] { check_options(); });
    summary_ = summarize(schedule_);
    placement_ = place_snapshots(summary_, options_.storage, options_.memory_snapshots);
    slots_.resize(static_cast<std::size_t>(summary_.slots));
    for (std::size_t s = 0; s < slots_.size(); ++s) slots_[s].medium = placement_[s];
    doubles_ = time_detail::owned_doubles(primal_);
    stats_.snapshot_bytes = 8 * global_sum(comm_, doubles_);
    if (uses_directory()) make_directory();
  }

  void run() {
    const Clock::time_point t0 = Clock::now();
    stats_ = AdjointLoopStats{};
    stats_.snapshot_bytes = 8 * global_sum(comm_, doubles_);
    reset_slots();
    if (uses_directory()) {
      // A new run: restart points and snapshots of an earlier run are stale.
      if (rank_ == 0) {
        for (const std::string& name : time_detail::list_loop_files(options_.directory)) {
          time_detail::remove_file(time_detail::join(options_.directory, name));
        }
      }
      check_mpi(MPI_Barrier(comm_), "MPI_Barrier");
    }
    ActionStream stream = schedule_.actions();
    progress_ = std::make_unique<ProgressMeter>(comm_, progress_interval(), options_.progress_sink);
    progress_->set_totals(summary_.forward_steps, summary_.reverse_steps);
    stepper_.begin_forward();
    execute(stream, false);
    finish();
    stats_.seconds_total = seconds_since(t0);
  }

  void resume(const std::string& directory) {
    const Clock::time_point t0 = Clock::now();
    if (!directory.empty()) options_.directory = directory;
    collective_check(comm_, [&] {
      if (options_.directory.empty()) throw Error("AdjointLoop::resume: no directory given");
    });
    stats_ = AdjointLoopStats{};
    stats_.snapshot_bytes = 8 * global_sum(comm_, doubles_);
    reset_slots();
    ActionStream stream = schedule_.actions();
    const RestartManifest m = load_restart(stream);
    stats_.resumed = true;
    stats_.resumed_at_action = m.position;
    stats_.seconds_restart += seconds_since(t0);
    progress_ = std::make_unique<ProgressMeter>(comm_, progress_interval(), options_.progress_sink);
    progress_->set_totals(summary_.forward_steps, summary_.reverse_steps, m.forward_done,
                          schedule_.n_steps() - 1 - m.next_reverse);
    reversing_ = true;
    execute(stream, true);
    finish();
    stats_.seconds_total = seconds_since(t0);
  }

  static bool restart_available(const std::string& directory, MPI_Comm comm) {
    // Only a missing manifest means "no restart point". A damaged one is an error:
    // taken for "none", the caller would run from the start, and run() would
    // delete the damaged restart point with the evidence.
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    int found = 0;
    std::string problem;
    if (rank == 0) {
      const std::string where = time_detail::join(directory, time_detail::kManifest);
      std::error_code ec;
      if (std::filesystem::exists(where, ec)) {
        std::string text;
        try {
          if (!std::filesystem::is_regular_file(where, ec) || !time_detail::read_text(where, text)) {
            throw Error("cannot read '" + where + "'");
          }
          RestartManifest::parse(text, where);
          found = 1;
        } catch (const Error& e) {
          problem = std::string("AdjointLoop::restart_available: damaged restart point: ") + e.what() +
                    ". Nothing was deleted; move the directory '" + directory +
                    "' away to keep it, or run without resuming to start afresh";
        }
      }
    }
    agree_or_throw(comm, problem.empty(), problem);
    check_mpi(MPI_Bcast(&found, 1, MPI_INT, 0, comm), "MPI_Bcast");
    return found == 1;
  }

  // Read by AdjointLoop's accessors.
  Stepper& stepper_;
  CheckpointSchedule schedule_;
  AdjointLoopOptions options_;
  ScheduleSummary summary_;
  std::vector<SnapshotMedium> placement_;
  AdjointLoopStats stats_;

 private:
  struct Slot {
    SnapshotMedium medium = SnapshotMedium::Memory;
    bool live = false;
    int step = -1;
    std::int64_t serial = -1;
    Buffer buffer;                // memory slots: owned values, allocated once
    std::vector<double> scalars;  // memory slots: primal scalars
    bool file_written = false;    // the snapshot file of `serial` exists (disk, or a spilled memory slot)
  };

  bool uses_directory() const { return options_.storage != SnapshotStorage::Memory || options_.restart_interval > 0; }

  double progress_interval() const { return undertow::progress_interval(options_); }

  void check_options() const {
    const std::string who = "AdjointLoop(" + schedule_.describe() + "): ";
    if (options_.restart_interval < 0) {
      throw Error(who + "restart_interval must not be negative, got " + std::to_string(options_.restart_interval));
    }
    if (options_.storage == SnapshotStorage::MemoryThenDisk && options_.memory_snapshots < 0) {
      throw Error(who + "memory_snapshots must not be negative, got " + std::to_string(options_.memory_snapshots));
    }
    if (uses_directory() && options_.directory.empty()) {
      throw Error(who +
                  (options_.storage != SnapshotStorage::Memory ? std::string("disk snapshots")
                                                               : std::string("restart points")) +
                  " need options.directory");
    }
    std::set<std::string> names;
    for (const Field<double>& f : primal_) {
      if (!f.valid()) throw Error(who + "primal_state() holds an uninitialised field");
      if (!names.insert(f.name()).second && uses_directory()) {
        throw Error(who + "two primal fields are named '" + f.name() + "'; snapshot files need distinct names");
      }
    }
    if (options_.restart_interval > 0) {
      std::vector<Field<double>> adjoint = stepper_.adjoint_state();
      if (adjoint.empty()) throw Error(who + "restart points need a non-empty adjoint_state()");
      std::set<std::string> anames;
      for (const Field<double>& f : adjoint) {
        if (!f.valid()) throw Error(who + "adjoint_state() holds an uninitialised field");
        if (!anames.insert(f.name()).second) {
          throw Error(who + "two adjoint fields are named '" + f.name() + "'; restart files need distinct names");
        }
      }
    }
  }

  void make_directory() {
    std::string message;
    bool ok = true;
    if (rank_ == 0) {
      std::error_code ec;
      std::filesystem::create_directories(options_.directory, ec);
      if (ec || !std::filesystem::is_directory(options_.directory)) {
        ok = false;
        message = "AdjointLoop: cannot create the directory '" + options_.directory + "': " + ec.message();
      }
    }
    agree_or_throw(comm_, ok, message);
  }

  void reset_slots() {
    for (Slot& s : slots_) {
      s.live = false;
      s.step = -1;
      s.serial = -1;
      s.file_written = false;
    }
    committed_files_.clear();
    reversing_ = false;
    forward_done_ = 0;
    live_ = 0;
    live_memory_ = 0;
  }

  std::string path(const std::string& name) const { return time_detail::join(options_.directory, name); }

  // ---- executing actions -------------------------------------------------

  void execute(ActionStream& stream, bool resumed) {
    Action a;
    bool after_reverse = resumed;  // a restart point sits just before a Restore that follows reverses
    int reverses_since_restart = 0;
    while (true) {
      const std::int64_t position = stream.position();
      if (!stream.next(a)) break;
      if (a.kind == ActionKind::Restore && after_reverse && options_.restart_interval > 0 &&
          reverses_since_restart >= options_.restart_interval) {
        write_restart(position);
        reverses_since_restart = 0;
      }
      switch (a.kind) {
        case ActionKind::Advance:
          advance(a);
          break;
        case ActionKind::Take:
          take(a, position);
          break;
        case ActionKind::Restore:
          restore(a);
          break;
        case ActionKind::Free:
          free_slot(a);
          break;
        case ActionKind::FirstReverse:
        case ActionKind::Reverse:
          reverse(a);
          ++reverses_since_restart;
          break;
      }
      if (a.is_reverse()) {
        after_reverse = true;
      } else if (a.kind != ActionKind::Free) {
        after_reverse = false;
      }
    }
  }

  void advance(const Action& a) {
    const LoopPhase phase = reversing_ ? LoopPhase::Recompute : LoopPhase::Forward;
    for (int i = a.step; i < a.step + a.count; ++i) {
      const Clock::time_point t = Clock::now();
      stepper_.step(i);
      const double dt = seconds_since(t);
      ++stats_.forward_steps;
      ++forward_done_;
      if (reversing_) {
        ++stats_.recomputed_steps;
        stats_.seconds_recompute += dt;
      } else {
        ++stats_.initial_forward_steps;
        stats_.seconds_forward += dt;
      }
      progress_->step_done(phase, i + 1);
    }
  }

  void reverse(const Action& a) {
    const Clock::time_point t = Clock::now();
    stepper_.step_record(a.step);
    ++stats_.recorded_steps;
    if (a.kind == ActionKind::FirstReverse) stepper_.begin_adjoint(schedule_.n_steps());
    stepper_.step_adjoint(a.step);
    ++stats_.adjoint_steps;
    stats_.seconds_reverse += seconds_since(t);
    reversing_ = true;
    next_reverse_ = a.step - 1;
    progress_->step_done(LoopPhase::Reverse, a.step);
    if (options_.after_reverse_step) options_.after_reverse_step(a.step);
  }

  Slot& slot(const Action& a) { return slots_.at(static_cast<std::size_t>(a.slot)); }

  void take(const Action& a, std::int64_t serial) {
    const Clock::time_point t = Clock::now();
    Slot& s = slot(a);
    s.live = true;
    s.step = a.step;
    s.serial = serial;
    s.file_written = false;
    if (s.medium == SnapshotMedium::Memory) {
      if (s.buffer.extent(0) != static_cast<std::size_t>(doubles_)) {
        s.buffer = Buffer(Kokkos::view_alloc(Kokkos::WithoutInitializing, "undertow::snapshot"), doubles_);
      }
      time_detail::pack_owned(primal_, s.buffer);
      s.scalars = stepper_.primal_scalars();
      ++live_memory_;
      stats_.peak_memory_snapshots = std::max(stats_.peak_memory_snapshots, live_memory_);
    } else {
      write_snapshot_file(s, primal_, stepper_.primal_scalars());
      ++stats_.snapshots_written_to_disk;
    }
    ++stats_.snapshots_written;
    ++live_;
    stats_.peak_live_snapshots = std::max(stats_.peak_live_snapshots, live_);
    stats_.seconds_snapshots += seconds_since(t);
  }

  void restore(const Action& a) {
    const Clock::time_point t = Clock::now();
    Slot& s = slot(a);
    if (!s.live || s.step != a.step) {
      throw Error("AdjointLoop: internal error, slot " + std::to_string(a.slot) + " does not hold state " +
                  std::to_string(a.step));
    }
    if (s.medium == SnapshotMedium::Memory) {
      time_detail::unpack_owned(s.buffer, primal_);
      stepper_.set_primal_scalars(s.scalars);
    } else {
      stepper_.set_primal_scalars(read_snapshot_file(s, primal_));
      ++stats_.snapshots_read_from_disk;
    }
    ++stats_.snapshots_read;
    stats_.seconds_snapshots += seconds_since(t);
  }

  void free_slot(const Action& a) {
    Slot& s = slot(a);
    if (s.file_written) retire_file(time_detail::snapshot_file(s.serial));
    if (s.medium == SnapshotMedium::Memory) --live_memory_;
    --live_;
    s.live = false;
    s.file_written = false;
  }

  /// A file no longer needed by the run: deleted now, or after the next restart
  /// point if the committed one still names it.
  void retire_file(const std::string& name) {
    if (!committed_files_.count(name) && rank_ == 0) time_detail::remove_file(path(name));
  }

  // ---- snapshot files ------------------------------------------------------

  void write_snapshot_file(Slot& s, const std::vector<Field<double>>& fields, const std::vector<double>& scalars) {
    io::FieldFileInfo info;
    info.step = s.step;
    for (std::size_t i = 0; i < scalars.size(); ++i) info.scalars[scalar_name("primal_", i)] = scalars[i];
    info.integers["serial"] = s.serial;
    info.integers["slot"] = static_cast<std::int64_t>(&s - slots_.data());
    info.integers["primal_scalars"] = static_cast<std::int64_t>(scalars.size());
    io::write_fields(path(time_detail::snapshot_file(s.serial)), fields, info, false);
    s.file_written = true;
    stats_.disk_bytes_written += stats_.snapshot_bytes;
  }

  std::vector<double> read_snapshot_file(const Slot& s, const std::vector<Field<double>>& fields) {
    const std::string file = path(time_detail::snapshot_file(s.serial));
    const io::FieldFileInfo info = io::read_fields(file, fields);
    stats_.disk_bytes_read += stats_.snapshot_bytes;
    std::vector<double> scalars;
    collective_check(comm_, [&] {
      const auto serial = info.integers.find("serial");
      const auto count = info.integers.find("primal_scalars");
      if (info.step != s.step || serial == info.integers.end() || serial->second != s.serial ||
          count == info.integers.end()) {
        throw Error("AdjointLoop: snapshot file '" + file + "' does not hold state " + std::to_string(s.step) +
                    " of this run");
      }
      for (std::int64_t i = 0; i < count->second; ++i) {
        const auto v = info.scalars.find(scalar_name("primal_", static_cast<std::size_t>(i)));
        if (v == info.scalars.end()) throw Error("AdjointLoop: snapshot file '" + file + "' lacks a primal scalar");
        scalars.push_back(v->second);
      }
    });
    return scalars;
  }

  /// Fields shaped like the primal state (same names), to move memory snapshots
  /// to and from files without touching the model's own state.
  const std::vector<Field<double>>& scratch() {
    if (scratch_.empty()) {
      for (const Field<double>& f : primal_) scratch_.push_back(f.clone_layout(f.name()));
    }
    return scratch_;
  }

  // ---- restart points ------------------------------------------------------

  RestartManifest manifest_base() const {
    RestartManifest m;
    m.schedule_kind = to_string(schedule_.kind());
    m.n_steps = schedule_.n_steps();
    m.schedule_parameter = schedule_.parameter();
    m.storage = to_string(options_.storage);
    m.memory_snapshots = options_.storage == SnapshotStorage::MemoryThenDisk ? options_.memory_snapshots : 0;
    return m;
  }

  /// Persists the reverse sweep just before `restore` (at `position`) runs.
  void write_restart(std::int64_t position) {
    const Clock::time_point t = Clock::now();
    RestartManifest m = manifest_base();
    m.position = position;
    m.next_reverse = next_reverse_;
    m.forward_done = forward_done_;
    // 1. Every live snapshot must be in a file; memory ones are written out once.
    for (std::size_t id = 0; id < slots_.size(); ++id) {
      Slot& s = slots_[id];
      if (!s.live) continue;
      if (!s.file_written) {
        time_detail::unpack_owned(s.buffer, scratch());
        write_snapshot_file(s, scratch(), s.scalars);
        ++stats_.spilled_snapshots;
      }
      m.slots.push_back(
          {static_cast<int>(id), s.step, s.serial, to_string(s.medium), time_detail::snapshot_file(s.serial)});
    }
    // 2. The adjoint state.
    m.adjoint_file = time_detail::adjoint_file(position);
    {
      const std::vector<Field<double>> adjoint = stepper_.adjoint_state();
      const std::vector<double> scalars = stepper_.adjoint_scalars();
      io::FieldFileInfo info;
      info.step = next_reverse_ + 1;
      for (std::size_t i = 0; i < scalars.size(); ++i) info.scalars[scalar_name("adjoint_", i)] = scalars[i];
      info.integers["adjoint_scalars"] = static_cast<std::int64_t>(scalars.size());
      info.integers["position"] = position;
      io::write_fields(path(m.adjoint_file), adjoint, info, false);
      stats_.disk_bytes_written += 8 * global_sum(comm_, time_detail::owned_doubles(adjoint));
    }
    // 3. Commit: the manifest goes last, atomically (every file it names is complete).
    std::string message;
    bool ok = true;
    if (rank_ == 0) {
      try {
        time_detail::write_text_atomically(path(time_detail::kManifest), m.to_text());
      } catch (const Error& e) {
        ok = false;
        message = std::string("AdjointLoop: cannot commit the restart point: ") + e.what();
      }
    }
    agree_or_throw(comm_, ok, message);
    // 4. Files only the previous restart point needed can go now.
    std::set<std::string> files{m.adjoint_file};
    for (const auto& s : m.slots) files.insert(s.file);
    // (A snapshot the old manifest named but the new one does not has been freed.)
    for (const std::string& name : committed_files_) {
      if (!files.count(name) && rank_ == 0) time_detail::remove_file(path(name));
    }
    committed_files_ = files;
    ++stats_.restart_points;
    stats_.last_restart_action = position;
    stats_.seconds_restart += seconds_since(t);
  }

  RestartManifest load_restart(ActionStream& stream) {
    const std::string where = path(time_detail::kManifest);
    // Rank 0 reads, everyone parses the same text.
    std::string text;
    int length = -1;
    if (rank_ == 0 && time_detail::read_text(where, text)) length = static_cast<int>(text.size());
    check_mpi(MPI_Bcast(&length, 1, MPI_INT, 0, comm_), "MPI_Bcast");
    agree_or_throw(comm_, length >= 0,
                   "AdjointLoop::resume: no restart point in '" + options_.directory + "' (missing " +
                       std::string(time_detail::kManifest) + "); was the run stopped before its first restart point?");
    text.resize(static_cast<std::size_t>(length));
    if (length > 0) check_mpi(MPI_Bcast(&text[0], length, MPI_CHAR, 0, comm_), "MPI_Bcast");

    RestartManifest m;
    collective_check(comm_, [&] {
      m = RestartManifest::parse(text, where);
      const RestartManifest mine = manifest_base();
      if (m.schedule_kind != mine.schedule_kind || m.n_steps != mine.n_steps ||
          m.schedule_parameter != mine.schedule_parameter) {
        throw Error("AdjointLoop::resume: '" + where + "' was written for schedule " + m.schedule_kind +
                    "(n=" + std::to_string(m.n_steps) + ", " + std::to_string(m.schedule_parameter) +
                    "), this loop runs " + schedule_.describe());
      }
      if (m.storage != mine.storage || m.memory_snapshots != mine.memory_snapshots) {
        throw Error("AdjointLoop::resume: '" + where + "' was written with storage " + m.storage + " (memory " +
                    std::to_string(m.memory_snapshots) + "), this loop uses " + mine.storage + " (memory " +
                    std::to_string(mine.memory_snapshots) + ")");
      }
      // Replay the schedule (pure) up to the restart point: it must leave exactly
      // the snapshots the manifest names, and the next action must be a Restore.
      std::map<int, std::pair<int, std::int64_t>> live;  // slot -> (step, serial)
      std::int64_t forward = 0;
      Action a;
      while (stream.position() < m.position) {
        const std::int64_t position = stream.position();
        if (!stream.next(a)) throw Error("AdjointLoop::resume: restart position beyond the schedule's end");
        if (a.kind == ActionKind::Take) live[a.slot] = {a.step, position};
        if (a.kind == ActionKind::Free) live.erase(a.slot);
        if (a.kind == ActionKind::Advance) forward += a.count;
      }
      bool same = live.size() == m.slots.size() && forward == m.forward_done;
      for (const auto& s : m.slots) {
        const auto it = live.find(s.slot);
        same = same && it != live.end() && it->second.first == s.step && it->second.second == s.serial &&
               s.file == time_detail::snapshot_file(s.serial) &&
               s.medium == to_string(placement_.at(static_cast<std::size_t>(s.slot)));
      }
      if (!same)
        throw Error("AdjointLoop::resume: '" + where + "' does not match the schedule " + schedule_.describe());
    });
    // The next action is the Restore the restart point was written before;
    // restore() checks that its slot holds the state it names.

    // Snapshots: disk slots stay in their files; memory slots are loaded back.
    for (const auto& ms : m.slots) {
      Slot& s = slots_.at(static_cast<std::size_t>(ms.slot));
      s.live = true;
      s.step = ms.step;
      s.serial = ms.serial;
      s.file_written = true;
      ++live_;
      if (s.medium == SnapshotMedium::Memory) {
        s.scalars = read_snapshot_file(s, scratch());
        s.buffer = Buffer(Kokkos::view_alloc(Kokkos::WithoutInitializing, "undertow::snapshot"), doubles_);
        time_detail::pack_owned(scratch(), s.buffer);
        ++live_memory_;
      }
    }
    stats_.peak_live_snapshots = live_;
    stats_.peak_memory_snapshots = live_memory_;
    // The adjoint state.
    {
      const std::vector<Field<double>> adjoint = stepper_.adjoint_state();
      const io::FieldFileInfo info = io::read_fields(path(m.adjoint_file), adjoint);
      stats_.disk_bytes_read += 8 * global_sum(comm_, time_detail::owned_doubles(adjoint));
      std::vector<double> scalars;
      collective_check(comm_, [&] {
        const auto count = info.integers.find("adjoint_scalars");
        const auto position = info.integers.find("position");
        if (count == info.integers.end() || position == info.integers.end() || position->second != m.position) {
          throw Error("AdjointLoop::resume: '" + path(m.adjoint_file) +
                      "' is not the adjoint state of this restart point");
        }
        for (std::int64_t i = 0; i < count->second; ++i) {
          const auto v = info.scalars.find(scalar_name("adjoint_", static_cast<std::size_t>(i)));
          if (v == info.scalars.end())
            throw Error("AdjointLoop::resume: '" + path(m.adjoint_file) + "' lacks a scalar");
          scalars.push_back(v->second);
        }
      });
      stepper_.set_adjoint_scalars(scalars);
    }
    // Files written after the restart point by the interrupted run are not needed.
    std::set<std::string> files{m.adjoint_file};
    for (const auto& s : m.slots) files.insert(s.file);
    if (rank_ == 0) {
      for (const std::string& name : time_detail::list_loop_files(options_.directory)) {
        if (name != time_detail::kManifest && !files.count(name)) time_detail::remove_file(path(name));
      }
    }
    check_mpi(MPI_Barrier(comm_), "MPI_Barrier");
    committed_files_ = files;
    next_reverse_ = m.next_reverse;
    forward_done_ = m.forward_done;
    return m;
  }

  void finish() {
    stepper_.end_adjoint();
    progress_->print_now("done");
    if (uses_directory()) {
      check_mpi(MPI_Barrier(comm_), "MPI_Barrier");
      if (rank_ == 0) {
        // The manifest goes first: without it the other files are just stale.
        time_detail::remove_file(path(time_detail::kManifest));
        for (const std::string& name : time_detail::list_loop_files(options_.directory)) {
          time_detail::remove_file(path(name));
        }
      }
      check_mpi(MPI_Barrier(comm_), "MPI_Barrier");
    }
    committed_files_.clear();
  }

  std::vector<Field<double>> primal_;
  std::vector<Field<double>> scratch_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  std::int64_t doubles_ = 0;
  std::vector<Slot> slots_;
  int live_ = 0, live_memory_ = 0;
  bool reversing_ = false;
  int next_reverse_ = 0;
  std::int64_t forward_done_ = 0;
  std::set<std::string> committed_files_;  // named by the last committed manifest: kept until the next
  std::unique_ptr<ProgressMeter> progress_;
};

double progress_interval(const AdjointLoopOptions& options) {
  if (options.progress_seconds > 0) return options.progress_seconds;
  if (const char* env = std::getenv("UNDERTOW_PROGRESS")) return std::atof(env);
  return 0;
}

AdjointLoop::AdjointLoop(Stepper& stepper, CheckpointSchedule schedule, AdjointLoopOptions options)
    : impl_(std::make_unique<Impl>(stepper, std::move(schedule), std::move(options))) {}
AdjointLoop::~AdjointLoop() = default;

void AdjointLoop::run() {
  impl_->run();
}
void AdjointLoop::resume(const std::string& directory) {
  impl_->resume(directory);
}
bool AdjointLoop::restart_available(const std::string& directory, MPI_Comm comm) {
  return Impl::restart_available(directory, comm);
}
const AdjointLoopStats& AdjointLoop::stats() const {
  return impl_->stats_;
}
const CheckpointSchedule& AdjointLoop::schedule() const {
  return impl_->schedule_;
}
const ScheduleSummary& AdjointLoop::schedule_summary() const {
  return impl_->summary_;
}
const std::vector<SnapshotMedium>& AdjointLoop::placement() const {
  return impl_->placement_;
}

}  // namespace undertow
