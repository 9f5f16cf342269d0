#include "undertow/verify/verification.hpp"

#include <cmath>
#include <iomanip>
#include <sstream>

#include "undertow/field/field_ops.hpp"
#include "undertow/verify/random.hpp"

namespace undertow {
namespace {

std::vector<Field<double>> clones(const std::vector<Field<double>>& fields, const char* suffix) {
  std::vector<Field<double>> out;
  for (const auto& f : fields) out.push_back(f.clone(f.name() + suffix));
  return out;
}

void assign(const std::vector<Field<double>>& dst, const std::vector<Field<double>>& src) {
  for (std::size_t i = 0; i < dst.size(); ++i) Kokkos::deep_copy(dst[i].view(), src[i].view());
}

double dot_all_of(const std::vector<Field<double>>& a, const std::vector<Field<double>>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += dot(a[i], b[i]);
  return s;
}

}  // namespace

VerificationReport verify(Differentiable& f, const VerifyOptions& options) {
  VerificationReport report;
  report.name = options.name;
  std::vector<Field<double>> in = f.inputs();
  if (in.empty()) throw Error("verify(" + options.name + "): the function has no inputs");
  const std::vector<Field<double>> base = clones(in, "_base");

  // Random direction v (inputs) and weights w (outputs, objective).
  std::vector<Field<double>> v = clones(in, "_direction");
  for (std::size_t i = 0; i < v.size(); ++i) fill_random(v[i], options.seed + 101 * i);
  f.evaluate();
  std::vector<Field<double>> out0 = clones(f.outputs(), "_F0");
  assign(in, base);
  const double j0 = f.evaluate();
  assign(out0, f.outputs());
  std::vector<Field<double>> w = clones(out0, "_weight");
  for (std::size_t i = 0; i < w.size(); ++i) fill_random(w[i], options.seed + 7919 + 131 * i);
  const double w_objective = f.has_objective() ? 0.731 : 0.0;

  // Tangent and adjoint from the same base point.
  std::vector<Field<double>> jv = clones(out0, "_Jv");
  assign(in, base);
  const double jv_objective = f.tangent(v, jv);
  std::vector<Field<double>> jtw = clones(in, "_JTw");
  assign(in, base);
  f.adjoint(w, w_objective, jtw);

  report.dot_tangent = dot_all_of(jv, w) + jv_objective * w_objective;
  report.dot_adjoint = dot_all_of(v, jtw);
  const double norm_jv = std::sqrt(dot_all_of(jv, jv) + jv_objective * jv_objective);
  const double norm_w = std::sqrt(dot_all_of(w, w) + w_objective * w_objective);
  const double norm_v = std::sqrt(dot_all_of(v, v));
  const double norm_jtw = std::sqrt(dot_all_of(jtw, jtw));
  report.norm_tangent = norm_jv;
  report.norm_adjoint = norm_jtw;
  const double scale = std::max(norm_jv * norm_w, std::numeric_limits<double>::min());
  report.dot_error = std::abs(report.dot_tangent - report.dot_adjoint) / scale;
  // Terms below the tolerance times their Cauchy-Schwarz bounds would pass whatever
  // the adjoint is (both zero when J v = 0 and J^T w = 0): no evidence either way.
  report.dot_degenerate = std::abs(report.dot_tangent) <= options.dot_tolerance * norm_jv * norm_w &&
                          std::abs(report.dot_adjoint) <= options.dot_tolerance * norm_v * norm_jtw;
  report.dot_passed =
      !report.dot_degenerate && report.dot_error <= options.dot_tolerance && std::isfinite(report.dot_error);

  // Taylor test.
  const double norm_u = std::sqrt(dot_all_of(base, base));
  double h = options.relative_step * (norm_u > 0 ? norm_u / norm_v : 1.0);
  double largest_change = 0;
  for (int m = 0; m <= options.halvings; ++m, h *= 0.5) {
    for (std::size_t i = 0; i < in.size(); ++i) {
      Kokkos::deep_copy(in[i].view(), base[i].view());
      axpy(in[i], h, v[i]);
    }
    const double jh = f.evaluate();
    const std::vector<Field<double>> outh = f.outputs();
    double remainder2 = 0, change2 = 0;
    for (std::size_t i = 0; i < outh.size(); ++i) {
      Field<double> r = outh[i].clone("remainder");
      axpy(r, -1.0, out0[i]);
      change2 += dot(r, r);
      axpy(r, -h, jv[i]);
      remainder2 += dot(r, r);
    }
    const double rj = jh - j0 - h * jv_objective;
    remainder2 += rj * rj;
    change2 += (jh - j0) * (jh - j0);
    report.steps.push_back(h);
    report.remainders.push_back(std::sqrt(remainder2));
    largest_change = std::max(largest_change, std::sqrt(change2));
  }
  assign(in, base);
  for (std::size_t m = 1; m < report.remainders.size(); ++m) {
    const double a = report.remainders[m - 1], b = report.remainders[m];
    report.orders.push_back(a > 0 && b > 0 ? std::log2(a / b) : 0.0);
  }
  double largest_remainder = 0;
  for (double r : report.remainders) largest_remainder = std::max(largest_remainder, r);
  report.linear = largest_remainder <= options.roundoff * std::max(largest_change, 1e-300);
  if (report.linear) {
    report.taylor_passed = true;
  } else {
    // The first halvings are the least affected by round-off: all must show order ~2.
    bool ok = !report.orders.empty();
    const std::size_t check = std::min<std::size_t>(report.orders.size(), 3);
    for (std::size_t m = 0; m < check; ++m) ok = ok && report.orders[m] >= options.min_order;
    report.taylor_passed = ok;
  }
  return report;
}

std::string VerificationReport::str() const {
  std::ostringstream os;
  os << "verification of " << name << "\n";
  os << std::scientific << std::setprecision(6);
  os << "  dot-product test: <J v, w> = " << dot_tangent << "   <v, J^T w> = " << dot_adjoint
     << "   error = " << std::setprecision(2) << dot_error;
  if (dot_degenerate) {
    os << "  DEGENERATE TEST POINT\n"
       << "    both terms are at round-off of their bounds (|J v| = " << norm_tangent << ", |J^T w| = " << norm_adjoint
       << "): any adjoint would agree here; verify at a point where the derivative along a random direction does not "
          "vanish (non-zero fields, another seed)\n";
  } else {
    os << (dot_passed ? "  PASS" : "  FAIL") << "\n";
  }
  os << "  Taylor test:        h          |F(u+hv) - F(u) - h Jv|   order\n";
  for (std::size_t m = 0; m < steps.size(); ++m) {
    os << "                 " << std::setprecision(3) << steps[m] << "     " << remainders[m];
    if (m > 0) os << "               " << std::fixed << std::setprecision(2) << orders[m - 1] << std::scientific;
    os << "\n";
  }
  os << "  Taylor result: " << (linear ? "linear (remainder at round-off)" : "observed order as above")
     << (taylor_passed ? "  PASS" : "  FAIL") << "\n";
  return os.str();
}

}  // namespace undertow
