// Halo: the ghost exchange of a decomposition and its exact transpose.
//
// A Halo is a communication plan built once for (decomposition, pattern, width)
// and reused: the neighbour list, the regions to pack and unpack, and one send and
// one receive buffer per neighbour (grown on demand, never shrunk).
//
// * `exchange(fields...)` (primal, like PETSc's DMGlobalToLocal INSERT): every
//   ghost cell within `width` that has an owner gets the owner's value. Ghosts
//   beyond a non-periodic boundary are left alone (boundary conditions are a
//   separate operation). Star pattern: faces only; Box: faces, edges, corners.
// * `exchange_adjoint(fields...)` (the transpose, like DMLocalToGlobal ADD_VALUES
//   followed by zeroing the local ghosts): every ghost value the primal exchange
//   would write is sent back to its owner and added there, then the ghost is set
//   to zero. Contributions are added in a fixed neighbour order, so the result is
//   deterministic and identical for every run.
//
// Several fields, of any element type that is a whole number of doubles (double,
// Dual<double, N>) and any component count, travel in one message per neighbour.
// `*_begin` posts receives, packs and sends; `*_finish` waits and unpacks, so
// interior work can overlap communication in between. Every rank of the
// decomposition's communicator must take part.
//
// Message buffers live in the execution space's memory (on a GPU: device
// memory, packed and unpacked by one thread per value). MPI reads and writes them
// there when it is GPU-aware (`MessageBuffers::Direct`); otherwise each message
// is staged through a host copy (`HostStaged`). `Automatic` chooses: Direct on
// host execution spaces (the buffers are host memory); on devices the
// environment variable UNDERTOW_GPU_AWARE_MPI (1/0) if set, else what the MPI
// library reports (Open MPI's MPIX_Query_{cuda,rocm}_support), else HostStaged.
#pragma once

#include <Kokkos_Core.hpp>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "undertow/core/error.hpp"
#include "undertow/core/types.hpp"
#include "undertow/field/field.hpp"
#include "undertow/grid/decomposition.hpp"

namespace undertow {

enum class HaloPattern { Star, Box };

const char* to_string(HaloPattern p);

/// Where MPI reads and writes halo messages (see the header comment).
enum class MessageBuffers { Automatic, Direct, HostStaged };

const char* to_string(MessageBuffers b);

/// What `Automatic` means on this build and machine (Direct or HostStaged);
/// other values are returned as given. Throws on an UNDERTOW_GPU_AWARE_MPI that
/// is not 0 or 1. Call after MPI_Init.
MessageBuffers resolve_message_buffers(MessageBuffers requested);

class Halo {
 public:
  /// Collective (validates the width against the decomposition on every rank).
  Halo(std::shared_ptr<const Decomposition> decomposition, HaloPattern pattern, int width,
       MessageBuffers buffers = MessageBuffers::Automatic);
  ~Halo();
  Halo(const Halo&) = delete;
  Halo& operator=(const Halo&) = delete;

  static std::shared_ptr<Halo> create(std::shared_ptr<const Decomposition> decomposition, HaloPattern pattern,
                                      int width, MessageBuffers buffers = MessageBuffers::Automatic) {
    return std::make_shared<Halo>(std::move(decomposition), pattern, width, buffers);
  }

  HaloPattern pattern() const { return pattern_; }
  int width() const { return width_; }
  /// Direct or HostStaged: what this halo does (Automatic resolved).
  MessageBuffers message_buffers() const { return buffers_; }
  const Decomposition& decomposition() const { return *decomp_; }
  /// Number of (direction, rank) neighbours this rank exchanges with.
  int neighbor_count() const { return static_cast<int>(neighbors_.size()); }
  /// Bytes this rank sent in the most recent exchange (primal or transposed).
  std::int64_t last_bytes_sent() const { return last_bytes_sent_; }

  template <class... T>
  void exchange(const Field<T>&... fields) {
    exchange_begin(fields...);
    exchange_finish();
  }
  template <class... T>
  void exchange_begin(const Field<T>&... fields) {
    begin(false, {make_handle(fields)...});
  }
  void exchange_finish() { finish(false); }

  template <class... T>
  void exchange_adjoint(const Field<T>&... fields) {
    exchange_adjoint_begin(fields...);
    exchange_adjoint_finish();
  }
  template <class... T>
  void exchange_adjoint_begin(const Field<T>&... fields) {
    begin(true, {make_handle(fields)...});
  }
  void exchange_adjoint_finish() { finish(true); }

