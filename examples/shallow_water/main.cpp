// Tsunami sensitivity in a coastal basin: which parts of the initial sea-surface
// displacement and of the sea floor matter most for what a coastal wave gauge sees?
//
// Loads the coastal-basin mesh (meshes/coastal_basin.toml: deep ocean, continental
// slope, shelf, island, bay), puts a hump of water offshore and a gauge in the bay,
// runs the shallow-water solver forward (writing an animation), then runs the
// adjoint backwards with revolve checkpointing to get dJ/d(initial surface) and
// dJ/d(depth) for J = time integral of the squared gauge elevation, writes them as
// HDF5 + XDMF for ParaView, cross-checks the gradient against finite differences
// and runs the verification harness on a short version of the same problem.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "undertow/io/output_directory.hpp"
#include "undertow/solvers/shallow_water.hpp"
#include "undertow/undertow.hpp"
#include "undertow_source_tree.hpp"

using undertow::Field;
using undertow::solvers::ShallowWaterParameters;
using undertow::solvers::ShallowWaterSolver;
using undertow::solvers::TimeScheme;

namespace {

struct Settings {
  std::string mesh = std::string(undertow_build::source_dir) + "/meshes/coastal_basin.toml";
  std::string output = "shallow_water_output";
  double duration = 1800.0;  // s
  int steps = 0;             // overrides duration
  double cfl = 0.8;
  double dt = 0.0;
  std::string scheme = "euler";
  double min_depth = 10.0;
  double hump_x = 110e3, hump_y = 110e3, hump_amplitude = 2.0, hump_radius = 12e3;
  double gauge_x = 205e3, gauge_y = 120e3, gauge_radius = 3e3;
  int snapshots = 16;
  int frames = 24;
  int verify_steps = 12;
  bool no_check = false;
};

char line_buffer[512];
template <class... A>
std::string format(const char* f, A... a) {
  std::snprintf(line_buffer, sizeof line_buffer, f, a...);
  return line_buffer;
}

/// Global (i, j) and value of the entry of largest magnitude (arrays from gather_global).
struct Peak {
  std::int64_t i = 0, j = 0;
  double value = 0;
};
Peak peak_of(const std::vector<double>& v, std::int64_t ny) {
  Peak p;
  for (std::size_t k = 0; k < v.size(); ++k) {
    if (std::abs(v[k]) > std::abs(p.value)) {
      p.value = v[k];
      p.i = static_cast<std::int64_t>(k) / ny;
      p.j = static_cast<std::int64_t>(k) % ny;
    }
  }
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  undertow::Environment env(argc, argv);
  const MPI_Comm comm = env.world();
  auto say = [&](const std::string& s) { undertow::root_print(comm, s); };

  Settings st;
  CLI::App app{"Undertow shallow-water demo: tsunami sensitivity of a coastal wave gauge (forward + adjoint)"};
  app.add_option("--mesh", st.mesh, "Mesh file (TOML) with a 'bathymetry' field")->capture_default_str();
  app.add_option("-o,--output", st.output, "Output directory")->capture_default_str();
  app.add_option("--duration", st.duration, "Simulated time (s)")->capture_default_str();
  app.add_option("--steps", st.steps, "Number of time steps (overrides --duration)");
  app.add_option("--cfl", st.cfl, "CFL number: dt = cfl * largest stable step")->capture_default_str();
  app.add_option("--dt", st.dt, "Time step (s); 0: cfl * largest stable step")->capture_default_str();
  app.add_option("--scheme", st.scheme, "Time scheme")->check(CLI::IsMember({"euler", "rk2"}))->capture_default_str();
  app.add_option("--min-depth", st.min_depth, "Cells shallower than this (m) are land")->capture_default_str();
  app.add_option("--hump-x", st.hump_x, "Initial hump centre x (m)")->capture_default_str();
  app.add_option("--hump-y", st.hump_y, "Initial hump centre y (m)")->capture_default_str();
  app.add_option("--hump-amplitude", st.hump_amplitude, "Initial hump height (m)")->capture_default_str();
  app.add_option("--hump-radius", st.hump_radius, "Initial hump radius (Gaussian sigma, m)")->capture_default_str();
  app.add_option("--gauge-x", st.gauge_x, "Gauge x (m)")->capture_default_str();
  app.add_option("--gauge-y", st.gauge_y, "Gauge y (m)")->capture_default_str();
  app.add_option("--gauge-radius", st.gauge_radius, "Gauge footprint radius (m)")->capture_default_str();
  app.add_option("--snapshots", st.snapshots, "Revolve checkpoints kept in memory")->capture_default_str();
  app.add_option("--frames", st.frames, "Frames of the forward animation (0: none)")->capture_default_str();
  app.add_option("--verify-steps", st.verify_steps, "Steps of the verified short run (0: skip)")->capture_default_str();
  app.add_flag("--no-check", st.no_check, "Skip the finite-difference cross-check");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = env.rank() == 0 ? app.exit(e) : (e.get_exit_code() == 0 ? 0 : 1);
    return code;
  }

