// Program-level behaviour: boundary fills are exactly transposed, NaNs are
// reported on every rank with step and field, gather adjoints let the reverse
// skip transposed exchanges, and bad programs are refused clearly.
#include <cmath>

#include "program/test_kernels.hpp"
#include "test_util.hpp"

using namespace undertow;
using namespace undertow_test;

namespace {

void randomize_all(const Field<double>& f, std::uint64_t seed) {
  fill_random(f, seed);
  // fill_random leaves ghosts at zero; give them values too (they matter here).
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), f.view());
  for (std::size_t n = 0; n < host.span(); ++n) {
    if (host.data()[n] == 0.0) host.data()[n] = std::sin(0.37 * double(n) + double(seed));
  }
  Kokkos::deep_copy(f.view(), host);
}

/// This rank's values outside the owned box, in storage order.
std::vector<double> ghost_values(const Field<double>& f) {
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), f.view());
  const Box o = f.owned_box();
  std::vector<double> ghosts;
  for (int c = 0; c < f.components(); ++c)
    for (int i = 0; i < f.extent(0); ++i)
      for (int j = 0; j < f.extent(1); ++j)
        for (int k = 0; k < f.extent(2); ++k) {
          const bool owned = i >= o.lo[0] && i < o.hi[0] && j >= o.lo[1] && j < o.hi[1] && k >= o.lo[2] && k < o.hi[2];
          if (!owned) ghosts.push_back(host(c, i, j, k));
        }
  return ghosts;
}

/// u_next = upwind Burgers(u, kappa) after exchanges of both, u = u_next, J = sum(u).
struct BurgersStep {
  Var u, kappa;
};
BurgersStep add_burgers_step(Program& p) {
  const Var u = p.add_state("u", 1, 2), k = p.add_parameter("kappa", 1, 2), next = p.add_temporary("next", 1, 2);
  p.exchange(u);
  p.exchange(k);
  p.apply(UpwindBurgers<2>{}, {u, k}, {next});
  p.copy(u, next);
  p.objective_sum(u);
  return {u, k};
}

}  // namespace

TEST_CASE("boundary fills and their transposes pass the dot-product test", "[program][boundary]") {
  for (int dim = 1; dim <= 3; ++dim) {
    for (int ghost : {1, 2}) {
      INFO(dim << "D ghost " << ghost);
      auto dec = Decomposition::create(small_grid(dim, {false, dim == 3, false}), MPI_COMM_WORLD);
      // Every kind, on each side of each non-periodic dimension in turn.
      const FaceCondition kinds[] = {FaceCondition::dirichlet(0.0), FaceCondition::reflect(1), FaceCondition::neumann(),
                                     FaceCondition::extrapolate()};
      for (int shift = 0; shift < 4; ++shift) {
        BoundaryConditions bc;
        for (int d = 0; d < dim; ++d) {
          if (dec->grid().periodic[d]) continue;
          bc.set(d, 0, kinds[(shift + d) % 4]).set(d, 1, kinds[(shift + d + 1) % 4]);
        }
        INFO(describe(bc, dim));
        Field<double> x(dec, "x", 3, ghost), y(dec, "y", 3, ghost);
        randomize_all(x, 11 + dec->rank());
        randomize_all(y, 23 + dec->rank());
        Field<double> bx = x.clone("Bx"), bty = y.clone("BTy");
        apply_boundary(bx, bc, 3, 1, /*linear_only=*/true);
        apply_boundary_transpose(bty, bc, 3);
        const double lhs = dot_all(bx, y), rhs = dot_all(x, bty);
        CHECK(std::abs(lhs - rhs) <= 1e-14 * std::sqrt(dot_all(bx, bx) * dot_all(y, y)));
      }
    }
  }
}

TEST_CASE("outflow extrapolates: every ghost layer is the cell next to the face", "[program][boundary]") {
  auto dec = Decomposition::create(GridSpec::line(12), MPI_COMM_WORLD);
  Field<double> f(dec, "f", 1, 3);
  set_by_global_index<double>(f, [](int, std::int64_t i, std::int64_t, std::int64_t) { return 1.0 + double(i); });
  apply_boundary(f, BoundaryConditions::all(FaceCondition::extrapolate()), 1, 1, false);
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), f.view());
  const int g = 3, n = dec->owned_cells()[0];
  for (int m = 1; m <= g; ++m) {
    if (dec->at_boundary(0, 0)) CHECK(host(0, g - m, 0, 0) == 1.0);
    if (dec->at_boundary(0, 1)) CHECK(host(0, g + n - 1 + m, 0, 0) == 12.0);
  }
}

