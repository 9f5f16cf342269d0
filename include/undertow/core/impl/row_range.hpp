// Rows: the cell loops of Undertow's hot paths, laid out along the unit-stride
// dimension (internal).
//
// Fields are LayoutRight (component, i, j, k) with extent 1 in unused dimensions,
// so the last used dimension (dim - 1) has unit stride. Looping over rows of that
// dimension (one work item = a chunk of one row) gives the compiler a plain inner
// loop it can vectorise, where a Rank<3>/<4> MDRange on a 2D grid gets Kokkos'
// default 2 x 2 x 1 tiles and pays their bookkeeping every 4 cells (measured in
// docs/benchmarks.md). Kernel assemblies (kernel/impl/row_assembly.hpp) and whole-field
// operations (field/field_ops.hpp) use it.
#pragma once

#include <Kokkos_Core.hpp>
#include <cstdint>

#include "undertow/core/types.hpp"

// Inlines every call in a function's body. GCC's flatten also reaches calls in the
// bodies it inlines; clang's only the calls written in the function itself, so the
// functions that call a kernel body (GatherCell::step, ...) carry it too: without it
// clang left a Burgers evaluation out of the row loop (reverse step 2.7x GCC's time).
#if defined(__GNUC__) && !defined(__CUDA_ARCH__) && !defined(__HIP_DEVICE_COMPILE__)
#define UNDERTOW_FLATTEN __attribute__((flatten))
#else
#define UNDERTOW_FLATTEN
#endif

// Marks a row loop whose writes no read of the same loop aliases (kernel outputs
// are never inputs: KernelApplication checks it; field operations write one field
// cell by cell). GCC ignores __restrict__ on local pointers and gives up
// vectorising beyond 10 run-time alias checks.
#if defined(__clang__)
#define UNDERTOW_IVDEP _Pragma("clang loop vectorize(assume_safety)")
#elif defined(__GNUC__)
#define UNDERTOW_IVDEP _Pragma("GCC ivdep")
#else
#define UNDERTOW_IVDEP
#endif

namespace undertow::detail {

/// Rows of a box [lo, hi) along the innermost used dimension, cut in chunks.
struct Rows {
  int inner;  // the unit-stride dimension (dim - 1)
  Index3 lo, hi;
  int chunk, chunks_per_row;
  std::int64_t rows;

  /// Cells per work item: long runs on host execution spaces (a vectorised inner
  /// loop per thread), short ones on devices (one thread per few cells).
  static constexpr int max_chunk() { return host_execution() ? 2048 : 8; }

  Rows(int dim, Index3 lo_, Index3 hi_) : inner(dim - 1), lo(lo_), hi(hi_) {
    const int length = hi[inner] - lo[inner];
    chunk = length < max_chunk() ? (length > 0 ? length : 1) : max_chunk();
    chunks_per_row = (length + chunk - 1) / chunk;
    rows = 1;
    for (int a = 0; a < 3; ++a)
      if (a != inner) rows *= (hi[a] - lo[a]);
  }
  std::int64_t items() const { return rows * chunks_per_row; }
  Kokkos::RangePolicy<ExecSpace, Kokkos::IndexType<std::int64_t>> policy() const {
    return Kokkos::RangePolicy<ExecSpace, Kokkos::IndexType<std::int64_t>>(0, items());
  }
  /// First cell of work item w, and its length.
  KOKKOS_INLINE_FUNCTION void item(std::int64_t w, Index3& p, int& length) const {
    std::int64_t row = w / chunks_per_row;
    const int c = static_cast<int>(w % chunks_per_row);
    for (int a = 2; a >= 0; --a) {
      if (a == inner) continue;
      const int extent = hi[a] - lo[a];
      p[a] = lo[a] + static_cast<int>(row % extent);
      row /= extent;
    }
    p[inner] = lo[inner] + c * chunk;
    const int end = p[inner] + chunk < hi[inner] ? p[inner] + chunk : hi[inner];
    length = end - p[inner];
  }
};

}  // namespace undertow::detail
