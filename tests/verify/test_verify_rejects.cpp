// verify() must be able to fail. For every part of a derivative that can be
// wrong, a deliberately broken variant of the library's operation, put into an
// otherwise correct program, must be rejected:
//   kernel adjoint       the reverse of a kernel that forgets one stencil offset
//   tangent              the tangent of that kernel
//   transposed exchange  a reverse that drops the ghost contributions (no send)
//   boundary transpose   the ghost fill applied to the adjoint instead of its transpose
//   linear-solve adjoint the coefficient adjoint with the wrong sign
//   objective adjoint    the misfit's adjoint without the observation
// The same program with the library's own operation passes (so each rejection is
// the mutation's doing), and a point where the dot-product terms vanish is
// reported as degenerate instead of passing.
#include <memory>
#include <sstream>

#include "program/test_kernels.hpp"
#include "test_util.hpp"

using namespace undertow;
using namespace undertow_test;

namespace {

/// Diffusion<2> without the flux through the upper y face of each cell: the
/// missing stencil offset of a hand-written derivative.
struct DiffusionMissingOffset : Kernel<Inputs<1, 1>, Outputs<1>> {
  static constexpr Stencil stencil = Stencil::star(2, 1);
  double dt_over_h2 = 0.1;
  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    const S u0 = in(0, 0, 0, 0);
    const S k0 = in(1, 0, 0, 0);
    S flux = 0.0;
    for (int d = 0; d < 2; ++d) {
      for (int side = -1; side <= 1; side += 2) {
        if (d == 1 && side == 1) continue;
        int o[3] = {0, 0, 0};
        o[d] = side;
        flux += 0.5 * (k0 + in(1, o[0], o[1], o[2])) * (in(0, o[0], o[1], o[2]) - u0);
      }
    }
    out(0) = u0 + dt_over_h2 * flux;
  }
};

/// A kernel application whose tangent or reverse is another kernel's.
class MixedKernelOperation : public Operation {
 public:
  MixedKernelOperation(Program& p, Var u, Var kappa, Var out, AdjointForm form, bool broken_reverse)
      : good_(p, Diffusion<2>{}, {u, kappa}, {out}, form),
        broken_(p, DiffusionMissingOffset{}, {u, kappa}, {out}, form),
        broken_reverse_(broken_reverse) {}
  std::string describe(const Program& p) const override { return good_.describe(p) + " (mutant)"; }
  std::vector<int> writes() const override { return good_.writes(); }
  std::vector<int> reverse_reads() const override { return good_.reverse_reads(); }
  std::vector<std::pair<int, HaloPattern>> ghost_reads() const override { return good_.ghost_reads(); }
  void forward(Program& p) override { good_.forward(p); }
  void tangent(Program& p, int directions) override {
    if (broken_reverse_) {
      good_.tangent(p, directions);
    } else {
      broken_.tangent(p, directions);
    }
  }
  void reverse(Program& p) override {
    if (broken_reverse_) {
      broken_.reverse(p);
    } else {
      good_.reverse(p);
    }
  }

 private:
  detail::KernelOperation<Diffusion<2>> good_;
  detail::KernelOperation<DiffusionMissingOffset> broken_;
  bool broken_reverse_;
};

/// A halo exchange whose reverse forgets to send the ghost contributions home.
class ExchangeWithoutTranspose : public Operation {
 public:
  explicit ExchangeWithoutTranspose(Var v) : v_(v.id) {}
  std::string describe(const Program& p) const override { return "exchange " + p.name(Var{v_}) + " (mutant)"; }
  std::vector<int> writes() const override { return {v_}; }
  std::optional<HaloPattern> exchange_pattern(int v) const override {
    return v == v_ ? std::optional<HaloPattern>(HaloPattern::Box) : std::nullopt;
  }
  void forward(Program& p) override {
    halo(p, HaloPattern::Box, variable(p, v_).value.ghost()).exchange(variable(p, v_).value);
  }
  void tangent(Program& p, int) override {
    auto& x = variable(p, v_);
    halo(p, HaloPattern::Box, x.value.ghost()).exchange(x.value, x.tangent);
  }
  void reverse(Program& p) override { variable(p, v_).ghost_adjoint_pending = false; }

 private:
  int v_;
};

