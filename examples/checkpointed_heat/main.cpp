// Checkpointed adjoint of heat conduction over many time steps: where is the
// obstacle?
//
// A twin experiment on a mesh file (default meshes/channel2d.toml: a periodic
// channel with walls and a cylinder marked by the cell field `fluid`):
//  1. the "truth": heat diffuses from a warm spot with the mesh's diffusivity,
//     ten times smaller inside the cylinder; its final temperature is the
//     observation;
//  2. the model knows the diffusivity but not the cylinder; its objective is the
//     misfit J = 1/2 sum (u_n - observation)^2 after n steps;
//  3. the gradient dJ/dkappa (and dJ/du_0) comes from the adjoint of all n steps,
//     a Problem (HeatSolver::function) under a revolve schedule with c snapshots
//     (in memory, on disk, or both), with crash-safe restart points and a
//     progress line;
//  4. the final state and the sensitivities are written as HDF5 + XDMF for
//     ParaView; dJ/dkappa lights up around the cylinder the model does not know.
//
// Run (from the repository root, or pass --mesh):
//   mpirun -n 4 ./undertow_checkpointed_heat [--steps 2000] [--snapshots 20]
//       [--storage memory|disk|memory-then-disk] [--memory-snapshots 4]
//       [--dir checkpointed_heat.ckpt] [--restart-interval 100] [--resume]
//       [--output checkpointed_heat] [--progress 2]
// After a crash, run the same command with --resume: the reverse sweep continues
// from the last restart point. If the directory holds none (the previous run
// finished, or died before its first restart point), --resume says so and runs
// from the start: a finished run leaves nothing behind to resume, and the rerun
// gives the bitwise same result.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <undertow/solvers/heat.hpp>
#include <undertow/undertow.hpp>

#include "undertow_source_tree.hpp"

namespace {

using namespace undertow;

std::string format(const char* fmt, double a, double b = 0.0, double c = 0.0) {
  char text[256];
  std::snprintf(text, sizeof text, fmt, a, b, c);
  return text;
}

std::string hex(std::uint64_t v) {
  char text[24];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(v));
  return text;
}

/// out = a * (mask + factor * (1 - mask)) on owned cells: the truth's conductivity,
/// `factor` times smaller where the mask is 0 (inside the obstacle).
void scale_outside_mask(const Field<double>& out, const Field<double>& a, const Field<double>& mask, double factor) {
  auto o = out.view();
  auto av = a.view();
  auto m = mask.view();
  const Box b = out.owned_box();
  Kokkos::parallel_for(
      "checkpointed_heat::truth_conductivity",
      Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<3>>({b.lo[0], b.lo[1], b.lo[2]}, {b.hi[0], b.hi[1], b.hi[2]}),
      KOKKOS_LAMBDA(int i, int j, int k) {
        o(0, i, j, k) = av(0, i, j, k) * (m(0, i, j, k) + factor * (1.0 - m(0, i, j, k)));
      });
  Kokkos::fence();
}

/// Writes the model's state after step n (the problem's output), the observation
/// and their difference, with J as an attribute.
void write_final_state(const std::string& path, solvers::HeatSolver& heat, const Field<double>& final_state, int steps,
                       double objective) {
  Field<double> temperature = final_state.clone("temperature");
  Field<double> misfit = final_state.clone("misfit");
  axpy(misfit, -1.0, heat.observation_field());
  io::FieldFileInfo info;
  info.step = steps;
  info.time = steps * heat.dt();
  info.scalars["objective"] = objective;
  io::write_fields(path, {temperature, heat.observation_field(), misfit}, info);
}

SnapshotStorage parse_storage(const std::string& s) {
  if (s == "disk") return SnapshotStorage::Disk;
  if (s == "memory-then-disk") return SnapshotStorage::MemoryThenDisk;
  return SnapshotStorage::Memory;
}

}  // namespace

