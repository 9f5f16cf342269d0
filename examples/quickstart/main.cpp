// Quick start: the whole Undertow pipeline on one screen.
//
//  1. split a 2D grid over the MPI ranks and check that the transposed halo
//     exchange is the exact transpose of the exchange;
//  2. write a per-cell kernel once (nonlinear diffusion with a conductivity field);
//  3. put it in a step program (exchange, walls, kernel, update, misfit objective);
//  4. get the gradient of the objective with respect to the initial state and the
//     conductivity from the reverse run, and verify it with the public harness
//     (dot-product test, Taylor test).
//
// Run: mpirun -n 4 ./undertow_quickstart [--cells 96] [--steps 20]
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <undertow/undertow.hpp>

namespace {

// The kernel: u_new = u + dt/h^2 div(kappa(u) grad u), with a temperature-dependent
// conductivity kappa * (1 + 0.5 tanh(u)). Written once; Undertow derives tangent
// and adjoint.
struct NonlinearDiffusion : undertow::Kernel<undertow::Inputs<1, 1>, undertow::Outputs<1>> {
  static constexpr undertow::Stencil stencil = undertow::Stencil::star(2, 1);
  double dt_over_h2 = 0.1;

  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    const S u0 = in(0, 0, 0);
    const S k0 = in(1, 0, 0) * (1.0 + 0.5 * undertow::tanh(u0));
    S flux = 0.0;
    const int di[4] = {1, -1, 0, 0}, dj[4] = {0, 0, 1, -1};
    // Unrolled, every read offset is a constant: the adjoint skips zero terms (docs/kernels.md).
    UNDERTOW_UNROLL
    for (int q = 0; q < 4; ++q) {
      const S un = in(0, di[q], dj[q]);
      const S kn = in(1, di[q], dj[q]) * (1.0 + 0.5 * undertow::tanh(un));
      flux += 0.5 * (k0 + kn) * (un - u0);
    }
    out(0) = u0 + dt_over_h2 * flux;
  }
};

}  // namespace

int main(int argc, char** argv) {
  undertow::Environment env(argc, argv);
  CLI::App app{"Undertow quick start: halo transpose, a user kernel, its adjoint and verification"};
  int cells = 96, steps = 20;
  app.add_option("--cells", cells, "cells per dimension")->check(CLI::Range(8, 4096));
  app.add_option("--steps", steps, "time steps")->check(CLI::Range(1, 100000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return env.rank() == 0 ? app.exit(e) : e.get_exit_code();  // rank 0 prints
  }
  const MPI_Comm world = env.world();
  using undertow::root_print;
  root_print(world, "Undertow quick start on " + env.describe());
  try {
    // 1. Decomposition and halo.
    auto dec = undertow::Decomposition::create(undertow::GridSpec::rect(cells, cells, {false, true}), world);
    root_print(world, "  " + dec->describe());
    {
      undertow::Field<double> x(dec, "x", 1, 2), y(dec, "y", 1, 2);
      undertow::fill_random(x, 1);
      undertow::fill_random(y, 2);
      undertow::Halo halo(dec, undertow::HaloPattern::Box, 2);
      undertow::Field<double> ex = x.clone("Ex"), ety = y.clone("ETy");
      halo.exchange(ex);
      halo.exchange_adjoint(ety);
      const double lhs = undertow::dot_all(ex, y), rhs = undertow::dot_all(x, ety);
      char line[200];
      std::snprintf(line, sizeof line, "  halo: <E x, y> = %.15f  <x, E^T y> = %.15f  (%d neighbour messages/rank)",
                    lhs, rhs, halo.neighbor_count());
      root_print(world, line);
    }

    // 2-3. The step program.
    // [doc:variables]
    undertow::Program program(dec);                         // dec: shared_ptr<const Decomposition>
    const auto u = program.add_state("temperature", 1, 2);  // name, components, ghost width
    const auto kappa = program.add_parameter("conductivity", 1, 2);
    const auto next = program.add_temporary("temperature_next", 1, 2);
    const auto observed = program.add_data("observed");
    // [doc:variables end]
    // [doc:operations]
    undertow::BoundaryConditions walls;
    walls.set(0, 0, undertow::FaceCondition::dirichlet(1.0)).set(0, 1, undertow::FaceCondition::neumann());
    undertow::BoundaryConditions insulated;
    insulated.set(0, 0, undertow::FaceCondition::neumann()).set(0, 1, undertow::FaceCondition::neumann());
    program.exchange(u);         // halo exchange of the whole ghost layer (Box)
    program.boundary(u, walls);  // ghost cells beyond the walls
    program.exchange(kappa);
    program.boundary(kappa, insulated);
    program.apply(NonlinearDiffusion{}, {u, kappa}, {next});
    program.copy(u, next);
    program.check_finite(u);                        // NaN/Inf: the same error on every rank, with the step
    program.set_section(undertow::Section::Final);  // terms evaluated once, after the last step
    program.objective_misfit(u, observed, 1.0 / (double(cells) * cells));
    // [doc:operations end]
    root_print(world, program.describe());

    undertow::set_by_global_index<double>(program.value(kappa), [&](int, std::int64_t i, std::int64_t j, std::int64_t) {
      return 1.0 +
             0.5 * std::exp(-0.002 * double((i - cells / 2) * (i - cells / 2) + (j - cells / 3) * (j - cells / 3)));
    });
    undertow::fill(program.value(observed), 0.5);

    // 4. Gradient and verification.
    // Every call runs `steps` steps from the current u and kappa and leaves them there.
    undertow::Problem run(program, {u, kappa}, {}, {steps});
    const double j = run.evaluate();
    std::vector<undertow::Field<double>> gradient = {program.value(u).clone_layout("dJ_du0"),
                                                     program.value(kappa).clone_layout("dJ_dkappa")};
    run.adjoint({}, 1.0, gradient);
    char line[200];
    std::snprintf(line, sizeof line, "  J = %.12e after %d steps; |dJ/du0| = %.6e, |dJ/dkappa| = %.6e", j, steps,
                  undertow::norm2(gradient[0]), undertow::norm2(gradient[1]));
    root_print(world, line);
    // [doc:verify]
    undertow::VerifyOptions options;
    options.name = "quick-start step program (" + std::to_string(steps) + " steps)";
    const undertow::VerificationReport report = undertow::verify(run, options);
    root_print(world, report.str());
    // [doc:verify end]
    return report.passed() ? 0 : 2;
  } catch (const undertow::Error& e) {
    root_print(world, std::string("error: ") + e.what());
    return 1;
  }
}
