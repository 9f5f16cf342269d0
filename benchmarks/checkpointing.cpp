// bench_checkpointing: what checkpointing the adjoint time loop costs.
//
// Part 1, memory against recomputation. The adjoint of n explicit heat steps
// (solvers/heat, a 2D periodic cells x cells grid) through Problem
// (HeatSolver::function(n, checkpointing)) with store-all (every step recorded in
// memory by the forward sweep: no step runs twice), revolve with c snapshots in
// memory, and revolve with c snapshots on disk (AdjointLoop). For each: peak
// resident memory per process (VmHWM from /proc/self/status, max and sum over
// ranks), the memory held before the loop started, the snapshots the schedule holds at once, forward steps
// against the bound t(n, c), the recompute factors, wall time, and a checksum of
// the gradient (every configuration must give the same bits).
// Peak RSS never goes down within a process, so every configuration runs in a
// fresh set of processes: the benchmark re-executes itself with MPI_Comm_spawn
// (as many ranks as it was started with, `--config NAME`), waits for the children
// without spinning and receives their figures. `--config NAME` can also be run
// directly under mpirun to measure one configuration by hand. `--repeat R` runs
// the configurations round robin R times and reports medians of the times.
//
// Part 2, checkpoint write bandwidth. One snapshot-sized state written with
// io::write_fields (the time layer's disk storage: collective parallel HDF5,
// checksum, temporary name, fsync, rename) by 1 rank and by all ranks, against a
// plain sequential write of the same bytes by one process (fwrite + fsync),
// interleaved in the same run; GB/s and the ratio, and io::checksum alone.
//
//   mpirun -n 2 bench_checkpointing [--steps 1000] [--cells 1024] [--snapshots 10]
//                                   [--configs store-all,revolve,revolve-disk]
//                                   [--write-cells 1024,4096] [--write-reps 5]
//                                   [--repeat 1] [--dir DIR] [--small] [--json out.json]
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "undertow/solvers/heat.hpp"
#include "undertow/undertow.hpp"

namespace {

using namespace undertow;

// ---------------------------------------------------------------------------
// Resident memory
// ---------------------------------------------------------------------------

/// A "Vm...:  <n> kB" line of /proc/self/status in MiB, or -1 if absent.
double proc_status_mib(const std::string& key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.compare(0, key.size() + 1, key + ":") == 0) return std::stod(line.substr(key.size() + 1)) / 1024.0;
  }
  return -1.0;
}

