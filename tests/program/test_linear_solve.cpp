// The linear-solve operation: primal correctness (exact discrete solution with
// Dirichlet lifts), implicit tangent and adjoint checked with the public
// verification harness (dot-product and Taylor tests, every adjoint form, star and
// box stencils, 1D/2D/3D, walls and periodic), vector-mode tangents, statistics,
// and the errors: no convergence, indefinite operators, non-symmetric or
// non-linear kernels, bad set-up.
#include <cmath>

#include "program/test_kernels.hpp"
#include "test_util.hpp"
#include "undertow/program/linear_solve.hpp"

using namespace undertow;
using namespace undertow_test;

namespace {

/// Two decoupled components, radius R: out_c = mass x_c + sum over offsets s of
/// mean(kappa) (x_c - x_c(s)) / |s| (symmetric for every R).
template <int Dim, int R>
struct TwoComponentOperator : Kernel<Inputs<2, 1>, Outputs<2>> {
  static constexpr Stencil stencil = Stencil::star(Dim, R);
  double mass = 0.2;
  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    const S k0 = in(1, 0, 0, 0);
    for (int c = 0; c < 2; ++c) {
      const S x0 = in.comp(0, c, 0, 0, 0);
      S acc = mass * (1.0 + c) * x0;
      for (int d = 0; d < Dim; ++d)
        for (int s = -R; s <= R; ++s) {
          if (s == 0) continue;
          int o[3] = {0, 0, 0};
          o[d] = s;
          acc += (0.5 / (s < 0 ? -s : s)) * (k0 + in(1, o[0], o[1], o[2])) * (x0 - in.comp(0, c, o[0], o[1], o[2]));
        }
      out(0, c) = acc;
    }
  }
};

/// A 9-point (box) operator in 2D: every neighbour o couples with weight
/// w_o * mean(kappa) (w = 1 on faces, 0.5 on corners), plus a mass term.
struct BoxOperator : Kernel<Inputs<1, 1>, Outputs<1>> {
  static constexpr Stencil stencil = Stencil::box(2, 1);
  double mass = 0.3;
  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    const S x0 = in(0, 0, 0), k0 = in(1, 0, 0);
    S acc = mass * x0;
    for (int i = -1; i <= 1; ++i)
      for (int j = -1; j <= 1; ++j) {
        if (i == 0 && j == 0) continue;
        const double w = (i != 0 && j != 0) ? 0.5 : 1.0;
        acc += w * 0.5 * (k0 + in(1, i, j)) * (x0 - in(0, i, j));
      }
    out(0) = acc;
  }
};

/// Not symmetric: upwinded conductivity (the face takes the left cell's kappa).
struct UpwindOperator : Kernel<Inputs<1, 1>, Outputs<1>> {
  static constexpr Stencil stencil = Stencil::star(1, 1);
  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    const auto x0 = in(0, 0);
    out(0) = 1.0 * x0 + in(1, -1) * (x0 - in(0, -1)) + in(1, 0) * (x0 - in(0, 1)) + 0.3 * (in(0, 1) - x0);
  }
};

/// Affine, not linear: a source term inside the operator.
struct AffineOperator : Kernel<Inputs<1, 1>, Outputs<1>> {
  static constexpr Stencil stencil = Stencil::star(1, 1);
  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    const auto x0 = in(0, 0);
    out(0) = 2.0 * x0 - 0.5 * (in(0, -1) + in(0, 1)) * in(1, 0) / in(1, 0) - 1.0;
  }
};

enum class Walls { Periodic, Dirichlet, Mixed };

GridSpec grid_for(int dim, Walls walls) {
  const bool per = walls == Walls::Periodic;
  std::array<bool, 3> periodic{per || walls == Walls::Mixed, per, per};
  if (dim == 1) return GridSpec::line(24, periodic[0]);
  if (dim == 2) return GridSpec::rect(14, 11, {periodic[0], periodic[1]});
  return GridSpec::box(9, 8, 7, periodic);
}

