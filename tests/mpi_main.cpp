// Catch2 main for MPI + Kokkos tests: initialises both through
// undertow::Environment, runs the session on every rank (ranks > 0 report with the
// compact reporter so that only failures show), and fails the test on every rank
// if it failed on any.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <mpi.h>

#include <string>
#include <vector>

#include "undertow/core/environment.hpp"

int main(int argc, char** argv) {
  int failures = 0;
  {
    undertow::Environment env(argc, argv);
    std::vector<char*> args(argv, argv + argc);
    std::string compact_flag = "--reporter=compact";
    if (env.rank() != 0) args.push_back(compact_flag.data());
    Catch::Session session;
    int rc = session.applyCommandLine(static_cast<int>(args.size()), args.data());
    if (rc == 0) rc = session.run();
    int any = 0;
    MPI_Allreduce(&rc, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    failures = any;
  }
  return failures == 0 ? 0 : 1;
}
