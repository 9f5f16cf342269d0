#include "undertow/field/global_access.hpp"

#include "undertow/core/error.hpp"

namespace undertow {

void set_by_cell_center(const Field<double>& field, const CellFunction& f) {
  if (!f) throw Error("set_by_cell_center: empty function for field '" + field.name() + "'");
  const GridSpec& grid = field.decomposition().grid();
  set_by_global_index<double>(field, [&](int, std::int64_t i, std::int64_t j, std::int64_t k) {
    return f(grid.center(0, i), grid.center(1, j), grid.center(2, k));
  });
}

std::vector<double> gather_global(const Field<double>& field) {
  const Decomposition& dec = field.decomposition();
  const GridSpec& grid = dec.grid();
  const int ncomp = field.components();
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), field.view());
  const Box o = field.owned_box();
  // Pack owned values in (c, i, j, k) order; every rank can recompute the others'
  // boxes from the decomposition, so only values travel.
  std::vector<double> mine;
  mine.reserve(static_cast<std::size_t>(dec.owned_total() * ncomp));
  for (int c = 0; c < ncomp; ++c)
    for (int i = o.lo[0]; i < o.hi[0]; ++i)
      for (int j = o.lo[1]; j < o.hi[1]; ++j)
        for (int k = o.lo[2]; k < o.hi[2]; ++k) mine.push_back(host(c, i, j, k));
  const int size = dec.size();
  std::vector<int> counts(static_cast<std::size_t>(size)), displs(static_cast<std::size_t>(size));
  int my_count = static_cast<int>(mine.size());
  check_mpi(MPI_Allgather(&my_count, 1, MPI_INT, counts.data(), 1, MPI_INT, dec.comm()), "MPI_Allgather");
  int total = 0;
  for (int r = 0; r < size; ++r) {
    displs[static_cast<std::size_t>(r)] = total;
    total += counts[static_cast<std::size_t>(r)];
  }
  std::vector<double> all(static_cast<std::size_t>(total));
  check_mpi(MPI_Allgatherv(mine.data(), my_count, MPI_DOUBLE, all.data(), counts.data(), displs.data(), MPI_DOUBLE,
                           dec.comm()),
            "MPI_Allgatherv");
  const std::int64_t nx = grid.cells[0], ny = grid.cells[1], nz = grid.cells[2];
  std::vector<double> global(static_cast<std::size_t>(nx * ny * nz * ncomp));
  for (int r = 0; r < size; ++r) {
    std::array<int, 3> coords{};
    int rr = r;
    for (int d = 2; d >= 0; --d) {
      coords[d] = rr % dec.ranks_per_dim()[d];
      rr /= dec.ranks_per_dim()[d];
    }
    std::int64_t lo[3];
    int n[3];
    for (int d = 0; d < 3; ++d) {
      lo[d] = dec.block_start(d, coords[d]);
      n[d] = dec.block_cells(d, coords[d]);
    }
    std::size_t pos = static_cast<std::size_t>(displs[static_cast<std::size_t>(r)]);
    for (int c = 0; c < ncomp; ++c)
      for (int i = 0; i < n[0]; ++i)
        for (int j = 0; j < n[1]; ++j)
          for (int k = 0; k < n[2]; ++k)
            global[static_cast<std::size_t>(((c * nx + lo[0] + i) * ny + lo[1] + j) * nz + lo[2] + k)] = all[pos++];
  }
  return global;
}

}  // namespace undertow
