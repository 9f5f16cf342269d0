// Stencil: the footprint of a per-cell kernel (shape, radius, dimension).
//
// A kernel declares the cells it may read relative to the cell it writes: a
// *star* of radius r (the cell and up to r cells along each axis, e.g. the 5-point
// Laplacian in 2D or a fourth-order 9-point star) or a *box* [-r, r]^dim (corners
// included, e.g. a 9-point 2D stencil). The library derives halo widths and the
// transposed (gather) stencil from it; offsets are enumerated on the fly (at
// compile time where the stencil is a constant), so a Stencil is a tiny POD usable
// inside device code.
#pragma once

#include <Kokkos_Core.hpp>

#include "undertow/core/types.hpp"

namespace undertow {

enum class StencilShape { Star, Box };

struct Stencil {
  int dim = 1;
  StencilShape shape = StencilShape::Star;
  int radius = 1;

  static constexpr Stencil star(int dim, int radius) { return Stencil{dim, StencilShape::Star, radius}; }
  static constexpr Stencil box(int dim, int radius) { return Stencil{dim, StencilShape::Box, radius}; }
  /// Radius 0: the kernel reads only its own cell (pointwise operations).
  static constexpr Stencil point(int dim) { return Stencil{dim, StencilShape::Star, 0}; }

  /// Number of offsets (the cell itself included).
  KOKKOS_INLINE_FUNCTION constexpr int size() const {
    if (shape == StencilShape::Star) return 1 + 2 * radius * dim;
    int n = 1;
    for (int d = 0; d < dim; ++d) n *= 2 * radius + 1;
    return n;
  }

  /// Offset number q in [0, size()): a fixed order, the same on every rank.
  KOKKOS_INLINE_FUNCTION constexpr Index3 offset(int q) const {
    Index3 o{0, 0, 0};
    if (shape == StencilShape::Star) {
      if (q == 0) return o;
      const int axis = (q - 1) / (2 * radius);
      const int step = (q - 1) % (2 * radius);  // 0..2r-1 -> -r..-1, 1..r
      o[axis] = step < radius ? step - radius : step - radius + 1;
      return o;
    }
    const int w = 2 * radius + 1;
    for (int d = dim - 1; d >= 0; --d) {
      o[d] = q % w - radius;
      q /= w;
    }
    return o;
  }

  /// The number q of an offset in the footprint: offset(index(o)) == o.
  KOKKOS_INLINE_FUNCTION constexpr int index(int di, int dj, int dk) const {
    const int o[3] = {di, dj, dk};
    if (shape == StencilShape::Star) {
      for (int d = 0; d < 3; ++d) {
        if (o[d] != 0) return 1 + d * 2 * radius + (o[d] < 0 ? o[d] + radius : o[d] + radius - 1);
      }
      return 0;
    }
    int q = 0;
    for (int d = 0; d < dim; ++d) q = q * (2 * radius + 1) + o[d] + radius;
    return q;
  }

  /// True if (di, dj, dk) lies in the footprint.
  KOKKOS_INLINE_FUNCTION constexpr bool contains(int di, int dj, int dk) const {
    const int a[3] = {di < 0 ? -di : di, dj < 0 ? -dj : dj, dk < 0 ? -dk : dk};
    int nonzero = 0;
    for (int d = 0; d < 3; ++d) {
      if (a[d] > radius) return false;
      if (a[d] != 0 && d >= dim) return false;
      nonzero += a[d] != 0;
    }
    return shape == StencilShape::Box || nonzero <= 1;
  }
};

}  // namespace undertow
