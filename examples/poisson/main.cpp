// undertow_poisson_example: steady heat conduction on a mesh file, and the gradient of a
// data misfit with respect to the conductivity, by one implicit adjoint solve.
//
// The mesh (default meshes/channel2d.toml: a channel, periodic in x, with walls
// and a cylinder) gives the grid, the boundary kinds and the conductivity field.
// The problem is -div(kappa grad u) = f with a heated cylinder (f = --source
// where the mesh's mask is 0, else 0); mesh faces map to conditions on u as
// dirichlet -> dirichlet(value), wall -> dirichlet(--wall-value) (isothermal
// walls), neumann/outflow -> zero gradient, periodic -> the halo exchange. A twin
// experiment provides the data: u_obs is the solution with a conductivity raised
// by 50% in a disc; J = 1/2 sum (u - u_obs)^2 and dJ/dkappa (which points at the
// disc) come from Poisson::gradient(). The program prints the CG iteration counts
// (forward and adjoint), a verification report of the gradient (dot-product and
// Taylor tests with a tight CG tolerance), and writes u, kappa and the gradients
// to HDF5 + XDMF (open poisson_gradient.xmf in ParaView). Exit code 1 if the
// verification fails.
//
// Without a mesh (--cells 512,512) the problem is posed on the unit square with
// walls at u = 0 and a smooth conductivity; --repeat N runs the gradient N times
// and reports the fastest forward and adjoint solve (for timing).
//
//   mpirun -n 2 undertow_poisson_example [--mesh meshes/channel2d.toml] [--output DIR]
//   undertow_poisson_example --cells 512,512 --repeat 3 --no-verify --no-output
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "undertow/io/output_directory.hpp"
#include "undertow/solvers/poisson.hpp"
#include "undertow/undertow.hpp"
#include "undertow_source_tree.hpp"

using namespace undertow;
using namespace undertow::solvers;

namespace {

BoundaryConditions conditions_for(const mesh::Mesh& m, double wall_value) {
  BoundaryConditions bc;
  bool dirichlet = false;
  for (int d = 0; d < m.grid().dim; ++d) {
    for (int side = 0; side < 2; ++side) {
      const mesh::FaceBoundary& f = m.boundary().at(d, side);
      switch (f.kind) {
        case mesh::BoundaryKind::Periodic:
          break;
        case mesh::BoundaryKind::Dirichlet:
          bc.set(d, side, FaceCondition::dirichlet(f.value));
          dirichlet = true;
          break;
        case mesh::BoundaryKind::Wall:
          bc.set(d, side, FaceCondition::dirichlet(wall_value));
          dirichlet = true;
          break;
        case mesh::BoundaryKind::Neumann:
        case mesh::BoundaryKind::Outflow:
          bc.set(d, side, FaceCondition::neumann());
          break;
      }
    }
  }
  if (!dirichlet) {
    throw Error("mesh '" + m.name() + "' has no wall or dirichlet face: -div(kappa grad u) = f is singular " +
                "without one (boundary: " + m.boundary().describe(m.grid().dim) + ")");
  }
  return bc;
}

}  // namespace

