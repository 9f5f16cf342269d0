// Dual numbers: values round exactly as plain double code does (a branch on a
// value must go the same way in primal, tangent and adjoint runs), derivatives
// follow the chain rule, and folding structural zeros changes no derivative.
// Written as users write kernels: <cmath> plus `using namespace undertow;`.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "test_util.hpp"

using namespace undertow;
using D2 = Dual<double, 2>;

namespace {

bool bitwise_equal(double a, double b) {
  return std::memcmp(&a, &b, sizeof(double)) == 0;
}

// Opaque to the optimiser, so that derivative terms are not known zeros.
double opaque(double x) {
  volatile double v = x;
  return v;
}

}  // namespace

TEST_CASE("Dual values round like doubles", "[ad]") {
  // 1/3 is not exact, so x * (1/3) and x / 3 differ in the last bit for many x.
  int checked = 0;
  for (int i = 1; i < 2000; ++i) {
    const double x = opaque(0.1 * i + 0.0137), y = opaque(3.0 + 0.001 * i);
    const D2 dx = D2::variable(x, 0), dy = D2::variable(y, 1);
    CHECK(bitwise_equal((dx / dy).val, x / y));
    CHECK(bitwise_equal((dx / y).val, x / y));
    CHECK(bitwise_equal((x / dy).val, x / y));
    CHECK(bitwise_equal((2.5 * dx).val, 2.5 * x));
    CHECK(bitwise_equal((dx - 1.0).val, x - 1.0));
    CHECK(bitwise_equal((1.0 - dx).val, 1.0 - x));
    D2 a = dx;
    a /= 7.0;
    CHECK(bitwise_equal(a.val, x / 7.0));
    ++checked;
  }
  CHECK(checked == 1999);
}

TEST_CASE("Dual derivatives follow the chain rule", "[ad]") {
  const double x = opaque(1.7), y = opaque(-0.6);
  const D2 dx = D2::variable(x, 0), dy = D2::variable(y, 1);
  const D2 q = dx / dy;
  CHECK(q.d[0] == Approx(1.0 / y).epsilon(1e-15));
  CHECK(q.d[1] == Approx(-x / (y * y)).epsilon(1e-15));
  const D2 r = 3.0 / dy;
  CHECK(r.d[0] == 0.0);
  CHECK(r.d[1] == Approx(-3.0 / (y * y)).epsilon(1e-15));
  const D2 s = 2.0 * dx * dy - 1.0 + undertow::sqrt(dx * dx) / 4.0;
  CHECK(s.d[0] == Approx(2.0 * y + 0.25).epsilon(1e-15));
  CHECK(s.d[1] == Approx(2.0 * x).epsilon(1e-15));
  const D2 t = 5.0 - dy;
  CHECK(t.d[1] == -1.0);
  CHECK(t.d[0] == 0.0);
}

TEST_CASE("structural zeros do not change derivatives", "[ad]") {
  // The same expression with a compile-time seed (known zeros folded) and with a
  // run-time seed (nothing folded).
  auto f = [](const D2& u, const D2& k) {
    const D2 a = u * k + 2.0 * u / (1.0 + k * k);
    return undertow::max(a, undertow::tanh(u)) * undertow::exp(-k);
  };
  const double u = opaque(0.8), k = opaque(1.3);
  D2 folded_u(u), folded_k(k);
  folded_u.d[0] = 1.0;  // a constant: d[1] of u and d[0] of k are known zeros
  folded_k.d[1] = 1.0;
  D2 runtime_u(u), runtime_k(k);
  runtime_u.d[0] = opaque(1.0);
  runtime_u.d[1] = opaque(0.0);
  runtime_k.d[0] = opaque(0.0);
  runtime_k.d[1] = opaque(1.0);
  const D2 a = f(folded_u, folded_k), b = f(runtime_u, runtime_k);
  CHECK(bitwise_equal(a.val, b.val));
  for (int n = 0; n < 2; ++n) CHECK(a.d[n] == b.d[n]);
}

// ---- The file is a user translation unit in the most common style: <cmath> and
// `using namespace undertow;`. Unqualified math on doubles and Duals, in host
// code and in a Kokkos kernel, must compile without ambiguity (undertow's double
// versions are constrained templates, so the standard functions win on doubles)
// and give the standard values.

using D1 = Dual<double, 1>;

