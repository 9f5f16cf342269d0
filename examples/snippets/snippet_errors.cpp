// Snippet for docs/grid_field_halo.md: how Undertow reports mistakes. Every error
// shown here is thrown on every rank together, so a catch block on all ranks sees
// it and no rank is left waiting. Exits non-zero if an expected error is missing.
#include <string>

#include "undertow/undertow.hpp"

using namespace undertow;

int main(int argc, char** argv) {
  Environment env(argc, argv);
  int expected_errors = 0, caught = 0;
  {
    auto decomposition = Decomposition::create(GridSpec::line(8, /*periodic_x=*/true), env.world());

    // [doc:errors]
    // A halo wider than a neighbour's owned block cannot be filled from the
    // immediate neighbour: the constructor throws on every rank.
    try {
      Halo too_wide(decomposition, HaloPattern::Star, /*width=*/9);
    } catch (const Error& e) {
      root_print(env.world(), std::string("Error: ") + e.what());
      ++caught;
    }
    // A field whose ghost layer is narrower than the halo width.
    Halo halo(decomposition, HaloPattern::Star, /*width=*/2);
    Field<double> thin(decomposition, "thin", /*components=*/1, /*ghost=*/1);
    try {
      halo.exchange(thin);
    } catch (const Error& e) {
      root_print(env.world(), std::string("Error: ") + e.what());
      ++caught;
    }
    // Starting a second exchange on the same Halo before finishing the first.
    Field<double> f(decomposition, "f", 1, 2);
    halo.exchange_begin(f);
    try {
      halo.exchange_adjoint_begin(f);
    } catch (const Error& e) {
      root_print(env.world(), std::string("Error: ") + e.what());
      ++caught;
    }
    halo.exchange_finish();  // the first exchange is still in flight: finish it
    // [doc:errors end]
    expected_errors += 3;

    // Impossible process grids are reported with the reason (collectively, too).
    try {
      Decomposition::create(GridSpec::rect(4, 4), env.world(), {3, 5, 0});
    } catch (const Error& e) {
      root_print(env.world(), std::string("Error: ") + e.what());
      ++caught;
    }
    expected_errors += 1;
  }
  const bool ok = caught == expected_errors;
  int all_ok = 0, mine = ok ? 1 : 0;
  MPI_Allreduce(&mine, &all_ok, 1, MPI_INT, MPI_MIN, env.world());
  root_print(env.world(), all_ok ? "snippet_errors: OK" : "snippet_errors: FAILED");
  return all_ok ? 0 : 1;
}
