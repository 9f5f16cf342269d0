// The Taylor test on piecewise-smooth functions: a kink crossed between u and
// u + h v (limiters, upwinding, min/max) must not fail a right derivative (the
// report says "non-smooth along this direction" with the orders as evidence),
// and a wrong derivative of a smooth function must still fail, as first order.
#include <memory>
#include <string>
#include <vector>

#include "program/test_kernels.hpp"
#include "test_util.hpp"

using namespace undertow;
using namespace undertow_test;

namespace {

/// Advection to the right with a minmod-limited slope (second-order TVD): linear
/// between kinks, kinks wherever two slopes change sign or order of magnitude.
struct MinmodAdvection : Kernel<Inputs<1>, Outputs<1>> {
  static constexpr Stencil stencil = Stencil::star(1, 2);
  double courant = 0.5;
  template <class S>
  KOKKOS_INLINE_FUNCTION static S minmod(const S& a, const S& b) {
    const S smaller = undertow::abs(a) < undertow::abs(b) ? a : b;
    return a * b > 0.0 ? smaller : S(0.0);
  }
  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    const S um2 = in(0, -2, 0, 0), um1 = in(0, -1, 0, 0), u0 = in(0, 0, 0, 0), up1 = in(0, 1, 0, 0);
    const S right_face = u0 + 0.5 * (1.0 - courant) * minmod(S(u0 - um1), S(up1 - u0));
    const S left_face = um1 + 0.5 * (1.0 - courant) * minmod(S(um1 - um2), S(u0 - um1));
    out(0) = u0 - courant * (right_face - left_face);
  }
};

/// Three steps of `kernel` from u0(i, j) (both signs); a second kernel input is a
/// coefficient field kappa, also an input of the function.
template <class K, class Init>
VerificationReport verify_steps(int dim, const K& kernel, Init u0, const std::string& name) {
  // 1D: long enough for the ghost width 4 of a radius-2 gather adjoint on 4 ranks.
  const GridSpec grid = dim == 1 ? GridSpec::line(48, true, 2.0) : small_grid(dim, {true, true, true});
  auto dec = std::make_shared<const Decomposition>(grid, MPI_COMM_WORLD);
  Program p(dec);
  const int ghost = 2 * K::stencil.radius;
  const Var u = p.add_state("u", 1, ghost);
  const Var next = p.add_temporary("u_next", 1, ghost);
  std::vector<Var> inputs = {u};
  p.exchange(u);
  if constexpr (K::num_inputs == 2) {
    const Var kappa = p.add_parameter("kappa", 1, ghost);
    p.exchange(kappa);
    p.apply(kernel, {u, kappa}, {next});
    set_by_global_index<double>(p.value(kappa), [](int, std::int64_t i, std::int64_t j, std::int64_t) {
      return 0.3 + 0.1 * std::cos(0.4 * double(i) - 0.2 * double(j));
    });
    inputs.push_back(kappa);
  } else {
    p.apply(kernel, {u}, {next});
  }
  p.copy(u, next);
  set_by_global_index<double>(p.value(u), u0);
  Problem f(p, inputs, {u}, {3, false});
  VerifyOptions options;
  options.name = name;
  return verify(f, options);
}

double both_signs(int, std::int64_t i, std::int64_t j, std::int64_t) {
  return 0.8 * std::sin(0.9 * double(i) + 0.1) + 0.3 * std::cos(0.7 * double(j));
}

/// A plateau with ripples: neighbour differences (~1e-3) smaller than the first
/// Taylor steps (~1e-2 of |u| per cell), so the minmod slopes switch between u and u + h v.
double rippled_plateau(int, std::int64_t i, std::int64_t j, std::int64_t) {
  return 0.5 + 0.004 * std::sin(1.7 * double(i) + 0.3) + 0.002 * std::cos(1.1 * double(j));
}

/// Values of both signs close to zero: the upwind direction switches between u and u + h v.
double near_zero(int, std::int64_t i, std::int64_t j, std::int64_t) {
  return 0.01 * std::sin(0.9 * double(i) + 0.1) + 0.004 * std::cos(0.7 * double(j));
}

}  // namespace

TEST_CASE("Taylor test: a limiter crossed at the first steps is reported as non-smooth, not failed", "[verify]") {
  const VerificationReport r = verify_steps(1, MinmodAdvection{}, rippled_plateau, "minmod advection");
  INFO(r.str());
  CHECK(r.dot_passed);
  CHECK(r.taylor_passed);
  CHECK(r.passed());
  // The first halvings cross kinks (this is what used to FAIL)...
  CHECK(r.smooth_below > 0);
  CHECK(r.smooth_below < r.steps.front());
  CHECK(r.steps.size() > 5);
  CHECK_FALSE(r.first_order);
  CHECK_FALSE(r.non_smooth);
  // ...and the report says so, with the orders as evidence.
  CHECK(r.str().find("non-smooth along this direction") != std::string::npos);
}

TEST_CASE("Taylor test: upwinding on the sign of u, 1D and 2D", "[verify]") {
  for (int dim : {1, 2}) {
    const VerificationReport r = dim == 1 ? verify_steps(1, UpwindBurgers<1>{}, near_zero, "upwind Burgers 1D")
                                          : verify_steps(2, UpwindBurgers<2>{}, near_zero, "upwind Burgers 2D");
    INFO(r.str());
    CHECK(r.dot_passed);
    CHECK(r.taylor_passed);
    CHECK(r.smooth_below > 0);  // the upwind direction switched at the first steps
    CHECK_FALSE(r.first_order);
  }
}

TEST_CASE("Taylor test: smooth kernels pass at the first steps, without a non-smooth note", "[verify]") {
  const VerificationReport r = verify_steps(2, BoxSmoother<2>{}, both_signs, "box smoother");
  INFO(r.str());
  CHECK(r.passed());
  CHECK(r.smooth_below == 0);
  CHECK(r.steps.size() == 5);
  CHECK(r.str().find("non-smooth") == std::string::npos);
}
