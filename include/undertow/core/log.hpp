// Rank-0 printing for examples, progress and reports.
//
// Undertow prints nothing unless asked. `root_print` writes a line on rank 0 of a
// communicator only (no collective, safe to call from any subset of code paths),
// flushed at once so that output from long runs under mpirun appears in order.
#pragma once

#include <mpi.h>

#include <string>

namespace undertow {

/// Prints `line` plus a newline on rank 0 of `comm`; other ranks do nothing.
void root_print(MPI_Comm comm, const std::string& line);

}  // namespace undertow
