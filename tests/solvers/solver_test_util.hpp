// Helpers shared by the tests of the solvers.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace solver_test {

inline bool bitwise_equal(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

inline double max_abs_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

inline double relative_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff += (a[i] - b[i]) * (a[i] - b[i]);
    norm += a[i] * a[i];
  }
  return std::sqrt(diff / std::max(norm, 1e-300));
}

/// The gathered global arrays of `fields`, one after the other (a gradient with
/// respect to several inputs as one vector). Collective.
inline std::vector<double> gather_concatenated(const std::vector<undertow::Field<double>>& fields) {
  std::vector<double> all;
  for (const undertow::Field<double>& f : fields) {
    const std::vector<double> part = undertow::gather_global(f);
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

/// The verification harness on `f` (dot-product and Taylor tests), the report
/// shown if a check fails.
inline void check_derivatives(undertow::Differentiable& f, const std::string& name) {
  undertow::VerifyOptions options;
  options.name = name;
  const undertow::VerificationReport report = undertow::verify(f, options);
  INFO(report.str());
  CHECK(report.dot_passed);
  CHECK(report.taylor_passed);
}

/// The number printed after `key` in `message` (e.g. "dt_max = "), NaN if absent.
inline double number_after(const std::string& message, const std::string& key) {
  const auto pos = message.find(key);
  if (pos == std::string::npos) return std::nan("");
  return std::strtod(message.c_str() + pos + key.size(), nullptr);
}

/// Sets one owned cell (if this rank owns it) of a field through its view.
inline void poke(const undertow::Field<double>& f, std::int64_t gi, std::int64_t gj, std::int64_t gk, double value) {
  if (!f.owns(gi, gj, gk)) return;
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), f.view());
  host(0, f.local_index(0, gi), f.local_index(1, gj), f.local_index(2, gk)) = value;
  Kokkos::deep_copy(f.view(), host);
}

/// Runs `f`, which must throw undertow::Error on every rank; returns the message.
template <class F>
std::string error_message(F&& f) {
  std::string message;
  try {
    f();
  } catch (const undertow::Error& e) {
    message = e.what();
  }
  return message;
}

}  // namespace solver_test