/// Peak resident set size of this process so far, in MiB (VmHWM; getrusage if
/// /proc is unavailable: ru_maxrss is in KiB on Linux).
double peak_rss_mib() {
  const double hwm = proc_status_mib("VmHWM");
  if (hwm >= 0) return hwm;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

// ---------------------------------------------------------------------------
// Part 1: one configuration, run in its own processes
// ---------------------------------------------------------------------------

struct RunSettings {
  int steps = 1000;
  std::int64_t cells = 1024;
  int snapshots = 10;
  std::string directory;
};

/// What a child reports; sent as an array of doubles (every field is a double so
/// that one MPI_DOUBLE message carries it).
struct ConfigResult {
  double ok = 0;
  double forward_steps = 0, recorded_steps = 0, recomputed_steps = 0;
  double max_snapshots = 0, peak_live = 0, snapshot_bytes = 0;
  double snapshots_written = 0, disk_bytes_written = 0;
  double rss_base_max = 0, rss_base_sum = 0, rss_peak_max = 0, rss_peak_sum = 0;
  double wall = 0, seconds_forward = 0, seconds_recompute = 0, seconds_reverse = 0, seconds_snapshots = 0;
  double checksum_hi = 0, checksum_lo = 0;  // 64-bit gradient checksum in two exact 32-bit halves
};
constexpr int result_doubles = sizeof(ConfigResult) / sizeof(double);
static_assert(sizeof(ConfigResult) == result_doubles * sizeof(double), "ConfigResult must be plain doubles");
constexpr int result_tag = 4711;

const std::vector<std::string> known_configs = {"store-all", "revolve", "revolve-disk"};

CheckpointSchedule schedule_for(const std::string& config, const RunSettings& s) {
  return config == "store-all" ? CheckpointSchedule::store_all(s.steps)
                               : CheckpointSchedule::binomial(s.steps, s.snapshots);
}

/// Builds the heat model, runs the checkpointed adjoint of `s.steps` steps with
/// configuration `config` and returns the figures (identical on every rank).
ConfigResult run_config(const std::string& config, const RunSettings& s, MPI_Comm comm) {
  solvers::HeatParameters params;
  params.initial = [](double x, double y, double) {
    return std::exp(-((x - 0.4) * (x - 0.4) + (y - 0.5) * (y - 0.5)) / 0.02);
  };
  params.conductivity_function = [](double x, double y, double) { return 1.0 + 0.5 * std::sin(6.0 * x + 3.0 * y); };
  params.observation = [](double x, double, double) { return 0.1 * x; };
  solvers::HeatSolver heat(GridSpec::rect(s.cells, s.cells, {true, true}), comm, params);

  Checkpointing checkpointing;
  checkpointing.snapshots = config == "store-all" ? 0 : s.snapshots;
  checkpointing.loop.storage = config == "revolve-disk" ? SnapshotStorage::Disk : SnapshotStorage::Memory;
  checkpointing.loop.directory = s.directory + "/" + config;
  Problem problem = heat.function(s.steps, checkpointing);

  // Everything the model needs is allocated now: what the gradient adds is on top.
  const double base = peak_rss_mib();
  MPI_Barrier(comm);
  const double start = MPI_Wtime();
  const GradientResult gradient = problem.gradient();
  const double wall = MPI_Wtime() - start;
  const double peak = peak_rss_mib();

  ConfigResult r;
  const AdjointLoopStats& st = gradient.stats;
  r.ok = 1;
  r.forward_steps = static_cast<double>(st.forward_steps);
  r.recorded_steps = static_cast<double>(st.recorded_steps);
  r.recomputed_steps = static_cast<double>(st.recomputed_steps);
  r.max_snapshots = schedule_for(config, s).max_snapshots();
  r.peak_live = st.peak_live_snapshots;
  r.snapshot_bytes = static_cast<double>(st.snapshot_bytes);
  r.snapshots_written = static_cast<double>(st.snapshots_written);
  r.disk_bytes_written = static_cast<double>(st.disk_bytes_written);
  double maxima[6] = {base, peak, wall, st.seconds_forward, st.seconds_recompute, st.seconds_reverse};
  double sums[2] = {base, peak};
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, maxima, 6, MPI_DOUBLE, MPI_MAX, comm), "MPI_Allreduce");
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, sums, 2, MPI_DOUBLE, MPI_SUM, comm), "MPI_Allreduce");
  double snap_seconds = st.seconds_snapshots;
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, &snap_seconds, 1, MPI_DOUBLE, MPI_MAX, comm), "MPI_Allreduce");
  r.rss_base_max = maxima[0];
  r.rss_peak_max = maxima[1];
  r.wall = maxima[2];
  r.seconds_forward = maxima[3];
  r.seconds_recompute = maxima[4];
  r.seconds_reverse = maxima[5];
  r.seconds_snapshots = snap_seconds;
  r.rss_base_sum = sums[0];
  r.rss_peak_sum = sums[1];
  // Checksum of dJ/du_0 and dJ/dkappa (decomposition independent).
  const std::uint64_t sum =
      io::checksum(heat.gradient_initial_temperature()) + 3 * io::checksum(heat.gradient_conductivity());
  r.checksum_hi = static_cast<double>(sum >> 32);
  r.checksum_lo = static_cast<double>(sum & 0xffffffffULL);
  return r;
}

std::string checksum_text(const ConfigResult& r) {
  const std::uint64_t sum =
      (static_cast<std::uint64_t>(r.checksum_hi) << 32) | static_cast<std::uint64_t>(r.checksum_lo);
  char text[24];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(sum));
  return text;
}