TEST_CASE("BoundaryConditions::all works on 1D and 2D grids", "[program][boundary]") {
  for (int dim : {1, 2}) {
    INFO(dim << "D");
    auto dec = Decomposition::create(small_grid(dim, {false, false, false}), MPI_COMM_WORLD);
    Program p(dec);
    const Var u = p.add_state("u", 1, 1);
    p.exchange(u);
    p.boundary(u, BoundaryConditions::all(FaceCondition::dirichlet(1.0)));  // z (and y) faces: ignored
    fill(p.value(u), 1.0);
    p.run_forward(Section::Step);
    // Dirichlet 1 next to a field of ones: every ghost is 1 as well.
    auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), p.value(u).view());
    bool all_ones = true;
    for (std::size_t i = 0; i < host.span(); ++i) all_ones = all_ones && host.data()[i] == 1.0;
    CHECK(all_ranks(all_ones));
  }
}

TEST_CASE("walls() sets the non-periodic faces; a fill with no condition is not recorded", "[program][boundary]") {
  using Kind = FaceCondition::Kind;
  const BoundaryConditions walls =
      BoundaryConditions::walls(GridSpec::rect(8, 6, {true, false}), FaceCondition::dirichlet(3.0));
  CHECK(walls.face[0][0].kind == Kind::None);
  CHECK(walls.face[0][1].kind == Kind::None);
  CHECK(walls.face[1][0].kind == Kind::Dirichlet);
  CHECK(walls.face[1][1].value == 3.0);
  CHECK(walls.face[2][0].kind == Kind::None);  // a 2D grid has no z faces
  CHECK_FALSE(walls.empty());
  const BoundaryConditions none =
      BoundaryConditions::walls(GridSpec::rect(8, 6, {true, true}), FaceCondition::neumann());
  CHECK(none.empty());
  Program p(Decomposition::create(GridSpec::rect(8, 6, {true, true}), MPI_COMM_WORLD));
  const Var u = p.add_state("u", 1, 1);
  p.boundary(u, none);
  CHECK_FALSE(p.has_operations(Section::Step));
  p.exchange(u);
  CHECK(p.has_operations(Section::Step));
}

TEST_CASE("Dirichlet ghosts make the face value exact, reflect flips the normal component", "[program][boundary]") {
  auto dec = Decomposition::create(GridSpec::line(12), MPI_COMM_WORLD);
  Field<double> f(dec, "f", 2, 1);
  fill(f, 1.0);
  BoundaryConditions bc;
  bc.set(0, 0, FaceCondition::dirichlet(3.0)).set(0, 1, FaceCondition::reflect(1));
  apply_boundary(f, bc, 2, 1, false);
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), f.view());
  bool ok = true;
  if (dec->at_boundary(0, 0)) ok = ok && 0.5 * (h(0, 0, 0, 0) + h(0, 1, 0, 0)) == 3.0;
  const int last = f.extent(0) - 1;
  if (dec->at_boundary(0, 1)) ok = ok && h(0, last, 0, 0) == 1.0 && h(1, last, 0, 0) == -1.0;
  CHECK(all_ranks(ok));
}

TEST_CASE("a NaN on one rank stops every rank with the step and the field", "[program][errors]") {
  auto dec = Decomposition::create(GridSpec::rect(16, 12, {true, true}), MPI_COMM_WORLD);
  Program p(dec);
  const Var u = p.add_state("u", 1, 2), k = p.add_parameter("kappa", 1, 2), next = p.add_temporary("next", 1, 2);
  p.exchange(u);
  p.exchange(k);
  p.apply(Diffusion<2>{}, {u, k}, {next});
  p.copy(u, next);
  p.check_finite(u);
  fill(p.value(u), 1.0);
  fill(p.value(k), 1.0);
  p.run_forward();
  p.run_forward();
  // Poison one cell owned by the last rank only.
  set_by_global_index<double>(p.value(u), [](int, std::int64_t i, std::int64_t j, std::int64_t) {
    return (i == 15 && j == 11) ? std::nan("") : 1.0;
  });
  CHECK_THROWS_WITH(p.run_forward(), Catch::Matchers::Contains("non-finite values in 'u' at step 2") &&
                                         Catch::Matchers::Contains("5 of 192"));
}

