// KernelApplication<K>: a kernel bound to its fields, run forward, in tangent
// mode and in reverse.
//
// * forward():   out = f(in) on every owned cell (row loops, row_assembly.hpp).
// * tangent<N>(): out and its N tangent directions from in and its tangents,
//   in one pass (Dual<double, N>).
// * adjoint():   in_bar += (d out / d in)^T out_bar, assembled in one of three forms:
//   - Gather (default): each cell d pulls sum_q d out(d - o_q) / d in(d) *
//     out_bar(d - o_q): no write conflicts, no atomics, a fixed summation order,
//     so results are bitwise identical for any thread and rank count. It writes
//     owned cells and ghosts beyond a physical (non-periodic) boundary, never
//     exchange ghosts. Needs out_bar exchanged (width r) and the inputs valid in a
//     box ghost layer of width 2r (their stencils are evaluated at neighbours).
//   - ScatterAtomic: each cell pushes its local derivative to its stencil with
//     atomics; contributions land in ghosts and need the transposed exchange.
//   - ScatterColoured: the same in (2r+1)^dim colour passes without atomics.
// The gather differentiates one cell in one of two ways (LocalDerivative; the
// default picks per kernel, automatic_local_derivative in kernel.hpp):
//   - Reverse: one evaluation of the kernel on Adj numbers recorded on a tape on
//     the thread's stack and one reverse sweep give the cell's derivative with
//     respect to every input of its stencil at once; tiles keep these in scratch
//     and each cell sums its transposed stencil from them (impl/local_gather.hpp).
//   - SeededForward: the kernel runs on Dual<double, K::input_values> seeded at
//     one offset at a time; the offsets are unrolled at compile time and Dual's
//     structural zeros remove the terms of unseeded inputs (row_assembly.hpp).
// Both are deterministic; they agree to round-off, not bitwise. The scatter forms
// seed forward.
// * adjoint<M>(): M adjoints in one call (a vector reverse, M in {1, 2, 4, 8}):
//   adjoint fields have M times the components, seed-major like tangents; seed s
//   gets what a call with seed s alone gives it. The gather on local reverses
//   records each cell once and sweeps all seeds together, the seeded gather
//   evaluates each cell and offset once for all seeds; the scatter forms run once
//   per seed.
// No tape, heap or virtual call on any path (docs/kernels.md). adjoint() does not
// exchange, zero or fold anything: that is the caller's (usually a Program's)
// business.
#pragma once

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

#include "undertow/core/error.hpp"
#include "undertow/field/field.hpp"
#include "undertow/kernel/impl/local_gather.hpp"
#include "undertow/kernel/kernel.hpp"
#include "undertow/kernel/impl/row_assembly.hpp"

namespace undertow {

template <class K>
class KernelApplication {
 public:
  static constexpr int NI = K::num_inputs;
  static constexpr int NO = K::num_outputs;
  using InputFields = std::array<Field<double>, NI>;
  using OutputFields = std::array<Field<double>, NO>;

  KernelApplication(const K& kernel, const InputFields& inputs, const OutputFields& outputs)
      : kernel_(kernel), inputs_(inputs), outputs_(outputs) {
    const Stencil& s = K::stencil;
    const Decomposition& dec = inputs_[0].decomposition();
    if (s.dim != dec.dim()) {
      throw Error("kernel stencil is " + std::to_string(s.dim) + "D but the grid is " + std::to_string(dec.dim()) +
                  "D");
    }
    for (int f = 0; f < NI; ++f) {
      check_field(inputs_[f], K::input_components(f), "input " + std::to_string(f));
      if (inputs_[f].ghost() < s.radius) {
        throw Error("kernel input '" + inputs_[f].name() + "' has ghost width " + std::to_string(inputs_[f].ghost()) +
                    " but the stencil radius is " + std::to_string(s.radius));
      }
    }
    for (int f = 0; f < NO; ++f) {
      check_field(outputs_[f], K::output_components(f), "output " + std::to_string(f));
      for (int g = 0; g < NI; ++g) {
        if (outputs_[f].view().data() == inputs_[g].view().data()) {
          throw Error("kernel output '" + outputs_[f].name() +
                      "' is also an input: kernels write a separate field (copy afterwards for an in-place update)");
        }
      }
    }
  }