/// Child side: run the configuration, send the result to rank 0 of the parent,
/// then meet the parent in a barrier (non-blocking on both sides: the parent
/// sleeps instead of spinning while the children measure).
int child_main(const std::string& config, const RunSettings& s, MPI_Comm world, MPI_Comm parent) {
  ConfigResult r;
  try {
    r = run_config(config, s, world);
  } catch (const Error& e) {
    root_print(world, "bench_checkpointing --config " + config + ": " + e.what());
    r = ConfigResult{};
  }
  int rank = 0;
  MPI_Comm_rank(world, &rank);
  if (rank == 0) {
    check_mpi(MPI_Send(&r, result_doubles, MPI_DOUBLE, 0, result_tag, parent), "MPI_Send");
  }
  MPI_Request barrier;
  check_mpi(MPI_Ibarrier(parent, &barrier), "MPI_Ibarrier");
  check_mpi(MPI_Wait(&barrier, MPI_STATUS_IGNORE), "MPI_Wait");
  MPI_Comm_disconnect(&parent);
  return r.ok > 0 ? 0 : 1;
}

/// Parent side: spawns `ranks` copies of this executable with `args`, waits for
/// their result without spinning (a core busy-polling in MPI would slow the
/// children on a small machine) and returns it on every rank.
ConfigResult spawn_config(const std::vector<std::string>& args, MPI_Comm world) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(world, &rank);
  MPI_Comm_size(world, &ranks);
  const std::string exe = std::filesystem::read_symlink("/proc/self/exe").string();
  std::vector<std::string> copies = args;
  std::vector<char*> argv;
  for (std::string& a : copies) argv.push_back(a.data());
  argv.push_back(nullptr);
  MPI_Info info;
  MPI_Info_create(&info);
  // Open MPI: let the children share the cores with the (sleeping) parents.
  MPI_Info_set(info, "map_by", ":OVERSUBSCRIBE");
  MPI_Comm child;
  std::vector<int> errors(static_cast<std::size_t>(ranks), 0);
  check_mpi(MPI_Comm_spawn(exe.c_str(), argv.data(), ranks, info, 0, world, &child, errors.data()), "MPI_Comm_spawn");
  MPI_Info_free(&info);

  ConfigResult r;
  MPI_Request requests[2] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL};
  if (rank == 0) {
    check_mpi(MPI_Irecv(&r, result_doubles, MPI_DOUBLE, 0, result_tag, child, &requests[0]), "MPI_Irecv");
  }
  check_mpi(MPI_Ibarrier(child, &requests[1]), "MPI_Ibarrier");
  for (int done = 0; !done;) {
    check_mpi(MPI_Testall(2, requests, &done, MPI_STATUSES_IGNORE), "MPI_Testall");
    if (!done) usleep(20000);
  }
  MPI_Comm_disconnect(&child);
  check_mpi(MPI_Bcast(&r, result_doubles, MPI_DOUBLE, 0, world), "MPI_Bcast");
  return r;
}

void declare_memory_columns(bench::Table& t) {
  t.add_column("config")
      .add_column("storage")
      .add_column("ranks")
      .add_column("grid")
      .add_column("n")
      .add_column("c")
      .add_column("peak_live")
      .add_column("fwd_steps")
      .add_column("t(n,c)")
      .add_column("fwd/n", 3)
      .add_column("(fwd+rec)/n", 3)
      .add_column("snap_MiB/rank", 1)
      .add_column("rss_base_MiB", 1)
      .add_column("rss_peak_MiB", 1)
      .add_column("rss_sum_MiB", 1)
      .add_column("disk_GiB", 2)
      .add_column("fwd_ms", 2)
      .add_column("rev_ms", 2)
      .add_column("snap_s", 2)
      .add_column("wall_s", 2)
      .add_column("wall_min_s", 2)
      .add_column("wall_max_s", 2)
      .add_column("wall/store-all", 3)
      .add_column("reps")
      .add_column("grad_checksum");
}