int main(int argc, char** argv) {
  Environment env(argc, argv);
  CLI::App app{"Poisson problem on a mesh file, gradient wrt the conductivity by an implicit adjoint"};
  std::string mesh_path = std::string(undertow_build::meshes_dir) + "/channel2d.toml", kappa_name = "diffusivity",
              mask_name = "fluid";
  std::string output = ".", preconditioner = "jacobi";
  double tolerance = 1e-10, source = 1.0, wall_value = 0.0;
  int max_iterations = 20000, repeat = 1;
  std::vector<std::int64_t> cells;
  bool verify_gradient = true, write = true;
  app.add_option("--mesh", mesh_path, "mesh file (TOML)");
  app.add_option("--cells", cells, "no mesh file: the unit square/cube with these cells, walls at u = 0")
      ->expected(1, 3)
      ->delimiter(',');
  app.add_option("--repeat", repeat, "gradient evaluations (the fastest is reported)")->check(CLI::PositiveNumber);
  app.add_option("--kappa-field", kappa_name, "cell field used as the conductivity");
  app.add_option("--mask-field", mask_name, "mask field: the source heats cells where it is 0 (uniform if absent)");
  app.add_option("--source", source, "source strength f");
  app.add_option("--wall-value", wall_value, "u on faces of kind 'wall'");
  app.add_option("--tolerance", tolerance, "CG relative residual tolerance");
  app.add_option("--max-iterations", max_iterations, "CG iteration cap");
  app.add_option("--preconditioner", preconditioner, "jacobi or none")->check(CLI::IsMember({"jacobi", "none"}));
  app.add_option("--output", output, "directory for poisson_gradient.h5/.xmf");
  app.add_flag("!--no-verify", verify_gradient, "skip the verification report");
  app.add_flag("!--no-output", write, "do not write HDF5");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return env.rank() == 0 ? app.exit(e) : e.get_exit_code();  // rank 0 prints
  }
  const bool root = env.rank() == 0;

  try {
    if (write) io::create_output_directory(output, MPI_COMM_WORLD);  // before any work
    mesh::Mesh m;
    if (cells.empty()) {
      m = mesh::load_mesh(mesh_path, MPI_COMM_WORLD);
    } else {
      const GridSpec grid = cells.size() == 1   ? GridSpec::line(cells[0])
                            : cells.size() == 2 ? GridSpec::rect(cells[0], cells[1])
                                                : GridSpec::box(cells[0], cells[1], cells[2]);
      m = mesh::Mesh(grid, mesh::BoundarySpec::periodic_or(grid, mesh::FaceBoundary::wall()), "unit box");
    }
    auto dec = m.decompose(MPI_COMM_WORLD);
    const GridSpec& g = m.grid();
    if (root) std::printf("%s\n%s\n", m.describe().c_str(), dec->describe().c_str());

    PoissonOptions opt;
    opt.boundary = conditions_for(m, wall_value);
    opt.solve.relative_tolerance = tolerance;
    opt.solve.max_iterations = max_iterations;
    opt.solve.preconditioner = preconditioner == "none" ? Preconditioner::None : Preconditioner::Jacobi;
    auto set_up = [&](Poisson& problem) {
      if (m.has_field(kappa_name)) {
        m.read_field(kappa_name, problem.conductivity());
      } else {
        set_by_global_index<double>(problem.conductivity(), [&](int, std::int64_t i, std::int64_t j, std::int64_t k) {
          return 1.0 + 0.5 * std::sin(6.0 * g.center(0, i)) * std::cos(4.0 * g.center(1, j) + 2.0 * g.center(2, k));
        });
      }
      fill(problem.source(), source);
      if (m.has_field(mask_name)) axpy(problem.source(), -source, m.load_field(mask_name, dec, 0));  // f = s (1 - mask)
    };

    // Twin experiment: the data come from a conductivity raised by 50% in a disc.
    Poisson truth(dec, opt);
    set_up(truth);
    const double cx = g.lower[0] + 0.6 * (g.upper[0] - g.lower[0]), cy = g.lower[1] + 0.3 * (g.upper[1] - g.lower[1]);
    const double radius = 0.12 * (g.upper[1] - g.lower[1]);
    Field<double> bump = truth.conductivity().clone_layout("bump");
    set_by_global_index<double>(bump, [&](int, std::int64_t i, std::int64_t j, std::int64_t) {
      const double dx = g.center(0, i) - cx, dy = g.dim > 1 ? g.center(1, j) - cy : 0.0;
      return dx * dx + dy * dy < radius * radius ? 1.5 : 1.0;
    });
    {
      const Field<double> k0 = truth.conductivity().clone("k0");
      auto kv = truth.conductivity().view();
      auto k0v = k0.view();
      auto bv = bump.view();
      const Box o = k0.owned_box(), ob = bump.owned_box();
      const int sx = ob.lo[0] - o.lo[0], sy = ob.lo[1] - o.lo[1], sz = ob.lo[2] - o.lo[2];
      Kokkos::parallel_for(
          "kappa_true",
          Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<3>>({o.lo[0], o.lo[1], o.lo[2]}, {o.hi[0], o.hi[1], o.hi[2]}),
          KOKKOS_LAMBDA(int i, int j, int k) { kv(0, i, j, k) = k0v(0, i, j, k) * bv(0, i + sx, j + sy, k + sz); });
    }
    truth.solve();

    Poisson problem(dec, opt);
    set_up(problem);
    copy(problem.observation(), truth.solution());
    // Wall seconds from the solve's statistics; on a shared machine the process CPU
    // time (one thread) is steadier: adjoint = CPU(gradient) - CPU(forward solve).
    double j = 0, best_forward = 1e300, best_adjoint = 1e300, cpu_forward = 1e300, cpu_adjoint = 1e300;
    for (int n = 0; n < repeat; ++n) {
      const std::clock_t c0 = std::clock();
      problem.solve();
      const std::clock_t c1 = std::clock();
      j = problem.gradient();
      const std::clock_t c2 = std::clock();
      const double forward = double(c1 - c0) / CLOCKS_PER_SEC, gradient = double(c2 - c1) / CLOCKS_PER_SEC;
      cpu_forward = std::min(cpu_forward, forward);
      cpu_adjoint = std::min(cpu_adjoint, gradient - forward);
      best_forward = std::min(best_forward, problem.stats().last_forward.seconds);
      best_adjoint = std::min(best_adjoint, problem.stats().last_adjoint.seconds);
    }
    const LinearSolveStats& st = problem.stats();
    const double norm_dk = norm2(problem.gradient_conductivity()), norm_df = norm2(problem.gradient_source());
    if (root) {
      std::printf("\nJ = 1/2 |u - u_obs|^2 = %.6e   |dJ/dkappa| = %.6e   |dJ/df| = %.6e\n", j, norm_dk, norm_df);
      std::printf(
          "CG (%s, relative tolerance %.1e): forward %d iterations (residual %.2e, %.3f s), adjoint %d "
          "iterations (residual %.2e, %.3f s)\n",
          to_string(opt.solve.preconditioner), tolerance, st.last_forward.iterations, st.last_forward.relative_residual,
          best_forward, st.last_adjoint.iterations, st.last_adjoint.relative_residual, best_adjoint);
      std::printf("adjoint / forward wall time: %.2f (fastest of %d; per CG iteration %.2f)\n",
                  best_adjoint / best_forward, repeat,
                  (best_adjoint / st.last_adjoint.iterations) / (best_forward / st.last_forward.iterations));
      std::printf("CPU seconds (rank 0): forward %.3f, adjoint %.3f, adjoint / forward %.2f\n", cpu_forward,
                  cpu_adjoint, cpu_adjoint / cpu_forward);
    }

    if (write) {
      const std::string path = output + "/poisson_gradient.h5";
      Field<double> dk = problem.gradient_conductivity().clone_layout("dJ_dkappa");
      copy(dk, problem.gradient_conductivity());
      Field<double> df = problem.gradient_source().clone_layout("dJ_df");
      copy(df, problem.gradient_source());
      io::FieldFileInfo info;
      info.scalars["objective"] = j;
      info.integers["cg_forward_iterations"] = st.last_forward.iterations;
      info.integers["cg_adjoint_iterations"] = st.last_adjoint.iterations;
      io::write_fields(path, {problem.solution(), problem.conductivity(), problem.observation(), dk, df}, info);
      if (root) std::printf("wrote %s and %s\n", path.c_str(), io::xdmf_path(path).c_str());
    }

    bool ok = true;
    if (verify_gradient) {
      // Dot-product and Taylor tests need solves far below the Taylor remainders:
      // the same problem with a tight CG tolerance.
      PoissonOptions tight = opt;
      tight.solve.relative_tolerance = 1e-13;
      tight.solve.max_iterations = 100 * max_iterations;
      Poisson check(dec, tight);
      set_up(check);
      copy(check.observation(), truth.solution());
      Problem f(check.program(), {check.f(), check.kappa()}, {check.u()}, {1});
      VerifyOptions vo;
      vo.name = "Poisson on " + m.name() + ": (f, kappa) -> (u, J)";
      const VerificationReport report = verify(f, vo);
      ok = report.passed();
      if (root) std::printf("\n%s\n%s\n", report.str().c_str(), check.stats().str().c_str());
    }
    return ok ? 0 : 1;
  } catch (const Error& e) {
    if (root) std::fprintf(stderr, "undertow_poisson_example: %s\n", e.what());
    return 2;
  }
}