TEST_CASE("unqualified math on doubles under using namespace undertow equals std", "[ad]") {
  for (int i = 1; i < 200; ++i) {
    const double x = opaque(0.037 * i), y = opaque(-0.5 + 0.011 * i);
    CHECK(bitwise_equal(sqrt(x), std::sqrt(x)));
    CHECK(bitwise_equal(fabs(y), std::fabs(y)));
    CHECK(bitwise_equal(pow(x, 1.7), std::pow(x, 1.7)));
    CHECK(bitwise_equal(exp(y), std::exp(y)));
    CHECK(bitwise_equal(log(x), std::log(x)));
    CHECK(bitwise_equal(sin(y), std::sin(y)));
    CHECK(bitwise_equal(cos(y), std::cos(y)));
    CHECK(bitwise_equal(tanh(y), std::tanh(y)));
    // The qualified undertow versions (Kokkos' device-safe math) agree too.
    CHECK(bitwise_equal(undertow::sqrt(x), std::sqrt(x)));
    CHECK(bitwise_equal(undertow::fabs(y), std::fabs(y)));
    CHECK(bitwise_equal(undertow::pow(x, 1.7), std::pow(x, 1.7)));
    CHECK(bitwise_equal(undertow::exp(y), std::exp(y)));
    CHECK(bitwise_equal(undertow::max(y, 0), y > 0 ? y : 0.0));
    CHECK(bitwise_equal(undertow::min(1, y), y < 1 ? y : 1.0));
  }
}

TEST_CASE("unqualified math on Duals under using namespace undertow: std values, chain rule", "[ad]") {
  for (int i = 1; i < 200; ++i) {
    const double x = opaque(0.037 * i), y = opaque(-0.5 + 0.011 * i);
    const D1 dx = D1::variable(x, 0), dy = D1::variable(y, 0);
    const D1 s = sqrt(dx), a = fabs(dy), p = pow(dx, 1.7), e = exp(dy);
    CHECK(bitwise_equal(s.val, std::sqrt(x)));
    CHECK(bitwise_equal(a.val, std::fabs(y)));
    CHECK(p.val == Approx(std::pow(x, 1.7)).epsilon(1e-15));
    CHECK(bitwise_equal(e.val, std::exp(y)));
    CHECK(s.d[0] == Approx(0.5 / std::sqrt(x)).epsilon(1e-15));
    CHECK(a.d[0] == (y < 0 ? -1.0 : 1.0));
    CHECK(p.d[0] == Approx(1.7 * std::pow(x, 0.7)).epsilon(1e-14));
    CHECK(e.d[0] == Approx(std::exp(y)).epsilon(1e-15));
    const D1 m = max(dy, 0.0), n = min(0.25, dx);
    CHECK(m.val == std::max(y, 0.0));
    CHECK(m.d[0] == (y > 0 ? 1.0 : 0.0));
    CHECK(n.val == std::min(0.25, x));
    CHECK(n.d[0] == (x < 0.25 ? 1.0 : 0.0));
  }
}

TEST_CASE("unqualified math inside a Kokkos kernel under using namespace undertow", "[ad]") {
  // Device code in the same style: compiles for CUDA (cuda-compile-check) and
  // gives the host values here.
  const int n = 1000;
  double device_sum = 0.0;
  Kokkos::parallel_reduce(
      "test::math_namespace", Kokkos::RangePolicy<ExecSpace>(0, n),
      KOKKOS_LAMBDA(int i, double& acc) {
        const double x = 0.001 * (i + 1);
        const D1 dx = D1::variable(x, 0);
        const D1 f = sqrt(dx) * exp(-dx) + pow(dx, 2.5) * fabs(dx - 0.5);
        acc += sqrt(x) + fabs(x - 0.5) + pow(x, 2.5) + exp(-x) + f.val + f.d[0];
      },
      device_sum);
  double host_sum = 0.0;
  for (int i = 0; i < n; ++i) {
    const double x = 0.001 * (i + 1);
    const double f = std::sqrt(x) * std::exp(-x) + std::pow(x, 2.5) * std::fabs(x - 0.5);
    const double df = (0.5 / std::sqrt(x)) * std::exp(-x) - std::sqrt(x) * std::exp(-x) +
                      2.5 * std::pow(x, 1.5) * std::fabs(x - 0.5) + std::pow(x, 2.5) * (x < 0.5 ? -1.0 : 1.0);
    host_sum += std::sqrt(x) + std::fabs(x - 0.5) + std::pow(x, 2.5) + std::exp(-x) + f + df;
  }
  CHECK(device_sum == Approx(host_sum).epsilon(1e-12));
}