  const InputFields& inputs() const { return inputs_; }
  const OutputFields& outputs() const { return outputs_; }
  const K& kernel() const { return kernel_; }

  void forward() const {
    const detail::RowData<K> data = detail::make_row_data(kernel_, inputs_, outputs_, {}, {});
    const detail::Rows rows(K::stencil.dim, {0, 0, 0}, inputs_[0].decomposition().owned_cells());
    detail::launch_forward<K>(data, rows);
  }

  /// Tangent fields have N * components components, direction-major
  /// (component index n * ncomp + c).
  template <int N>
  void tangent(const InputFields& input_tangents, const OutputFields& output_tangents) const {
    for (int f = 0; f < NI; ++f) check_aux(input_tangents[f], inputs_[f], N, "input tangent");
    for (int f = 0; f < NO; ++f) check_aux(output_tangents[f], outputs_[f], N, "output tangent");
    const detail::RowData<K> data = detail::make_row_data(kernel_, inputs_, outputs_, input_tangents, output_tangents);
    const detail::Rows rows(K::stencil.dim, {0, 0, 0}, inputs_[0].decomposition().owned_cells());
    detail::launch_tangent<K, N>(data, rows);
  }

  /// in_bar += J^T out_bar (see the header comment for what each form needs).
  /// `method` chooses how the gather differentiates one cell (the scatter forms
  /// always seed forward). An input whose adjoint field is empty (`Field<double>()`)
  /// is passive: it gets no adjoint, and the local reverse treats it as a constant.
  /// M seeds at once: adjoint fields with M * components components, seed-major
  /// (component s * ncomp + c).
  template <int M = 1>
  void adjoint(const OutputFields& output_adjoints, const InputFields& input_adjoints, AdjointForm form,
               LocalDerivative method = LocalDerivative::Automatic) const {
    static_assert(M == 1 || M == 2 || M == 4 || M == 8, "adjoint<M>: M (seeds at once) is 1, 2, 4 or 8");
    bool any_active = false;
    for (int f = 0; f < NI; ++f) {
      if (!input_adjoints[f].valid()) continue;
      check_aux(input_adjoints[f], inputs_[f], M, "input adjoint");
      any_active = true;
    }
    for (int f = 0; f < NO; ++f) check_aux(output_adjoints[f], outputs_[f], M, "output adjoint");
    if (!any_active) return;
    if (form == AdjointForm::Gather) {
      if (method == LocalDerivative::Automatic) method = automatic_local_derivative<K>();
      adjoint_gather<M>(input_adjoints, output_adjoints, method);
      return;
    }
    adjoint_scatter<M>(input_adjoints, output_adjoints, /*atomic=*/form == AdjointForm::ScatterAtomic);
  }

  /// Ghost width the inputs need for a Gather adjoint (2r: the stencils of the
  /// neighbours are evaluated).
  static constexpr int gather_input_ghost() { return 2 * K::stencil.radius; }

 private:
  template <int M>
  void adjoint_gather(const InputFields& input_adjoints, const OutputFields& output_adjoints,
                      LocalDerivative method) const {
    const Decomposition& dec = inputs_[0].decomposition();
    const int r = K::stencil.radius;
    for (int f = 0; f < NI; ++f) {
      if (inputs_[f].ghost() < 2 * r) {
        throw Error("gather adjoint: input '" + inputs_[f].name() + "' needs ghost width " + std::to_string(2 * r) +
                    " (twice the stencil radius), it has " + std::to_string(inputs_[f].ghost()));
      }
    }
    for (int f = 0; f < NO; ++f) {
      if (outputs_[f].ghost() < r) {
        throw Error("gather adjoint: output '" + outputs_[f].name() + "' needs ghost width " + std::to_string(r));
      }
    }
    // Cells whose adjoint this rank assembles: owned, plus ghosts beyond a wall
    // (their values feed the transposed boundary condition, not a neighbour).
    // [safe_lo, safe_hi): cells whose transposed stencil stays inside the domain.
    Index3 lo{0, 0, 0}, hi = dec.owned_cells();
    Index3 safe_lo = lo, safe_hi = hi;
    for (int a = 0; a < dec.dim(); ++a) {
      const bool wall = !dec.grid().periodic[a];
      if (wall && dec.at_boundary(a, 0)) lo[a] = -r;
      if (wall && dec.at_boundary(a, 1)) hi[a] += r;
      safe_lo[a] = lo[a];
      safe_hi[a] = hi[a];
      if (wall) {
        // Owned-relative p is safe if r <= origin + p < cells - r.
        const std::int64_t first = r - dec.owned_lo()[a], last = dec.grid().cells[a] - r - dec.owned_lo()[a];
        safe_lo[a] = static_cast<int>(std::max<std::int64_t>(first, lo[a]));
        safe_hi[a] = static_cast<int>(std::min<std::int64_t>(last, hi[a]));
      }
    }
    const detail::RowData<K> data = detail::make_row_data(kernel_, inputs_, outputs_, input_adjoints, output_adjoints);
    if (method == LocalDerivative::Reverse) {
      // A kernel that declares the seeded forward form is never compiled on Adj
      // numbers (the way out for a body the expression templates do not take).
      if constexpr (detail::DeclaredLocalDerivative<K>::value != LocalDerivative::SeededForward) {
        detail::launch_local_gather_adjoint<K, M>(data, lo, hi);
        return;
      } else {
        throw Error(
            "gather adjoint: this kernel declares local_derivative = LocalDerivative::SeededForward; "
            "it has no local reverse");
      }
    }
    const detail::Rows rows(K::stencil.dim, lo, hi);
    detail::launch_gather_adjoint<K, M>(data, rows, safe_lo, safe_hi);
  }

