// Snippet for docs/kernels.md: verifying your own kernel with the harness. A
// nonlinear kernel is put in a small step program, run for 3 steps, and checked
// by verify() (dot-product and Taylor tests) with every adjoint form. Two upwind
// Burgers kernels: one switches its flux on the sign of u alone, which makes the
// step discontinuous where u changes sign (the dot-product test passes, the Taylor
// test must fail), the other uses the Engquist-Osher flux, continuous with a
// continuous derivative (both tests pass). Exits non-zero otherwise; prints the
// gather-form reports (the blocks shown in the documentation).
#include <cmath>
#include <string>

#include "undertow/undertow.hpp"

using namespace undertow;

// [doc:burgers]
/// Inviscid Burgers in x, first-order upwind, switching on the sign of u0.
struct SignUpwindBurgers : Kernel<Inputs<1>, Outputs<1>> {
  static constexpr Stencil stencil = Stencil::star(2, 1);
  double dt_over_h = 0.2;

  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;
    const S u0 = in(0, 0, 0);
    S flux_difference;
    if (u0 > 0.0) {  // compares values: the derivative is that of the branch taken
      flux_difference = 0.5 * (u0 * u0 - in(0, -1, 0) * in(0, -1, 0));
    } else {
      flux_difference = 0.5 * (in(0, 1, 0) * in(0, 1, 0) - u0 * u0);
    }
    out(0) = u0 - dt_over_h * flux_difference;
  }
};

/// The same scheme with the Engquist-Osher flux F(a, b) = max(a,0)^2/2 + min(b,0)^2/2.
struct EngquistOsherBurgers : Kernel<Inputs<1>, Outputs<1>> {
  static constexpr Stencil stencil = Stencil::star(2, 1);
  double dt_over_h = 0.2;

  template <class S>
  KOKKOS_INLINE_FUNCTION static S flux(const S& left, const S& right) {
    const S a = undertow::max(left, 0.0), b = undertow::min(right, 0.0);
    return 0.5 * (a * a + b * b);
  }
  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    const auto u0 = in(0, 0, 0);
    out(0) = u0 - dt_over_h * (flux(u0, in(0, 1, 0)) - flux(in(0, -1, 0), u0));
  }
};
// [doc:burgers end]

// [doc:verify]
template <class K>
VerificationReport verify_kernel(std::shared_ptr<const Decomposition> dec, const K& kernel, AdjointForm form,
                                 const std::string& name) {
  Program program(dec, ProgramOptions{form});
  const Var u = program.add_state("u", 1, 2);  // ghost width 2 = 2r, for the gather form
  const Var next = program.add_temporary("u_next", 1, 2);
  program.exchange(u);
  program.apply(kernel, {u}, {next});
  program.copy(u, next);
  set_by_global_index<double>(program.value(u), [](int, std::int64_t i, std::int64_t j, std::int64_t) {
    return 0.8 * std::sin(0.3 * double(i) + 0.1) + 0.1 * std::cos(0.5 * double(j));  // both signs
  });

  Problem three_steps(program, {u}, {u}, {/*steps=*/3, /*objective=*/false});
  VerifyOptions options;
  options.name = name + ", " + to_string(form) + " adjoint";
  return verify(three_steps, options);  // collective; the same report on every rank
}
// [doc:verify end]

int main(int argc, char** argv) {
  Environment env(argc, argv);
  bool ok = true;
  {
    auto dec = Decomposition::create(GridSpec::rect(40, 30, {true, true}), env.world());
    for (AdjointForm form : {AdjointForm::Gather, AdjointForm::ScatterAtomic, AdjointForm::ScatterColoured}) {
      const VerificationReport sign = verify_kernel(dec, SignUpwindBurgers{}, form, "sign-switched upwind Burgers");
      const VerificationReport eo = verify_kernel(dec, EngquistOsherBurgers{}, form, "Engquist-Osher Burgers");
      if (form == AdjointForm::Gather) {
        root_print(env.world(), sign.str());
        root_print(env.world(), eo.str());
      }
      // The sign switch is crossed at the first Taylor steps (smooth only below some
      // h); the Engquist-Osher flux is smooth at every step.
      ok = ok && sign.passed() && sign.smooth_below > 0 && eo.passed() && eo.smooth_below == 0;
    }
  }
  root_print(env.world(), ok ? "snippet_kernel_verify: OK" : "snippet_kernel_verify: FAILED");
  return ok ? 0 : 1;
}