TEST_CASE("gather adjoints make transposed exchanges unnecessary; scatter ones do not", "[program]") {
  auto dec = Decomposition::create(GridSpec::rect(16, 12, {true, false}), MPI_COMM_WORLD);
  for (AdjointForm form : {AdjointForm::Gather, AdjointForm::ScatterAtomic}) {
    Program p(dec, ProgramOptions{form});
    const auto [u, k] = add_burgers_step(p);
    fill(p.value(u), 0.5);
    fill(p.value(k), 1.0);
    p.run_forward_record();
    p.run_reverse();
    if (form == AdjointForm::Gather) {
      CHECK(p.elided_transposed_exchanges() == 2);
    } else {
      CHECK(p.elided_transposed_exchanges() == 0);
    }
    // d J / d u for J = sum(u_next) with upwind Burgers at constant state: every
    // cell's total sensitivity equals the column sum of the Jacobian.
    CHECK(std::isfinite(sum(p.adjoint(u))));
  }
}

TEST_CASE("host-staged halo messages give bitwise the same gradient as direct ones", "[program][halo]") {
  auto dec = Decomposition::create(GridSpec::rect(16, 12, {true, false}), MPI_COMM_WORLD);
  for (AdjointForm form : {AdjointForm::Gather, AdjointForm::ScatterAtomic}) {
    std::vector<double> gradient[2];
    for (MessageBuffers buffers : {MessageBuffers::Direct, MessageBuffers::HostStaged}) {
      INFO(to_string(form) << ", " << to_string(buffers));
      ProgramOptions options;
      options.adjoint_form = form;
      options.message_buffers = buffers;
      Program p(dec, options);
      const auto [u, k] = add_burgers_step(p);
      fill_random(p.value(u), 5);
      fill_random(p.value(k), 6);
      p.run_forward_record();
      p.run_reverse();
      gradient[buffers == MessageBuffers::HostStaged] = gather_global(p.adjoint(k));
    }
    CHECK(gradient[0] == gradient[1]);
  }
}

TEST_CASE("a copy's reverse adds into the source adjoint, or moves when that is zero; ghosts stay", "[program]") {
  auto dec = Decomposition::create(GridSpec::rect(13, 10, {false, true}), MPI_COMM_WORLD);
  for (bool source_adjoint_zero : {false, true}) {
    INFO((source_adjoint_zero ? "source adjoint zero: a move" : "source adjoint nonzero: an add"));
    Program p(dec);
    const Var a = p.add_state("a", 2, 2), b = p.add_temporary("b", 2, 2);
    p.copy(b, a);
    p.run_forward_record();
    const Field<double>& a_bar = p.adjoint(a);
    const Field<double>& b_bar = p.adjoint(b);
    randomize_all(a_bar, 31 + dec->rank());
    randomize_all(b_bar, 47 + dec->rank());
    if (source_adjoint_zero) fill(a_bar, 0.0);  // owned cells only: the ghosts keep their values
    const Field<double> a_bar0 = a_bar.clone("a_bar0"), b_bar0 = b_bar.clone("b_bar0");
    p.run_reverse();
    // Owned cells: a_bar = a_bar0 + b_bar0 (bitwise b_bar0 when a_bar0 is 0), b_bar = 0.
    Field<double> expected = a_bar0.clone("expected");
    axpy(expected, 1.0, b_bar0);
    CHECK(gather_global(p.adjoint(a)) == gather_global(expected));
    CHECK(count_nonzero(p.adjoint(b)) == 0);
    // Ghost cells are not the copy's: untouched on both sides.
    CHECK(ghost_values(p.adjoint(a)) == ghost_values(a_bar0));
    CHECK(ghost_values(p.adjoint(b)) == ghost_values(b_bar0));
  }
  Program q(dec);
  const Var x = q.add_state("x");
  CHECK_THROWS_WITH(q.copy(x, x), Catch::Matchers::Contains("same variable 'x'"));
}

