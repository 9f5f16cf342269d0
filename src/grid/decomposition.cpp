#include "undertow/grid/decomposition.hpp"

#include <algorithm>
#include <limits>
#include <sstream>
#include <vector>

#include "undertow/core/error.hpp"

namespace undertow {
namespace {

const char* kAxis = "xyz";

std::int64_t block_start_of(std::int64_t n, int p, int idx) {
  const std::int64_t base = n / p;
  const std::int64_t rem = n % p;
  return idx * base + std::min<std::int64_t>(idx, rem);
}

int block_cells_of(std::int64_t n, int p, int idx) {
  const std::int64_t base = n / p;
  const std::int64_t rem = n % p;
  return static_cast<int>(base + (idx < rem ? 1 : 0));
}

}  // namespace

std::array<int, 3> Decomposition::choose_ranks_per_dim(const GridSpec& grid, int nranks,
                                                       std::array<int, 3> requested) {
  grid.validate();
  if (nranks < 1) throw Error("Decomposition: communicator has no ranks");
  std::int64_t fixed_product = 1;
  for (int d = 0; d < 3; ++d) {
    std::ostringstream os;
    if (requested[d] < 0) {
      os << "Decomposition: ranks per dimension must be >= 0 (0 = decide), got " << requested[d] << " in "
         << kAxis[d];
      throw Error(os.str());
    }
    if (d >= grid.dim && requested[d] > 1) {
      os << "Decomposition: " << requested[d] << " ranks requested in " << kAxis[d] << " but the grid is "
         << grid.dim << "D";
      throw Error(os.str());
    }
    if (requested[d] > 0) fixed_product *= requested[d];
  }
  const bool all_fixed = std::all_of(requested.begin(), requested.begin() + grid.dim, [](int r) { return r > 0; });
  if ((all_fixed && fixed_product != nranks) || nranks % fixed_product != 0) {
    std::ostringstream os;
    os << "Decomposition: ranks per dimension [" << requested[0] << ", " << requested[1] << ", " << requested[2]
       << "] (0 = decide) cannot multiply to the communicator size " << nranks;
    throw Error(os.str());
  }
  // Enumerate all factorisations consistent with the request; keep the one whose
  // subdomains have the smallest surface (ties: more ranks in earlier dimensions,
  // like MPI_Dims_create's non-increasing order).
  std::array<int, 3> best{0, 0, 0};
  double best_cost = std::numeric_limits<double>::infinity();
  for (int px = nranks; px >= 1; --px) {
    for (int py = nranks / px; py >= 1; --py) {
      if (nranks % (px * py) != 0) continue;
      const int pz = nranks / (px * py);
      const std::array<int, 3> p{px, py, pz};
      bool fits = true;
      for (int d = 0; d < 3 && fits; ++d) {
        if (d >= grid.dim && p[d] != 1) fits = false;
        if (requested[d] > 0 && p[d] != requested[d]) fits = false;
        if (p[d] > grid.cells[d]) fits = false;
      }
      if (!fits) continue;
      std::array<double, 3> len{};
      for (int d = 0; d < 3; ++d) len[d] = static_cast<double>(grid.cells[d]) / p[d];
      double cost = 0;
      for (int d = 0; d < grid.dim; ++d) {
        double face = 1;
        for (int e = 0; e < grid.dim; ++e) {
          if (e != d) face *= len[e];
        }
        cost += face;  // half the subdomain surface: favours cube-like subdomains
      }
      if (cost < best_cost - 1e-12) {
        best_cost = cost;
        best = p;
      }
    }
  }
  if (best[0] == 0) {
    std::ostringstream os;
    os << "Decomposition: cannot split " << nranks << " ranks over " << grid.describe();
    for (int d = 0; d < grid.dim; ++d) {
      if (requested[d] > grid.cells[d]) {
        os << ": " << requested[d] << " ranks requested in " << kAxis[d] << " but it has only " << grid.cells[d]
           << " cell(s)";
        throw Error(os.str());
      }
    }
    os << " without giving some rank no cells (more ranks than cells in a dimension)";
    throw Error(os.str());
  }
  return best;
}

Decomposition::Decomposition(const GridSpec& grid, MPI_Comm comm, std::array<int, 3> ranks_per_dim) : grid_(grid) {
  check_mpi(MPI_Comm_size(comm, &size_), "MPI_Comm_size");
  check_mpi(MPI_Comm_rank(comm, &rank_), "MPI_Comm_rank");
  collective_check(comm, [&] { ranks_per_dim_ = choose_ranks_per_dim(grid, size_, ranks_per_dim); });
  check_mpi(MPI_Comm_dup(comm, &comm_), "MPI_Comm_dup");
  // Row-major rank order (x slowest), the same as MPI_Cart_create without reordering.
  int r = rank_;
  for (int d = 2; d >= 0; --d) {
    coords_[d] = r % ranks_per_dim_[d];
    r /= ranks_per_dim_[d];
  }
  for (int d = 0; d < 3; ++d) {
    owned_lo_[d] = block_start(d, coords_[d]);
    owned_cells_[d] = block_cells(d, coords_[d]);
  }
  for (int ox = -1; ox <= 1; ++ox) {
    for (int oy = -1; oy <= 1; ++oy) {
      for (int oz = -1; oz <= 1; ++oz) {
        const std::array<int, 3> o{ox, oy, oz};
        std::array<int, 3> c{};
        int nb = MPI_PROC_NULL;
        bool exists = true;
        for (int d = 0; d < 3; ++d) {
          if (d >= grid_.dim && o[d] != 0) exists = false;
          c[d] = coords_[d] + o[d];
          if (c[d] < 0 || c[d] >= ranks_per_dim_[d]) {
            if (grid_.periodic[d]) {
              c[d] = (c[d] + ranks_per_dim_[d]) % ranks_per_dim_[d];
            } else {
              exists = false;
            }
          }
        }
        if (exists) nb = rank_of_coords(c);
        neighbors_[(ox + 1) * 9 + (oy + 1) * 3 + (oz + 1)] = nb;
      }
    }
  }
}

Decomposition::~Decomposition() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

std::int64_t Decomposition::block_start(int d, int p) const {
  return block_start_of(grid_.cells[d], ranks_per_dim_[d], p);
}

int Decomposition::block_cells(int d, int p) const { return block_cells_of(grid_.cells[d], ranks_per_dim_[d], p); }

int Decomposition::rank_of_coords(const std::array<int, 3>& c) const {
  return (c[0] * ranks_per_dim_[1] + c[1]) * ranks_per_dim_[2] + c[2];
}

bool Decomposition::at_boundary(int d, int side) const {
  return side == 0 ? coords_[d] == 0 : coords_[d] == ranks_per_dim_[d] - 1;
}

void Decomposition::check_ghost_width(int width) const {
  collective_check(comm_, [&] {
    if (width < 0) throw Error("ghost width must be >= 0, got " + std::to_string(width));
    for (int d = 0; d < grid_.dim; ++d) {
      const bool has_neighbours = ranks_per_dim_[d] > 1 || grid_.periodic[d];
      if (has_neighbours && width > min_owned_cells(d)) {
        std::ostringstream os;
        os << "ghost width " << width << " is wider than the smallest owned extent in " << kAxis[d] << " ("
           << min_owned_cells(d) << " cell(s): " << grid_.cells[d] << " cells over " << ranks_per_dim_[d]
           << " rank(s)); ghost cells must come from the immediate neighbour: use fewer ranks in " << kAxis[d]
           << " or a narrower halo";
        throw Error(os.str());
      }
    }
  });
}

std::string Decomposition::describe() const {
  std::ostringstream os;
  os << grid_.describe() << " on " << size_ << " rank(s) as " << ranks_per_dim_[0];
  for (int d = 1; d < grid_.dim; ++d) os << " x " << ranks_per_dim_[d];
  return os.str();
}

}  // namespace undertow