/// A boundary fill whose reverse applies the fill to the adjoint (not its transpose).
class BoundaryFillAsTranspose : public Operation {
 public:
  BoundaryFillAsTranspose(Var v, const BoundaryConditions& bc) : v_(v.id), bc_(bc) {}
  std::string describe(const Program& p) const override { return "boundary " + p.name(Var{v_}) + " (mutant)"; }
  std::vector<int> writes() const override { return {v_}; }
  void forward(Program& p) override { apply_boundary(variable(p, v_).value, bc_, 1, 1, false); }
  void tangent(Program& p, int directions) override {
    apply_boundary(variable(p, v_).value, bc_, 1, 1, false);
    apply_boundary(variable(p, v_).tangent, bc_, 1, directions, true);
  }
  void reverse(Program& p) override { apply_boundary(variable(p, v_).adjoint, bc_, 1, 1, true); }

 private:
  int v_;
  BoundaryConditions bc_;
};

/// J += w/2 |x - obs|^2 whose adjoint forgets the observation (w x instead of w (x - obs)).
class MisfitWithoutObservationAdjoint : public Operation {
 public:
  MisfitWithoutObservationAdjoint(Var x, Var obs, double w) : x_(x.id), obs_(obs.id), w_(w) {}
  std::string describe(const Program& p) const override { return "misfit " + p.name(Var{x_}) + " (mutant)"; }
  std::vector<int> writes() const override { return {}; }
  std::vector<int> reverse_reads() const override { return {x_}; }
  void forward(Program& p) override {
    const Field<double> r = residual(p);
    objective(p) += 0.5 * w_ * dot(r, r);
  }
  void tangent(Program& p, int directions) override {
    if (directions != 1) throw Error("MisfitWithoutObservationAdjoint: one tangent direction only");
    forward(p);
    objective_tangent(p)[0] += w_ * dot(residual(p), variable(p, x_).tangent);
  }
  void reverse(Program& p) override { axpy(variable(p, x_).adjoint, w_ * p.objective_adjoint(), recorded(p, x_)); }

 private:
  Field<double> residual(Program& p) const {
    Field<double> r = variable(p, x_).value.clone("residual");
    axpy(r, -1.0, variable(p, obs_).value);
    return r;
  }
  int x_, obs_;
  double w_;
};

enum class Mutation { None, KernelAdjoint, KernelTangent, TransposedExchange, BoundaryTranspose, ObjectiveAdjoint };

const char* to_string(Mutation m) {
  switch (m) {
    case Mutation::None:
      return "none";
    case Mutation::KernelAdjoint:
      return "kernel adjoint";
    case Mutation::KernelTangent:
      return "kernel tangent";
    case Mutation::TransposedExchange:
      return "transposed exchange";
    case Mutation::BoundaryTranspose:
      return "boundary transpose";
    case Mutation::ObjectiveAdjoint:
      return "objective adjoint";
  }
  return "?";
}

/// Two steps of u <- Diffusion(u, kappa) on a grid periodic in x (so the exchange
/// matters on one rank too) with a Dirichlet wall below and a Neumann wall above,
/// then a terminal misfit; one operation replaced by the mutant `m`.
VerificationReport verify_diffusion(Mutation m, AdjointForm form) {
  auto dec = std::make_shared<const Decomposition>(small_grid(2, {true, false, false}), MPI_COMM_WORLD);
  Program p(dec, ProgramOptions{form});
  const Var u = p.add_state("u", 1, 2);
  const Var kappa = p.add_parameter("kappa", 1, 2);
  const Var next = p.add_temporary("u_next", 1, 2);
  const Var obs = p.add_data("obs");
  BoundaryConditions walls;
  walls.set(1, 0, FaceCondition::dirichlet(0.3)).set(1, 1, FaceCondition::neumann());
  BoundaryConditions kappa_walls;
  kappa_walls.set(1, 0, FaceCondition::neumann()).set(1, 1, FaceCondition::neumann());

  p.exchange(kappa);
  p.boundary(kappa, kappa_walls);
  if (m == Mutation::TransposedExchange) {
    p.append(std::make_unique<ExchangeWithoutTranspose>(u));
  } else {
    p.exchange(u);
  }
  if (m == Mutation::BoundaryTranspose) {
    p.append(std::make_unique<BoundaryFillAsTranspose>(u, walls));
  } else {
    p.boundary(u, walls);
  }
  if (m == Mutation::KernelAdjoint || m == Mutation::KernelTangent) {
    p.append(std::make_unique<MixedKernelOperation>(p, u, kappa, next, form, m == Mutation::KernelAdjoint));
  } else {
    p.apply(Diffusion<2>{}, {u, kappa}, {next});
  }
  p.copy(u, next);
  p.set_section(Section::Final);
  if (m == Mutation::ObjectiveAdjoint) {
    p.append(std::make_unique<MisfitWithoutObservationAdjoint>(u, obs, 0.9));
  } else {
    p.objective_misfit(u, obs, 0.9);
  }

  set_by_global_index<double>(p.value(u), [](int, std::int64_t i, std::int64_t j, std::int64_t) {
    return std::sin(0.7 * double(i) + 0.2) + 0.5 * std::cos(0.9 * double(j));
  });
  set_by_global_index<double>(p.value(kappa), [](int, std::int64_t i, std::int64_t j, std::int64_t) {
    return 1.0 + 0.3 * std::cos(0.4 * double(i) - 0.6 * double(j));
  });
  fill_random(p.value(obs), 5);
  Problem f(p, {u, kappa}, {u}, {2});
  VerifyOptions options;
  options.name = std::string("diffusion, mutation: ") + to_string(m) + ", " + undertow::to_string(form) + " adjoint";
  return verify(f, options);
}

