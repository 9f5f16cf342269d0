// multipoint_heat_design: the derivatives of a multipoint design problem.
//
// A conductivity field kappa(x) = 1 + sum_j y_j phi_j, y = a tanh(P x) from four
// design variables, is used at several operating conditions (heat source strength,
// wall temperature, time horizon) of a nonlinear transient heat problem; each
// condition is one point: a step Program on its own rank group, turned into a
// PointModel by ProgramPoint (see heat_design.hpp). The program prints
//   * the rank allocation (which ranks run which condition),
//   * the responses and the gathered Jacobian dz/dx (the same on every rank),
//   * the wall time of the serialised reverse (one adjoint solve at a time through
//     the shared upstream) against the parallel coloured reverse (all groups at
//     once, each through its private copy of the upstream), and the speedup,
//   * a central finite-difference check of the whole Jacobian,
// and exits non-zero if the coloured and serialised Jacobians differ or the
// finite differences disagree.
//
//   mpirun -n 2 multipoint_heat_design [--cells 48] [--steps 80] [--conditions 2] [--reps 3]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "heat_design.hpp"

namespace {

using namespace undertow;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// Seconds of `body` on the slowest rank (the call is collective).
template <class Body>
double timed(MPI_Comm comm, Body&& body) {
  MPI_Barrier(comm);
  const double start = MPI_Wtime();
  body();
  double local = MPI_Wtime() - start, slowest = 0;
  MPI_Allreduce(&local, &slowest, 1, MPI_DOUBLE, MPI_MAX, comm);
  return slowest;
}

std::string format(const char* fmt, double v) {
  char text[64];
  std::snprintf(text, sizeof text, fmt, v);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  Environment env(argc, argv);
  const MPI_Comm world = env.world();
  int cells = 48, steps = 80, conditions = 3, reps = 3;
  double fd_step = 1e-4, tolerance = 1e-6;
  CLI::App app{
      "Jacobian of a multipoint heat-conduction design problem: allocation, parallel vs serialised "
      "reverse, finite-difference check."};
  app.add_option("--cells", cells, "Cells per side of the square grid")
      ->check(CLI::Range(8, 4096))
      ->capture_default_str();
  app.add_option("--steps", steps, "Time steps of the nominal condition (the others scale it)")
      ->check(CLI::Range(2, 1000000))
      ->capture_default_str();
  app.add_option("--conditions", conditions, "Operating conditions (points), 1-3")
      ->check(CLI::Range(1, 3))
      ->capture_default_str();
  app.add_option("--reps", reps, "Timed repetitions of each reverse (the median is shown)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--fd-step", fd_step, "Step of the central finite differences")->capture_default_str();
  app.add_option("--tolerance", tolerance, "Largest accepted relative finite-difference error")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::ostringstream silent;
    return env.rank() == 0 ? app.exit(e) : app.exit(e, silent, silent);
  }

  int status = 0;
  try {
    heat_design::Config config;
    config.cells = cells;
    config.conditions = heat_design::default_conditions(steps);
    config.conditions.resize(static_cast<std::size_t>(conditions));
    auto model = heat_design::make_model(world, config);
    const bool root = env.rank() == 0;
    std::ostringstream out;
    out << "multipoint heat design on " << env.describe() << "\n"
        << "grid " << cells << "x" << cells << ", " << model->num_design_variables() << " design variables -> "
        << model->num_upstream_outputs() << " conductivity coefficients, " << model->num_points() << " conditions\n";
    for (int p = 0; p < model->num_points(); ++p) {
      const heat_design::Condition& c = config.conditions[static_cast<std::size_t>(p)];
      out << "  point " << p << " '" << c.name << "': heating " << c.heating << ", wall temperature "
          << c.wall_temperature << ", " << c.steps << " steps\n";
    }
    out << "rank allocation:\n" << model->groups().allocation().describe() << "\n";

    const std::vector<double> x = heat_design::default_design();
    const std::vector<double> z = model->analyse(x);
    std::vector<std::string> row_names;
    for (int p = 0; p < model->num_points(); ++p) {
      for (const char* r : {"hot-spot mean", "profile misfit"})
        row_names.push_back(config.conditions[static_cast<std::size_t>(p)].name + " / " + r);
    }

    // Serialised and parallel reverse, interleaved so that load from other jobs
    // hits both alike.
    MultipointJacobian coloured, serial;
    int coloured_rounds = 0, serial_rounds = 0;
    std::vector<double> t_serial, t_coloured;
    const SeedColouring none = SeedColouring::none(model->num_responses());
    for (int rep = 0; rep < reps; ++rep) {
      t_serial.push_back(timed(world, [&] { serial = model->reverse(none); }));
      serial_rounds = model->last_rounds();
      t_coloured.push_back(timed(world, [&] { coloured = model->reverse(); }));
      coloured_rounds = model->last_rounds();
    }
    const double ts = median(t_serial), tc = median(t_coloured);
    const double bitwise_difference = coloured.max_abs_difference(serial);

    out << "\nresponses and Jacobian dz/dx (coloured reverse, identical on every rank):\n";
    out << "  " << std::string(28, ' ') << std::string(15, ' ');
    for (int k = 0; k < coloured.cols(); ++k) out << "          dx" << k;
    out << "\n";
    for (int r = 0; r < coloured.rows(); ++r) {
      char name[64];
      std::snprintf(name, sizeof name, "  %-28s", row_names[static_cast<std::size_t>(r)].c_str());
      out << name << format(" z = %11.6f", z[static_cast<std::size_t>(r)]);
      for (int k = 0; k < coloured.cols(); ++k) out << format(" %12.5e", coloured(r, k));
      out << "\n";
    }
    out << "\nreverse mode, median of " << reps << " (slowest rank):\n"
        << "  serialised reverse: " << format("%8.3f", ts) << " s, " << serial_rounds << " rounds\n"
        << "  parallel reverse:   " << format("%8.3f", tc) << " s, " << coloured_rounds << " rounds\n"
        << "  speedup:            " << format("%8.2f", ts / tc) << "x\n"
        << "  max |coloured - serialised| = " << bitwise_difference
        << (bitwise_difference == 0 ? " (bitwise equal)" : "") << "\n";

    // Central finite differences of the whole model.
    double worst = 0;
    for (int k = 0; k < model->num_design_variables(); ++k) {
      std::vector<double> xp = x, xm = x;
      xp[static_cast<std::size_t>(k)] += fd_step;
      xm[static_cast<std::size_t>(k)] -= fd_step;
      const std::vector<double> zp = model->analyse(xp), zm = model->analyse(xm);
      for (int r = 0; r < model->num_responses(); ++r) {
        const double fd = (zp[static_cast<std::size_t>(r)] - zm[static_cast<std::size_t>(r)]) / (2 * fd_step);
        worst = std::max(worst, std::fabs(fd - coloured(r, k)) / std::max(std::fabs(coloured(r, k)), 1e-3));
      }
    }
    const bool fd_ok = worst <= tolerance;
    out << "finite differences (h = " << fd_step << "): worst relative error " << format("%.2e", worst) << " -> "
        << (fd_ok ? "OK" : "FAILED") << " (tolerance " << tolerance << ")\n";
    if (root) std::cout << out.str() << std::flush;
    if (!fd_ok || bitwise_difference != 0) status = 1;
  } catch (const Error& e) {
    if (env.rank() == 0) std::cerr << "multipoint_heat_design: " << e.what() << "\n";
    status = 1;
  }
  return status;
}