int main(int argc, char** argv) {
  Environment env(argc, argv);
  const MPI_Comm world = env.world();
  CLI::App app{"Checkpointed adjoint of heat conduction (revolve): sensitivity of a misfit to the conductivity"};
  std::string mesh_path = std::string(undertow_build::meshes_dir) + "/channel2d.toml";
  std::string storage_name = "memory", directory = "checkpointed_heat.ckpt", output = "checkpointed_heat";
  int steps = 2000, snapshots = 20, memory_snapshots = 4, restart_interval = 100;
  double progress = 2.0;
  bool resume = false;
  app.add_option("--mesh", mesh_path, "Mesh file (TOML) with cell fields 'diffusivity' and 'fluid'")
      ->capture_default_str();
  app.add_option("--steps", steps, "Time steps n")->check(CLI::Range(1, 100000000))->capture_default_str();
  app.add_option("--snapshots", snapshots, "Revolve snapshots c")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--storage", storage_name, "Where snapshots live")
      ->check(CLI::IsMember({"memory", "disk", "memory-then-disk"}))
      ->capture_default_str();
  app.add_option("--memory-snapshots", memory_snapshots, "memory-then-disk: snapshots kept in memory")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--dir", directory, "Directory for disk snapshots and restart points")->capture_default_str();
  app.add_option("--restart-interval", restart_interval, "Restart point every this many reverse steps (0: none)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_flag("--resume", resume, "Continue from the restart point in --dir (if there is none, run from the start)");
  app.add_option("--output", output, "Output prefix: <prefix>_final.h5/.xmf and <prefix>_sensitivity.h5/.xmf")
      ->capture_default_str();
  app.add_option("--progress", progress, "Seconds between progress lines (0: off)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::ostringstream silent;  // every rank parses; only rank 0 prints help or the error
    return env.rank() == 0 ? app.exit(e) : app.exit(e, silent, silent);
  }

  try {
    io::create_output_directory_for_prefix(output, world);  // before any work: a bad --output fails at once
    root_print(world, "Checkpointed heat adjoint on " + env.describe());
    const mesh::Mesh mesh = mesh::load_mesh(mesh_path, world);
    root_print(world, mesh.describe());
    auto dec = mesh.decompose(world);

    // Both runs start from the same warm spot and use the mesh's diffusivity; the
    // automatic time step depends only on its maximum, so both take the same dt.
    solvers::HeatParameters params;
    params.conductivity_field = "diffusivity";
    params.initial = [](double x, double y, double) {
      return std::exp(-((x - 0.55) * (x - 0.55) + (y - 0.5) * (y - 0.5)) / (2 * 0.2 * 0.2));
    };

    // 1. The truth and its observation (n forward steps; deterministic, so a
    //    resumed run rebuilds exactly the same observation).
    solvers::HeatSolver truth(mesh, dec, params);
    Field<double> truth_kappa = truth.conductivity_field().clone("conductivity_true");
    {
      const Field<double> fluid = mesh.load_field("fluid", dec, truth_kappa.ghost());
      scale_outside_mask(truth_kappa, truth.conductivity_field(), fluid, 0.1);
    }
    truth.set_conductivity(truth_kappa);
    truth.run(steps);

    // 2. The model (no obstacle) and its misfit to the observation.
    solvers::HeatSolver model(mesh, dec, params);
    model.set_observation(truth.temperature_field());
    root_print(world, model.describe());

    // 3. The checkpointed adjoint.
    const std::string final_path = output + "_final.h5", sensitivity_path = output + "_sensitivity.h5";
    Checkpointing checkpointing;
    checkpointing.snapshots = snapshots;
    AdjointLoopOptions& options = checkpointing.loop;
    options.storage = parse_storage(storage_name);
    options.memory_snapshots = memory_snapshots;
    options.directory = directory;
    options.restart_interval = restart_interval;
    options.progress_seconds = progress;
    if (progress <= 0) options.progress_sink = [](const std::string&) {};  // off, even with UNDERTOW_PROGRESS set
    Problem problem = model.function(steps, checkpointing);
    const CheckpointSchedule schedule = CheckpointSchedule::binomial(steps, snapshots);
    const ScheduleSummary plan = summarize(schedule);
    root_print(world, "schedule: " + schedule.describe() + ", storage " + storage_name + ", directory " + directory +
                          ", restart point every " + std::to_string(restart_interval) + " reverse steps");

    GradientResult result;
    if (resume && problem.restart_available()) {
      root_print(world, "resuming from the restart point in " + directory);
      result = problem.resume();
      problem.evaluate();  // the final state, which the interrupted run computed
    } else {
      if (resume) {
        root_print(world, "nothing to resume: " + directory +
                              " holds no restart point (the last run finished, or stopped before its first "
                              "restart point); running from the start");
      }
      result = problem.gradient();
    }
    const double objective = result.objective;
    write_final_state(final_path, model, problem.outputs()[0], steps, objective);

    // 4. Output.
    Field<double> dj_dkappa = model.gradient_conductivity().clone("dJ_dkappa");
    Field<double> dj_du0 = model.gradient_initial_temperature().clone("dJ_du0");
    Field<double> kappa = model.conductivity_field().clone("conductivity_model");
    io::FieldFileInfo info;
    info.step = 0;
    info.scalars["objective"] = objective;
    info.integers["steps"] = steps;
    io::write_fields(sensitivity_path, {dj_dkappa, dj_du0, kappa, truth_kappa}, info);

    // Where is dJ/dkappa largest? (gathered: the example's grid is small)
    const std::vector<double> g = gather_global(dj_dkappa);
    const GridSpec& grid = mesh.grid();
    std::size_t best = 0;
    for (std::size_t q = 1; q < g.size(); ++q) {
      if (g[q] > g[best]) best = q;
    }
    const std::int64_t bi = static_cast<std::int64_t>(best) / grid.cells[1];  // i-major, j fastest (2D)
    const std::int64_t bj = static_cast<std::int64_t>(best) % grid.cells[1];

    // 5. What it cost.
    const AdjointLoopStats& s = result.stats;
    const int c_used = schedule.max_snapshots();
    const std::int64_t bound = steps > 1 ? binomial_forward_steps(steps, c_used) : 0;
    root_print(world, "");
    root_print(world, "objective J = " + format("%.17g", objective));
    root_print(world, "gradient checksum: dJ/dkappa " + hex(io::checksum(dj_dkappa)) + "  dJ/du0 " +
                          hex(io::checksum(dj_du0)));
    root_print(world, format("largest dJ/dkappa = %.6g at (x, y) = (%.3f, %.3f)", g[best], grid.center(0, bi),
                             grid.center(1, bj)) +
                          " (the model's cylinder-free conductivity is too large there)");
    root_print(world, std::string("schedule statistics") + (s.resumed ? " (this resumed run's own work only):" : ":"));
    root_print(world, "  forward steps      " + std::to_string(s.forward_steps) + " (schedule " +
                          std::to_string(plan.forward_steps) + ", revolve bound t(n,c) = t(" + std::to_string(steps) +
                          "," + std::to_string(c_used) + ") = " + std::to_string(bound) + ")");
    root_print(world, "    initial sweep    " + std::to_string(s.initial_forward_steps));
    root_print(world, "    recomputations   " + std::to_string(s.recomputed_steps) +
                          format(" (%.2f per step)", static_cast<double>(s.recomputed_steps) / steps));
    root_print(world, "  reverse steps      " + std::to_string(s.adjoint_steps) + " (each one record + one adjoint)");
    root_print(world, "  snapshots          " + std::to_string(s.snapshots_written) + " written (" +
                          std::to_string(s.snapshots_written_to_disk) + " to disk), " +
                          std::to_string(s.snapshots_read) + " read (" + std::to_string(s.snapshots_read_from_disk) +
                          " from disk); peak live " + std::to_string(s.peak_live_snapshots) + " of " +
                          std::to_string(c_used) + ", peak in memory " + std::to_string(s.peak_memory_snapshots));
    root_print(world,
               format("  snapshot size      %.1f KiB (all ranks); disk written %.2f MiB, read %.2f MiB",
                      s.snapshot_bytes / 1024.0, s.disk_bytes_written / 1048576.0, s.disk_bytes_read / 1048576.0));
    root_print(world, "  restart points     " + std::to_string(s.restart_points) + " (" +
                          std::to_string(s.spilled_snapshots) + " memory snapshots spilled)" +
                          (s.resumed ? ", resumed at schedule position " + std::to_string(s.resumed_at_action) : ""));
    root_print(world, format("  time (rank 0)      %.2f s: forward %.2f, recompute %.2f, ", s.seconds_total,
                             s.seconds_forward, s.seconds_recompute) +
                          format("reverse %.2f, snapshots %.2f, restart %.2f", s.seconds_reverse, s.seconds_snapshots,
                                 s.seconds_restart));
    root_print(world, "");
    root_print(world, "wrote " + sensitivity_path + " (dJ_dkappa, dJ_du0, conductivity_model, conductivity_true) and " +
                          final_path + " (temperature at step n, observation, misfit)");
    root_print(world, "view: paraview " + io::xdmf_path(sensitivity_path) +
                          "  (Apply, then colour by the cell array dJ_dkappa; "
                          "open " +
                          io::xdmf_path(final_path) + " the same way for the temperature)");
  } catch (const Error& e) {
    root_print(world, std::string("checkpointed_heat: ") + e.what());
    return 1;
  }
  return 0;
}
