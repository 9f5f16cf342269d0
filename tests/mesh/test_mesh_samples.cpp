// The sample meshes in meshes/ load at every rank count, describe the grids and
// boundaries they claim, and every cell field loaded in parallel (on several
// decompositions and ghost widths) equals the dataset read serially on rank 0.
#include <cmath>

#include "mesh_test_util.hpp"
#include "undertow_source_tree.hpp"

using namespace undertow;
using namespace undertow::mesh;

namespace {

using undertow_test::kPi;

std::string sample(const std::string& name) {
  return std::string(undertow_build::meshes_dir) + "/" + name + ".toml";
}

/// Process grids to try: automatic, and all ranks along each used dimension.
std::vector<std::array<int, 3>> layouts(const GridSpec& g) {
  std::vector<std::array<int, 3>> out{{0, 0, 0}};
  const int p = undertow_test::world_size();
  for (int d = 0; d < g.dim; ++d) {
    if (p == 1 || g.cells[d] < 2 * p) continue;  // room for ghost width 2
    std::array<int, 3> r{1, 1, 1};
    r[d] = p;
    for (int e = g.dim; e < 3; ++e) r[e] = 1;
    out.push_back(r);
  }
  return out;
}

/// Loads every field of `mesh` on every layout and compares with a serial read.
/// Returns the gathered global array (x slowest, as gather_global gives it) of
/// field `keep` from the automatic layout, for further checks.
std::vector<double> check_all_fields(const Mesh& mesh, const std::string& keep) {
  std::vector<double> kept;
  const GridSpec& g = mesh.grid();
  const std::int64_t nx = g.cells[0], ny = g.cells[1], nz = g.cells[2];
  for (const CellFieldInfo& info : mesh.fields()) {
    std::vector<double> file;
    if (undertow_test::world_rank() == 0) file = mesh_test::read_dataset(info.file, info.dataset);
    for (const auto& ranks : layouts(g)) {
      for (int ghost : {1, 2}) {
        INFO("field " << info.name << ", ranks " << ranks[0] << "x" << ranks[1] << "x" << ranks[2] << ", ghost "
                      << ghost);
        auto dec = mesh.decompose(MPI_COMM_WORLD, ranks);
        Field<double> f = mesh.load_field(info.name, dec, ghost);
        CHECK(f.name() == info.name);
        // Ghosts stay zero: the loader fills owned cells only.
        auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), f.view());
        const Box o = f.owned_box();
        bool ghosts_zero = true;
        for (int i = 0; i < f.extent(0); ++i)
          for (int j = 0; j < f.extent(1); ++j)
            for (int k = 0; k < f.extent(2); ++k) {
              const bool owned =
                  i >= o.lo[0] && i < o.hi[0] && j >= o.lo[1] && j < o.hi[1] && k >= o.lo[2] && k < o.hi[2];
              if (!owned && host(0, i, j, k) != 0.0) ghosts_zero = false;
            }
        CHECK(undertow_test::all_ranks(ghosts_zero));
        const std::vector<double> global = gather_global(f);
        bool equal = true;
        if (undertow_test::world_rank() == 0) {
          equal = file.size() == global.size();  // no REQUIRE on one rank: the others would wait
          if (equal)
            for (std::int64_t i = 0; i < nx; ++i)
              for (std::int64_t j = 0; j < ny; ++j)
                for (std::int64_t k = 0; k < nz; ++k) {
                  // gather_global: x slowest; the file: x fastest.
                  const double a = global[static_cast<std::size_t>((i * ny + j) * nz + k)];
                  const double b = file[static_cast<std::size_t>((k * ny + j) * nx + i)];
                  if (a != b) equal = false;
                }
        }
        CHECK(undertow_test::all_ranks(equal));
        if (info.name == keep && ranks == std::array<int, 3>{0, 0, 0} && ghost == 1) kept = global;
      }
    }
  }
  return kept;
}

double at(const std::vector<double>& global, const GridSpec& g, std::int64_t i, std::int64_t j = 0,
          std::int64_t k = 0) {
  return global[static_cast<std::size_t>((i * g.cells[1] + j) * g.cells[2] + k)];
}

}  // namespace

