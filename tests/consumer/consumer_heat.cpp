// An outside project's solver run against the installed (and moved) package: the
// heat solver (Undertow::solver_heat, find_package(Undertow COMPONENTS solvers)) on
// the installed sample mesh channel2d with its conductivity field, and the
// verification harness on its gradient over 20 steps. Exits non-zero if a check
// fails.
#include <cmath>
#include <string>
#include <undertow/solvers/heat.hpp>
#include <undertow/undertow.hpp>

int main(int argc, char** argv) {
  undertow::Environment env(argc, argv);
  bool passed = false;
  {
    const undertow::mesh::Mesh m = undertow::mesh::load_mesh(CONSUMER_MESH_DIR "/channel2d.toml", env.world());
    undertow::solvers::HeatParameters p;
    p.conductivity_field = "diffusivity";
    p.initial = [](double x, double y, double) { return std::exp(-4.0 * ((x - 1) * (x - 1) + (y - 0.5) * (y - 0.5))); };
    p.observation = [](double x, double, double) { return 0.1 * x; };
    undertow::solvers::HeatSolver heat(m, env.world(), p);
    undertow::Problem twenty_steps = heat.function(20);
    const undertow::VerificationReport report = undertow::verify(twenty_steps);
    undertow::root_print(env.world(), "consumer_heat: " + report.str());
    passed = report.passed();
  }
  return passed ? 0 : 1;
}
