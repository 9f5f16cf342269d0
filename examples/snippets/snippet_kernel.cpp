// Snippet for docs/kernels.md: a kernel written once, run forward, in tangent
// mode (two directions at once) and in reverse in gather and scatter form and with
// two adjoint seeds at once, on its own (KernelApplication, no Program). Exits non-zero if a stated property fails:
// the adjoint forms agree, and <J v, w> = <v, J^T w>.
#include <cmath>
#include <iomanip>
#include <sstream>

#include "undertow/undertow.hpp"

using namespace undertow;

// [doc:kernel]
/// u + dt/h^2 div(kappa grad u): explicit heat step with a conductivity field,
/// the face conductivity being the mean of the two cells. Inputs u and kappa,
/// output u_next, read on a 5-point star of radius 1.
struct Conduction : Kernel<Inputs<1, 1>, Outputs<1>> {
  static constexpr Stencil stencil = Stencil::star(2, 1);
  double dt_over_h2 = 0.1;

  template <class In, class Out>
  KOKKOS_INLINE_FUNCTION void operator()(const In& in, Out& out) const {
    using S = typename In::scalar;  // double, or a Dual when differentiated
    const S u0 = in(0, 0, 0), k0 = in(1, 0, 0);
    const int di[4] = {-1, 1, 0, 0}, dj[4] = {0, 0, -1, 1};
    S flux = 0.0;
    for (int n = 0; n < 4; ++n) flux += 0.5 * (k0 + in(1, di[n], dj[n])) * (in(0, di[n], dj[n]) - u0);
    out(0) = u0 + dt_over_h2 * flux;
  }
};
// [doc:kernel end]

namespace {

/// Sum over owned cells of a(ca) * b(cb), over all ranks.
double owned_dot(const Field<double>& a, int ca, const Field<double>& b, int cb) {
  auto ha = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), a.view());
  auto hb = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), b.view());
  const Box o = a.owned_box();
  double local = 0, global = 0;
  for (int i = o.lo[0]; i < o.hi[0]; ++i)
    for (int j = o.lo[1]; j < o.hi[1]; ++j) local += ha(ca, i, j, 0) * hb(cb, i, j, 0);
  MPI_Allreduce(&local, &global, 1, MPI_DOUBLE, MPI_SUM, a.decomposition().comm());
  return global;
}

double relative_difference(const Field<double>& a, const Field<double>& b) {
  Field<double> d = a.clone("difference");
  axpy(d, -1.0, b);
  return max_abs(d) / max_abs(b);
}

}  // namespace