  template <int M>
  void adjoint_scatter(const InputFields& input_adjoints, const OutputFields& output_adjoints, bool atomic) const {
    const detail::RowData<K> all = detail::make_row_data(kernel_, inputs_, outputs_, input_adjoints, output_adjoints);
    for (int s = 0; s < M; ++s) adjoint_scatter(detail::seed_row_data(all, s), atomic);
  }

  void adjoint_scatter(const detail::RowData<K>& data, bool atomic) const {
    const Index3 n = inputs_[0].decomposition().owned_cells();
    if (atomic) {
      const detail::Rows rows(K::stencil.dim, {0, 0, 0}, n);
      detail::launch_scatter_atomic_adjoint<K>(data, rows);
      return;
    }
    // Cells of one colour are 2r+1 apart in every dimension: their stencils are
    // disjoint, so one colour pass has no write conflicts.
    const Stencil st = K::stencil;
    const int w = 2 * st.radius + 1;
    const int dim = st.dim;
    const int colours = st.size() == 1 ? 1 : (dim == 1 ? w : dim == 2 ? w * w : w * w * w);
    for (int colour = 0; colour < colours; ++colour) {
      Index3 first{0, 0, 0}, count{1, 1, 1};
      int rest = colour;
      for (int a = dim - 1; a >= 0; --a) {
        first[a] = rest % w;
        rest /= w;
        count[a] = n[a] > first[a] ? (n[a] - first[a] + w - 1) / w : 0;
      }
      for (int a = dim; a < 3; ++a) count[a] = n[a];
      if (count[0] == 0 || count[1] == 0 || count[2] == 0) continue;
      const Index3 stride{dim > 0 ? w : 1, dim > 1 ? w : 1, dim > 2 ? w : 1};
      // Rows of the colour's sub-grid, mapped back to cells.
      const detail::Rows rows(dim, {0, 0, 0}, count);
      detail::launch_scatter_colour_adjoint<K>(data, rows, first, stride);
    }
  }

  static void check_field(const Field<double>& f, int components, const std::string& role) {
    if (!f.valid()) throw Error("kernel " + role + " is not an initialised field");
    if (f.components() != components) {
      throw Error("kernel " + role + " '" + f.name() + "' has " + std::to_string(f.components()) +
                  " component(s), the kernel expects " + std::to_string(components));
    }
  }
  static void check_aux(const Field<double>& aux, const Field<double>& primal, int per_component,
                        const std::string& role) {
    if (!aux.valid() || aux.components() != primal.components() * per_component || aux.ghost() != primal.ghost() ||
        &aux.decomposition() != &primal.decomposition()) {
      throw Error("kernel " + role + " for '" + primal.name() + "' must have the layout of '" + primal.name() +
                  "' with " + std::to_string(primal.components() * per_component) + " component(s)");
    }
  }

  K kernel_;
  InputFields inputs_;
  OutputFields outputs_;
};

}  // namespace undertow
