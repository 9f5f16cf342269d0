// An outside project's program against the installed (and moved) package: a
// halo exchange, and a kernel of its own, run forward and in reverse (gather
// adjoint), with the dot-product test on its derivative. Written the way users
// write: <cmath> and `using namespace undertow;`, unqualified math in the kernel.
#include <cmath>
#include <cstdio>
#include <undertow/undertow.hpp>

using namespace undertow;

struct Smooth : Kernel<Inputs<1>, Outputs<1>> {
  static constexpr Stencil stencil = Stencil::star(2, 1);
  double a;
  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    const auto lap = in(0, 1, 0) + in(0, -1, 0) + in(0, 0, 1) + in(0, 0, -1) - 4.0 * in(0, 0, 0);
    out(0) = in(0, 0, 0) + a * sqrt(in(0, 0, 0) * in(0, 0, 0) + 1.0) * lap;
  }
};

int main(int argc, char** argv) {
  Environment env(argc, argv);
  int status = 0;
  {
    auto dec = Decomposition::create(GridSpec::rect(16, 16, {true, true}), env.world());
    Field<double> f(dec, "f", 1, 1);
    fill(f, 1.0);
    Halo halo(dec, HaloPattern::Box, 1);
    halo.exchange(f);
    root_print(env.world(), "consumer: sum = " + std::to_string(sum(f)));
    if (sum(f) != 256.0) status = 1;

    // u -> Smooth(u): forward, then <J v, w> = <v, J^T w> with J from the tangent
    // (one direction) and J^T from the gather adjoint.
    Field<double> u(dec, "u", 1, 2), u_dot(dec, "u_dot", 1, 2), u_bar(dec, "u_bar", 1, 2);
    Field<double> out(dec, "out", 1, 1), out_dot(dec, "out_dot", 1, 1), out_bar(dec, "out_bar", 1, 1);
    set_by_global_index<double>(u, [](int, std::int64_t i, std::int64_t j, std::int64_t) {
      return std::sin(0.3 * static_cast<double>(i)) + 0.1 * static_cast<double>(j);
    });
    set_by_global_index<double>(u_dot, [](int, std::int64_t i, std::int64_t j, std::int64_t) {
      return std::cos(0.7 * static_cast<double>(i * j));
    });
    set_by_global_index<double>(out_bar, [](int, std::int64_t i, std::int64_t j, std::int64_t) {
      return 1.0 / (1.0 + static_cast<double>(i + 2 * j));
    });
    Halo wide(dec, HaloPattern::Box, 2);
    wide.exchange(u);
    wide.exchange(u_dot);
    halo.exchange(out_bar);
    fill(u_bar, 0.0);
    KernelApplication<Smooth> app(Smooth{{}, 0.1}, {u}, {out});
    app.forward();
    app.tangent<1>({u_dot}, {out_dot});
    app.adjoint({out_bar}, {u_bar}, AdjointForm::Gather);
    const double jv_w = dot(out_dot, out_bar), v_jtw = dot(u_dot, u_bar);
    const double error = std::fabs(jv_w - v_jtw) / std::fabs(jv_w);
    char line[160];
    std::snprintf(line, sizeof line, "consumer: kernel dot-product test <J v, w> = %.15g, relative error %.2e", jv_w,
                  error);
    root_print(env.world(), line);
    if (!(error < 1e-12) || jv_w == 0.0) status = 1;
  }
  return status;
}
