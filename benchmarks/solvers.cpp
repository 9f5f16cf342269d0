// bench_solvers: the cost of one time step of each of Undertow's solvers in
// primal, tangent and adjoint mode, side by side in one run.
//
// Every solver exposes its time step as a Program (program/program.hpp). For each
// solver -- explicit heat with a conductivity field, limited (van Leer) upwind
// advection, viscous Burgers, shallow water (forward Euler), backward-Euler heat
// (one CG solve per step) and Poisson (one CG solve) -- on a 2D grid with walls,
// this program times, interleaved:
//   primal    Program::run_forward (what the solver's step() runs);
//   tangent   Program::run_tangent with --directions tangent directions (value
//             and tangents advance together);
//   record    Program::run_forward_record (the step, keeping what the reverse
//             needs: AdjointLoop runs it before every reverse step);
//   reverse   Program::run_reverse of the recorded step (the adjoint proper).
// The state and the adjoint state keep evolving from call to call, as in a time
// loop; tangents and adjoints are seeded with reproducible random fields so that
// no mode works on zeros (a CG solve with a zero right-hand side returns at once).
// Reported: median ms per call (slowest rank); tangent/primal, reverse/primal and
// adjoint/primal with adjoint = record + reverse, against the targets (adjoint /
// primal <= 1.3 for the linear solvers heat, implicit heat and Poisson, <= 2.0 for
// the nonlinear ones); million cells per second of each mode; the STREAM triad of
// the same run and `triad_B/cell`, the bytes per cell the triad streams in the
// time of one primal step (a step that moves far fewer bytes per cell than that is
// not bandwidth-bound). For the two CG solvers a second table compares the primal
// and the adjoint linear solve themselves (LinearSolveStats: iterations, ms per
// solve and per iteration; target adjoint/primal <= 1.2). A third table times a
// whole gradient over --gradient-steps steps through Problem, every state kept:
// the primal sweep (evaluate), the gradient whose forward sweep records what the
// reverse reads (the default; target gradient/sweep <= 2.3 for heat) and the one
// that re-runs every step in the reverse sweep instead (record_forward = false).
//
// The default sizes make the arrays one step touches exceed the last-level cache;
// Poisson is the exception (its CG needs iterations in proportion to the cells per
// side, so a large grid takes minutes per solve): the backward-Euler heat runs the
// same CG on the same operator at full size.
//
//   mpirun -n 2 bench_solvers [--cells 6144] [--sw-cells 3072] [--implicit-cells 2048]
//                             [--poisson-cells 256] [--solvers heat,burgers] [--gradient-steps 8]
//                             [--json out.json]

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "bench_common.hpp"
#include "undertow/solvers/advection.hpp"
#include "undertow/solvers/burgers.hpp"
#include "undertow/solvers/heat.hpp"
#include "undertow/solvers/implicit_heat.hpp"
#include "undertow/solvers/poisson.hpp"
#include "undertow/solvers/shallow_water.hpp"
#include "undertow/undertow.hpp"

