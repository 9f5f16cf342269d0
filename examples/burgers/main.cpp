// burgers: viscous Burgers on a mesh file, forward and adjoint.
//
// A twin experiment for the viscosity. The "truth" uses the mesh's viscosity
// field (e.g. the channel's diffusivity, larger near the walls); its final state
// becomes the observation. The model uses a uniform viscosity (the truth's mean).
// The program
//   1. runs the model forward and writes the final velocity, the observation and
//      the true viscosity to <output>/burgers_state.h5 (+ .xmf), checking the
//      maximum principle on the way;
//   2. runs the adjoint (checkpointed reverse sweep) of J = 1/2 |u_N - obs|^2 and
//      writes dJ/du_0 and dJ/dnu to <output>/burgers_sensitivity.h5 (+ .xmf);
//   3. verifies the derivatives of a short run (dot-product and Taylor tests) and
//      prints a summary. Exit status 1 if a check fails.
//
//   mpirun -n 4 undertow_burgers_example --mesh meshes/channel2d.toml --viscosity-field diffusivity
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "undertow/io/output_directory.hpp"
#include "undertow/solvers/burgers.hpp"
#include "undertow/undertow.hpp"
#include "undertow_source_tree.hpp"

using namespace undertow;
using namespace undertow::solvers;

namespace {

std::string fmt(const char* f, double x) {
  char buf[128];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  Environment env(argc, argv);
  CLI::App app{"Viscous Burgers on a mesh: forward run, adjoint sensitivities, verification"};
  std::string mesh_path = std::string(undertow_build::meshes_dir) + "/channel2d.toml";
  std::string output = "burgers_output", viscosity_field;
  double viscosity = 0.01, amplitude = 1.0;
  int steps = 150, snapshots = 8, verify_steps = 3;
  app.add_option("--mesh", mesh_path, "mesh file (TOML)");
  app.add_option("--viscosity-field", viscosity_field, "cell field of the mesh holding the true viscosity");
  app.add_option("--viscosity", viscosity, "true viscosity if no field is given")->check(CLI::Range(0.0, 1e6));
  app.add_option("--amplitude", amplitude, "amplitude of the initial velocity")->check(CLI::Range(0.0, 1e6));
  app.add_option("--steps", steps, "time steps")->check(CLI::Range(1, 10000000));
  app.add_option("--snapshots", snapshots, "snapshots of the reverse sweep (revolve); 0 = keep every state")
      ->check(CLI::Range(0, 100000));
  app.add_option("--verify-steps", verify_steps, "steps of the verified run")->check(CLI::Range(1, 1000));
  app.add_option("--output", output, "output directory");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return env.rank() == 0 ? app.exit(e) : e.get_exit_code();  // rank 0 prints
  }
  const MPI_Comm world = env.world();
  try {
    io::create_output_directory(output, world);  // before any work: a bad --output fails at once
    root_print(world, "Burgers example on " + env.describe());
    const mesh::Mesh m = mesh::load_mesh(mesh_path, world);
    root_print(world, m.describe());
    const GridSpec& g = m.grid();
    constexpr double pi = 3.14159265358979323846;
    // A positive bump along x (it steepens into a viscous shock) with smooth variation across.
    const CellFunction initial = [&g, amplitude](double x, double y, double) {
      const double lx = g.upper[0] - g.lower[0], ly = g.upper[1] - g.lower[1];
      const double sx = std::sin(2 * pi * (x - g.lower[0]) / lx);
      const double sy = g.dim > 1 ? std::sin(pi * (y - g.lower[1]) / ly) : 1.0;
      return amplitude * (0.5 + 0.5 * sx) * sy;
    };

    BurgersParameters truth_params;
    truth_params.viscosity_field = viscosity_field;
    truth_params.viscosity = viscosity;
    truth_params.initial = initial;
    BurgersSolver truth(m, world, truth_params);
    const double nu_mean = sum(truth.viscosity_field()) / static_cast<double>(g.total_cells());

    // The model: uniform viscosity, the truth's time step (stable: nu_mean <= max nu).
    BurgersParameters params;
    params.viscosity = nu_mean;
    params.dt = truth.dt();
    params.initial = initial;
    BurgersSolver model(m, truth.decomposition_ptr(), params);
    root_print(world, model.describe());
    truth.run(steps);
    model.set_observation(truth.velocity_field());

    // 1. Forward, with the maximum principle checked at the end.
    const double umax0 = max_abs(model.velocity_field());
    model.run(steps);
    const double umax = max_abs(model.velocity_field());
    const bool bounded = umax <= umax0 * (1 + 1e-12);
    const double j_forward = model.objective();
    const double t_final = model.time();
    io::FieldFileInfo info;
    info.step = steps;
    info.time = model.time();
    info.scalars["objective"] = j_forward;
    const std::string state_file = output + "/burgers_state.h5";
    io::write_fields(state_file, {model.velocity_field(), model.observation_field(), truth.viscosity_field()}, info);

    // 2. Adjoint.
    model.set_velocity(initial);
    model.set_time(0);
    Checkpointing opt;
    opt.snapshots = snapshots;
    const GradientResult r = model.gradient(steps, opt);
    const Field<double> du0 = model.gradient_initial_velocity().clone("dJ_dvelocity0");
    const Field<double> dnu = model.gradient_viscosity().clone("dJ_dviscosity");
    const std::string sens_file = output + "/burgers_sensitivity.h5";
    io::write_fields(sens_file, {du0, dnu, truth.viscosity_field()}, info);

    // 3. Verification of a short run at the model's initial point.
    Problem f = model.function(verify_steps);
    VerifyOptions vo;
    vo.name = "Burgers, " + std::to_string(verify_steps) + " steps, inputs (u_0, nu)";
    vo.relative_step = 1e-4;  // no max(|u_L|, |u_R|) branch flips
    const VerificationReport report = verify(f, vo);

    const bool same_j = std::abs(r.objective - j_forward) <= 1e-12 * std::abs(j_forward);
    root_print(world, "summary:");
    root_print(world, "  steps " + std::to_string(steps) + ", t = " + fmt("%.6g", t_final) + ", model viscosity " +
                          fmt("%.6g", nu_mean) + ", max|u| " + fmt("%.6g", umax0) + " -> " + fmt("%.6g", umax) +
                          (bounded ? "" : "  (maximum principle VIOLATED)"));
    root_print(world, "  objective J = " + fmt("%.10e", j_forward) + " (forward), " + fmt("%.10e", r.objective) +
                          " (adjoint sweep)" + (same_j ? "" : "  MISMATCH"));
    root_print(world, "  |dJ/du_0| = " + fmt("%.6e", norm2(du0)) + ", |dJ/dnu| = " + fmt("%.6e", norm2(dnu)));
    root_print(world, "  reverse sweep: " + std::to_string(r.stats.forward_steps) + " forward steps (" +
                          std::to_string(r.stats.recomputed_steps) + " recomputed), " +
                          std::to_string(r.stats.peak_live_snapshots) + " snapshots at most");
    root_print(world, "  wrote " + state_file + ", " + sens_file + " (open the .xmf files in ParaView)");
    root_print(world, report.str());
    return report.passed() && same_j && bounded ? 0 : 1;
  } catch (const Error& e) {
    root_print(world, std::string("error: ") + e.what());
    return 1;
  }
}