/// Dirichlet 0.3 below, Neumann above on non-periodic faces (non-zero lift).
BoundaryConditions x_conditions(const GridSpec& g) {
  BoundaryConditions bc;
  for (int d = 0; d < g.dim; ++d) {
    if (!g.periodic[d]) bc.set(d, 0, FaceCondition::dirichlet(0.3)).set(d, 1, FaceCondition::neumann());
  }
  return bc;
}
BoundaryConditions kappa_conditions(const GridSpec& g) {
  BoundaryConditions bc;
  for (int d = 0; d < g.dim; ++d) {
    if (!g.periodic[d]) bc.set(d, 0, FaceCondition::neumann()).set(d, 1, FaceCondition::neumann());
  }
  return bc;
}

struct Built {
  std::unique_ptr<Program> program;
  Var x, b, kappa, obs;
  std::shared_ptr<LinearSolveStats> stats;
};

template <class K>
Built build(std::shared_ptr<const Decomposition> dec, const K& op, AdjointForm form, LinearSolveOptions opt = {},
            double kappa_sign = 1.0) {
  Built s;
  s.program = std::make_unique<Program>(dec, ProgramOptions{form});
  Program& p = *s.program;
  const GridSpec& g = dec->grid();
  s.b = p.add_parameter("b", 1, 0);
  s.kappa = p.add_parameter("kappa", 1, 2);
  s.x = p.add_temporary("x", 1, 1);
  s.obs = p.add_data("obs");
  p.exchange(s.kappa);
  p.boundary(s.kappa, kappa_conditions(g));
  opt.boundary = x_conditions(g);
  s.stats = linear_solve(p, op, s.x, s.b, {s.kappa}, opt);
  p.objective_misfit(s.x, s.obs, 0.7);
  set_by_global_index<double>(p.value(s.b), [](int, std::int64_t i, std::int64_t j, std::int64_t k) {
    return std::sin(0.4 * double(i) + 0.3 * double(j) - 0.2 * double(k)) + 0.2;
  });
  set_by_global_index<double>(p.value(s.kappa), [&](int, std::int64_t i, std::int64_t j, std::int64_t k) {
    return kappa_sign * (1.0 + 0.4 * std::cos(0.5 * double(i) - 0.4 * double(j) + 0.9 * double(k)));
  });
  fill_random(p.value(s.obs), 11);
  return s;
}

LinearSolveOptions tight() {
  LinearSolveOptions o;
  o.relative_tolerance = 1e-13;
  return o;
}

template <class K>
void check_derivatives(const std::string& tag, int dim, const K& op, Walls walls, bool every_variant) {
  auto dec = Decomposition::create(grid_for(dim, walls), MPI_COMM_WORLD);
  for (AdjointForm form : {AdjointForm::Gather, AdjointForm::ScatterAtomic, AdjointForm::ScatterColoured}) {
    for (Preconditioner pc : {Preconditioner::Jacobi, Preconditioner::None}) {
      const bool base = form == AdjointForm::Gather && pc == Preconditioner::Jacobi;
      if (!base && !every_variant) continue;
      if (pc == Preconditioner::None && form != AdjointForm::Gather) continue;
      INFO(tag << " " << to_string(form) << " preconditioner " << to_string(pc));
      LinearSolveOptions opt = tight();
      opt.preconditioner = pc;
      Built s = build(dec, op, form, opt);
      Problem f(*s.program, {s.b, s.kappa}, {s.x}, {1});
      VerifyOptions vo;
      vo.name = tag;
      const VerificationReport report = verify(f, vo);
      INFO(report.str());
      CHECK(report.dot_passed);
      CHECK(report.taylor_passed);
      CHECK(s.stats->forward_solves > 0);
      CHECK(s.stats->adjoint_solves > 0);
      CHECK(s.stats->tangent_solves > 0);
      CHECK(s.stats->last_forward.iterations > 0);
      CHECK(s.stats->last_forward.relative_residual <= 1e-13);
    }
  }
}

/// Max |a - b| / max |b| over owned cells.
double relative_max_error(const Field<double>& a, const Field<double>& b) {
  Field<double> d = a.clone_layout("difference");
  copy(d, a);
  axpy(d, -1.0, b);
  return max_abs(d) / max_abs(b);
}

