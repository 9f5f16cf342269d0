#include "undertow/core/environment.hpp"

#include <Kokkos_Core.hpp>
#include <cstring>
#include <sstream>
#include <vector>

#include "undertow/core/error.hpp"

namespace undertow {
namespace {

// Kokkos prints its own help for `--help`, on every rank. The program's `--help`
// belongs to the program (printed once, by rank 0): hide it from Kokkos, then put
// it back after the Kokkos options Kokkos consumed. `--kokkos-help` still works.
void initialize_kokkos(int& argc, char**& argv) {
  std::vector<char*> for_kokkos, held;
  for (int i = 0; i < argc; ++i) {
    if (i > 0 && std::strcmp(argv[i], "--help") == 0) {
      held.push_back(argv[i]);
    } else {
      for_kokkos.push_back(argv[i]);
    }
  }
  int kokkos_argc = static_cast<int>(for_kokkos.size());
  for_kokkos.push_back(nullptr);
  char** kokkos_argv = for_kokkos.data();
  Kokkos::initialize(kokkos_argc, kokkos_argv);
  int n = 0;
  for (int i = 0; i < kokkos_argc; ++i) argv[n++] = kokkos_argv[i];
  for (char* h : held) argv[n++] = h;
  argv[n] = nullptr;  // n <= argc: argv has room
  argc = n;
}

}  // namespace

Environment::Environment(int& argc, char**& argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    check_mpi(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    owns_mpi_ = true;
  }
  if (!Kokkos::is_initialized()) initialize_kokkos(argc, argv);
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

int Environment::threads() const {
  return Kokkos::DefaultExecutionSpace().concurrency();
}

std::string Environment::describe() const {
  std::ostringstream os;
  os << size() << " MPI rank(s) x " << threads() << " thread(s), Kokkos " << KOKKOS_VERSION / 10000 << "."
     << KOKKOS_VERSION / 100 % 100 << "." << KOKKOS_VERSION % 100 << " " << Kokkos::DefaultExecutionSpace::name();
  return os.str();
}

}  // namespace undertow
