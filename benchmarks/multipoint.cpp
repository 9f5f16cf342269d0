// bench_multipoint: parallel (coloured) reverse against the serialised reverse of
// a multipoint model whose point solves dominate.
//
// The model is the heat design problem of examples/multipoint (nonlinear transient
// heat conduction, a conductivity field from four design variables through a cheap
// upstream) with N points of equal cost (same grid and horizon, different source
// and wall temperature), two responses each. Timed in one run, interleaved:
//   analysis          Multipoint::analyse (all points at once, nonlinear solves);
//   serialised        Multipoint::reverse(SeedColouring::none): one adjoint solve
//                     at a time, its ybar broadcast, the shared upstream
//                     back-propagated on every rank;
//   parallel          Multipoint::reverse(): every group solves its own adjoint in
//                     the same round and back-propagates through its private copy
//                     of the upstream; rows all-gathered.
// Reported: median wall time (slowest rank), speedup serialised / parallel (ideal
// N on N ranks, 1 on one rank where both run the same rounds), and the memory of
// the duplicated upstream (this rank's private x, y, their adjoints and the
// upstream's own data) next to the point's solver memory on the same rank. The two
// Jacobians are also compared (they must be bitwise equal).
//
//   mpirun -n 2 bench_multipoint [--cells 96] [--steps 100] [--points 2] [--json out.json]

#include <memory>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "heat_design.hpp"
#include "undertow/undertow.hpp"

using namespace undertow;

int main(int argc, char** argv) {
  Environment env(argc, argv);
  int exit_code = 0;
  try {
    bench::CommonOptions options;
    options.repetitions = 5;
    options.batch = 1;
    options.warmup = 1;
    std::vector<int> cells{96};
    int steps = 100;
    int points = 2;
    CLI::App app{"Times the parallel (coloured) reverse of a multipoint model against the serialised reverse."};
    bench::add_common_options(app, options);
    app.add_option("--cells", cells, "Cells per side of each point's grid (one table row each)")
        ->delimiter(',')
        ->check(CLI::Range(8, 8192));
    app.add_option("--steps", steps, "Time steps per point solve")->check(CLI::PositiveNumber)->capture_default_str();
    app.add_option("--points", points, "Points (operating conditions) of equal cost")
        ->check(CLI::Range(1, 64))
        ->capture_default_str();
    if (auto code = bench::parse_command_line(app, argc, argv, env.world())) return *code;

    const MPI_Comm world = env.world();
    root_print(world, "bench_multipoint: " + env.describe() + ", " + bench::utc_timestamp());

    bench::Table table("Multipoint reverse: serialised vs parallel (median per call, slowest rank)");
    bench::add_run_metadata(table, env, "multipoint");
    table.add_column("grid")
        .add_column("steps")
        .add_column("points")
        .add_column("groups")
        .add_column("analysis s", 4)
        .add_column("serialised s", 4)
        .add_column("parallel s", 4)
        .add_ratio_column("speedup", "serialised s", "parallel s", 2)
        .add_column("rounds ser/par")
        .add_column("upstream KiB/rank", 2)
        .add_column("point MiB/rank", 2)
        .add_column("bitwise equal");

    for (int n : cells) {
      heat_design::Config config;
      config.cells = n;
      for (int p = 0; p < points; ++p) {
        // Equal cost: same grid and horizon; different heat and wall temperature.
        config.conditions.push_back({"c" + std::to_string(p), 0.6 + 0.2 * (p % 4), -0.2 + 0.1 * (p % 5), steps});
      }
      auto model = heat_design::make_model(world, config);
      const std::vector<double> x = heat_design::default_design();
      model->analyse(x);
      const SeedColouring none = SeedColouring::none(model->num_responses());
      MultipointJacobian serial, parallel;
      int serial_rounds = 0, parallel_rounds = 0;
      const std::vector<bench::Timing> t = bench::time_interleaved(world, options,
                                                                   {[&] { model->analyse(x); },
                                                                    [&] {
                                                                      serial = model->reverse(none);
                                                                      serial_rounds = model->last_rounds();
                                                                    },
                                                                    [&] {
                                                                      parallel = model->reverse();
                                                                      parallel_rounds = model->last_rounds();
                                                                    }});

      // The duplicated upstream on this rank: x, y, xbar, ybar and the upstream's
      // own data (its prolongation matrix). The largest rank counts.
      const heat_design::ConductivityUpstream upstream(config.amplitude);
      double upstream_bytes = static_cast<double>(
          upstream.bytes() +
          2 * sizeof(double) * static_cast<std::size_t>(model->num_design_variables() + model->num_upstream_outputs()));
      double point_bytes = 0;
      for (int p = 0; p < model->num_points(); ++p) {
        if (auto* point = dynamic_cast<ProgramPoint*>(model->local_model(p)))
          point_bytes += static_cast<double>(point->memory_bytes());
      }
      double maxima[2] = {upstream_bytes, point_bytes};
      check_mpi(MPI_Allreduce(MPI_IN_PLACE, maxima, 2, MPI_DOUBLE, MPI_MAX, world), "MPI_Allreduce");
      const bool equal = parallel.max_abs_difference(serial) == 0.0;
      table.add_row({{"grid", std::to_string(n) + "^2"},
                     {"steps", steps},
                     {"points", points},
                     {"groups", model->groups().allocation().groups()},
                     {"analysis s", t[0].median},
                     {"serialised s", t[1].median},
                     {"parallel s", t[2].median},
                     {"rounds ser/par", std::to_string(serial_rounds) + "/" + std::to_string(parallel_rounds)},
                     {"upstream KiB/rank", maxima[0] / 1024.0},
                     {"point MiB/rank", maxima[1] / (1024.0 * 1024.0)},
                     {"bitwise equal", equal ? "yes" : "NO"}});
      if (!equal) exit_code = 1;
    }
    bench::print_on_root(world, table);
    if (!options.json_path.empty()) bench::write_json(world, options.json_path, {&table});
  } catch (const Error& e) {
    if (env.rank() == 0) std::cerr << "bench_multipoint: " << e.what() << "\n";
    exit_code = 1;
  }
  return exit_code;
}
