#include "undertow/core/log.hpp"

#include <cstdio>

namespace undertow {

void root_print(MPI_Comm comm, const std::string& line) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  if (rank != 0) return;
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

}  // namespace undertow
