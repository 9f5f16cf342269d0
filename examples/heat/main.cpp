// heat: explicit heat conduction on a mesh file, forward and adjoint.
//
// A twin experiment. The "truth" uses the mesh's conductivity field; its final
// temperature after N steps from a hot spot becomes the observation. The model
// uses a uniform conductivity (the mean of the truth) and the same initial state.
// The program
//   1. runs the model forward and writes the final state (temperature,
//      observation, conductivity) to <output>/heat_state.h5 (+ .xmf);
//   2. runs the adjoint (checkpointed reverse sweep, binomial schedule) for
//      J = 1/2 |u_N - observation|^2 and writes the sensitivities dJ/du_0 and
//      dJ/dkappa to <output>/heat_sensitivity.h5 (+ .xmf): where the conductivity
//      should change to explain the observations;
//   3. verifies the derivatives of a short run (dot-product and Taylor tests)
//      and prints a summary. Exit status 1 if a check fails.
//
//   mpirun -n 4 undertow_heat_example --mesh meshes/channel2d.toml --field diffusivity --steps 200
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <string>

#include "undertow/io/output_directory.hpp"
#include "undertow/solvers/heat.hpp"
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
  CLI::App app{"Heat conduction on a mesh: forward run, adjoint sensitivities, verification"};
  std::string mesh_path = std::string(undertow_build::meshes_dir) + "/channel2d.toml";
  std::string field;
  std::string output = "heat_output";
  int steps = 200, snapshots = 8, verify_steps = 3;
  app.add_option("--mesh", mesh_path, "mesh file (TOML)");
  app.add_option("--field", field, "conductivity cell field of the mesh (default: its first coefficient field)");
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
    root_print(world, "heat example on " + env.describe());
    const mesh::Mesh m = mesh::load_mesh(mesh_path, world);
    root_print(world, m.describe());
    if (field.empty()) {
      for (const auto& f : m.fields()) {
        if (f.kind == mesh::CellFieldKind::Coefficient) {
          field = f.name;
          break;
        }
      }
      if (field.empty()) throw Error("mesh " + mesh_path + " has no coefficient field; give one with --field");
    }
    const GridSpec& g = m.grid();
    // A hot spot at 30% of the box, width 10% of the smallest extent.
    double width = 1e300;
    for (int d = 0; d < g.dim; ++d) width = std::min(width, 0.1 * (g.upper[d] - g.lower[d]));
    const CellFunction hot_spot = [&](double x, double y, double z) {
      const double p[3] = {x, y, z};
      double r2 = 0;
      for (int d = 0; d < g.dim; ++d) {
        const double c = g.lower[d] + 0.3 * (g.upper[d] - g.lower[d]);
        r2 += (p[d] - c) * (p[d] - c);
      }
      return std::exp(-r2 / (2 * width * width));
    };

    // The truth, on the mesh's conductivity, produces the observations.
    HeatParameters truth_params;
    truth_params.conductivity_field = field;
    truth_params.initial = hot_spot;
    HeatSolver truth(m, world, truth_params);
    const double kappa_mean = sum(truth.conductivity_field()) / static_cast<double>(g.total_cells());

    // The model: uniform conductivity, the same time step.
    HeatParameters params;
    params.conductivity = kappa_mean;
    params.dt = truth.dt();
    params.initial = hot_spot;
    HeatSolver model(m, truth.decomposition_ptr(), params);
    root_print(world, model.describe());

    truth.run(steps);
    model.set_observation(truth.temperature_field());

    // 1. Forward.
    model.run(steps);
    const double j_forward = model.objective();
    const double t_final = model.time();
    io::FieldFileInfo info;
    info.step = steps;
    info.time = model.time();
    info.scalars["objective"] = j_forward;
    const std::string state_file = output + "/heat_state.h5";
    io::write_fields(state_file, {model.temperature_field(), model.observation_field(), truth.conductivity_field()},
                     info);

    // 2. Adjoint from the initial state.
    model.set_temperature(hot_spot);
    model.set_time(0);
    Checkpointing opt;
    opt.snapshots = snapshots;
    const GradientResult r = model.gradient(steps, opt);
    const Field<double> du0 = model.gradient_initial_temperature().clone("dJ_dtemperature0");
    const Field<double> dkappa = model.gradient_conductivity().clone("dJ_dconductivity");
    const std::string sens_file = output + "/heat_sensitivity.h5";
    io::write_fields(sens_file, {du0, dkappa, truth.conductivity_field()}, info);

    // 3. Verification of a short run at the model's initial point.
    Problem f = model.function(verify_steps);
    VerifyOptions vo;
    vo.name = "heat, " + std::to_string(verify_steps) + " steps, inputs (u_0, kappa)";
    const VerificationReport report = verify(f, vo);

    const bool same_j = std::abs(r.objective - j_forward) <= 1e-12 * std::abs(j_forward);
    root_print(world, "summary:");
    root_print(world, "  steps " + std::to_string(steps) + ", t = " + fmt("%.6g", t_final) + ", conductivity field '" +
                          field + "', model conductivity " + fmt("%.6g", kappa_mean));
    root_print(world, "  objective J = " + fmt("%.10e", j_forward) + " (forward), " + fmt("%.10e", r.objective) +
                          " (adjoint sweep)" + (same_j ? "" : "  MISMATCH"));
    root_print(world, "  |dJ/du_0| = " + fmt("%.6e", norm2(du0)) + ", |dJ/dkappa| = " + fmt("%.6e", norm2(dkappa)));
    root_print(world, "  reverse sweep: " + std::to_string(r.stats.forward_steps) + " forward steps (" +
                          std::to_string(r.stats.recomputed_steps) + " recomputed), " +
                          std::to_string(r.stats.peak_live_snapshots) + " snapshots at most");
    root_print(world, "  wrote " + state_file + ", " + sens_file + " (open the .xmf files in ParaView)");
    root_print(world, report.str());
    return report.passed() && same_j ? 0 : 1;
  } catch (const Error& e) {
    root_print(world, std::string("error: ") + e.what());
    return 1;
  }
}
