// Dual numbers: values round exactly as plain double code does (a branch on a
// value must go the same way in primal, tangent and adjoint runs), derivatives
// follow the chain rule, and folding structural zeros changes no derivative.
#include <cmath>
#include <cstring>

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