namespace {

/// The same bits, or both NaN (the functions leave a NaN's sign and payload open).
bool same_value(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || bitwise_equal(a, b);
}

const double infinity = std::numeric_limits<double>::infinity();
const double not_a_number = std::numeric_limits<double>::quiet_NaN();

/// Zero, signed zero, subnormals, the edges of exp's range, negatives, infinities, NaN.
const double special_points[] = {0.0,  -0.0, 4.9e-324, -4.9e-324, 2.2e-308, 1e-300,   0.3,       0.5,         1.0,
                                 1.5,  2.0,  3.7,      709.8,     710.0,    1e300,    -0.3,      -0.5,        -1.0,
                                 -2.0, -3.7, -745.2,   -746.0,    -1e300,   infinity, -infinity, not_a_number};
const double exponents[] = {0.0, 0.5, 1.0, 1.5, 2.0, 3.0, -1.0, -0.5, 0.25, 1.0 / 3.0, -2.0};

/// A Dual constant whose zero derivative the optimiser cannot see.
D1 runtime_constant(double x) {
  D1 c(opaque(x));
  c.d[0] = opaque(0.0);
  return c;
}

/// Central difference of f at x with a step relative to |x|.
template <class F>
double central_difference(F f, double x) {
  const double h = 1e-6 * std::max(1.0, std::abs(x));
  return (f(x + h) - f(x - h)) / (2 * h);
}

}  // namespace

TEST_CASE("Dual math values equal the double functions bitwise, special values included", "[ad][math]") {
  int checked = 0;
  for (const double point : special_points) {
    const double x = opaque(point);
    const D1 dx = D1::variable(x, 0);
    INFO("x = " << x);
    CHECK(same_value(sqrt(dx).val, undertow::sqrt(x)));
    CHECK(same_value(exp(dx).val, undertow::exp(x)));
    CHECK(same_value(log(dx).val, undertow::log(x)));
    CHECK(same_value(abs(dx).val, undertow::abs(x)));
    CHECK(same_value(fabs(dx).val, undertow::fabs(x)));
    CHECK(same_value(tanh(dx).val, undertow::tanh(x)));
    CHECK(same_value(sin(dx).val, undertow::sin(x)));
    CHECK(same_value(cos(dx).val, undertow::cos(x)));
    CHECK(same_value(-dx.val, -x));
    // The double versions are the standard functions (|-0| = +0 included).
    CHECK(same_value(undertow::abs(x), std::fabs(x)));
    CHECK(same_value(undertow::sqrt(x), std::sqrt(x)));
    for (const double p : exponents) {
      INFO("p = " << p);
      CHECK(same_value(pow(dx, p).val, undertow::pow(x, p)));
      CHECK(same_value(pow(p, dx).val, undertow::pow(p, x)));
      CHECK(same_value(undertow::pow(x, p), std::pow(x, p)));
      checked += 2;
    }
    for (const double other : special_points) {
      const double y = opaque(other);
      const D1 dy = D1::variable(y, 0);
      INFO("y = " << y);
      CHECK(same_value(min(dx, y).val, undertow::min(x, y)));
      CHECK(same_value(min(y, dx).val, undertow::min(y, x)));
      CHECK(same_value(max(dx, y).val, undertow::max(x, y)));
      CHECK(same_value(max(y, dx).val, undertow::max(y, x)));
      CHECK(same_value(min(dx, dy).val, undertow::min(x, y)));
      CHECK(same_value(max(dx, dy).val, undertow::max(x, y)));
      CHECK(same_value(pow(dx, dy).val, undertow::pow(x, y)));
      CHECK(same_value((dx + y).val, x + y));
      CHECK(same_value((y - dx).val, y - x));
      CHECK(same_value((dx * dy).val, x * y));
      CHECK(same_value((dx / y).val, x / y));
      CHECK(same_value((y / dx).val, y / x));
      CHECK(same_value((dx / dy).val, x / y));
      checked += 13;
    }
  }
  CHECK(checked > 8000);
}

