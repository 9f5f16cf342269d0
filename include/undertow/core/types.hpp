// Basic types shared by every layer: the execution and memory spaces, index
// boxes, and the fixed-size arrays that describe 1D/2D/3D extents.
//
// Undertow stores every field as a 3D array plus a component index; a 1D or 2D
// problem simply has extent 1 (and ghost width 0) in its unused trailing
// dimensions. One code path therefore serves 1D, 2D and 3D.
#pragma once

#include <Kokkos_Core.hpp>
#include <array>
#include <cstdint>

namespace undertow {

using ExecSpace = Kokkos::DefaultExecutionSpace;
using MemSpace = ExecSpace::memory_space;

/// True when the default execution space runs on the host (OpenMP, Serial,
/// Threads): work is then shaped for cores (long runs, one thread per tile),
/// otherwise for a device (one thread per cell or per few cells).
KOKKOS_INLINE_FUNCTION constexpr bool host_execution() {
  return Kokkos::SpaceAccessibility<Kokkos::HostSpace, MemSpace>::accessible;
}

/// Three values, one per dimension: an aggregate like std::array (brace
/// initialisation, indexing, range-for, ==) whose members are all
/// KOKKOS_INLINE_FUNCTION, so kernels on a GPU use it without relying on
/// nvcc's relaxed-constexpr mode (std::array's operator[] is host-only there).
template <class T>
struct Array3 {
  T v[3];
  using value_type = T;
  KOKKOS_INLINE_FUNCTION constexpr T& operator[](int d) { return v[d]; }
  KOKKOS_INLINE_FUNCTION constexpr const T& operator[](int d) const { return v[d]; }
  KOKKOS_INLINE_FUNCTION static constexpr int size() { return 3; }
  KOKKOS_INLINE_FUNCTION constexpr T* data() { return v; }
  KOKKOS_INLINE_FUNCTION constexpr const T* data() const { return v; }
  KOKKOS_INLINE_FUNCTION constexpr T* begin() { return v; }
  KOKKOS_INLINE_FUNCTION constexpr T* end() { return v + 3; }
  KOKKOS_INLINE_FUNCTION constexpr const T* begin() const { return v; }
  KOKKOS_INLINE_FUNCTION constexpr const T* end() const { return v + 3; }
};
template <class T>
KOKKOS_INLINE_FUNCTION constexpr bool operator==(const Array3<T>& a, const Array3<T>& b) {
  return a[0] == b[0] && a[1] == b[1] && a[2] == b[2];
}
template <class T>
KOKKOS_INLINE_FUNCTION constexpr bool operator!=(const Array3<T>& a, const Array3<T>& b) {
  return !(a == b);
}

using Index3 = Array3<int>;
using GlobalIndex3 = Array3<std::int64_t>;

/// Half-open box [lo, hi) of local (ghost-inclusive) indices.
struct Box {
  Index3 lo{0, 0, 0};
  Index3 hi{0, 0, 0};
  KOKKOS_INLINE_FUNCTION std::int64_t size() const {
    std::int64_t n = 1;
    for (int d = 0; d < 3; ++d) n *= (hi[d] > lo[d]) ? (hi[d] - lo[d]) : 0;
    return n;
  }
  KOKKOS_INLINE_FUNCTION int extent(int d) const { return hi[d] - lo[d]; }
};

}  // namespace undertow