int main(int argc, char** argv) {
  Environment env(argc, argv);
  bool ok = true;
  {
    // [doc:forward]
    auto dec = Decomposition::create(GridSpec::rect(64, 48, {true, true}), env.world());
    const int ghost = KernelApplication<Conduction>::gather_input_ghost();  // 2: twice the radius
    Field<double> u(dec, "u", 1, ghost), kappa(dec, "kappa", 1, ghost), u_next(dec, "u_next", 1, ghost);
    fill_random(u, 1);
    set_by_global_index<double>(kappa, [](int, std::int64_t i, std::int64_t j, std::int64_t) {
      return 1.0 + 0.5 * std::cos(0.3 * double(i) - 0.2 * double(j));
    });
    Halo halo(dec, HaloPattern::Box, ghost);
    halo.exchange(u, kappa);  // the stencil reads ghosts: fill them first

    KernelApplication<Conduction> step(Conduction{}, {u, kappa}, {u_next});
    step.forward();  // u_next = f(u, kappa) on every owned cell
    // [doc:forward end]

    // [doc:tangent]
    // Two directions at once: component n of a tangent field is direction n.
    Field<double> du(dec, "du", 2, ghost), dkappa(dec, "dkappa", 2, ghost), du_next(dec, "du_next", 2, ghost);
    fill_random(du, 2);
    fill_random(dkappa, 3);
    halo.exchange(du, dkappa);
    step.tangent<2>({du, dkappa}, {du_next});  // u_next and its two derivatives, one pass
    // [doc:tangent end]

    // [doc:adjoint]
    Field<double> w(dec, "u_next_bar", 1, ghost);  // the output adjoint (weights)
    fill_random(w, 4);

    // Gather: each cell pulls from the outputs whose stencils reach it. Needs w in
    // the ghosts (a primal exchange) and the inputs valid to width 2r (done above).
    Field<double> u_bar = u.clone_layout("u_bar"), kappa_bar = kappa.clone_layout("kappa_bar");
    halo.exchange(w);
    step.adjoint({w}, {u_bar, kappa_bar}, AdjointForm::Gather);  // in_bar += J^T w

    // Scatter: each cell pushes to its stencil, ghosts included; the transposed
    // exchange then adds ghost contributions to their owners.
    Field<double> u_bar_s = u.clone_layout("u_bar_s"), kappa_bar_s = kappa.clone_layout("kappa_bar_s");
    step.adjoint({w}, {u_bar_s, kappa_bar_s}, AdjointForm::ScatterAtomic);
    halo.exchange_adjoint(u_bar_s, kappa_bar_s);
    // [doc:adjoint end]

    Field<double> u_bar_c = u.clone_layout("u_bar_c"), kappa_bar_c = kappa.clone_layout("kappa_bar_c");
    step.adjoint({w}, {u_bar_c, kappa_bar_c}, AdjointForm::ScatterColoured);
    halo.exchange_adjoint(u_bar_c, kappa_bar_c);
    const double forms = std::max({relative_difference(u_bar_s, u_bar), relative_difference(kappa_bar_s, kappa_bar),
                                   relative_difference(u_bar_c, u_bar), relative_difference(kappa_bar_c, kappa_bar)});
    ok = ok && forms <= 1e-13;

    // Dot-product test, direction by direction: <J v, w> = <v, J^T w>.
    double worst = 0;
    for (int n = 0; n < 2; ++n) {
      const double jv_w = owned_dot(du_next, n, w, 0);
      const double v_jtw = owned_dot(du, n, u_bar, 0) + owned_dot(dkappa, n, kappa_bar, 0);
      worst = std::max(worst, std::abs(jv_w - v_jtw) / std::abs(jv_w));
    }
    ok = ok && worst <= 1e-12;

    // [doc:vector-adjoint]
    // Two output adjoints at once: component s of an adjoint field is seed s.
    Field<double> w2(dec, "w2", 2, ghost), u_bar2(dec, "u_bar2", 2, ghost), kappa_bar2(dec, "kappa_bar2", 2, ghost);
    fill_random(w2, 5);
    halo.exchange(w2);
    step.adjoint<2>({w2}, {u_bar2, kappa_bar2}, AdjointForm::Gather);  // in_bar_s += J^T w_s, s = 0, 1
    // [doc:vector-adjoint end]

    // Each seed against the tangent: <J v, w_s> = <v, J^T w_s>.
    for (int s = 0; s < 2; ++s) {
      const double jv_w = owned_dot(du_next, 0, w2, s);
      const double v_jtw = owned_dot(du, 0, u_bar2, s) + owned_dot(dkappa, 0, kappa_bar2, s);
      worst = std::max(worst, std::abs(jv_w - v_jtw) / std::abs(jv_w));
    }
    ok = ok && worst <= 1e-12;
    std::ostringstream report;
    report << std::scientific << std::setprecision(2) << "snippet_kernel: forms differ by " << forms
           << ", dot-product test error " << worst;
    root_print(env.world(), report.str());
  }
  int all_ok = 0, mine = ok ? 1 : 0;
  MPI_Allreduce(&mine, &all_ok, 1, MPI_INT, MPI_MIN, env.world());
  root_print(env.world(), all_ok ? "snippet_kernel: OK" : "snippet_kernel: FAILED");
  return all_ok ? 0 : 1;
}
