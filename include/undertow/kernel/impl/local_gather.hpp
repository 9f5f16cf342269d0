// The gather adjoint on local reverses (DESIGN.md section 6; internal, used by
// KernelApplication::adjoint).
//
// For every cell c the assembly needs g(c)[q][v] = d (out_bar(c) . out(c)) /
// d in_v(c + o_q), for all stencil offsets q at once: one taped evaluation of the
// kernel and one reverse sweep (undertow/ad/local_reverse.hpp). Then
//   in_bar(d)[v] += sum over q, ascending, of g(d - o_q)[q][v],
// with no atomics and a fixed order: every g(c) is computed from the same values
// on any rank and thread (ghost values are exact copies), so the result is bitwise
// the same for any decomposition, thread count and tile size.
//
// Work is cut in tiles (a segment of the unit-stride dimension, a block of the
// slowest dimension and, in 3D, a block of the middle one). A tile rolls over its
// block: it keeps the 2r+1 latest slices of g (the tile's cross-section and its
// r-halo) in team scratch, computes slice x, then gathers slice x - r, whose
// transposed stencil is now complete. g is computed twice only at the tiles' edges
// (cost (1 + 2r / extent) per tiled dimension). A cell whose evaluation does not
// fit the tape takes the seeded forward form for its g (the same derivative, more
// arithmetic), so a long kernel is slower, never wrong. Cells beyond a wall have
// no output: their g is zero.
#pragma once

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "undertow/ad/local_reverse.hpp"
#include "undertow/kernel/kernel.hpp"
#include "undertow/kernel/impl/local_gradient.hpp"
#include "undertow/kernel/impl/row_assembly.hpp"

namespace undertow::detail {

/// Tape statements a kernel's local reverse may use: `K::tape_capacity` where the
/// kernel declares it, else room for its inputs and 192 statements.
template <class K, class = void>
struct TapeCapacity {
  static constexpr int value = local_gradient_size<K>() + 192;
};
template <class K>
struct TapeCapacity<K, std::void_t<decltype(K::tape_capacity)>> {
  static constexpr int value = local_gradient_size<K>() + K::tape_capacity;
};

/// The input accessor of a local reverse over RowData's raw pointers: input slot
/// v at offset q is tape statement q * K::input_values + v (see TapedInput).
template <class K, int Cap>
struct RowTapedInput {
  using scalar = Adj<Cap>;
  static constexpr int Dim = K::stencil.dim;
  const RowData<K>& data;
  const double* const* at;
  Index3 p;
  LocalTape<Cap>* tape;
  KOKKOS_FORCEINLINE_FUNCTION scalar comp(int f, int c, int di, int dj = 0, int dk = 0) const {
    check_stencil(K::stencil, di, dj, dk);
    const double value = at[f][rel<Dim>(data.in_stride[f], c, di, dj, dk)];
    if (!data.in_aux[f]) return scalar(value);  // a passive input: a constant, nothing recorded
    return scalar(value, stencil_index(K::stencil, di, dj, dk) * K::input_values + K::input_slot(f, c), tape);
  }
  KOKKOS_FORCEINLINE_FUNCTION scalar operator()(int f, int di, int dj = 0, int dk = 0) const {
    return comp(f, 0, di, dj, dk);
  }
  KOKKOS_FORCEINLINE_FUNCTION std::int64_t global(int d) const { return data.origin[d] + p[d]; }
};

/// g of one cell by the seeded forward form: the kernel on Dual numbers seeded at
/// each offset Q in turn (the reference, and the fallback of a full tape); M
/// seeds as in local_reverse.
template <class K, int M = 1>
struct SeededCellGradient {
  const RowData<K>& data;
  const double* const* at;
  Index3 p;
  const double* out_bar;
  double* g;
  template <int Q>
  UNDERTOW_FLATTEN KOKKOS_FORCEINLINE_FUNCTION void step() {
    constexpr Index3 o = K::stencil.offset(Q);
    const RowSeededInput<K, o[0], o[1], o[2]> in{data, at, p};
    CellOutput<K, Dual<double, K::input_values>> out;
    data.kernel(in, out);
    constexpr int O = K::output_values;
    for (int s = 0; s < M; ++s)
      for (int v = 0; v < K::input_values; ++v) {
        double sum = 0.0;
        for (int o = 0; o < O; ++o) sum = zadd(sum, zmul(out_bar[s * O + o], out.v[o].d[v]));
        g[s * local_gradient_size<K>() + Q * K::input_values + v] = sum;
      }
  }
};

/// g(c) (local_gradient_size<K>() values per seed, seed-major) into `g`; zero
/// beyond a wall. Seed s of output slot o is component s * ncomp + comp of its field.
template <class K, int M = 1>
KOKKOS_INLINE_FUNCTION void cell_gradient(const RowData<K>& data, const Index3& c, double* g) {
  constexpr int G = local_gradient_size<K>(), O = K::output_values;
  constexpr int Cap = TapeCapacity<K>::value;
  if (!data.inside_domain(c[0], c[1], c[2])) {
    for (int q = 0; q < M * G; ++q) g[q] = 0.0;
    return;
  }
  const double* at[K::num_inputs];
  for (int f = 0; f < K::num_inputs; ++f) at[f] = data.in[f] + cell_offset<K>(data.in_stride[f], c);
  double out_bar[M * O];
  constexpr SlotTable<O> slots = output_slot_table<K>();
  for (int s = 0; s < M; ++s)
    for (int o = 0; o < O; ++o) {
      const int f = slots.field[o], comp = s * K::output_components(f) + slots.comp[o];
      out_bar[s * O + o] = data.out_aux[f][cell_offset<K>(data.out_stride[f], c) + comp * data.out_stride[f][0]];
    }
  LocalTape<Cap> tape;
  tape.add_inputs(G);
  const RowTapedInput<K, Cap> in{data, at, c, &tape};
  if (local_reverse<Cap, K, RowTapedInput<K, Cap>, M>(data.kernel, in, tape, out_bar, g)) return;
  SeededCellGradient<K, M> seeded{data, at, c, out_bar, g};
  Unroll<0, K::stencil.size()>::run(seeded);
}

/// The tiles of a local gather over the cells [lo, hi).
struct LocalGatherTiles {
  int inner, roll, mid;  // the unit-stride dimension, the one rolled over, the third
  int halo[3];           // the stencil radius in used dimensions, 0 in the others
  Index3 lo, hi;
  Index3 extent;  // of a tile (the last tile of a dimension may be shorter)
  Index3 count;   // tiles per dimension
  int window;     // slices kept: 2 halo[roll] + 1
  int slice;      // cells of a slice: (extent[mid] + 2 halo[mid]) (extent[inner] + 2 halo[inner])