/// b = K(E(x_true)) by a plain kernel application with the same ghost fill; the
/// solve must give back x_true, ghosts included.
template <int Dim>
void exact_solution_case(Walls walls) {
  INFO("dim " << Dim << " walls " << int(walls));
  auto dec = Decomposition::create(grid_for(Dim, walls), MPI_COMM_WORLD);
  const GridSpec& g = dec->grid();
  Program maker(dec);
  const Var xt = maker.add_state("x_true", 1, 1), k = maker.add_parameter("kappa", 1, 2),
            bt = maker.add_temporary("b", 1, 0);
  maker.exchange(xt);
  maker.boundary(xt, x_conditions(g));
  maker.exchange(k);
  maker.boundary(k, kappa_conditions(g));
  maker.apply(StarOperator<Dim>{}, {xt, k}, {bt}, AdjointForm::ScatterAtomic);
  fill_random(maker.value(xt), 3);
  set_by_global_index<double>(maker.value(k), [](int, std::int64_t i, std::int64_t j, std::int64_t kk) {
    return 1.2 + 0.3 * std::sin(1.3 * double(i) + 0.7 * double(j) + 0.4 * double(kk));
  });
  maker.run_forward();

  Program p(dec);
  const Var x = p.add_temporary("x", 1, 1), b = p.add_parameter("b", 1, 0), kappa = p.add_parameter("kappa", 1, 2);
  p.exchange(kappa);
  p.boundary(kappa, kappa_conditions(g));
  LinearSolveOptions opt;
  opt.relative_tolerance = 1e-13;
  opt.boundary = x_conditions(g);
  auto stats = linear_solve(p, StarOperator<Dim>{}, x, b, {kappa}, opt);
  copy(p.value(b), maker.value(bt));
  copy(p.value(kappa), maker.value(k));
  p.run_forward();
  CHECK(relative_max_error(p.value(x), maker.value(xt)) < 1e-10);
  // Ghosts too: the solve leaves x exchanged and boundary-filled.
  auto a = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), p.value(x).view());
  auto e = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), maker.value(xt).view());
  double worst = 0;
  for (std::size_t n = 0; n < a.span(); ++n) worst = std::max(worst, std::abs(a.data()[n] - e.data()[n]));
  CHECK(all_ranks(worst < 1e-9));
  CHECK(stats->forward_solves == 1);
  CHECK(stats->last_forward.iterations > 0);
  CHECK(stats->last_forward.relative_residual <= 1e-13);
}

/// The Jacobi diagonal (exact diagonal of K composed with the homogeneous ghost
/// fill) against a probe: A applied to indicator vectors of cells 2R+1 apart.
template <int Dim, int R>
void check_diagonal(const GridSpec& grid, const BoundaryConditions& bc) {
  INFO("diagonal, " << Dim << "D radius " << R);
  auto dec = Decomposition::create(grid, MPI_COMM_WORLD);
  using K = TwoComponentOperator<Dim, R>;
  Program p(dec);
  const Var x = p.add_state("x", 2, R), kappa = p.add_parameter("kappa", 1, R), out = p.add_temporary("Ax", 2, 0);
  p.exchange(x);
  p.boundary(x, bc);
  p.exchange(kappa);
  p.boundary(kappa, kappa_conditions(grid));
  p.apply(K{}, {x, kappa}, {out}, AdjointForm::ScatterAtomic);
  set_by_global_index<double>(p.value(kappa), [](int, std::int64_t i, std::int64_t j, std::int64_t k) {
    return 1.0 + 0.5 * std::sin(1.7 * double(i) + 0.9 * double(j) + 0.3 * double(k));
  });
  const int w = 2 * R + 1;
  const int colours = Dim == 1 ? w : Dim == 2 ? w * w : w * w * w;
  std::vector<double> probe;
  for (int colour = 0; colour < colours; ++colour) {
    for (int c = 0; c < 2; ++c) {
      auto on = [&](int comp, std::int64_t i, std::int64_t j, std::int64_t k) {
        const std::int64_t code = (i % w) + (Dim > 1 ? w * (j % w) : 0) + (Dim > 2 ? w * w * (k % w) : 0);
        return comp == c && code == colour ? 1.0 : 0.0;
      };
      set_by_global_index<double>(p.value(x), on);
      p.run_forward();
      const std::vector<double> ax = gather_global(p.value(out));
      const std::vector<double> indicator = gather_global(p.value(x));  // the run wrote ghosts only
      if (probe.empty()) probe.assign(ax.size(), 0.0);
      for (std::size_t n = 0; n < ax.size(); ++n) probe[n] += indicator[n] * ax[n];
    }
  }
  Field<double> diag = p.value(out).clone_layout("diag");
  detail::linear_operator_diagonal(K{}, {p.value(x), p.value(kappa)}, p.value(out), bc, diag);
  const std::vector<double> computed = gather_global(diag);
  double worst = 0;
  for (std::size_t n = 0; n < probe.size(); ++n) worst = std::max(worst, std::abs(probe[n] - computed[n]));
  CHECK(worst <= 1e-12);
}

}  // namespace

