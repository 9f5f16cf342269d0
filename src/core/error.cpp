#include "undertow/core/error.hpp"

#include <sstream>
#include <vector>

namespace undertow {

void check_mpi(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  std::ostringstream os;
  os << "undertow: " << call << " failed: " << std::string(text, static_cast<std::size_t>(len));
  throw Error(os.str());
}

void agree_or_throw(MPI_Comm comm, bool ok, const std::string& message_if_not_ok) {
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  // Lowest failing rank (size if none) and how many failed, in one allreduce each.
  int mine[2] = {ok ? size : rank, ok ? 0 : 1};
  int first = size;
  int failures = 0;
  check_mpi(MPI_Allreduce(&mine[0], &first, 1, MPI_INT, MPI_MIN, comm), "MPI_Allreduce");
  if (first == size) return;
  check_mpi(MPI_Allreduce(&mine[1], &failures, 1, MPI_INT, MPI_SUM, comm), "MPI_Allreduce");
  int length = (rank == first) ? static_cast<int>(message_if_not_ok.size()) : 0;
  check_mpi(MPI_Bcast(&length, 1, MPI_INT, first, comm), "MPI_Bcast");
  std::vector<char> text(static_cast<std::size_t>(length));
  if (rank == first) text.assign(message_if_not_ok.begin(), message_if_not_ok.end());
  if (length > 0) check_mpi(MPI_Bcast(text.data(), length, MPI_CHAR, first, comm), "MPI_Bcast");
  std::string message(text.begin(), text.end());
  if (size > 1) {
    std::ostringstream os;
    os << message << " [reported by rank " << first;
    if (failures > 1) os << " and " << failures - 1 << " other rank(s)";
    os << "]";
    message = os.str();
  }
  throw Error(message);
}

}  // namespace undertow
