// bench_halo: cost of the primal halo exchange against its transpose.
//
// For a 2D and a 3D periodic grid of doubles, star and box patterns and each
// requested width, times `Halo::exchange` (ghosts <- owners) and
// `Halo::exchange_adjoint` (owners += ghosts, ghosts = 0) interleaved in the same
// run, and reports the bytes sent per exchange, the effective bandwidth (bytes
// sent over all ranks / time), the STREAM triad bandwidth of the same run, and the
// ratio adjoint/primal (the design target is <= 1.15) of the median and of the
// fastest sample (on a loaded machine the minimum is the least disturbed figure).
//
//   mpirun -n 2 bench_halo [--size-2d 2048] [--size-3d 128] [--widths 1,2] [--json out.json]

#include <string>
#include <vector>

#include "bench_common.hpp"
#include "undertow/undertow.hpp"

namespace {

using namespace undertow;

struct HaloCase {
  int dim;
  std::int64_t cells_per_dim;
  HaloPattern pattern;
  int width;
};

std::string grid_label(int dim, std::int64_t n) {
  return dim == 2 ? std::to_string(n) + "^2" : std::to_string(n) + "^3";
}

}  // namespace

int main(int argc, char** argv) {
  Environment env(argc, argv);
  int exit_code = 0;
  try {
    bench::CommonOptions options;
    options.repetitions = 100;
    std::int64_t size_2d = 2048;
    std::int64_t size_3d = 128;
    std::vector<int> widths{1, 2};
    int components = 1;
    CLI::App app{"Times the primal halo exchange against its transpose (exchange_adjoint)."};
    bench::add_common_options(app, options);
    app.add_option("--size-2d", size_2d, "Cells per dimension of the 2D grid (0 skips 2D)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app.add_option("--size-3d", size_3d, "Cells per dimension of the 3D grid (0 skips 3D)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app.add_option("--widths", widths, "Halo widths to measure")->delimiter(',')->check(CLI::PositiveNumber);
    app.add_option("--components", components, "Components per field (all travel in one message)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    if (auto code = bench::parse_command_line(app, argc, argv, env.world())) return *code;

    const MPI_Comm world = env.world();
    root_print(world, "bench_halo: " + env.describe() + ", " + bench::utc_timestamp());

    const bench::TriadResult triad = bench::measure_triad(world, options.triad_mib, options.repetitions / 10 + 5);
    if (options.triad_mib > 0) {
      std::ostringstream os;
      os << "triad: " << std::fixed << std::setprecision(1) << triad.gb_per_s << " GB/s over all ranks ("
         << options.triad_mib << " MiB working set)";
      root_print(world, os.str());
    }

    std::vector<HaloCase> cases;
    for (const auto& [dim, n] : {std::pair<int, std::int64_t>{2, size_2d}, {3, size_3d}}) {
      if (n <= 0) continue;
      for (HaloPattern pattern : {HaloPattern::Star, HaloPattern::Box}) {
        for (int width : widths) cases.push_back({dim, n, pattern, width});
      }
    }

    bench::Table table("Halo exchange: primal vs transposed (median per call, slowest rank)");
    bench::add_run_metadata(table, env, "halo");
    table.add_column("grid")
        .add_column("ranks")
        .add_column("thr")
        .add_column("pattern")
        .add_column("width")
        .add_column("nbrs")
        .add_column("KiB_sent", 1)
        .add_column("primal_us", 1)
        .add_column("adjoint_us", 1)
        .add_ratio_column("adj/primal", "adjoint_us", "primal_us", 3)
        .add_column("primal_min_us", 1)
        .add_column("adjoint_min_us", 1)
        .add_ratio_column("adj/primal_min", "adjoint_min_us", "primal_min_us", 3)
        .add_column("primal_GB/s", 2)
        .add_column("adjoint_GB/s", 2)
        .add_column("triad_GB/s", 1)
        .add_ratio_column("primal/triad", "primal_GB/s", "triad_GB/s", 3);

    for (const HaloCase& c : cases) {
      const GridSpec grid = c.dim == 2
                                ? GridSpec::rect(c.cells_per_dim, c.cells_per_dim, {true, true})
                                : GridSpec::box(c.cells_per_dim, c.cells_per_dim, c.cells_per_dim, {true, true, true});
      auto decomposition = Decomposition::create(grid, world);
      Field<double> field(decomposition, "u", components, c.width);
      fill_all(field, 1.0);
      Halo halo(decomposition, c.pattern, c.width);

      // Bytes per exchange: identical regions travel in both directions, so the
      // primal and the transposed exchange send the same amount; check it.
      halo.exchange(field);
      const std::int64_t primal_bytes = halo.last_bytes_sent();
      halo.exchange_adjoint(field);
      const std::int64_t adjoint_bytes = halo.last_bytes_sent();
      std::int64_t local_bytes[2] = {primal_bytes, adjoint_bytes}, total_bytes[2] = {0, 0};
      check_mpi(MPI_Allreduce(local_bytes, total_bytes, 2, MPI_INT64_T, MPI_SUM, world), "MPI_Allreduce");
      if (total_bytes[0] != total_bytes[1]) {
        root_print(world, "warning: primal and transposed exchange sent different byte counts");
      }
      int max_neighbors = 0;
      const int my_neighbors = halo.neighbor_count();
      check_mpi(MPI_Allreduce(&my_neighbors, &max_neighbors, 1, MPI_INT, MPI_MAX, world), "MPI_Allreduce");

      const std::vector<bench::Timing> t = bench::time_interleaved(
          world, options, {[&] { halo.exchange(field); }, [&] { halo.exchange_adjoint(field); }});
      const double bytes = static_cast<double>(total_bytes[0]);
      table.add_row({{"grid", grid_label(c.dim, c.cells_per_dim)},
                     {"ranks", env.size()},
                     {"thr", env.threads()},
                     {"pattern", to_string(c.pattern)},
                     {"width", c.width},
                     {"nbrs", max_neighbors},
                     {"KiB_sent", bytes / 1024.0},
                     {"primal_us", t[0].median * 1e6},
                     {"adjoint_us", t[1].median * 1e6},
                     {"primal_min_us", t[0].min * 1e6},
                     {"adjoint_min_us", t[1].min * 1e6},
                     {"primal_GB/s", bytes / t[0].median * 1e-9},
                     {"adjoint_GB/s", bytes / t[1].median * 1e-9},
                     {"triad_GB/s", triad.gb_per_s}});
    }

    bench::print_on_root(world, table);
    root_print(world, "KiB_sent: all ranks, one exchange; GB/s: KiB_sent / median time; target adj/primal <= 1.15");
    if (!options.json_path.empty()) bench::write_json(world, options.json_path, {&table});
  } catch (const Error& e) {
    // Undertow errors are collective: every rank reaches this point together.
    root_print(env.world(), std::string("bench_halo: ") + e.what());
    exit_code = 1;
  }
  return exit_code;
}