/// The library's linear solve with the sign of the coefficient adjoint flipped
/// (p_bar += (dK/dp)^T lambda instead of -=).
class SolveWithFlippedCoefficientAdjoint : public detail::LinearSolveOperation<StarOperator<2>> {
 public:
  using detail::LinearSolveOperation<StarOperator<2>>::LinearSolveOperation;

 protected:
  void coefficient_adjoint(Program& p, const Field<double>& x_full, const Field<double>& w,
                           const Field<double>& x_bar_scratch, AdjointForm form) override {
    scale(w, -1.0);
    detail::LinearSolveOperation<StarOperator<2>>::coefficient_adjoint(p, x_full, w, x_bar_scratch, form);
    scale(w, -1.0);
  }
};

/// Solve A(kappa) x = b with walls all round, then a misfit of x; the solve's
/// coefficient adjoint broken when `broken`.
VerificationReport verify_linear_solve(bool broken, AdjointForm form) {
  auto dec = std::make_shared<const Decomposition>(small_grid(2, {false, false, false}), MPI_COMM_WORLD);
  Program p(dec, ProgramOptions{form});
  const Var b = p.add_parameter("b", 1, 0);
  const Var kappa = p.add_parameter("kappa", 1, 2);
  const Var x = p.add_temporary("x", 1, 1);
  const Var obs = p.add_data("obs");
  BoundaryConditions kappa_walls, x_walls;
  for (int d = 0; d < 2; ++d) {
    kappa_walls.set(d, 0, FaceCondition::neumann()).set(d, 1, FaceCondition::neumann());
    x_walls.set(d, 0, FaceCondition::dirichlet(0.2)).set(d, 1, FaceCondition::dirichlet(-0.1));
  }
  p.exchange(kappa);
  p.boundary(kappa, kappa_walls);
  LinearSolveOptions options;
  options.boundary = x_walls;
  options.relative_tolerance = 1e-13;
  if (broken) {
    p.append(std::make_unique<SolveWithFlippedCoefficientAdjoint>(p, StarOperator<2>{}, x, b, std::array<Var, 1>{kappa},
                                                                  options));
  } else {
    linear_solve(p, StarOperator<2>{}, x, b, {kappa}, options);
  }
  p.objective_misfit(x, obs, 0.7);
  set_by_global_index<double>(p.value(b), [](int, std::int64_t i, std::int64_t j, std::int64_t) {
    return std::sin(0.4 * double(i) + 0.3 * double(j)) + 0.2;
  });
  set_by_global_index<double>(p.value(kappa), [](int, std::int64_t i, std::int64_t j, std::int64_t) {
    return 1.0 + 0.4 * std::cos(0.5 * double(i) - 0.4 * double(j));
  });
  fill_random(p.value(obs), 11);
  Problem f(p, {b, kappa}, {x}, {1});
  VerifyOptions verify_options;
  verify_options.name = std::string("linear solve, ") + (broken ? "flipped coefficient adjoint" : "library") + ", " +
                        undertow::to_string(form) + " adjoint";
  return verify(f, verify_options);
}