/// One row from the repeats of a configuration: counts and memory from the first
/// (they do not vary; RSS is the largest seen), times as medians over repeats.
/// `relative` holds wall / store-all wall per repeat (empty without store-all).
void add_memory_row(bench::Table& t, const std::string& config, const RunSettings& s, int ranks,
                    const std::vector<ConfigResult>& runs, const std::vector<double>& relative) {
  const ConfigResult& r = runs.front();
  const CheckpointSchedule schedule = schedule_for(config, s);
  // Store-all: the forward sweep runs (and records) every step once.
  const std::int64_t bound = schedule.kind() == ScheduleKind::StoreAll
                                 ? s.steps
                                 : binomial_forward_steps(s.steps, std::min(s.snapshots, std::max(1, s.steps - 1)));
  const double n = s.steps;
  std::vector<double> fwd_ms, rev_ms, snap, wall;
  double rss_base = 0, rss_peak = 0, rss_sum = 0;
  for (const ConfigResult& q : runs) {
    fwd_ms.push_back(q.forward_steps > 0 ? (q.seconds_forward + q.seconds_recompute) / q.forward_steps * 1e3 : 0.0);
    rev_ms.push_back(q.seconds_reverse / n * 1e3);
    snap.push_back(q.seconds_snapshots);
    wall.push_back(q.wall);
    rss_base = std::max(rss_base, q.rss_base_max);
    rss_peak = std::max(rss_peak, q.rss_peak_max);
    rss_sum = std::max(rss_sum, q.rss_peak_sum);
  }
  t.add_row({{"config", config},
             {"storage", config == "revolve-disk" ? "disk" : "memory"},
             {"ranks", ranks},
             {"grid", std::to_string(s.cells) + "^2"},
             {"n", s.steps},
             {"c", static_cast<int>(r.max_snapshots)},
             {"peak_live", static_cast<int>(r.peak_live)},
             {"fwd_steps", static_cast<std::int64_t>(r.forward_steps)},
             {"t(n,c)", bound},
             {"fwd/n", r.forward_steps / n},
             {"(fwd+rec)/n", (r.forward_steps + r.recorded_steps) / n},
             {"snap_MiB/rank", config == "revolve-disk" ? 0.0 : r.peak_live * r.snapshot_bytes / ranks / 1048576.0},
             {"rss_base_MiB", rss_base},
             {"rss_peak_MiB", rss_peak},
             {"rss_sum_MiB", rss_sum},
             {"disk_GiB", r.disk_bytes_written / 1073741824.0},
             {"fwd_ms", bench::median(fwd_ms)},
             {"rev_ms", bench::median(rev_ms)},
             {"snap_s", bench::median(snap)},
             {"wall_s", bench::median(wall)},
             {"wall_min_s", *std::min_element(wall.begin(), wall.end())},
             {"wall_max_s", *std::max_element(wall.begin(), wall.end())},
             {"wall/store-all", relative.empty() ? std::nan("") : bench::median(relative)},
             {"reps", static_cast<int>(runs.size())},
             {"grad_checksum", checksum_text(r)}});
}

// ---------------------------------------------------------------------------
// Part 2: checkpoint write bandwidth
// ---------------------------------------------------------------------------

/// fwrite + fsync of `bytes` from `data` to `path` (truncating it), like a plain
/// checkpoint dump. Returns false on any error.
bool plain_write(const std::string& path, const std::vector<double>& data) {
  FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) return false;
  bool ok = std::fwrite(data.data(), sizeof(double), data.size(), file) == data.size();
  ok = std::fflush(file) == 0 && ok;
  ok = fsync(fileno(file)) == 0 && ok;
  return std::fclose(file) == 0 && ok;
}

