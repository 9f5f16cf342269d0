#include "undertow/halo/halo.hpp"

#include <cstdlib>
#include <sstream>

// Open MPI reports whether it can read device memory (an extension: mpi-ext.h).
#if defined(OPEN_MPI) && defined(__has_include)
#if __has_include(<mpi-ext.h>)
#include <mpi-ext.h>
#endif
#endif

namespace undertow {

const char* to_string(HaloPattern p) {
  return p == HaloPattern::Star ? "star" : "box";
}

const char* to_string(MessageBuffers b) {
  switch (b) {
    case MessageBuffers::Automatic:
      return "automatic";
    case MessageBuffers::Direct:
      return "direct";
    case MessageBuffers::HostStaged:
      return "host-staged";
  }
  return "unknown";
}

namespace {

/// What the MPI library says about reading device memory: 1 yes, 0 no, -1 it
/// cannot tell.
int mpi_reports_device_aware() {
#if defined(KOKKOS_ENABLE_CUDA) && defined(OMPI_HAVE_MPI_EXT_CUDA) && OMPI_HAVE_MPI_EXT_CUDA
  return MPIX_Query_cuda_support();
#elif defined(KOKKOS_ENABLE_HIP) && defined(OMPI_HAVE_MPI_EXT_ROCM) && OMPI_HAVE_MPI_EXT_ROCM
  return MPIX_Query_rocm_support();
#else
  return -1;
#endif
}

}  // namespace

MessageBuffers resolve_message_buffers(MessageBuffers requested) {
  // The variable is checked on every build, so a typo shows on a CPU run too.
  const char* variable = std::getenv("UNDERTOW_GPU_AWARE_MPI");
  int declared = -1;
  if (variable != nullptr) {
    const std::string value = variable;
    if (value == "1") {
      declared = 1;
    } else if (value == "0") {
      declared = 0;
    } else {
      throw Error("UNDERTOW_GPU_AWARE_MPI='" + value +
                  "': expected 1 (MPI reads device memory) or 0 (stage halo messages through the host)");
    }
  }
  if (requested != MessageBuffers::Automatic) return requested;
  if (host_execution()) return MessageBuffers::Direct;
  if (declared < 0) declared = mpi_reports_device_aware();
  return declared == 1 ? MessageBuffers::Direct : MessageBuffers::HostStaged;
}

namespace {

int direction_index(const Index3& o) {
  return (o[0] + 1) * 9 + (o[1] + 1) * 3 + (o[2] + 1);
}

}  // namespace

Halo::Halo(std::shared_ptr<const Decomposition> decomposition, HaloPattern pattern, int width, MessageBuffers buffers)
    : decomp_(std::move(decomposition)), pattern_(pattern), width_(width), buffers_(buffers) {
  if (!decomp_) throw Error("Halo: null decomposition");
  collective_check(decomp_->comm(), [&] {
    if (width_ < 1) throw Error("Halo: width must be at least 1, got " + std::to_string(width_));
    buffers_ = resolve_message_buffers(buffers);
  });
  decomp_->check_ghost_width(width_);
  // A private communicator keeps halo messages apart from everything else.
  check_mpi(MPI_Comm_dup(decomp_->comm(), &comm_), "MPI_Comm_dup");
  const int dim = decomp_->dim();
  const Index3 n = decomp_->owned_cells();
  for (int ox = -1; ox <= 1; ++ox) {
    for (int oy = -1; oy <= 1; ++oy) {
      for (int oz = -1; oz <= 1; ++oz) {
        const Index3 o{ox, oy, oz};
        int nonzero = 0;
        bool used = true;
        for (int d = 0; d < 3; ++d) {
          if (o[d] != 0) {
            ++nonzero;
            if (d >= dim) used = false;
          }
        }
        if (nonzero == 0 || !used) continue;
        if (pattern_ == HaloPattern::Star && nonzero != 1) continue;
        const int rank = decomp_->neighbor(o);
        if (rank == MPI_PROC_NULL) continue;
        Neighbor nb;
        nb.direction = o;
        nb.rank = rank;
        for (int d = 0; d < 3; ++d) {
          if (o[d] == -1) {
            nb.send_region.lo[d] = 0;
            nb.send_region.hi[d] = width_;
            nb.ghost_region.lo[d] = -width_;
            nb.ghost_region.hi[d] = 0;
          } else if (o[d] == 1) {
            nb.send_region.lo[d] = n[d] - width_;
            nb.send_region.hi[d] = n[d];
            nb.ghost_region.lo[d] = n[d];
            nb.ghost_region.hi[d] = n[d] + width_;
          } else {
            nb.send_region.lo[d] = 0;
            nb.send_region.hi[d] = n[d];
            nb.ghost_region.lo[d] = 0;
            nb.ghost_region.hi[d] = n[d];
          }
        }
        const Index3 minus{-o[0], -o[1], -o[2]};
        // Primal: a message travelling in direction o carries tag dir(o).
        nb.primal_send_tag = direction_index(o);
        nb.primal_recv_tag = direction_index(minus);
        // Transpose: ghost region o travels back to its owner with tag 27 + dir(o).
        nb.adjoint_send_tag = 27 + direction_index(o);
        nb.adjoint_recv_tag = 27 + direction_index(minus);
        neighbors_.push_back(nb);
      }
    }
  }
}

Halo::~Halo() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

void Halo::begin(bool adjoint, std::vector<FieldHandle> handles) {
  if (in_flight_) {
    throw Error(std::string("Halo: ") + (adjoint ? "exchange_adjoint_begin" : "exchange_begin") +
                " called while an exchange is in flight; call its *_finish first");
  }
  int doubles_per_cell = 0;
  for (const auto& h : handles) doubles_per_cell += h.doubles_per_cell;
  pending_ = std::move(handles);
  requests_.assign(2 * neighbors_.size(), MPI_REQUEST_NULL);
  last_bytes_sent_ = 0;
  // Primal: send owned send_region, receive into ghost_region. Transpose: the
  // roles of the two regions swap.
  for (std::size_t q = 0; q < neighbors_.size(); ++q) {
    Neighbor& nb = neighbors_[q];
    const Box& out_region = adjoint ? nb.ghost_region : nb.send_region;
    const std::size_t count = static_cast<std::size_t>(out_region.size() * doubles_per_cell);
    if (nb.send_buffer.extent(0) < count) {
      nb.send_buffer =
          Kokkos::View<double*, MemSpace>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "halo_send"), count);
      nb.recv_buffer =
          Kokkos::View<double*, MemSpace>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "halo_recv"), count);
      if (buffers_ == MessageBuffers::HostStaged) {
        // Separate host allocations even when the buffers are host memory, so
        // staging is exercised on CPU builds too.
        nb.send_staging = Kokkos::View<double*, Kokkos::HostSpace>(
            Kokkos::view_alloc(Kokkos::WithoutInitializing, "halo_send_staging"), count);
        nb.recv_staging = Kokkos::View<double*, Kokkos::HostSpace>(
            Kokkos::view_alloc(Kokkos::WithoutInitializing, "halo_recv_staging"), count);
      }
    }
    double* receive_into = buffers_ == MessageBuffers::HostStaged ? nb.recv_staging.data() : nb.recv_buffer.data();
    check_mpi(MPI_Irecv(receive_into, static_cast<int>(count), MPI_DOUBLE, nb.rank,
                        adjoint ? nb.adjoint_recv_tag : nb.primal_recv_tag, comm_, &requests_[q]),
              "MPI_Irecv");
    std::size_t offset = 0;
    for (const auto& h : pending_) {
      h.pack(out_region, nb.send_buffer.data() + offset, /*zero_after=*/adjoint);
      offset += static_cast<std::size_t>(out_region.size() * h.doubles_per_cell);
    }
  }
  Kokkos::fence();
  for (std::size_t q = 0; q < neighbors_.size(); ++q) {
    Neighbor& nb = neighbors_[q];
    const Box& out_region = adjoint ? nb.ghost_region : nb.send_region;
    const int count = static_cast<int>(out_region.size() * doubles_per_cell);
    double* send_from = nb.send_buffer.data();
    if (buffers_ == MessageBuffers::HostStaged) {
      const auto part = std::make_pair(std::size_t(0), std::size_t(count));
      Kokkos::deep_copy(Kokkos::subview(nb.send_staging, part), Kokkos::subview(nb.send_buffer, part));
      send_from = nb.send_staging.data();
    }
    check_mpi(MPI_Isend(send_from, count, MPI_DOUBLE, nb.rank, adjoint ? nb.adjoint_send_tag : nb.primal_send_tag,
                        comm_, &requests_[neighbors_.size() + q]),
              "MPI_Isend");
    last_bytes_sent_ += std::int64_t(count) * static_cast<std::int64_t>(sizeof(double));
  }
  in_flight_ = true;
  in_flight_adjoint_ = adjoint;
}

