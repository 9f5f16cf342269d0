// Helpers shared by the tests: grids used across layers, rank queries.
#pragma once

#include <mpi.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "undertow/undertow.hpp"

namespace undertow_test {

constexpr double kPi = 3.14159265358979323846;

inline int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

inline int world_size() {
  int s = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

/// True on every rank iff `local` is true on every rank.
inline bool all_ranks(bool local) {
  int mine = local ? 1 : 0, all = 0;
  MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return all == 1;
}

/// Rank 0 runs `edit` (writes or damages a file, checks it); every rank returns
/// after it. A failure in `edit` (a REQUIRE, an exception) fails the test case on
/// every rank at once, with rank 0's diagnostics, instead of leaving the other
/// ranks waiting at the next collective until the test times out.
inline void on_root(const std::function<void()>& edit) {
  std::exception_ptr failure;
  if (world_rank() == 0) {
    try {
      edit();
    } catch (...) {
      failure = std::current_exception();
    }
  }
  const bool ok = all_ranks(failure == nullptr);
  if (failure) std::rethrow_exception(failure);
  if (!ok) throw std::runtime_error("rank 0 failed while preparing this check (its report says why)");
}

/// Threads of the default execution space as Kokkos runs them (not what
/// OMP_NUM_THREADS asked for: a Serial-only Kokkos runs one whatever it says).
inline int kokkos_threads() {
  return Kokkos::DefaultExecutionSpace().concurrency();
}

/// FNV-1a of the bytes of `values`: equal hashes mean bitwise equal vectors.
inline std::uint64_t fnv1a(const std::vector<double>& values) {
  std::uint64_t h = 1469598103934665603ull;
  const auto* bytes = reinterpret_cast<const unsigned char*>(values.data());
  for (std::size_t i = 0; i < values.size() * sizeof(double); ++i) h = (h ^ bytes[i]) * 1099511628211ull;
  return h;
}

/// Rank 0 writes the hash of `values` (the same on every rank, e.g. a gathered
/// gradient) to $UNDERTOW_TEST_OUTPUT_DIR/<prefix><tag>_np<ranks>_t<threads>.txt,
/// threads as Kokkos runs them; tests/compare_hashes.sh compares the files of every
/// (ranks, threads) run (undertow_add_mpi_test's HASH_PREFIX). Throws if the file
/// cannot be written, so a lost hash fails the run that lost it.
inline void record_gradient_hash(const std::string& prefix, const std::string& tag, const std::vector<double>& values) {
  const char* dir = std::getenv("UNDERTOW_TEST_OUTPUT_DIR");
  if (dir == nullptr || world_rank() != 0) return;
  const std::string path = std::string(dir) + "/" + prefix + tag + "_np" + std::to_string(world_size()) + "_t" +
                           std::to_string(kokkos_threads()) + ".txt";
  std::ofstream out(path);
  out << std::hex << fnv1a(values) << "\n";
  out.close();
  if (!out) throw std::runtime_error("cannot write gradient hash " + path);
}

/// Small grids that split over 1-4 ranks with room for ghost width 2.
inline undertow::GridSpec small_grid(int dim, std::array<bool, 3> periodic) {
  if (dim == 1) return undertow::GridSpec::line(13, periodic[0], 2.0);
  if (dim == 2) return undertow::GridSpec::rect(11, 9, {periodic[0], periodic[1]}, {1.0, 0.8});
  return undertow::GridSpec::box(9, 8, 7, periodic, {1.0, 0.9, 0.7});
}

/// A unique, decomposition-independent value per (component, global cell).
inline double global_code(int c, std::int64_t i, std::int64_t j, std::int64_t k) {
  return 1.0 + c * 1.0e6 + static_cast<double>(i) * 1.0e4 + static_cast<double>(j) * 1.0e2 + static_cast<double>(k);
}

/// to[to_first + c] = from[from_first + c] for c < count, every cell (ghosts
/// included): one seed's block of a vector adjoint field, or into one.
inline void copy_components(const undertow::Field<double>& from, int from_first, const undertow::Field<double>& to,
                            int to_first, int count) {
  auto src = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), from.view());
  auto dst = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), to.view());
  for (int c = 0; c < count; ++c)
    for (int i = 0; i < to.extent(0); ++i)
      for (int j = 0; j < to.extent(1); ++j)
        for (int k = 0; k < to.extent(2); ++k) dst(to_first + c, i, j, k) = src(from_first + c, i, j, k);
  Kokkos::deep_copy(to.view(), dst);
}

/// Largest |a[first + c] - b[c]| over b's components and cells (owned ones only
/// if `owned_only`).
inline double block_difference(const undertow::Field<double>& a, int first, const undertow::Field<double>& b,
                               bool owned_only) {
  auto ha = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), a.view());
  auto hb = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), b.view());
  const undertow::Box all{{0, 0, 0}, {b.extent(0), b.extent(1), b.extent(2)}};
  const undertow::Box o = owned_only ? b.owned_box() : all;
  double worst = 0;
  for (int c = 0; c < b.components(); ++c)
    for (int i = o.lo[0]; i < o.hi[0]; ++i)
      for (int j = o.lo[1]; j < o.hi[1]; ++j)
        for (int k = o.lo[2]; k < o.hi[2]; ++k)
          worst = std::max(worst, std::abs(ha(first + c, i, j, k) - hb(c, i, j, k)));
  return worst;
}

}  // namespace undertow_test