  try {
    const auto t_start = std::chrono::steady_clock::now();
    auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count(); };
    std::filesystem::path out(st.output);
    undertow::io::create_output_directory(st.output, comm);  // before any work: a bad --output fails at once

    say("==============================================================================");
    say(" Undertow shallow-water demo: which parts of a tsunami source and of the sea");
    say(" floor matter most for a coastal wave gauge?");
    say("==============================================================================");
    say(env.describe());

    // ---- the problem ----
    const undertow::mesh::Mesh mesh = undertow::mesh::load_mesh(st.mesh, comm);
    say("\nMesh " + mesh.source());
    say(mesh.describe());
    ShallowWaterParameters o;
    o.safety = st.cfl;
    o.dt = st.dt;
    o.scheme = st.scheme == "rk2" ? TimeScheme::SspRk2 : TimeScheme::ForwardEuler;
    o.depth_field = "bathymetry";
    o.mask_field = mesh.has_field("water") ? "water" : "";
    o.min_depth = st.min_depth;
    o.gauge = {st.gauge_x, st.gauge_y, st.gauge_radius};
    const double hx = st.hump_x, hy = st.hump_y, ha = st.hump_amplitude, hr = st.hump_radius;
    o.initial_elevation = [=](double x, double y, double) {
      return ha * std::exp(-((x - hx) * (x - hx) + (y - hy) * (y - hy)) / (2.0 * hr * hr));
    };
    ShallowWaterSolver solver(mesh, comm, o);
    const int steps = st.steps > 0 ? st.steps : std::max(1, static_cast<int>(std::ceil(st.duration / solver.dt())));
    const double T = steps * solver.dt();
    say("\n" + solver.describe());
    say(format("  land = mask 0 or still-water depth < %.0f m (the coastline is a reflective wall)", st.min_depth));
    say(format("  initial hump: %.2f m high, radius %.0f km, at (%.0f km, %.0f km)", ha, hr / 1e3, hx / 1e3, hy / 1e3));
    say(format("  gauge: radius %.1f km at (%.0f km, %.0f km), %.0f%% of its footprint in water", st.gauge_radius / 1e3,
               st.gauge_x / 1e3, st.gauge_y / 1e3, 100.0 * solver.gauge_coverage()));
    say(format("  J = sum_n dt * sum_cells G (eta^n)^2 over %d steps (%.0f s = %.1f min)", steps, T, T / 60.0));

    // ---- forward run, with an animation ----
    say("\n-- Forward run ----------------------------------------------------------------");
    Field<double> eta(solver.decomposition_ptr(), "eta", 1, 0);
    Field<double> water = solver.water_field().clone("water");
    undertow::io::TimeSeriesWriter movie((out / "forward").string(), comm);
    const int every = st.frames > 0 ? std::max(1, steps / st.frames) : 0;
    const int report_every = std::max(1, steps / 12);
    double peak_gauge = 0, peak_time = 0;
    const double volume0 = solver.volume();
    auto frame = [&](int n) {
      solver.surface_elevation(eta);
      undertow::io::FieldFileInfo info;
      info.step = n;
      info.time = n * solver.dt();
      movie.write({eta, water}, info);
    };
    say("   step    t (min)   gauge eta (cm)   max |eta| (m)   J so far (m^2 s)");
    auto report = [&](int n) {
      say(format("  %5d   %7.1f   %14.3f   %13.3f   %16.5g", n, n * solver.dt() / 60.0,
                 100.0 * solver.gauge_elevation(), solver.max_elevation(), solver.objective()));
    };
    solver.reset();
    report(0);
    if (every > 0) frame(0);
    const double t_forward = seconds();
    solver.run(steps, [&](std::int64_t n) {
      const double g = solver.gauge_elevation();
      if (std::abs(g) > std::abs(peak_gauge)) {
        peak_gauge = g;
        peak_time = n * solver.dt();
      }
      if (n % report_every == 0 || n == steps) report(n);
      if (every > 0 && (n % every == 0 || n == steps)) frame(n);
    });
    const double forward_seconds = seconds() - t_forward;
    const double J = solver.objective();
    solver.surface_elevation(eta);
    Field<double> eta_final = eta.clone("eta_final");
    say(format("  J = %.6g m^2 s  (rms gauge elevation over the run: %.2f cm)", J, 100.0 * std::sqrt(J / T)));
    say(format("  highest gauge reading %.2f cm at t = %.1f min; water volume changed by %.2g m^3 (%.1e of it)",
               100.0 * peak_gauge, peak_time / 60.0, solver.volume() - volume0, (solver.volume() - volume0) / volume0));
    say(format("  %d steps in %.2f s (%.2f ms/step)", steps, forward_seconds, 1e3 * forward_seconds / steps));

