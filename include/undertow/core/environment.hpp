// Environment: the RAII owner of MPI and Kokkos initialisation.
//
// Construct one `undertow::Environment` at the top of `main` and everything else
// in Undertow can be used until it goes out of scope. It initialises MPI (with
// MPI_THREAD_FUNNELED, since Kokkos threads never call MPI) unless the caller
// already did, then Kokkos (its usual `--kokkos-...` flags and OMP_NUM_THREADS
// apply), and finalises both in reverse order. Kokkos objects (Fields, Halos)
// must be destroyed before the Environment.
#pragma once

#include <mpi.h>

#include <string>

namespace undertow {

class Environment {
 public:
  Environment(int& argc, char**& argv);
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  /// MPI_COMM_WORLD, for convenience.
  MPI_Comm world() const { return MPI_COMM_WORLD; }
  int rank() const;
  int size() const;
  /// Threads in Kokkos' default execution space (1 for Serial).
  int threads() const;
  /// One line describing MPI ranks, Kokkos backend and threads.
  std::string describe() const;

 private:
  bool owns_mpi_ = false;
};

}  // namespace undertow