/// out = u^2 cell by cell: J v = 2 u v vanishes at u = 0.
struct Square : Kernel<Inputs<1>, Outputs<1>> {
  static constexpr Stencil stencil = Stencil::star(2, 1);
  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    out(0) = in(0, 0, 0, 0) * in(0, 0, 0, 0);
  }
};

VerificationReport verify_square(double u_value) {
  auto dec = std::make_shared<const Decomposition>(small_grid(2, {true, true, false}), MPI_COMM_WORLD);
  Program p(dec);
  const Var u = p.add_state("u", 1, 2);
  const Var next = p.add_temporary("u_next", 1, 2);
  p.exchange(u);
  p.apply(Square{}, {u}, {next});
  p.copy(u, next);
  fill(p.value(u), u_value);
  Problem f(p, {u}, {u}, {1, false});
  VerifyOptions options;
  options.name = "square at u = " + std::to_string(u_value);
  return verify(f, options);
}

const AdjointForm all_forms[] = {AdjointForm::Gather, AdjointForm::ScatterAtomic, AdjointForm::ScatterColoured};

}  // namespace

TEST_CASE("verify() passes the library's operations in the programs the mutants are put into", "[verify]") {
  for (AdjointForm form : all_forms) {
    const VerificationReport diffusion = verify_diffusion(Mutation::None, form);
    INFO(diffusion.str());
    CHECK(diffusion.passed());
    const VerificationReport solve = verify_linear_solve(false, form);
    INFO(solve.str());
    CHECK(solve.passed());
  }
}

TEST_CASE("verify() rejects a broken kernel adjoint, tangent, boundary transpose and objective adjoint",
          "[verify][mutation]") {
  for (AdjointForm form : all_forms) {
    for (Mutation m :
         {Mutation::KernelAdjoint, Mutation::KernelTangent, Mutation::BoundaryTranspose, Mutation::ObjectiveAdjoint}) {
      const VerificationReport report = verify_diffusion(m, form);
      INFO(report.str());
      CHECK_FALSE(report.passed());
      // Every one of these breaks the transpose relation between tangent and adjoint.
      CHECK_FALSE(report.dot_passed);
      CHECK_FALSE(report.dot_degenerate);
      // Only a wrong tangent is a wrong first-order model of F.
      CHECK(report.taylor_passed == (m != Mutation::KernelTangent));
      // A wrong tangent of a smooth F is first order, not "non-smooth".
      CHECK(report.first_order == (m == Mutation::KernelTangent));
      CHECK_FALSE(report.non_smooth);
    }
  }
}

TEST_CASE("verify() rejects a transposed exchange that drops ghost contributions", "[verify][mutation]") {
  // Scatter adjoints leave contributions in ghost cells that the transposed
  // exchange must send home; the gather form leaves none (its reverse exchange is
  // elided, so there the mutation changes nothing and is not tested).
  for (AdjointForm form : {AdjointForm::ScatterAtomic, AdjointForm::ScatterColoured}) {
    const VerificationReport report = verify_diffusion(Mutation::TransposedExchange, form);
    INFO(report.str());
    CHECK_FALSE(report.passed());
    CHECK_FALSE(report.dot_passed);
    CHECK(report.taylor_passed);
  }
}

TEST_CASE("verify() rejects a linear solve whose coefficient adjoint has the wrong sign", "[verify][mutation]") {
  for (AdjointForm form : all_forms) {
    const VerificationReport report = verify_linear_solve(true, form);
    INFO(report.str());
    CHECK_FALSE(report.passed());
    CHECK_FALSE(report.dot_passed);
    CHECK(report.taylor_passed);
  }
}

TEST_CASE("a dot-product test whose terms vanish is a degenerate test point, not a pass", "[verify]") {
  const VerificationReport at_zero = verify_square(0.0);
  INFO(at_zero.str());
  CHECK(at_zero.dot_degenerate);
  CHECK_FALSE(at_zero.dot_passed);
  CHECK_FALSE(at_zero.passed());
  const std::string text = at_zero.str();
  const std::size_t dot_line = text.find("dot-product test"), taylor_line = text.find("Taylor test");
  REQUIRE(dot_line < taylor_line);
  CHECK(text.find("DEGENERATE TEST POINT", dot_line) < taylor_line);
  CHECK(text.substr(dot_line, taylor_line - dot_line).find("PASS") == std::string::npos);

  const VerificationReport away = verify_square(0.7);
  INFO(away.str());
  CHECK_FALSE(away.dot_degenerate);
  CHECK(away.passed());
}