void measure_writes(MPI_Comm world, const std::vector<std::int64_t>& sizes, int reps, const std::string& dir,
                    bench::Table& table) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(world, &rank);
  MPI_Comm_size(world, &ranks);
  std::vector<int> writer_counts{1};
  if (ranks > 1) writer_counts.push_back(ranks);
  bench::CommonOptions timing;
  timing.repetitions = reps;
  timing.batch = 1;
  timing.warmup = 1;

  for (const std::int64_t cells : sizes) {
    const GridSpec grid = GridSpec::rect(cells, cells, {true, true});
    const double bytes = 8.0 * static_cast<double>(grid.total_cells());
    // One field per writer count, on a communicator of that many ranks.
    std::vector<MPI_Comm> comms;
    std::vector<Field<double>> fields;
    for (const int p : writer_counts) {
      MPI_Comm sub = MPI_COMM_NULL;
      check_mpi(MPI_Comm_split(world, rank < p ? 0 : MPI_UNDEFINED, rank, &sub), "MPI_Comm_split");
      comms.push_back(sub);
      Field<double> f;
      if (sub != MPI_COMM_NULL) {
        f = Field<double>(Decomposition::create(grid, sub), "state", 1, 2);  // ghosts as in the heat solver
        fill_random(f, 17);
      }
      fields.push_back(f);
    }
    std::vector<double> buffer;
    if (rank == 0) buffer.assign(static_cast<std::size_t>(grid.total_cells()), 0.5);
    for (std::size_t i = 0; i < buffer.size(); ++i) buffer[i] = static_cast<double>(i % 1009) * 1e-3;

    std::vector<std::function<void()>> variants;
    for (std::size_t v = 0; v < writer_counts.size(); ++v) {
      const std::string path = dir + "/write_p" + std::to_string(writer_counts[v]) + ".h5";
      variants.push_back([&, v, path] {
        if (comms[v] != MPI_COMM_NULL) io::write_fields(path, {fields[v]}, {}, false);  // as the loop: no XDMF
      });
    }
    // io::checksum alone (part of every write_fields), to show where the time goes.
    std::uint64_t checksum_sink = 0;
    for (std::size_t v = 0; v < writer_counts.size(); ++v) {
      variants.push_back([&, v] {
        if (comms[v] != MPI_COMM_NULL) checksum_sink += io::checksum(fields[v]);
      });
    }
    int plain_failures = 0;
    const std::string plain_path = dir + "/plain.bin";
    variants.push_back([&] {
      if (rank == 0 && !plain_write(plain_path, buffer)) ++plain_failures;
    });
    const std::vector<bench::Timing> t = bench::time_interleaved(world, timing, variants);
    (void)checksum_sink;  // only there so that the checksum is not optimised away
    agree_or_throw(world, plain_failures == 0, "bench_checkpointing: fwrite/fsync to " + plain_path + " failed");
    const std::size_t nw = writer_counts.size();
    const bench::Timing& plain = t.back();
    const double plain_gbs = bytes / plain.median * 1e-9;
    for (std::size_t v = 0; v < nw; ++v) {
      table.add_row({{"grid", std::to_string(cells) + "^2"},
                     {"MiB", bytes / 1048576.0},
                     {"writers", writer_counts[v]},
                     {"hdf5_s", t[v].median},
                     {"plain_s", plain.median},
                     {"checksum_s", t[nw + v].median},
                     {"hdf5_GB/s", bytes / t[v].median * 1e-9},
                     {"plain_GB/s", plain_gbs},
                     {"hdf5_min_s", t[v].min},
                     {"hdf5_max_s", t[v].max},
                     {"plain_min_s", plain.min},
                     {"plain_max_s", plain.max}});
    }
    fields.clear();
    for (MPI_Comm& c : comms) {
      if (c != MPI_COMM_NULL) MPI_Comm_free(&c);
    }
    if (rank == 0) {
      std::error_code ignored;
      std::filesystem::remove(plain_path, ignored);
      for (const int p : writer_counts) std::filesystem::remove(dir + "/write_p" + std::to_string(p) + ".h5", ignored);
    }
  }
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Environment env(argc, argv);
  const MPI_Comm world = env.world();
  MPI_Comm parent = MPI_COMM_NULL;
  MPI_Comm_get_parent(&parent);
  int exit_code = 0;
  try {
    RunSettings s;
    std::string json_path, config, configs_text = "store-all,revolve,revolve-disk";
    std::vector<std::int64_t> write_cells{1024, 4096};
    int write_reps = 5;
    int repeat = 1;
    bool small = false;
    s.directory = "bench_checkpointing.tmp";
    CLI::App app{
        "Adjoint time loop: peak memory and recomputation of store-all vs revolve, and checkpoint write "
        "bandwidth (HDF5 vs fwrite+fsync)."};
    app.add_option("--json", json_path, "Also write the table rows as JSON objects to FILE")->type_name("FILE");
    app.add_option("--steps", s.steps, "Time steps n of the adjoint run")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--cells", s.cells, "Cells per dimension of the 2D heat grid")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--snapshots", s.snapshots, "Snapshots c of the revolve configurations")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--configs", configs_text,
                   "Configurations of part 1, in order (store-all, revolve, revolve-disk; "
                   "empty: skip part 1)")
        ->capture_default_str();
    app.add_option("--write-cells", write_cells, "Grid sizes (cells per dimension, 2D) of part 2 (0: skip part 2)")
        ->delimiter(',')
        ->check(CLI::NonNegativeNumber);
    app.add_option("--write-reps", write_reps, "Timed writes per variant in part 2 (median reported)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--repeat", repeat, "Runs of every configuration (round robin; medians of the times reported)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--dir", s.directory, "Scratch directory for disk snapshots and part 2 (removed afterwards)")
        ->capture_default_str();
    app.add_flag("--small", small,
                 "Smoke-test sizes: --steps 40 --cells 64 --snapshots 5 --write-cells 64 --write-reps 2 "
                 "(explicit options still win)");
    app.add_option("--config", config,
                   "Run only this configuration in this process set and print it (the parent "
                   "spawns children with it)");
    if (auto code = bench::parse_command_line(app, argc, argv, world)) return *code;
    if (small) {
      if (!app.count("--steps")) s.steps = 40;
      if (!app.count("--cells")) s.cells = 64;
      if (!app.count("--snapshots")) s.snapshots = 5;
      if (!app.count("--write-cells")) write_cells = {64};
      if (!app.count("--write-reps")) write_reps = 2;
    }
    s.directory = std::filesystem::absolute(s.directory).string();

    if (parent != MPI_COMM_NULL) return child_main(config, s, world, parent);

    const std::vector<std::string> configs =
        config.empty() ? split_list(configs_text) : std::vector<std::string>{config};
    for (const std::string& c : configs) {
      if (std::find(known_configs.begin(), known_configs.end(), c) == known_configs.end()) {
        throw Error("bench_checkpointing: unknown configuration '" + c + "' (store-all, revolve, revolve-disk)");
      }
    }
    if (env.rank() == 0) std::filesystem::create_directories(s.directory);
    MPI_Barrier(world);
    root_print(world, "bench_checkpointing: " + env.describe() + ", " + bench::utc_timestamp());

    bench::Table memory(
        "Adjoint of n heat steps: peak memory vs recomputation (each configuration in fresh processes)");
    bench::add_run_metadata(memory, env, "checkpointing");
    memory.add_metadata("part", "memory");
    declare_memory_columns(memory);
    // Round robin over the configurations, `repeat` times: load from other jobs
    // then hits every configuration alike, and the medians can be compared.
    std::vector<std::vector<ConfigResult>> runs(configs.size());
    for (int rep = 0; rep < repeat; ++rep) {
      for (std::size_t k = 0; k < configs.size(); ++k) {
        const std::string& c = configs[k];
        ConfigResult r;
        if (!config.empty()) {
          r = run_config(c, s, world);  // --config by hand: measured in this process
        } else {
          std::vector<std::string> args = {"--config",    c,
                                           "--steps",     std::to_string(s.steps),
                                           "--cells",     std::to_string(s.cells),
                                           "--snapshots", std::to_string(s.snapshots),
                                           "--dir",       s.directory};
          r = spawn_config(args, world);
        }
        if (r.ok <= 0) throw Error("bench_checkpointing: configuration '" + c + "' failed (see its message above)");
        if (!runs[k].empty() && checksum_text(r) != checksum_text(runs[k].front())) {
          throw Error("bench_checkpointing: configuration '" + c + "' gave another gradient in repeat " +
                      std::to_string(rep + 1));
        }
        runs[k].push_back(r);
        root_print(world, "  " + c + " (repeat " + std::to_string(rep + 1) + "/" + std::to_string(repeat) +
                              ") done: wall " + std::to_string(r.wall) + " s, peak RSS " +
                              std::to_string(r.rss_peak_max) + " MiB");
      }
    }
    const auto store_all = std::find(configs.begin(), configs.end(), "store-all");
    for (std::size_t k = 0; k < configs.size(); ++k) {
      std::vector<double> relative;
      if (store_all != configs.end()) {
        const auto& ref = runs[static_cast<std::size_t>(store_all - configs.begin())];
        for (std::size_t q = 0; q < runs[k].size(); ++q) relative.push_back(runs[k][q].wall / ref[q].wall);
      }
      add_memory_row(memory, configs[k], s, env.size(), runs[k], relative);
    }
    for (std::size_t k = 1; k < configs.size(); ++k) {
      if (checksum_text(runs[k].front()) != checksum_text(runs[0].front())) {
        throw Error("bench_checkpointing: '" + configs[k] + "' and '" + configs[0] +
                    "' gave different gradients (every schedule and storage must give the same bits)");
      }
    }
    if (memory.rows() > 0) {
      bench::print_on_root(world, memory);
      root_print(world,
                 "c: snapshots the schedule may hold (store-all: one recording per step instead); fwd_steps: forward "
                 "steps (t(n,c) is the revolve bound); rec: steps recorded again before their reverse (0 for "
                 "store-all, whose forward sweep records); snap_MiB/rank: peak_live x one "
                 "snapshot / ranks (memory storage); rss_*: VmHWM, base = before the loop, peak = after it (max over "
                 "ranks), sum = peak summed over ranks; fwd_ms: per forward step (initial and recomputed), rev_ms: "
                 "per reverse step (record + adjoint), snap_s: snapshot copies/files, all slowest rank, medians over "
                 "reps; wall/store-all: median over repeats of the ratio to the store-all run of the same round");
    }

    bench::Table writes(
        "Checkpoint write: io::write_fields (parallel HDF5) vs fwrite+fsync of the same bytes by one "
        "process (median of interleaved writes)");
    bench::add_run_metadata(writes, env, "checkpointing");
    writes.add_metadata("part", "write");
    writes.add_column("grid")
        .add_column("MiB", 1)
        .add_column("writers")
        .add_column("hdf5_s", 4)
        .add_column("plain_s", 4)
        .add_column("checksum_s", 4)
        .add_column("hdf5_GB/s", 3)
        .add_column("plain_GB/s", 3)
        .add_ratio_column("hdf5/plain", "hdf5_GB/s", "plain_GB/s", 2)
        .add_column("hdf5_min_s", 4)
        .add_column("hdf5_max_s", 4)
        .add_column("plain_min_s", 4)
        .add_column("plain_max_s", 4);
    write_cells.erase(std::remove(write_cells.begin(), write_cells.end(), 0), write_cells.end());
    if (config.empty() && !write_cells.empty()) {
      measure_writes(world, write_cells, write_reps, s.directory, writes);
      bench::print_on_root(world, writes);
      root_print(world,
                 "writers: ranks writing the HDF5 file; plain: rank 0 alone; checksum_s: io::checksum alone on the "
                 "writers; GB/s = 1e9 bytes/s; directory " +
                     s.directory);
    }

    if (!json_path.empty()) {
      std::vector<const bench::Table*> tables;
      if (memory.rows() > 0) tables.push_back(&memory);
      if (writes.rows() > 0) tables.push_back(&writes);
      bench::write_json(world, json_path, tables);
    }
    if (env.rank() == 0) {
      std::error_code ignored;
      for (const std::string& c : known_configs) std::filesystem::remove(s.directory + "/" + c, ignored);
      std::filesystem::remove(s.directory, ignored);  // only if empty: never delete a user's files
    }
  } catch (const Error& e) {
    root_print(world, std::string("bench_checkpointing: ") + e.what());
    exit_code = 1;
  }
  return exit_code;
}
