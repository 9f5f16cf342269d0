// Helpers shared by the tests of the heat, advection and Burgers solvers.
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

inline std::uint64_t fnv1a(const std::vector<double>& v) {
  std::uint64_t h = 1469598103934665603ull;
  const auto* bytes = reinterpret_cast<const unsigned char*>(v.data());
  for (std::size_t i = 0; i < v.size() * sizeof(double); ++i) h = (h ^ bytes[i]) * 1099511628211ull;
  return h;
}

/// Rank 0 writes the hash of `g` to $UNDERTOW_TEST_OUTPUT_DIR/<prefix><tag>_np<N>_t<T>.txt,
/// compared across every (ranks, threads) run by compare_hashes.sh.
inline void record_hash(const std::string& prefix, const std::string& tag, const std::vector<double>& g) {
  const char* dir = std::getenv("UNDERTOW_TEST_OUTPUT_DIR");
  const char* threads = std::getenv("OMP_NUM_THREADS");
  if (dir == nullptr || undertow_test::world_rank() != 0) return;
  std::ofstream out(std::string(dir) + "/" + prefix + tag + "_np" + std::to_string(undertow_test::world_size()) + "_t" +
                    (threads ? threads : "0") + ".txt");
  out << std::hex << fnv1a(g) << "\n";
}

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