TEST_CASE("linear solve: implicit derivatives pass the dot-product and Taylor tests", "[linear_solve]") {
  // Every adjoint form and both preconditioners on two cases, the default elsewhere.
  check_derivatives("star 1D walls", 1, StarOperator<1>{}, Walls::Dirichlet, false);
  check_derivatives("star 2D walls", 2, StarOperator<2>{}, Walls::Dirichlet, true);
  check_derivatives("star 2D periodic-x", 2, StarOperator<2>{}, Walls::Mixed, false);
  check_derivatives("star 3D periodic", 3, StarOperator<3>{}, Walls::Periodic, false);
  check_derivatives("star 3D walls", 3, StarOperator<3>{}, Walls::Dirichlet, false);
  check_derivatives("box 2D walls", 2, BoxOperator{}, Walls::Dirichlet, true);
  check_derivatives("box 2D periodic-x", 2, BoxOperator{}, Walls::Mixed, false);
}

TEST_CASE("linear solve: recovers an exact discrete solution, Dirichlet lift included", "[linear_solve]") {
  for (Walls walls : {Walls::Dirichlet, Walls::Mixed}) {
    exact_solution_case<1>(walls == Walls::Mixed ? Walls::Periodic : walls);
    exact_solution_case<2>(walls);
    exact_solution_case<3>(walls);
  }
}

TEST_CASE("linear solve: vector-mode tangents equal single-direction tangents", "[linear_solve][tangent]") {
  auto dec = Decomposition::create(grid_for(2, Walls::Dirichlet), MPI_COMM_WORLD);
  Built s = build(dec, StarOperator<2>{}, AdjointForm::Gather, tight());
  Program& p = *s.program;
  std::vector<Field<double>> db, dk;
  for (int n = 0; n < 2; ++n) {
    db.push_back(p.value(s.b).clone_layout("db"));
    dk.push_back(p.value(s.kappa).clone_layout("dk"));
    fill_random(db.back(), 40 + n);
    fill_random(dk.back(), 50 + n);
  }
  // Two directions at once: tangent components are direction-major.
  p.prepare_tangent(2);
  for (int n = 0; n < 2; ++n) {
    auto tb = p.tangent(s.b).view();
    auto tk = p.tangent(s.kappa).view();
    auto vb = db[n].view();
    auto vk = dk[n].view();
    const Box ob = db[n].owned_box(), ok = dk[n].owned_box();
    Kokkos::parallel_for(
        "seed_b",
        Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<3>>({ob.lo[0], ob.lo[1], ob.lo[2]},
                                                          {ob.hi[0], ob.hi[1], ob.hi[2]}),
        KOKKOS_LAMBDA(int i, int j, int k) { tb(n, i, j, k) = vb(0, i, j, k); });
    Kokkos::parallel_for(
        "seed_k",
        Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<3>>({ok.lo[0], ok.lo[1], ok.lo[2]},
                                                          {ok.hi[0], ok.hi[1], ok.hi[2]}),
        KOKKOS_LAMBDA(int i, int j, int k) { tk(n, i, j, k) = vk(0, i, j, k); });
  }
  p.set_objective(0);
  p.run_tangent();
  const std::vector<double> both = gather_global(p.tangent(s.x));
  const std::vector<double> jdot = p.objective_tangent();
  CHECK(s.stats->last_tangent.iterations > 0);
  for (int n = 0; n < 2; ++n) {
    p.prepare_tangent(1);
    copy(p.tangent(s.b), db[n]);
    copy(p.tangent(s.kappa), dk[n]);
    p.set_objective(0);
    p.run_tangent();
    const std::vector<double> one = gather_global(p.tangent(s.x));
    double diff = 0, norm = 0;
    const std::size_t cells = one.size();
    for (std::size_t c = 0; c < cells; ++c) {
      diff = std::max(diff, std::abs(one[c] - both[n * cells + c]));
      norm = std::max(norm, std::abs(one[c]));
    }
    CHECK(diff <= 1e-11 * norm);
    CHECK(std::abs(p.objective_tangent()[0] - jdot[static_cast<std::size_t>(n)]) <=
          1e-11 * std::abs(jdot[static_cast<std::size_t>(n)]));
  }
}