namespace {

using namespace undertow;

constexpr double kPi = 3.14159265358979323846;

/// A solver set up for timing: its step program, kept alive by `owner`.
struct Subject {
  std::shared_ptr<void> owner;
  Program* program = nullptr;
  const LinearSolveStats* solve_stats = nullptr;  // CG-based solvers only
  std::int64_t cells = 0;
  std::string grid;
  std::string setting;  // dt, iterations... for the log
};

/// Grid sizes (cells per side) and solver settings. The defaults make the arrays
/// one step touches add up to more than the 480 MiB last-level cache the VM
/// reports (ENVIRONMENT.md), and the whole run take a few minutes.
struct Settings {
  std::int64_t cells = 6144;           // heat, advection, Burgers: 288 MiB per field
  std::int64_t sw_cells = 3072;        // shallow water: 3 components, 216 MiB per state field
  std::int64_t implicit_cells = 2048;  // backward-Euler heat: ~12 CG and program fields of 32 MiB
  std::int64_t poisson_cells = 256;    // Poisson: CG iterations grow like the cells per side
  int directions = 1;
  double implicit_dt = 2.0;  // backward-Euler dt in units of h^2 (kappa ~ 1): sets the CG iterations
  double cg_rtol = 1e-8;
  double poisson_rtol = 1e-6;
  int gradient_steps = 8;  // steps of the whole-gradient table (0: skip it)
};

std::string square(std::int64_t n) {
  return std::to_string(n) + "^2";
}

std::string format_number(double x, int digits = 3) {
  std::ostringstream os;
  os.precision(digits);
  os << x;
  return os.str();
}

// ---- set-ups: smooth, non-trivial fields (every branch of the nonlinear kernels
// is taken somewhere), walls on every side so that boundary fills are part of the
// step, as in the examples ----

/// A solver's step program, kept alive by the Subject.
template <class Solver>
Subject subject_of(const std::shared_ptr<Solver>& solver, std::string setting) {
  Subject sub;
  sub.program = &solver->program();
  sub.setting = std::move(setting);
  sub.owner = solver;
  return sub;
}

Subject make_heat(MPI_Comm comm, const Settings& s) {
  solvers::HeatParameters params;
  params.conductivity_function = [](double x, double y, double) {
    return 1.0 + 0.5 * std::sin(2 * kPi * x) * std::cos(2 * kPi * y);
  };
  params.initial = [](double x, double y, double) {
    return std::exp(-((x - 0.4) * (x - 0.4) + (y - 0.5) * (y - 0.5)) / 0.02);
  };
  auto solver = std::make_shared<solvers::HeatSolver>(GridSpec::rect(s.cells, s.cells), comm, params);
  return subject_of(solver, "dt = " + format_number(solver->dt()) + " (0.9 dt_max)");
}

Subject make_advection(MPI_Comm comm, const Settings& s) {
  solvers::AdvectionParameters params;
  params.velocity = {1.0, 0.6, 0.0};
  params.limiter = solvers::Limiter::VanLeer;
  params.initial = [](double x, double y, double) {
    // A smooth hump on a step: smooth regions, extrema and a discontinuity for the limiter.
    return std::exp(-((x - 0.3) * (x - 0.3) + (y - 0.4) * (y - 0.4)) / 0.01) + (x > 0.6 && y < 0.5 ? 1.0 : 0.0);
  };
  auto solver = std::make_shared<solvers::AdvectionSolver>(GridSpec::rect(s.cells, s.cells), comm, params);
  return subject_of(solver, "van Leer, Courant (" + format_number(solver->courant(0)) + ", " +
                                format_number(solver->courant(1)) + ")");
}

Subject make_burgers(MPI_Comm comm, const Settings& s) {
  solvers::BurgersParameters params;
  params.viscosity_function = [](double x, double y, double) { return 1e-4 * (1.5 + std::sin(2 * kPi * x * y)); };
  params.initial = [](double x, double y, double) {
    return std::sin(2 * kPi * x) * std::sin(2 * kPi * y) + 0.25;  // both signs: both upwind branches
  };
  auto solver = std::make_shared<solvers::BurgersSolver>(GridSpec::rect(s.cells, s.cells), comm, params);
  return subject_of(solver, "dt = " + format_number(solver->dt()) + " (0.9 dt_max)");
}

Subject make_shallow_water(MPI_Comm comm, const Settings& s) {
  const double length = 200e3;  // m
  solvers::ShallowWaterParameters params;
  params.depth_function = [](double x, double y, double) {
    return 60.0 + 40.0 * std::tanh((x - 120e3) / 20e3) + 10.0 * std::sin(2 * kPi * y / 200e3);
  };
  params.initial_elevation = [](double x, double y, double) {
    return 2.0 * std::exp(-((x - 80e3) * (x - 80e3) + (y - 100e3) * (y - 100e3)) / (2 * 15e3 * 15e3));
  };
  params.gauge = {150e3, 110e3, 5e3};
  auto solver = std::make_shared<solvers::ShallowWaterSolver>(
      GridSpec::rect(s.sw_cells, s.sw_cells, {false, false}, {length, length}), comm, params);
  return subject_of(solver, "forward Euler, dt = " + format_number(solver->dt()) + " s (0.8 dt_max)");
}

Subject make_implicit_heat(MPI_Comm comm, const Settings& s) {
  const GridSpec grid = GridSpec::rect(s.implicit_cells, s.implicit_cells);
  solvers::ImplicitHeatParameters params;
  params.dt = s.implicit_dt * grid.spacing(0) * grid.spacing(0);
  params.solve.relative_tolerance = s.cg_rtol;
  params.conductivity_function = [](double x, double y, double) {
    return 1.0 + 0.5 * std::sin(2 * kPi * x) * std::cos(2 * kPi * y);
  };
  auto solver = std::make_shared<solvers::ImplicitHeatSolver>(grid, comm, params);
  // A rough initial state: the warm-started forward solve has work to do, like the adjoint.
  fill_random(solver->temperature_field(), 101);
  Subject sub =
      subject_of(solver, "dt = " + format_number(s.implicit_dt) + " h^2, CG rtol " + format_number(s.cg_rtol));
  sub.solve_stats = &solver->stats();
  return sub;
}

Subject make_poisson(MPI_Comm comm, const Settings& s) {
  auto dec = Decomposition::create(GridSpec::rect(s.poisson_cells, s.poisson_cells), comm);
  const GridSpec& g = dec->grid();
  solvers::PoissonOptions options;
  options.solve.relative_tolerance = s.poisson_rtol;
  auto solver = std::make_shared<solvers::Poisson>(dec, options);
  set_by_global_index<double>(solver->conductivity(), [&](int, std::int64_t i, std::int64_t j, std::int64_t) {
    return 1.0 + 0.5 * std::sin(2 * kPi * g.center(0, i)) * std::cos(2 * kPi * g.center(1, j));
  });
  set_by_global_index<double>(solver->source(), [&](int, std::int64_t i, std::int64_t j, std::int64_t) {
    const double x = g.center(0, i), y = g.center(1, j);
    return std::exp(-((x - 0.3) * (x - 0.3) + (y - 0.6) * (y - 0.6)) / 0.01) - 0.5;
  });
  fill(solver->observation(), 0.0);  // the adjoint's right-hand side is then u itself
  Subject sub = subject_of(solver, "CG rtol " + format_number(s.poisson_rtol));
  sub.solve_stats = &solver->stats();
  return sub;
}

struct SolverInfo {
  std::string name;
  bool linear;                    // target 1.3 (linear) or 2.0 (nonlinear) for adjoint/primal
  std::int64_t Settings::*cells;  // the grid size option that applies
  Subject (*make)(MPI_Comm, const Settings&);
};

const std::vector<SolverInfo>& all_solvers() {
  static const std::vector<SolverInfo> list = {
      {"heat", true, &Settings::cells, make_heat},
      {"advection", false, &Settings::cells, make_advection},
      {"burgers", false, &Settings::cells, make_burgers},
      {"shallow_water", false, &Settings::sw_cells, make_shallow_water},
      {"implicit_heat", true, &Settings::implicit_cells, make_implicit_heat},
      {"poisson", true, &Settings::poisson_cells, make_poisson},
  };
  return list;
}

/// Seeds every tangent and adjoint the modes read with random fields, and records
/// one step so that the reverse has a plan.
void seed(Program& p, int directions) {
  p.prepare_tangent(directions);
  p.zero_adjoints();
  for (int id = 0; id < p.variable_count(); ++id) {
    const Var v{id};
    const VarRole role = p.role(v);
    if (role == VarRole::State || role == VarRole::Parameter) {
      fill_random(p.tangent(v), 1000 + static_cast<std::uint64_t>(id));
    }
    if (role == VarRole::State) fill_random(p.adjoint(v), 2000 + static_cast<std::uint64_t>(id));
  }
  p.run_forward_record(Section::Step);
}

/// Linear-solve counters: the difference over the timed calls.
struct SolveTotals {
  double forward_solves = 0, forward_iterations = 0, forward_seconds = 0;
  double adjoint_solves = 0, adjoint_iterations = 0, adjoint_seconds = 0;
  double tangent_solves = 0, tangent_iterations = 0, tangent_seconds = 0;
};

SolveTotals counts_of(const LinearSolveStats& s) {
  SolveTotals c;
  c.forward_solves = static_cast<double>(s.forward_solves);
  c.forward_iterations = static_cast<double>(s.forward_iterations);
  c.forward_seconds = s.forward_seconds;
  c.adjoint_solves = static_cast<double>(s.adjoint_solves);
  c.adjoint_iterations = static_cast<double>(s.adjoint_iterations);
  c.adjoint_seconds = s.adjoint_seconds;
  c.tangent_solves = static_cast<double>(s.tangent_solves);
  c.tangent_iterations = static_cast<double>(s.tangent_iterations);
  c.tangent_seconds = s.tangent_seconds;
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  Environment env(argc, argv);
  int exit_code = 0;
  try {
    bench::CommonOptions options;
    options.repetitions = 3;  // a reverse step of the full-size nonlinear solvers takes seconds
    options.batch = 1;
    options.warmup = 1;
    Settings s;
    std::vector<std::string> selected;
    for (const auto& info : all_solvers()) selected.push_back(info.name);
    std::vector<std::string> names = selected;
    CLI::App app{"Times one step of each solver in primal, tangent and adjoint mode, side by side."};
    bench::add_common_options(app, options);
    app.add_option("--cells", s.cells, "Cells per side of the 2D grid of heat, advection and Burgers")
        ->check(CLI::Range(8, 65536))
        ->capture_default_str();
    app.add_option("--sw-cells", s.sw_cells, "Cells per side of the shallow-water grid")
        ->check(CLI::Range(8, 65536))
        ->capture_default_str();
    app.add_option("--implicit-cells", s.implicit_cells, "Cells per side of the backward-Euler heat grid")
        ->check(CLI::Range(8, 65536))
        ->capture_default_str();
    app.add_option("--poisson-cells", s.poisson_cells,
                   "Cells per side of Poisson's grid (CG iterations grow like the cells per side)")
        ->check(CLI::Range(8, 65536))
        ->capture_default_str();
    app.add_option("--solvers", selected, "Solvers to time")
        ->delimiter(',')
        ->check(CLI::IsMember(names))
        ->default_str("heat,advection,burgers,shallow_water,implicit_heat,poisson");
    app.add_option("--directions", s.directions, "Tangent directions (vector mode)")
        ->check(CLI::IsMember({1, 2, 4, 8}))
        ->capture_default_str();
    app.add_option("--implicit-dt", s.implicit_dt, "Backward-Euler time step in units of h^2 (sets CG iterations)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--cg-rtol", s.cg_rtol, "CG relative tolerance of the backward-Euler heat solves")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--poisson-rtol", s.poisson_rtol, "CG relative tolerance of the Poisson solves")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--gradient-steps", s.gradient_steps,
                   "Steps of the whole-gradient table (Problem, every state kept; 0: skip it)")
        ->check(CLI::Range(0, 100000))
        ->capture_default_str();
    if (auto code = bench::parse_command_line(app, argc, argv, env.world())) return *code;
    const std::set<std::string> wanted(selected.begin(), selected.end());

    const MPI_Comm world = env.world();
    root_print(world, "bench_solvers: " + env.describe() + ", " + bench::utc_timestamp());

    const bench::TriadResult triad = bench::measure_triad(world, options.triad_mib, 10);
    if (options.triad_mib > 0) {
      std::ostringstream os;
      os << "triad: " << std::fixed << std::setprecision(1) << triad.gb_per_s << " GB/s over all ranks ("
         << options.triad_mib << " MiB working set)";
      root_print(world, os.str());
    }

    bench::Table steps("Solver time step: primal vs tangent vs adjoint (median ms per step, slowest rank)");
    bench::add_run_metadata(steps, env, "solvers");
    steps.add_column("solver")
        .add_column("grid")
        .add_column("ranks")
        .add_column("thr")
        .add_column("primal_ms", 2)
        .add_column("tangent_ms", 2)
        .add_column("record_ms", 2)
        .add_column("reverse_ms", 2)
        .add_column("adjoint_ms", 2)
        .add_ratio_column("tan/primal", "tangent_ms", "primal_ms", 2)
        .add_ratio_column("rev/primal", "reverse_ms", "primal_ms", 2)
        .add_ratio_column("adj/primal", "adjoint_ms", "primal_ms", 2)
        .add_column("rev4_ms/seed", 2)
        .add_ratio_column("rev4/rev", "rev4_ms/seed", "reverse_ms", 2)
        .add_column("adj/primal_min", 2)
        .add_column("target", 1)
        .add_column("rev_met")
        .add_column("adj_met")
        .add_column("primal_Mcell/s", 1)
        .add_column("tangent_Mcell/s", 1)
        .add_column("adjoint_Mcell/s", 1)
        .add_column("triad_GB/s", 1)
        .add_column("triad_B/cell", 0);

    bench::Table solves("Linear solves inside the step: primal CG vs adjoint CG (mean per solve, slowest rank)");
    bench::add_run_metadata(solves, env, "solvers");
    solves.add_column("solver")
        .add_column("grid")
        .add_column("ranks")
        .add_column("thr")
        .add_column("fwd_solves")
        .add_column("fwd_iters", 1)
        .add_column("adj_iters", 1)
        .add_column("tan_iters", 1)
        .add_column("fwd_solve_ms", 2)
        .add_column("adj_solve_ms", 2)
        .add_column("tan_solve_ms", 2)
        .add_ratio_column("adj/fwd", "adj_solve_ms", "fwd_solve_ms", 2)
        .add_column("fwd_ms/iter", 3)
        .add_column("adj_ms/iter", 3)
        .add_ratio_column("adj/fwd_iter", "adj_ms/iter", "fwd_ms/iter", 2)
        .add_column("target", 1)
        .add_column("met");

    bench::Table gradients("Whole gradient over n steps through Problem, every state kept (median ms, slowest rank)");
    bench::add_run_metadata(gradients, env, "solvers");
    gradients.add_column("solver")
        .add_column("grid")
        .add_column("steps")
        .add_column("ranks")
        .add_column("thr")
        .add_column("recorded")
        .add_column("sweep_ms", 1)
        .add_column("gradient_ms", 1)
        .add_column("rerun_ms", 1)
        .add_ratio_column("grad/sweep", "gradient_ms", "sweep_ms", 2)
        .add_ratio_column("rerun/sweep", "rerun_ms", "sweep_ms", 2);

    for (const SolverInfo& info : all_solvers()) {
      if (wanted.count(info.name) == 0) continue;
      const double t0 = MPI_Wtime();
      Subject sub = info.make(world, s);
      const std::int64_t n = s.*info.cells;
      sub.cells = n * n;
      sub.grid = square(n);
      Program& p = *sub.program;
      seed(p, s.directions);

      const SolveTotals before = sub.solve_stats ? counts_of(*sub.solve_stats) : SolveTotals{};
      // The order matters only for the first sample: record runs before reverse.
      const std::vector<bench::Timing> t = bench::time_interleaved(
          world, options,
          {[&] { p.run_forward(Section::Step); }, [&] { p.run_tangent(Section::Step); },
           [&] { p.run_forward_record(Section::Step); }, [&] { p.run_reverse(Section::Step); }});
      const double primal = t[0].median, tangent = t[1].median, record = t[2].median, reverse = t[3].median;
      const double adjoint = record + reverse;  // one reverse step of AdjointLoop
      const double target = info.linear ? 1.3 : 2.0;
      const double cells = static_cast<double>(sub.cells);
      // A vector reverse of 4 seeds (Program::prepare_reverse), per seed; linear
      // solves reverse one seed at a time, so the solvers with one have none (0).
      double reverse4 = 0;
      if (!sub.solve_stats) {
        p.prepare_reverse(4);
        for (int id = 0; id < p.variable_count(); ++id) {
          if (p.role(Var{id}) == VarRole::State) fill_random(p.adjoint(Var{id}), 3000 + static_cast<std::uint64_t>(id));
        }
        p.run_forward_record(Section::Step);
        reverse4 = bench::time_interleaved(world, options, {[&] { p.run_reverse(Section::Step); }})[0].median / 4;
        p.prepare_reverse(1);
      }
      steps.add_row({{"solver", info.name},
                     {"grid", sub.grid},
                     {"ranks", env.size()},
                     {"thr", env.threads()},
                     {"primal_ms", primal * 1e3},
                     {"tangent_ms", tangent * 1e3},
                     {"record_ms", record * 1e3},
                     {"reverse_ms", reverse * 1e3},
                     {"adjoint_ms", adjoint * 1e3},
                     {"rev4_ms/seed", reverse4 * 1e3},
                     {"adj/primal_min", (t[2].min + t[3].min) / t[0].min},
                     {"target", target},
                     {"rev_met", reverse <= target * primal ? "yes" : "no"},
                     {"adj_met", adjoint <= target * primal ? "yes" : "no"},
                     {"primal_Mcell/s", cells / primal * 1e-6},
                     {"tangent_Mcell/s", cells / tangent * 1e-6},
                     {"adjoint_Mcell/s", cells / adjoint * 1e-6},
                     {"triad_GB/s", triad.gb_per_s},
                     {"triad_B/cell", triad.gb_per_s * 1e9 * primal / cells}});

      if (sub.solve_stats) {
        const SolveTotals after = counts_of(*sub.solve_stats);
        // Times are per rank: the slowest rank's total decides.
        double seconds[3] = {after.forward_seconds - before.forward_seconds,
                             after.adjoint_seconds - before.adjoint_seconds,
                             after.tangent_seconds - before.tangent_seconds};
        check_mpi(MPI_Allreduce(MPI_IN_PLACE, seconds, 3, MPI_DOUBLE, MPI_MAX, world), "MPI_Allreduce");
        const double fs = after.forward_solves - before.forward_solves;
        const double as = after.adjoint_solves - before.adjoint_solves;
        const double ts = after.tangent_solves - before.tangent_solves;
        const double fi = after.forward_iterations - before.forward_iterations;
        const double ai = after.adjoint_iterations - before.adjoint_iterations;
        const double ti = after.tangent_iterations - before.tangent_iterations;
        const double fwd_ms = seconds[0] / fs * 1e3, adj_ms = seconds[1] / as * 1e3;
        solves.add_row({{"solver", info.name},
                        {"grid", sub.grid},
                        {"ranks", env.size()},
                        {"thr", env.threads()},
                        {"fwd_solves", static_cast<std::int64_t>(fs)},
                        {"fwd_iters", fi / fs},
                        {"adj_iters", ai / as},
                        {"tan_iters", ti / ts},
                        {"fwd_solve_ms", fwd_ms},
                        {"adj_solve_ms", adj_ms},
                        {"tan_solve_ms", seconds[2] / ts * 1e3},
                        {"fwd_ms/iter", fi > 0 ? seconds[0] / fi * 1e3 : 0.0},
                        {"adj_ms/iter", ai > 0 ? seconds[1] / ai * 1e3 : 0.0},
                        {"target", 1.2},
                        {"met", adj_ms <= 1.2 * fwd_ms ? "yes" : "no"}});
      }
      if (s.gradient_steps > 0) {
        // The map (states, parameters) -> J over n steps: evaluate() is the primal
        // sweep; gradient() with the forward recording (the default when every
        // operation can be reversed from one) and with each step re-run instead.
        std::vector<Var> inputs;
        for (int id = 0; id < p.variable_count(); ++id) {
          const VarRole role = p.role(Var{id});
          if (role == VarRole::State || role == VarRole::Parameter) inputs.push_back(Var{id});
        }
        p.prepare_reverse(1);
        Problem recorded(p, inputs, {}, {s.gradient_steps});
        ProblemOptions rerun_options{s.gradient_steps};
        rerun_options.checkpointing.record_forward = false;
        Problem rerun(p, inputs, {}, rerun_options);
        const std::vector<bench::Timing> g = bench::time_interleaved(
            world, options, {[&] { recorded.evaluate(); }, [&] { recorded.gradient(); }, [&] { rerun.gradient(); }});
        gradients.add_row({{"solver", info.name},
                           {"grid", sub.grid},
                           {"steps", static_cast<std::int64_t>(s.gradient_steps)},
                           {"ranks", env.size()},
                           {"thr", env.threads()},
                           {"recorded", p.replayable(Section::Step) ? "yes" : "no"},
                           {"sweep_ms", g[0].median * 1e3},
                           {"gradient_ms", g[1].median * 1e3},
                           {"rerun_ms", g[2].median * 1e3}});
      }
      std::ostringstream os;
      os << "  " << info.name << " " << sub.grid << " (" << sub.setting << "): " << std::fixed << std::setprecision(1)
         << MPI_Wtime() - t0 << " s";
      root_print(world, os.str());
    }

    bench::print_on_root(world, steps);
    root_print(world,
               "adjoint = record + reverse (one reverse step of AdjointLoop); rev_met / adj_met: reverse / adjoint <= "
               "target x primal; triad_B/cell: bytes per cell the triad streams in one primal step");
    if (solves.rows() > 0) bench::print_on_root(world, solves);
    if (gradients.rows() > 0) {
      bench::print_on_root(world, gradients);
      root_print(world,
                 "sweep: Problem::evaluate (n primal steps); gradient: Problem::gradient, the forward sweep recording "
                 "what the reverse reads (recorded = yes; a linear solve keeps its own record: no); rerun: "
                 "record_forward = false, every reverse step re-runs its step from the stored state");
    }
    if (!options.json_path.empty()) bench::write_json(world, options.json_path, {&steps, &solves, &gradients});
  } catch (const Error& e) {
    // Undertow errors are collective: every rank reaches this point together.
    root_print(env.world(), std::string("bench_solvers: ") + e.what());
    exit_code = 1;
  }
  return exit_code;
}