  LocalGatherTiles(int dim, int radius, Index3 lo_, Index3 hi_) : lo(lo_), hi(hi_) {
    inner = dim - 1;
    roll = dim == 1 ? 1 : 0;
    mid = dim == 3 ? 1 : 2;
    for (int a = 0; a < 3; ++a) halo[a] = a < dim ? radius : 0;
    // Sizes: a long unit-stride segment (vectorisable rows, little edge
    // recomputation), blocks short enough for parallelism, scratch in cache.
    for (int a = 0; a < 3; ++a) {
      const int n = hi[a] - lo[a];
      const int target = a == inner ? 128 : a == roll ? (dim == 1 ? 1 : 32) : (dim == 3 ? 8 : 1);
      count[a] = n <= 0 ? 0 : (n + target - 1) / target;
      extent[a] = count[a] == 0 ? 0 : (n + count[a] - 1) / count[a];
    }
    window = 2 * halo[roll] + 1;
    slice = (extent[mid] + 2 * halo[mid]) * (extent[inner] + 2 * halo[inner]);
  }
  std::int64_t tiles() const { return std::int64_t(count[0]) * count[1] * count[2]; }
  std::size_t scratch_doubles(int G) const { return std::size_t(window) * slice * G; }
  /// First cell and extent of tile t.
  KOKKOS_INLINE_FUNCTION void tile(std::int64_t t, Index3& first, Index3& size) const {
    for (int a = 2; a >= 0; --a) {
      const int index = static_cast<int>(t % count[a]);
      t /= count[a];
      first[a] = lo[a] + index * extent[a];
      const int end = first[a] + extent[a] < hi[a] ? first[a] + extent[a] : hi[a];
      size[a] = end - first[a];
    }
  }
};

/// The gather of one cell d from the slices in scratch (offsets unrolled,
/// ascending), for each of M seeds.
template <class K, int M = 1>
struct GatherFromSlices {
  const LocalGatherTiles& tiles;
  const double* buffer;
  Index3 first;     // the tile's first cell
  int cross_inner;  // slice extent along the inner dimension
  int slice_values;
  Index3 d;
  double acc[M][K::input_values];
  template <int Q>
  UNDERTOW_FLATTEN KOKKOS_FORCEINLINE_FUNCTION void step() {
    constexpr Index3 o = K::stencil.offset(Q);
    constexpr int V = K::input_values;
    const int r = tiles.roll, m = tiles.mid, i = tiles.inner;
    const int slot = (d[r] - o[r] - first[r] + tiles.halo[r]) % tiles.window;
    const int cm = d[m] - o[m] - first[m] + tiles.halo[m], ci = d[i] - o[i] - first[i] + tiles.halo[i];
    constexpr int G = local_gradient_size<K>();
    const double* g =
        buffer + std::size_t(slot) * slice_values + (std::size_t(cm) * cross_inner + ci) * (M * G) + Q * V;
    for (int s = 0; s < M; ++s)
      for (int v = 0; v < V; ++v) acc[s][v] += g[s * G + v];
  }
};

/// One tile, by the threads of one team: each slice's g in parallel over its
/// cells, a barrier, the gather of the row it completes in parallel, a barrier
/// (the next slice overwrites the oldest). A team of one thread (host execution
/// spaces) runs the same loops in order.
template <class K, int M, class Member>
KOKKOS_INLINE_FUNCTION void local_gather_tile(const Member& member, const RowData<K>& shared,
                                              const LocalGatherTiles& tiles, double* buffer) {
  constexpr int G = M * local_gradient_size<K>();  // per cell, all seeds
  const RowData<K> data = shared;
  Index3 first, size;
  tiles.tile(member.league_rank(), first, size);
  const int r = tiles.roll, m = tiles.mid, i = tiles.inner;
  const int hr = tiles.halo[r], hm = tiles.halo[m], hn = tiles.halo[i];
  const int cross_inner = size[i] + 2 * hn, cross_cells = (size[m] + 2 * hm) * cross_inner;
  const int slice_values = tiles.slice * G;
  for (int x = first[r] - hr; x < first[r] + size[r] + hr; ++x) {
    double* slice = buffer + std::size_t((x - first[r] + hr) % tiles.window) * slice_values;
    Kokkos::parallel_for(Kokkos::TeamThreadRange(member, cross_cells), [&](const int cell) {
      const int cm = cell / cross_inner, ci = cell % cross_inner;
      Index3 c;
      c[r] = x;
      c[m] = first[m] - hm + cm;
      c[i] = first[i] - hn + ci;
      cell_gradient<K, M>(data, c, slice + std::size_t(cell) * G);
    });
    member.team_barrier();
    const int y = x - hr;  // its transposed stencil is complete now
    if (y < first[r]) continue;
    Kokkos::parallel_for(Kokkos::TeamThreadRange(member, size[m] * size[i]), [&](const int cell) {
      constexpr SlotTable<K::input_values> slots = input_slot_table<K>();
      Index3 d;
      d[r] = y;
      d[m] = first[m] + cell / size[i];
      d[i] = first[i] + cell % size[i];
      GatherFromSlices<K, M> gather{tiles, buffer, first, cross_inner, slice_values, d, {}};
      for (int s = 0; s < M; ++s)
        for (int v = 0; v < K::input_values; ++v) gather.acc[s][v] = 0.0;
      Unroll<0, K::stencil.size()>::run(gather);
      for (int s = 0; s < M; ++s)
        for (int v = 0; v < K::input_values; ++v) {
          const int f = slots.field[v];
          if (!data.in_aux[f]) continue;  // a passive input
          const int comp = s * K::input_components(f) + slots.comp[v];
          data.in_aux[f][cell_offset<K>(data.in_stride[f], d) + comp * data.in_stride[f][0]] += gather.acc[s][v];
        }
    });
    member.team_barrier();
  }
}

/// in_bar += J^T out_bar on the cells [lo, hi) by local reverses (see the header).
/// Threads per tile: one on host execution spaces (a core works through its
/// tile in cache), as many as the device likes elsewhere. `team_size` 0: that default (tests set others; the result is
/// bitwise the same for any).
template <class K, int M = 1>
void launch_local_gather_adjoint(const RowData<K>& data, const Index3& lo, const Index3& hi, int team_size = 0) {
  const LocalGatherTiles tiles(K::stencil.dim, K::stencil.radius, lo, hi);
  if (tiles.tiles() == 0) return;
  using Policy = Kokkos::TeamPolicy<ExecSpace>;
  using Member = Policy::member_type;
  const std::size_t bytes = tiles.scratch_doubles(M * local_gradient_size<K>()) * sizeof(double);
  Policy policy = team_size > 0      ? Policy(tiles.tiles(), team_size)
                  : host_execution() ? Policy(tiles.tiles(), 1)
                                     : Policy(tiles.tiles(), Kokkos::AUTO);
  policy.set_scratch_size(1, Kokkos::PerTeam(bytes));
  Kokkos::parallel_for(
      "undertow::kernel_adjoint_local_gather", policy, KOKKOS_LAMBDA(const Member& member) {
        double* buffer = static_cast<double*>(member.team_scratch(1).get_shmem(bytes));
        local_gather_tile<K, M>(member, data, tiles, buffer);
      });
}

}  // namespace undertow::detail