  /// Type-erased view of one field for packing; public for the implementation.
  struct FieldHandle {
    std::string name;
    int doubles_per_cell = 0;
    // region is in owned-relative indices; offset in doubles into buf.
    std::function<void(const Box&, double*, bool zero_after)> pack;
    std::function<void(const Box&, const double*, bool add)> unpack;
  };

 private:
  struct Neighbor {
    Index3 direction{0, 0, 0};
    int rank = -1;
    Box send_region;   // owned cells the neighbour needs (owned-relative indices)
    Box ghost_region;  // my ghost cells filled by that neighbour (owned-relative)
    int primal_send_tag = 0, primal_recv_tag = 0, adjoint_send_tag = 0, adjoint_recv_tag = 0;
    Kokkos::View<double*, MemSpace> send_buffer, recv_buffer;
    // HostStaged only: what MPI sends from and receives into.
    Kokkos::View<double*, Kokkos::HostSpace> send_staging, recv_staging;
  };

  template <class T>
  FieldHandle make_handle(const Field<T>& f) const;
  void begin(bool adjoint, std::vector<FieldHandle> handles);
  void finish(bool adjoint);

  std::shared_ptr<const Decomposition> decomp_;
  HaloPattern pattern_;
  int width_;
  MessageBuffers buffers_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  std::vector<Neighbor> neighbors_;
  std::vector<FieldHandle> pending_;
  std::vector<MPI_Request> requests_;
  bool in_flight_ = false;
  bool in_flight_adjoint_ = false;
  std::int64_t last_bytes_sent_ = 0;
};

namespace detail {

/// Copies region (local indices) of a field into / out of a flat buffer of T,
/// ordered (c, i, j, k) with k fastest. Two walks, the same result:
/// * Rows (host execution spaces): parallel over the outermost dimension of the
///   region with more than one cell, serial over the other two and the
///   components, the unit-stride k loop innermost: no integer division per
///   element (three 64-bit divisions per element made flat-index kernels
///   division-bound on CPUs).
/// * Values (devices): one thread per value, consecutive threads on consecutive
///   k (coalesced); a face of width 1 or 2 would give the row walk 1-2 threads.
/// ZeroAfter / Add are compile-time so that the primal kernels carry no dead stores.
struct RegionWalk {
  int outer;      // dimension the parallel index runs over
  Index3 extent;  // region extents
  std::int64_t cells;
};

inline RegionWalk region_walk(const Box& b) {
  RegionWalk w{2, {b.extent(0), b.extent(1), b.extent(2)}, b.size()};
  for (int d = 2; d >= 0; --d) {
    if (w.extent[d] > 1) w.outer = d;
  }
  return w;
}

enum class Walk { Rows, Values };

/// Component and region-relative cell of value n of a buffer ordered (c, i, j, k).
struct ValueIndex {
  int c, i, j, k;
};
KOKKOS_INLINE_FUNCTION ValueIndex value_index(std::int64_t n, const Index3& extent) {
  ValueIndex at;
  at.k = static_cast<int>(n % extent[2]);
  n /= extent[2];
  at.j = static_cast<int>(n % extent[1]);
  n /= extent[1];
  at.i = static_cast<int>(n % extent[0]);
  at.c = static_cast<int>(n / extent[0]);
  return at;
}

constexpr Walk default_walk() {
  return host_execution() ? Walk::Rows : Walk::Values;
}

template <class T, bool ZeroAfter, Walk How = default_walk()>
void pack_region(const typename Field<T>::view_type& v, const Box& b, int ncomp, T* buf) {
  const RegionWalk w = region_walk(b);
  const Index3 lo = b.lo;
  if constexpr (How == Walk::Values) {
    Kokkos::parallel_for(
        "undertow::halo_pack", Kokkos::RangePolicy<ExecSpace, Kokkos::IndexType<std::int64_t>>(0, ncomp * w.cells),
        KOKKOS_LAMBDA(std::int64_t n) {
          const ValueIndex at = value_index(n, w.extent);
          T& cell = v(at.c, lo[0] + at.i, lo[1] + at.j, lo[2] + at.k);
          buf[n] = cell;
          if (ZeroAfter) cell = T(0);
        });
  } else {
    Kokkos::parallel_for(
        "undertow::halo_pack", Kokkos::RangePolicy<ExecSpace>(0, w.extent[w.outer]), KOKKOS_LAMBDA(int o) {
          Index3 first{0, 0, 0}, last = w.extent;
          first[w.outer] = o;
          last[w.outer] = o + 1;
          for (int c = 0; c < ncomp; ++c)
            for (int i = first[0]; i < last[0]; ++i)
              for (int j = first[1]; j < last[1]; ++j) {
                T* cell = &v(c, lo[0] + i, lo[1] + j, lo[2]);
                T* out = buf + c * w.cells + (std::int64_t(i) * w.extent[1] + j) * w.extent[2];
                for (int k = first[2]; k < last[2]; ++k) {
                  out[k] = cell[k];
                  if (ZeroAfter) cell[k] = T(0);
                }
              }
        });
  }
}

template <class T, bool Add, Walk How = default_walk()>
void unpack_region(const typename Field<T>::view_type& v, const Box& b, int ncomp, const T* buf) {
  const RegionWalk w = region_walk(b);
  const Index3 lo = b.lo;
  if constexpr (How == Walk::Values) {
    Kokkos::parallel_for(
        "undertow::halo_unpack", Kokkos::RangePolicy<ExecSpace, Kokkos::IndexType<std::int64_t>>(0, ncomp * w.cells),
        KOKKOS_LAMBDA(std::int64_t n) {
          const ValueIndex at = value_index(n, w.extent);
          T& cell = v(at.c, lo[0] + at.i, lo[1] + at.j, lo[2] + at.k);
          if (Add) {
            cell += buf[n];
          } else {
            cell = buf[n];
          }
        });
  } else {
    Kokkos::parallel_for(
        "undertow::halo_unpack", Kokkos::RangePolicy<ExecSpace>(0, w.extent[w.outer]), KOKKOS_LAMBDA(int o) {
          Index3 first{0, 0, 0}, last = w.extent;
          first[w.outer] = o;
          last[w.outer] = o + 1;
          for (int c = 0; c < ncomp; ++c)
            for (int i = first[0]; i < last[0]; ++i)
              for (int j = first[1]; j < last[1]; ++j) {
                T* cell = &v(c, lo[0] + i, lo[1] + j, lo[2]);
                const T* in = buf + c * w.cells + (std::int64_t(i) * w.extent[1] + j) * w.extent[2];
                for (int k = first[2]; k < last[2]; ++k) {
                  if (Add) {
                    cell[k] += in[k];
                  } else {
                    cell[k] = in[k];
                  }
                }
              }
        });
  }
}

inline Box shift_box(const Box& b, const Index3& by) {
  Box s = b;
  for (int d = 0; d < 3; ++d) {
    s.lo[d] += by[d];
    s.hi[d] += by[d];
  }
  return s;
}

}  // namespace detail

template <class T>
Halo::FieldHandle Halo::make_handle(const Field<T>& f) const {
  static_assert(std::is_trivially_copyable<T>::value && sizeof(T) % sizeof(double) == 0,
                "Halo: field element type must be a trivially copyable whole number of doubles");
  if (!f.valid()) throw Error("Halo: field is not initialised");
  if (&f.decomposition() != decomp_.get()) {
    throw Error("Halo: field '" + f.name() + "' lives on a different decomposition than this halo");
  }
  if (f.ghost() < width_) {
    throw Error("Halo: field '" + f.name() + "' has ghost width " + std::to_string(f.ghost()) +
                " but the halo exchanges width " + std::to_string(width_));
  }
  FieldHandle h;
  h.name = f.name();
  h.doubles_per_cell = f.components() * static_cast<int>(sizeof(T) / sizeof(double));
  const Index3 shift{f.ghost(0), f.ghost(1), f.ghost(2)};
  auto v = f.view();
  const int ncomp = f.components();
  h.pack = [v, shift, ncomp](const Box& region, double* buf, bool zero_after) {
    const Box local = detail::shift_box(region, shift);
    T* out = reinterpret_cast<T*>(buf);
    if (zero_after) {
      detail::pack_region<T, true>(v, local, ncomp, out);
    } else {
      detail::pack_region<T, false>(v, local, ncomp, out);
    }
  };
  h.unpack = [v, shift, ncomp](const Box& region, const double* buf, bool add) {
    const Box local = detail::shift_box(region, shift);
    const T* in = reinterpret_cast<const T*>(buf);
    if (add) {
      detail::unpack_region<T, true>(v, local, ncomp, in);
    } else {
      detail::unpack_region<T, false>(v, local, ncomp, in);
    }
  };
  return h;
}

}  // namespace undertow