TEST_CASE("program construction errors are clear", "[program][errors]") {
  auto dec = Decomposition::create(GridSpec::rect(16, 12, {true, false}), MPI_COMM_WORLD);
  Program p(dec);
  const Var u = p.add_state("u", 1, 2);
  CHECK_THROWS_WITH(p.add_state("u"), Catch::Matchers::Contains("'u' already exists"));
  CHECK_THROWS_WITH(p.find("v"), Catch::Matchers::Contains("no variable named 'v'"));
  CHECK_THROWS_WITH(p.boundary(u, BoundaryConditions::all(FaceCondition::neumann())),
                    Catch::Matchers::Contains("periodic"));
  CHECK_THROWS_WITH(p.run_reverse(), Catch::Matchers::Contains("without a preceding run_forward_record"));
  CHECK_THROWS_WITH(p.run_tangent(), Catch::Matchers::Contains("prepare_tangent"));
  const Var obs = p.add_data("obs", 3);
  CHECK_THROWS_WITH(p.objective_misfit(u, obs), Catch::Matchers::Contains("component counts differ"));
  CHECK(p.describe().find("u(state") != std::string::npos);
}

TEST_CASE("a Star exchange feeding corner reads is refused before the first run", "[program][errors]") {
  // Box stencils read corner ghosts, and so does the gather adjoint of any stencil;
  // a Star exchange leaves them stale and the result would depend on the ranks.
  auto dec = Decomposition::create(GridSpec::rect(12, 10, {true, true}), MPI_COMM_WORLD);
  auto program_with = [&](auto kernel, HaloPattern pattern, AdjointForm form, bool exchange_last) {
    auto p = std::make_unique<Program>(dec, ProgramOptions{form});
    const Var u = p->add_state("u", 1, 2), kappa = p->add_parameter("kappa", 1, 2);
    const Var next = p->add_temporary("u_next", 1, 2);
    p->exchange(kappa);
    if (!exchange_last) p->exchange(u, pattern);
    p->apply(kernel, {u, kappa}, {next});
    p->copy(u, next);
    if (exchange_last) p->exchange(u, pattern);  // feeds the next step's kernel
    fill(p->value(u), 1.0);
    fill(p->value(kappa), 1.0);
    return p;
  };
  using Catch::Matchers::Contains;
  // Box stencil, Star exchange: refused for forward, tangent and record runs.
  auto box = program_with(BoxSmoother<2>{}, HaloPattern::Star, AdjointForm::ScatterAtomic, false);
  CHECK_THROWS_WITH(box->run_forward(), Contains("reads 'u' in corner ghost cells") && Contains("HaloPattern::Star") &&
                                            Contains("HaloPattern::Box"));
  box->prepare_tangent(1);
  CHECK_THROWS_WITH(box->run_tangent(), Contains("reads 'u' in corner ghost cells"));
  // Star stencil with the gather adjoint: refused, also when the exchange comes
  // last in the step (it fills the ghosts the next step's kernel reads).
  CHECK_THROWS_WITH(program_with(Diffusion<2>{}, HaloPattern::Star, AdjointForm::Gather, false)->run_forward_record(),
                    Contains("gather adjoint"));
  CHECK_THROWS_WITH(program_with(Diffusion<2>{}, HaloPattern::Star, AdjointForm::Gather, true)->run_forward(),
                    Contains("(previous step)"));
  // What is right runs: a star stencil with a scatter adjoint under a Star
  // exchange, and every kernel under the default Box exchange.
  auto star = program_with(Diffusion<2>{}, HaloPattern::Star, AdjointForm::ScatterAtomic, false);
  CHECK_NOTHROW(star->run_forward_record());
  CHECK_NOTHROW(star->run_reverse());
  CHECK_NOTHROW(program_with(BoxSmoother<2>{}, HaloPattern::Box, AdjointForm::Gather, true)->run_forward());
  CHECK_NOTHROW(program_with(Diffusion<2>{}, HaloPattern::Box, AdjointForm::Gather, false)->run_forward());
}