void Halo::finish(bool adjoint) {
  if (!in_flight_ || in_flight_adjoint_ != adjoint) {
    throw Error(std::string("Halo: ") + (adjoint ? "exchange_adjoint_finish" : "exchange_finish") +
                " without a matching *_begin");
  }
  check_mpi(MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE), "MPI_Waitall");
  // Unpack in the fixed neighbour order: in the transpose, an owned cell may receive
  // from several neighbours (or from itself), and a fixed order keeps the sum
  // deterministic. Kernels on one execution space instance run in order.
  int doubles_per_cell = 0;
  for (const auto& h : pending_) doubles_per_cell += h.doubles_per_cell;
  for (auto& nb : neighbors_) {
    const Box& in_region = adjoint ? nb.send_region : nb.ghost_region;
    if (buffers_ == MessageBuffers::HostStaged) {
      const auto part = std::make_pair(std::size_t(0), std::size_t(in_region.size() * doubles_per_cell));
      Kokkos::deep_copy(Kokkos::subview(nb.recv_buffer, part), Kokkos::subview(nb.recv_staging, part));
    }
    std::size_t offset = 0;
    for (const auto& h : pending_) {
      h.unpack(in_region, nb.recv_buffer.data() + offset, /*add=*/adjoint);
      offset += static_cast<std::size_t>(in_region.size() * h.doubles_per_cell);
    }
  }
  Kokkos::fence();
  pending_.clear();
  in_flight_ = false;
}

}  // namespace undertow