    // ---- adjoint run ----
    say("\n-- Adjoint run (revolve checkpointing) ----------------------------------------");
    const double t_adjoint = seconds();
    undertow::Checkpointing checkpointing;
    checkpointing.snapshots = std::max(1, std::min(st.snapshots, steps));
    checkpointing.loop.progress_seconds = 10.0;
    const auto grad = solver.gradient(steps, checkpointing);
    const double adjoint_seconds = seconds() - t_adjoint;
    const auto& s = grad.stats;
    say("  schedule " + undertow::CheckpointSchedule::binomial(steps, checkpointing.snapshots).describe());
    say(format("  %lld forward steps (%lld recomputed), %lld reverse steps; at most %d snapshots of %.2f MB in memory",
               static_cast<long long>(s.forward_steps), static_cast<long long>(s.recomputed_steps),
               static_cast<long long>(s.adjoint_steps), s.peak_live_snapshots, s.snapshot_bytes / 1e6));
    say(format("  (storing every state instead would keep %d snapshots, %.1f MB)", steps - 1,
               (steps - 1) * s.snapshot_bytes / 1e6));
    say(format("  %.2f s: forward %.2f s, recompute %.2f s, reverse %.2f s (adjoint/forward cost %.1fx)",
               adjoint_seconds, s.seconds_forward, s.seconds_recompute, s.seconds_reverse,
               adjoint_seconds / forward_seconds));
    say(format("  J from the adjoint sweep %.6g m^2 s (forward run: %.6g)", grad.objective, J));

    // ---- sensitivity maps ----
    Field<double> d_depth = solver.gradient_bed().clone("dJ_ddepth");
    undertow::scale(d_depth, -1.0);  // depth = eta_rest - b
    Field<double> d_eta0 = solver.gradient_initial_elevation().clone("dJ_deta0");
    Field<double> depth = solver.bed_field().clone("depth");
    undertow::scale(depth, -1.0);
    Field<double> eta0 = solver.initial_elevation_field().clone("eta0");
    Field<double> gauge = solver.gauge_field().clone("gauge_weight");
    const std::string sens_path = (out / "sensitivity.h5").string();
    undertow::io::FieldFileInfo info;
    info.step = steps;
    info.time = T;
    info.scalars["J"] = J;
    info.scalars["dt"] = solver.dt();
    undertow::io::write_fields(sens_path, {d_eta0, d_depth, eta0, eta_final, depth, water, gauge}, info);

