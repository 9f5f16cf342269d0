// The README's code, exactly as printed there (doc_snippets_in_sync keeps
// the two identical), compiled with -Wall -Wextra -Wpedantic and run on 2 ranks
// by ctest (snippet_readme_np2). It uses no `using namespace`: the README's code
// must compile as a reader copies it. Exits non-zero if the verification fails.
#include <cstdlib>

#include "undertow/undertow.hpp"

// [doc:kernel]
struct Heat : undertow::Kernel<undertow::Inputs<1, 1>, undertow::Outputs<1>> {  // (u, kappa) -> u_new
  static constexpr undertow::Stencil stencil = undertow::Stencil::star(2, 1);
  double dt_over_h2 = 0.1;
  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;  // double, or a Dual number for derivatives
    S flux = 0.0;
    const int di[4] = {1, -1, 0, 0}, dj[4] = {0, 0, 1, -1};
    // Unrolled, every offset is a constant: the adjoint skips the zero terms.
    UNDERTOW_UNROLL
    for (int q = 0; q < 4; ++q) {
      flux += 0.5 * (in(1, 0, 0) + in(1, di[q], dj[q])) * (in(0, di[q], dj[q]) - in(0, 0, 0));
    }
    out(0) = in(0, 0, 0) + dt_over_h2 * flux;
  }
};
// [doc:kernel end]

int main(int argc, char** argv) {
  undertow::Environment environment(argc, argv);
  bool passed = false;
  {
    auto decomposition =
        undertow::Decomposition::create(undertow::GridSpec::rect(48, 40, {true, true}), environment.world());

    // [doc:program]
    undertow::Program step(decomposition);
    auto u = step.add_state("u", 1, 2), kappa = step.add_parameter("kappa", 1, 2);
    auto next = step.add_temporary("u_next", 1, 2), obs = step.add_data("observed");
    step.exchange(u);
    step.exchange(kappa);
    step.apply(Heat{}, {u, kappa}, {next});
    step.copy(u, next);
    step.objective_misfit(u, obs);

    undertow::fill_random(step.value(u), /*seed=*/1);  // the point to differentiate at
    undertow::fill(step.value(kappa), 1.0);
    undertow::Problem run(step, {u, kappa}, {}, {/*steps=*/100});
    const undertow::VerificationReport report = undertow::verify(run);  // dot-product and Taylor tests
    undertow::root_print(decomposition->comm(), report.str());
    // [doc:program end]
    passed = report.passed();
  }
  return passed ? EXIT_SUCCESS : EXIT_FAILURE;
}