TEST_CASE("ring1d: periodic 1D ring with a conductivity", "[mesh]") {
  const Mesh mesh = load_mesh(sample("ring1d"), MPI_COMM_WORLD);
  const GridSpec& g = mesh.grid();
  CHECK(mesh.name() == "ring1d");
  CHECK(mesh.format_version() == 1);
  CHECK(g.dim == 1);
  CHECK(g.cells[0] == 200);
  CHECK(g.periodic[0]);
  CHECK(g.upper[0] == 1.0);
  CHECK(mesh.boundary().at(0, 0).kind == BoundaryKind::Periodic);
  CHECK(mesh.boundary().at(0, 1).kind == BoundaryKind::Periodic);
  REQUIRE(mesh.fields().size() == 1);
  CHECK(mesh.field_info("conductivity").kind == CellFieldKind::Coefficient);
  const auto k = check_all_fields(mesh, "conductivity");
  // An analytic check of the layout, independent of HDF5.
  double worst = 0;
  for (std::int64_t i = 0; i < g.cells[0]; ++i) {
    worst = std::max(worst, std::abs(at(k, g, i) - (1.0 + 0.5 * std::sin(2.0 * kPi * g.center(0, i)))));
  }
  CHECK(worst < 1e-14);
}

TEST_CASE("channel2d: periodic in x, walls in y, diffusivity and obstacle mask", "[mesh]") {
  const Mesh mesh = load_mesh(sample("channel2d"), MPI_COMM_WORLD);
  const GridSpec& g = mesh.grid();
  CHECK(g.dim == 2);
  CHECK(g.cells == std::array<std::int64_t, 3>{96, 40, 1});
  CHECK(g.periodic == std::array<bool, 3>{true, false, false});
  CHECK(g.upper[0] == 4.0);
  CHECK(g.upper[1] == 1.0);
  CHECK(mesh.boundary().at(0, 0).kind == BoundaryKind::Periodic);
  CHECK(mesh.boundary().at(1, 0).kind == BoundaryKind::Wall);
  CHECK(mesh.boundary().at(1, 1).kind == BoundaryKind::Wall);
  CHECK(mesh.field_info("fluid").kind == CellFieldKind::Mask);
  const auto diff = check_all_fields(mesh, "diffusivity");
  // Orientation: diffusivity depends on y only and peaks at the walls.
  bool y_only = true;
  for (std::int64_t i = 0; i < g.cells[0]; ++i)
    for (std::int64_t j = 0; j < g.cells[1]; ++j) y_only = y_only && at(diff, g, i, j) == at(diff, g, 0, j);
  CHECK(y_only);
  CHECK(at(diff, g, 5, 0) > at(diff, g, 5, 20));
  CHECK(at(diff, g, 5, 39) > at(diff, g, 5, 20));
  // The obstacle sits at (1, 0.5): cell (23, 19) is inside, (70, 19) is fluid.
  auto dec = mesh.decompose(MPI_COMM_WORLD);
  const auto fluid = gather_global(mesh.load_field("fluid", dec));
  CHECK(at(fluid, g, 23, 19) == 0.0);
  CHECK(at(fluid, g, 70, 19) == 1.0);
}