    const undertow::GridSpec& grid = mesh.grid();
    const Peak pe = peak_of(undertow::gather_global(d_eta0), grid.cells[1]);
    const Peak pd = peak_of(undertow::gather_global(d_depth), grid.cells[1]);
    say("\n-- Sensitivities --------------------------------------------------------------");
    say("  dJ_deta0(x): change of J per metre of extra initial surface at x (bed fixed): the adjoint");
    say("    'reverse tsunami' sent out from the gauge, backwards in time; large where a source would");
    say("    matter most for this gauge over this time window.");
    say("  dJ_ddepth(x): change of J per metre of extra still-water depth at x (initial surface fixed);");
    say("    negative where deeper water would weaken the gauge signal (less shoaling, other travel times).");
    const double cell_km = grid.spacing(0) / 1e3;
    say(format("  dJ/d(eta0)  is largest at (%.0f km, %.0f km): %+.4g m s, i.e. raising the initial surface",
               grid.center(0, pe.i) / 1e3, grid.center(1, pe.j) / 1e3, pe.value));
    say(format("              there by 1 cm (one %.0f x %.0f km cell) changes J by %+.3f%%", cell_km, cell_km,
               100.0 * pe.value * 0.01 / J));
    say(format("  dJ/d(depth) is largest at (%.0f km, %.0f km): %+.4g m s, i.e. 1 m more depth there changes J",
               grid.center(0, pd.i) / 1e3, grid.center(1, pd.j) / 1e3, pd.value));
    say(format("              by %+.3f%%", 100.0 * pd.value / J));
    // The hump amplitude A: dJ/dA = <dJ/deta0, hump / A>.
    Field<double> shape = eta0.clone("shape");
    undertow::scale(shape, 1.0 / ha);
    const double dJdA = undertow::dot(d_eta0, shape);
    say(format("  dJ/d(hump amplitude) = %.6g m s per metre (J ~ A^2 would give 2 J / A = %.6g)", dJdA, 2.0 * J / ha));
    bool ok = true;
    if (!st.no_check) {
      const double eps = 1e-3 * ha;
      const Field<double>& e0 = solver.initial_elevation_field();
      auto run_j = [&] {
        solver.reset();
        solver.run(steps);
        return solver.objective();
      };
      undertow::axpy(e0, eps, shape);
      const double jp = run_j();
      undertow::axpy(e0, -2.0 * eps, shape);
      const double jm = run_j();
      undertow::axpy(e0, eps, shape);
      const double fd = (jp - jm) / (2.0 * eps);
      const double rel = std::abs(fd - dJdA) / std::max(std::abs(fd), 1e-300);
      say(format("  finite-difference check: (J(A+e) - J(A-e)) / 2e = %.6g, relative difference %.1e  %s", fd, rel,
                 rel < 1e-5 ? "OK" : "MISMATCH"));
      ok = ok && rel < 1e-5;
    }

    // ---- verification of a short version of the same problem ----
    if (st.verify_steps > 0) {
      say("\n-- Verification (undertow::verify, " + std::to_string(st.verify_steps) +
          " steps of the same problem, adjoint through revolve) --");
      undertow::Checkpointing revolve;
      revolve.snapshots = 3;
      auto f = solver.function(std::min(st.verify_steps, steps), revolve);
      undertow::VerifyOptions vo;
      vo.name = "(eta0, bed) -> (final state, J), coastal basin, " + std::string(to_string(o.scheme));
      vo.relative_step = 1e-4;  // perturbations of ~0.5 m: the shallowest water is min_depth deep
      const undertow::VerificationReport r = undertow::verify(f, vo);
      say(r.str());
      ok = ok && r.passed();
    }

    // ---- where the results are ----
    const std::string abs_out = std::filesystem::absolute(out).lexically_normal().string();
    say("-- Output ---------------------------------------------------------------------");
    say("  " + abs_out + "/forward.xmf       animation: eta (surface elevation, m), water (1 = sea)");
    say("  " + abs_out + "/sensitivity.xmf   dJ_deta0, dJ_ddepth, eta0, eta_final, depth, water, gauge_weight");
    say("  Open in ParaView:  paraview " + abs_out + "/forward.xmf " + abs_out + "/sensitivity.xmf");
    say("    - pick the 'Xdmf3 Reader S' if asked, click Apply; 2D data lies in ParaView's y-z plane:");
    say("      press 'Set view direction to -X' (then x of the mesh points right and y up)");
    say("    - forward.xmf: colour by eta, press Play for the animation");
    say("    - sensitivity.xmf: colour by dJ_deta0 or dJ_ddepth with a diverging colour map (e.g. 'Cool to");
    say("      Warm', centred on 0); Filters > Threshold on 'water' between 0.5 and 1 hides the land");
    say("  Python:  /usr/bin/python3 -c \"import h5py; f = h5py.File('" + abs_out +
        "/sensitivity.h5'); print(f['fields/dJ_deta0'].shape)\"");
    say(format("\nTotal %.1f s on %d rank(s). %s", seconds(), env.size(),
               ok ? "All checks passed." : "SOME CHECKS FAILED."));
    return ok ? 0 : 1;
  } catch (const undertow::Error& e) {
    say(std::string("error: ") + e.what());
    return 1;
  }
}
