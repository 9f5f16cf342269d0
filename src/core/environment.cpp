#include "undertow/core/environment.hpp"

#include <Kokkos_Core.hpp>

#include <sstream>

#include "undertow/core/error.hpp"

namespace undertow {

Environment::Environment(int& argc, char**& argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    check_mpi(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    owns_mpi_ = true;
  }
  if (!Kokkos::is_initialized()) Kokkos::initialize(argc, argv);
}

Environment::~Environment() {
  if (Kokkos::is_initialized()) Kokkos::finalize();
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (owns_mpi_ && !finalized) MPI_Finalize();
}

int Environment::rank() const {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int Environment::size() const {
  int s = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

int Environment::threads() const { return Kokkos::DefaultExecutionSpace().concurrency(); }

std::string Environment::describe() const {
  std::ostringstream os;
  os << size() << " MPI rank(s) x " << threads() << " thread(s), Kokkos " << KOKKOS_VERSION / 10000 << "."
     << KOKKOS_VERSION / 100 % 100 << "." << KOKKOS_VERSION % 100 << " " << Kokkos::DefaultExecutionSpace::name();
  return os.str();
}

}  // namespace undertow
