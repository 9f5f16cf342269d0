#include "undertow/field/field_ops.hpp"

#include <algorithm>
#include <vector>

namespace undertow {
namespace detail {

double ordered_global_sum(MPI_Comm comm, double local) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  std::vector<double> partials(static_cast<std::size_t>(size));
  check_mpi(MPI_Allgather(&local, 1, MPI_DOUBLE, partials.data(), 1, MPI_DOUBLE, comm), "MPI_Allgather");
  double total = 0;
  for (double p : partials) total += p;
  return total;
}

double global_max(MPI_Comm comm, double local) {
  double result = 0;
  check_mpi(MPI_Allreduce(&local, &result, 1, MPI_DOUBLE, MPI_MAX, comm), "MPI_Allreduce");
  return result;
}

}  // namespace detail
}  // namespace undertow