TEST_CASE("linear solve: statistics, and the adjoint costs one solve like the primal", "[linear_solve]") {
  auto dec = Decomposition::create(GridSpec::rect(40, 32), MPI_COMM_WORLD);
  LinearSolveOptions opt;
  opt.relative_tolerance = 1e-10;
  Built s = build(dec, StarOperator<2>{}, AdjointForm::Gather, opt);
  Program& p = *s.program;
  p.zero_adjoints();
  p.run_forward_record();
  p.run_reverse();
  const LinearSolveStats& st = *s.stats;
  INFO(st.str());
  CHECK(st.forward_solves == 1);
  CHECK(st.adjoint_solves == 1);
  CHECK(st.forward_iterations == st.last_forward.iterations);
  CHECK(st.last_forward.iterations > 10);
  // Same operator, same tolerance: the adjoint CG needs a similar number of iterations.
  CHECK(st.last_adjoint.iterations <= st.last_forward.iterations + st.last_forward.iterations / 2);
  CHECK(st.last_adjoint.iterations >= st.last_forward.iterations / 2);
  CHECK(st.last_adjoint.relative_residual <= 1e-10);
  CHECK(st.str().find("adjoint") != std::string::npos);
  // The unknown's adjoint is consumed, the right side's is lambda (non-zero).
  CHECK(max_abs(p.adjoint(s.x)) == 0.0);
  CHECK(max_abs(p.adjoint(s.b)) > 0.0);
  CHECK(p.describe().find("by CG (Jacobi") != std::string::npos);
  // A vector reverse is refused: linear solves reverse one seed at a time.
  p.prepare_reverse(2);
  p.run_forward_record();
  CHECK_THROWS_WITH(p.run_reverse(), Catch::Matchers::Contains("a vector reverse (2 seeds) is not supported"));
}

TEST_CASE("linear solve: an iteration cap that is too small is an error on every rank", "[linear_solve][errors]") {
  auto dec = Decomposition::create(grid_for(2, Walls::Dirichlet), MPI_COMM_WORLD);
  LinearSolveOptions opt;
  opt.max_iterations = 2;
  Built s = build(dec, StarOperator<2>{}, AdjointForm::Gather, opt);
  // Every rank throws (a rank that did not would hang the next collective).
  CHECK_THROWS_WITH(s.program->run_forward(), Catch::Matchers::Contains("did not converge in 2 iterations") &&
                                                  Catch::Matchers::Contains("relative residual") &&
                                                  Catch::Matchers::Contains("solve for 'x'"));
}

TEST_CASE("linear solve: negative conductivity (indefinite operator) is detected", "[linear_solve][errors]") {
  auto dec = Decomposition::create(grid_for(2, Walls::Dirichlet), MPI_COMM_WORLD);
  {
    // Without a preconditioner, CG itself sees d^T A d <= 0.
    LinearSolveOptions opt;
    opt.preconditioner = Preconditioner::None;
    StarOperator<2> op;
    op.mass = 0.0;
    Built s = build(dec, op, AdjointForm::Gather, opt, -1.0);
    CHECK_THROWS_WITH(s.program->run_forward(), Catch::Matchers::Contains("not positive definite: d^T A d"));
  }
  {
    // With Jacobi the diagonal is checked first.
    StarOperator<2> op;
    op.mass = 0.0;
    Built s = build(dec, op, AdjointForm::Gather, {}, -1.0);
    CHECK_THROWS_WITH(s.program->run_forward(), Catch::Matchers::Contains("diagonal is not positive"));
  }
}

