// Test driver for crash-safe resume (run by kill_resume.sh under mpirun).
//
//   restart_driver full   --out FILE                    uninterrupted reference run
//   restart_driver kill   --dir DIR --kill-after STEP   run with restart points; right
//                                                       after reverse step STEP, rank 0
//                                                       SIGKILLs every rank (itself last)
//   restart_driver resume --dir DIR --out FILE          finish the killed run
// Options for kill/resume: --schedule binomial|periodic, --storage disk|memdisk.
// FILE receives the gathered gradient dJ/du_0 and dJ/da as raw doubles (rank 0).
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <string>

#include "time/toy_stepper.hpp"
#include "undertow/time/adjoint_loop.hpp"

using namespace undertow;
using undertow_test::ToyStepper;

namespace {

constexpr int kSteps = 40;

void write_result(const std::string& path, ToyStepper& toy, MPI_Comm comm) {
  std::vector<double> values = gather_global(toy.gradient());
  values.push_back(toy.a_bar());
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  if (rank != 0) return;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size() * sizeof(double)));
}

}  // namespace

int main(int argc, char** argv) {
  Environment env(argc, argv);
  int rc = 0;
  {
    std::map<std::string, std::string> opt{{"schedule", "binomial"}, {"storage", "memdisk"}};
    const std::string mode = argc > 1 ? argv[1] : "";
    for (int i = 2; i + 1 < argc; i += 2) opt[std::string(argv[i]).substr(2)] = argv[i + 1];
    // Every rank's pid on rank 0, for the kill.
    const int pid = static_cast<int>(getpid());
    std::vector<int> pids(static_cast<std::size_t>(env.size()));
    MPI_Gather(&pid, 1, MPI_INT, pids.data(), 1, MPI_INT, 0, env.world());

    auto dec = Decomposition::create(ToyStepper::grid(), env.world());
    ToyStepper toy(dec);
    toy.set_initial();
    if (mode == "full") {
      AdjointLoop loop(toy, CheckpointSchedule::store_all(kSteps));
      loop.run();
      write_result(opt.at("out"), toy, env.world());
    } else if (mode == "kill" || mode == "resume") {
      AdjointLoopOptions o;
      o.directory = opt.at("dir");
      o.restart_interval = 4;
      o.storage = opt["storage"] == "disk" ? SnapshotStorage::Disk : SnapshotStorage::MemoryThenDisk;
      o.memory_snapshots = 2;
      const CheckpointSchedule schedule = opt["schedule"] == "periodic" ? CheckpointSchedule::periodic(kSteps, 6)
                                                                        : CheckpointSchedule::binomial(kSteps, 5);
      if (mode == "kill") {
        const int kill_after = std::stoi(opt.at("kill-after"));
        AdjointLoop* self = nullptr;
        o.after_reverse_step = [&](int step) {
          if (step != kill_after || env.rank() != 0) return;
          if (self->stats().restart_points == 0) {
            std::fprintf(stderr, "restart_driver: no restart point before step %d\n", step);
            MPI_Abort(env.world(), 5);
          }
          std::printf(
              "restart_driver: %lld restart points written, the last before action %lld; "
              "sending SIGKILL to every rank after reverse step %d\n",
              static_cast<long long>(self->stats().restart_points),
              static_cast<long long>(self->stats().last_restart_action), step);
          std::fflush(stdout);
          // No cleanup of any kind: the processes vanish wherever they are.
          for (std::size_t r = 1; r < pids.size(); ++r) kill(static_cast<pid_t>(pids[r]), SIGKILL);
          kill(getpid(), SIGKILL);
        };
        AdjointLoop loop(toy, schedule, o);
        self = &loop;
        loop.run();
        std::fprintf(stderr, "restart_driver: the run was not killed\n");
        rc = 3;
      } else {
        if (!AdjointLoop::restart_available(o.directory, env.world())) {
          root_print(env.world(), "restart_driver: no restart point in " + o.directory);
          rc = 4;
        } else {
          AdjointLoop loop(toy, schedule, o);
          loop.resume();
          root_print(env.world(), "restart_driver: resumed at action " +
                                      std::to_string(loop.stats().resumed_at_action) + ", " +
                                      std::to_string(loop.stats().adjoint_steps) + " reverse steps redone");
          write_result(opt.at("out"), toy, env.world());
        }
      }
    } else {
      root_print(env.world(), "usage: restart_driver full|kill|resume [--dir D] [--out F] [--kill-after K]");
      rc = 2;
    }
  }
  return rc;
}