TEST_CASE("Dual math derivatives agree with central differences where the functions are smooth", "[ad][math]") {
  const double smooth_points[] = {0.3, 0.5, 1.0, 1.5, 2.0, 3.7, -0.3, -0.5, -1.0, -2.0, -3.7};
  for (const double point : smooth_points) {
    const double x = opaque(point);
    const D1 dx = D1::variable(x, 0);
    INFO("x = " << x);
    const auto close = [](double derivative, double difference) {
      return std::abs(derivative - difference) <= 1e-7 * std::max(1.0, std::abs(difference));
    };
    CHECK(close(exp(dx).d[0], central_difference([](double t) { return undertow::exp(t); }, x)));
    CHECK(close(tanh(dx).d[0], central_difference([](double t) { return undertow::tanh(t); }, x)));
    CHECK(close(sin(dx).d[0], central_difference([](double t) { return undertow::sin(t); }, x)));
    CHECK(close(cos(dx).d[0], central_difference([](double t) { return undertow::cos(t); }, x)));
    CHECK(close(abs(dx).d[0], central_difference([](double t) { return undertow::abs(t); }, x)));
    CHECK(close(min(dx, 0.7).d[0], central_difference([](double t) { return undertow::min(t, 0.7); }, x)));
    CHECK(close(max(-0.7, dx).d[0], central_difference([](double t) { return undertow::max(-0.7, t); }, x)));
    CHECK(close(pow(2.5, dx).d[0], central_difference([](double t) { return undertow::pow(2.5, t); }, x)));
    CHECK(close((1.3 / dx).d[0], central_difference([](double t) { return 1.3 / t; }, x)));
    for (const double p : {0.0, 1.0, 2.0, 3.0, -1.0, -2.0}) {  // integer powers: any sign of x
      INFO("p = " << p);
      CHECK(close(pow(dx, p).d[0], central_difference([p](double t) { return undertow::pow(t, p); }, x)));
    }
    if (x > 0) {
      CHECK(close(sqrt(dx).d[0], central_difference([](double t) { return undertow::sqrt(t); }, x)));
      CHECK(close(log(dx).d[0], central_difference([](double t) { return undertow::log(t); }, x)));
      for (const double p : exponents) {
        INFO("p = " << p);
        CHECK(close(pow(dx, p).d[0], central_difference([p](double t) { return undertow::pow(t, p); }, x)));
      }
      // pow(x, y) in both arguments: d/dx along (1, 0) and d/dy along (0, 1).
      Dual<double, 2> a = Dual<double, 2>::variable(x, 0), b = Dual<double, 2>::variable(opaque(1.7), 1);
      const Dual<double, 2> r = pow(a, b);
      CHECK(close(r.d[0], central_difference([](double t) { return undertow::pow(t, 1.7); }, x)));
      CHECK(close(r.d[1], central_difference([x](double t) { return undertow::pow(x, t); }, 1.7)));
    }
  }
}

TEST_CASE("Dual math at the points where the derivative does not exist: the documented one-sided values",
          "[ad][math]") {
  const D1 zero = D1::variable(opaque(0.0), 0), minus_zero = D1::variable(opaque(-0.0), 0);
  // abs at 0: the right-hand derivative, and |-0| = +0.
  CHECK(abs(zero).d[0] == 1.0);
  CHECK(abs(minus_zero).d[0] == 1.0);
  CHECK(bitwise_equal(abs(minus_zero).val, 0.0));
  // sqrt, log and pow(x, p < 1) at 0: the infinite one-sided slope, finite values.
  CHECK(sqrt(zero).val == 0.0);
  CHECK(sqrt(zero).d[0] == infinity);
  CHECK(log(zero).val == -infinity);
  CHECK(log(zero).d[0] == infinity);
  CHECK(pow(zero, 0.5).val == 0.0);  // was NaN: pow(0, -0.5) * 0
  CHECK(pow(zero, 0.5).d[0] == infinity);
  CHECK(pow(zero, 1.0 / 3.0).val == 0.0);
  // pow at 0 for p >= 1, and p = 0 anywhere.
  CHECK(pow(zero, 1.0).d[0] == 1.0);
  CHECK(pow(zero, 2.0).d[0] == 0.0);
  CHECK(pow(zero, 0.0).val == 1.0);
  CHECK(pow(zero, 0.0).d[0] == 0.0);
  CHECK(pow(D1::variable(opaque(-2.0), 0), 0.0).d[0] == 0.0);
  // A direction that does not move the argument: zero, not inf * 0 = NaN.
  CHECK(sqrt(runtime_constant(0.0)).d[0] == 0.0);
  CHECK(log(runtime_constant(0.0)).d[0] == 0.0);
  CHECK(pow(runtime_constant(0.0), 0.5).d[0] == 0.0);
  // pow(x, y) with x < 0 and y held constant: the integer-power derivative, no NaN
  // from log(x) of the unmoved exponent.
  const D1 r = pow(D1::variable(opaque(-2.0), 0), runtime_constant(3.0));
  CHECK(r.val == -8.0);
  CHECK(r.d[0] == 12.0);
  // Ties of min and max: the first argument's derivative (the value selects it).
  const Dual<double, 2> a = Dual<double, 2>::variable(opaque(0.5), 0), b = Dual<double, 2>::variable(opaque(0.5), 1);
  CHECK(min(a, b).d[0] == 1.0);
  CHECK(min(a, b).d[1] == 0.0);
  CHECK(max(a, b).d[0] == 1.0);
  CHECK(max(a, b).d[1] == 0.0);
  // NaN in min and max of a double and a Dual: as the double functions.
  CHECK(std::isnan(min(not_a_number, D1::variable(opaque(1.0), 0)).val));
  CHECK(min(D1::variable(opaque(1.0), 0), not_a_number).val == 1.0);
  CHECK(std::isnan(max(not_a_number, D1::variable(opaque(1.0), 0)).val));
  CHECK(max(D1::variable(opaque(1.0), 0), not_a_number).val == 1.0);
}