TEST_CASE("linear solve: non-symmetric or non-linear kernels and bad set-ups are refused", "[linear_solve][errors]") {
  auto dec = Decomposition::create(grid_for(1, Walls::Dirichlet), MPI_COMM_WORLD);
  {
    Built s = build(dec, UpwindOperator{}, AdjointForm::Gather);
    CHECK_THROWS_WITH(s.program->run_forward(), Catch::Matchers::Contains("not symmetric"));
  }
  {
    Built s = build(dec, AffineOperator{}, AdjointForm::Gather);
    CHECK_THROWS_WITH(s.program->run_forward(), Catch::Matchers::Contains("not linear in x"));
  }
  Program p(dec);
  const Var x = p.add_temporary("x", 1, 1), b = p.add_parameter("b", 1, 0), k1 = p.add_parameter("k1", 1, 1),
            k2 = p.add_parameter("k2", 1, 2), d = p.add_data("d");
  CHECK_THROWS_WITH(linear_solve(p, StarOperator<1>{}, x, b, {k1}), Catch::Matchers::Contains("needs 2"));
  CHECK_NOTHROW(linear_solve(p, StarOperator<1>{}, x, b, {k1}, [] {
    LinearSolveOptions o;
    o.adjoint_form = AdjointForm::ScatterAtomic;
    return o;
  }()));
  CHECK_THROWS_WITH(linear_solve(p, StarOperator<1>{}, x, x, {k2}), Catch::Matchers::Contains("same variable"));
  CHECK_THROWS_WITH(linear_solve(p, StarOperator<1>{}, d, b, {k2}), Catch::Matchers::Contains("Data variable"));
  CHECK_THROWS_WITH(linear_solve(p, StarOperator<1>{}, k2, b, {k2}), Catch::Matchers::Contains("also a coefficient"));
  LinearSolveOptions zero;
  zero.relative_tolerance = 0.0;
  CHECK_THROWS_WITH(linear_solve(p, StarOperator<1>{}, x, b, {k2}, zero), Catch::Matchers::Contains("tolerance > 0"));
  LinearSolveOptions capped;
  capped.max_iterations = 0;
  CHECK_THROWS_WITH(linear_solve(p, StarOperator<1>{}, x, b, {k2}, capped),
                    Catch::Matchers::Contains("max_iterations must be at least 1"));
  CHECK_THROWS_WITH(linear_solve(p, StarOperator<2>{}, x, b, {k2}), Catch::Matchers::Contains("stencil is 2D"));
}

TEST_CASE("linear solve: the Jacobi diagonal is the exact diagonal of the operator with its ghost fill",
          "[linear_solve][preconditioner]") {
  // Mirror signs per face and component: reflect flips component 0 only.
  BoundaryConditions bc;
  bc.set(0, 0, FaceCondition::reflect(0)).set(0, 1, FaceCondition::dirichlet(0.0));
  check_diagonal<1, 1>(GridSpec::line(15), bc);
  check_diagonal<1, 2>(GridSpec::line(15), bc);
  bc.set(1, 0, FaceCondition::neumann()).set(1, 1, FaceCondition::reflect(1));
  check_diagonal<2, 1>(GridSpec::rect(12, 9), bc);
  check_diagonal<2, 2>(GridSpec::rect(10, 15), bc);
  BoundaryConditions periodic_y;
  periodic_y.set(0, 0, FaceCondition::dirichlet(0.0)).set(0, 1, FaceCondition::none());  // none: zero ghosts
  check_diagonal<2, 1>(GridSpec::rect(12, 9, {false, true}), periodic_y);
  check_diagonal<3, 1>(GridSpec::box(6, 6, 9, {true, false, true}), [] {
    BoundaryConditions b;
    b.set(1, 0, FaceCondition::reflect(1)).set(1, 1, FaceCondition::neumann());
    return b;
  }());
}