TEST_CASE("coastal_basin: bathymetry and land/water mask for a tsunami run", "[mesh]") {
  const Mesh mesh = load_mesh(sample("coastal_basin"), MPI_COMM_WORLD);
  const GridSpec& g = mesh.grid();
  CHECK(g.cells == std::array<std::int64_t, 3>{128, 96, 1});
  CHECK(g.spacing(0) == 2000.0);
  CHECK(g.spacing(1) == 2000.0);
  CHECK_FALSE(g.periodic[0]);
  CHECK_FALSE(g.periodic[1]);
  CHECK(mesh.boundary().at(0, 0).kind == BoundaryKind::Outflow);
  CHECK(mesh.boundary().at(0, 1).kind == BoundaryKind::Wall);
  CHECK(mesh.field_info("bathymetry").units == "m");
  const auto depth = check_all_fields(mesh, "bathymetry");
  auto dec = mesh.decompose(MPI_COMM_WORLD);
  const auto water = gather_global(mesh.load_field("water", dec));
  bool consistent = true;
  double deepest = 0.0, highest_land = 0.0;
  std::int64_t land = 0;
  for (std::int64_t i = 0; i < g.cells[0]; ++i)
    for (std::int64_t j = 0; j < g.cells[1]; ++j) {
      const double h = at(depth, g, i, j);
      consistent = consistent && at(water, g, i, j) == (h > 0.0 ? 1.0 : 0.0);
      deepest = std::max(deepest, h);
      highest_land = std::min(highest_land, h);
      land += h <= 0.0;
    }
  CHECK(consistent);
  CHECK(deepest > 3900.0);              // abyssal plain
  CHECK(highest_land < -50.0);          // land rises inland
  CHECK(land > 128 * 96 / 20);          // a real coast, not a speck
  CHECK(at(depth, g, 0, 48) > 3900.0);  // deep in the west
  CHECK(at(depth, g, 127, 48) <= 0.0);  // land in the east
  CHECK(at(depth, g, 90, 20) > 0.0);    // on the shelf
  CHECK(at(depth, g, 90, 20) < 200.0);
}

TEST_CASE("box3d: triply periodic box with inclusions", "[mesh]") {
  const Mesh mesh = load_mesh(sample("box3d"), MPI_COMM_WORLD);
  const GridSpec& g = mesh.grid();
  CHECK(g.dim == 3);
  CHECK(g.cells == std::array<std::int64_t, 3>{24, 20, 16});
  CHECK(g.periodic == std::array<bool, 3>{true, true, true});
  for (int d = 0; d < 3; ++d)
    for (int side = 0; side < 2; ++side) CHECK(mesh.boundary().at(d, side).kind == BoundaryKind::Periodic);
  const auto k = check_all_fields(mesh, "conductivity");
  // Outside the inclusions the background formula holds: checks all three axes.
  std::int64_t background = 0, inclusion = 0;
  double worst = 0.0;
  for (std::int64_t i = 0; i < g.cells[0]; ++i)
    for (std::int64_t j = 0; j < g.cells[1]; ++j)
      for (std::int64_t kk = 0; kk < g.cells[2]; ++kk) {
        const double v = at(k, g, i, j, kk);
        const double x = g.center(0, i), y = g.center(1, j), z = g.center(2, kk);
        const bool in1 = std::pow(x - 0.3, 2) + std::pow(y - 0.3, 2) + std::pow(z - 0.4, 2) < 0.15 * 0.15;
        const bool in2 = std::pow(x - 0.85, 2) + std::pow(y - 0.7, 2) + std::pow(z - 0.3, 2) < 0.12 * 0.12;
        if (in1 || in2) {
          inclusion += v == (in2 ? 0.2 : 5.0);
          continue;
        }
        ++background;
        const double expected = 1.0 + 0.2 * std::sin(2 * kPi * x / 1.2) * std::cos(2 * kPi * y / 1.0);
        worst = std::max(worst, std::abs(v - expected));
      }
  CHECK(background > 7000);
  CHECK(inclusion > 50);
  CHECK(worst < 1e-13);
}

TEST_CASE("a Mesh built in code; boundary kinds and field kinds round-trip", "[mesh]") {
  const GridSpec g = GridSpec::rect(10, 8, {true, false});
  const Mesh m(g, BoundarySpec::periodic_or(g, FaceBoundary::dirichlet(2.0)), "inline");
  CHECK(m.boundary().at(0, 1).kind == BoundaryKind::Periodic);
  CHECK(m.boundary().at(1, 0) == FaceBoundary::dirichlet(2.0));
  CHECK(m.fields().empty());
  CHECK_FALSE(m.has_field("x"));
  CHECK_THAT(m.describe(), Catch::Contains("y: dirichlet(2)/dirichlet(2)"));
  CHECK_THROWS_WITH(Mesh(g, BoundarySpec::periodic_or(g, FaceBoundary::periodic())),
                    Catch::Contains("boundary y_lower is periodic but the grid is not periodic in y"));
  CHECK_THROWS_WITH(Mesh(g, BoundarySpec::periodic_or(GridSpec::rect(10, 8), FaceBoundary::wall())),
                    Catch::Contains("boundary x_lower is wall but the grid is periodic in x"));
  for (BoundaryKind k : {BoundaryKind::Periodic, BoundaryKind::Wall, BoundaryKind::Dirichlet, BoundaryKind::Neumann,
                         BoundaryKind::Outflow}) {
    CHECK(boundary_kind_from_string(to_string(k)) == k);
  }
  CHECK(boundary_kind_from_string("reflective") == BoundaryKind::Wall);
  CHECK_THROWS_WITH(boundary_kind_from_string("sticky"), Catch::Contains("unknown boundary kind 'sticky'"));
  for (CellFieldKind k : {CellFieldKind::Coefficient, CellFieldKind::Bathymetry, CellFieldKind::Mask}) {
    CHECK(cell_field_kind_from_string(to_string(k)) == k);
  }
  CHECK(face_name(2, 1) == "z_upper");
}

TEST_CASE("load_field refuses another grid, an unknown name and a multi-component field", "[mesh]") {
  const Mesh mesh = load_mesh(sample("channel2d"), MPI_COMM_WORLD);
  CHECK_THAT(mesh.describe(), Catch::Contains("field 'fluid': mask"));
  auto other = Decomposition::create(GridSpec::rect(96, 41, {true, false}, {4.0, 1.0}), MPI_COMM_WORLD);
  mesh_test::check_error(mesh_test::error_of([&] { mesh.load_field("fluid", other); }),
                         {"lives on grid", "but mesh 'channel2d' has grid"});
  auto dec = mesh.decompose(MPI_COMM_WORLD);
  mesh_test::check_error(mesh_test::error_of([&] { mesh.load_field("velocity", dec); }),
                         {"mesh 'channel2d' has no cell field 'velocity'", "it has: diffusivity, fluid"});
  Field<double> two(dec, "two", 2, 1);
  mesh_test::check_error(mesh_test::error_of([&] { mesh.read_field("fluid", two); }), {"field 'two' has 2 components"});
  // read_field into an existing field leaves its ghosts alone.
  Field<double> f(dec, "f", 1, 1);
  fill_all(f, -3.0);
  mesh.read_field("diffusivity", f);
  CHECK(sum(f) > 0.0);
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), f.view());
  CHECK(host(0, 0, 0, 0) == -3.0);
}

TEST_CASE("the docs/meshes.md example", "[mesh]") {
  const std::string path = sample("coastal_basin");  // meshes/coastal_basin.toml in the source tree
  // [doc:use]
  // Collective. Every rank gets the same Mesh, or every rank throws the same Error.
  const mesh::Mesh m = mesh::load_mesh(path, MPI_COMM_WORLD);

  auto dec = m.decompose(MPI_COMM_WORLD);  // Decomposition of m.grid()
  Field<double> depth = m.load_field("bathymetry", dec, /*ghost=*/2);
  Field<double> water = m.load_field("water", dec);  // mask: 0.0 / 1.0

  // The faces' kinds as ghost fills for (h, hu, hv): a wall reflects the normal momentum.
  const BoundaryConditions fills = mesh::boundary_fills(m.boundary(), m.grid().dim, mesh::WallReflection::momentum(1));
  // [doc:use end]

  int faces = 0;
  for (int d = 0; d < m.grid().dim; ++d)
    for (int side = 0; side < 2; ++side) {
      const mesh::FaceBoundary& f = m.boundary().at(d, side);
      faces += f.kind == BoundaryKind::Wall || f.kind == BoundaryKind::Outflow;
    }
  CHECK(faces == 4);
  CHECK_FALSE(fills.empty());
  CHECK(depth.ghost() == 2);
  CHECK(sum(water) > 0.8 * 128 * 96);  // mostly water
}
