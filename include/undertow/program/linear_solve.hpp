// linear_solve: a matrix-free symmetric positive definite solve A(p) x = b as one
// operation of a Program, differentiated implicitly.
//
// The operator is a user kernel K(x, p_1, ..., p_m) -> A x that is linear in its
// first input x (e.g. -div(kappa grad x) + c x); the boundary conditions of x
// (`LinearSolveOptions::boundary`, applied as ghost fills after each halo
// exchange) are part of A, and their Dirichlet values move to the right-hand
// side, so the equation solved is K(E(x), p) = b with E = exchange + boundary
// fill. Forward: preconditioned conjugate gradients (Jacobi, with the exact
// diagonal of K composed with the ghost fill, or none) to a relative-residual
// tolerance; every iteration exchanges the search direction, fills its boundary
// ghosts and applies the kernel through KernelApplication; dot products are the
// global reductions, identical on every rank. Derivatives never go through the
// iterations (implicit function theorem):
//   tangent  A x_dot = b_dot - (dK/dp p_dot)(E(x)), one CG solve per direction;
//   adjoint  A lambda = x_bar (A is symmetric: the same CG), b_bar += lambda,
//            p_bar -= (dK/dp)^T lambda (the kernel's adjoint, any AdjointForm),
//            x_bar = 0.
// A symmetry and linearity probe runs on the first solve; a non-positive
// curvature d^T A d <= 0, a non-positive Jacobi diagonal, or no convergence within
// the iteration cap throws the same Error on every rank, naming the residual
// reached. Iteration counts and times are kept in LinearSolveStats for users and
// benchmarks. The coefficients, like any kernel input, must be exchanged and
// boundary-filled by the program before the solve (ghost width 2r for Gather
// adjoints).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "undertow/ad/dual.hpp"
#include "undertow/core/error.hpp"
#include "undertow/field/field.hpp"
#include "undertow/kernel/impl/cell_access.hpp"
#include "undertow/kernel/kernel.hpp"
#include "undertow/kernel/kernel_application.hpp"
#include "undertow/program/boundary.hpp"
#include "undertow/program/program.hpp"

namespace undertow {

enum class Preconditioner { None, Jacobi };

const char* to_string(Preconditioner p);

struct LinearSolveOptions {
  /// Converged when |b - A x| <= max(relative_tolerance * |b|, absolute_tolerance)
  /// (2-norms over owned cells; b here includes the Dirichlet lift). The tangent
  /// and adjoint solves use the same tolerances relative to their own right sides.
  double relative_tolerance = 1e-10;
  double absolute_tolerance = 0.0;
  int max_iterations = 1000;
  Preconditioner preconditioner = Preconditioner::Jacobi;
  /// Ghost fill of x (and of every CG direction, without the Dirichlet offsets).
  /// Faces left at FaceCondition::none() that are not periodic hold zero ghosts.
  BoundaryConditions boundary{};
  /// Start the forward CG from the current value of x instead of zero (implicit
  /// time steps); tangent and adjoint solves always start from zero.
  bool warm_start = false;
  /// Probe the operator once, on the first solve: K(0) = 0 (linear in x) and
  /// <A u, v> = <u, A v> for two fixed pseudo-random fields (symmetric).
  bool check_operator = true;
  /// Assembly of the coefficient adjoint; default: the program's.
  std::optional<AdjointForm> adjoint_form;
  /// Name used in messages; default "solve for <x>".
  std::string name;
};

/// One solve: CG iterations, final relative residual, wall seconds of the whole
/// operation (forward: diagonal, lift, CG and ghost fills; adjoint: CG and the
/// coefficient adjoint).
struct LinearSolveRecord {
  int iterations = 0;
  double relative_residual = 0.0;
  double seconds = 0.0;
};

struct LinearSolveStats {
  std::string name;
  LinearSolveRecord last_forward, last_tangent, last_adjoint;  // last_tangent: all directions summed
  std::int64_t forward_solves = 0, forward_iterations = 0;
  std::int64_t tangent_solves = 0, tangent_iterations = 0;  // one solve per direction
  std::int64_t adjoint_solves = 0, adjoint_iterations = 0;
  double forward_seconds = 0.0, tangent_seconds = 0.0, adjoint_seconds = 0.0;
  void reset();
  std::string str() const;
};

namespace detail {

/// Everything of the linear-solve operation that does not depend on the kernel
/// type: CG, the implicit tangent and adjoint, checks and bookkeeping. The typed
/// subclass below supplies the kernel applications.
class LinearSolveBase : public Operation {
 public:
  /// input_components: of the kernel's inputs (0: x, then the coefficients).
  LinearSolveBase(Program& p, Var x, Var b, const std::vector<Var>& coefficients, const Stencil& stencil,
                  const std::vector<int>& input_components, const LinearSolveOptions& options);

  std::string describe(const Program& p) const override;
  std::vector<int> writes() const override { return {x_}; }
  std::vector<int> reverse_reads() const override { return coefficients_; }
  void forward(Program& p) override;
  void tangent(Program& p, int directions) override;
  void reverse(Program& p) override;

  std::shared_ptr<LinearSolveStats> stats() const { return stats_; }

 protected:
  /// Binds the CG operator q = K(d, coefficients) (values, or the values recorded
  /// for the reverse sweep).
  virtual void bind(Program& p, bool use_recorded) = 0;
  /// q_ = K(d_) with the bound coefficients (d_'s ghosts already filled).
  virtual void apply_bound() = 0;
  /// diag = the diagonal of K composed with the homogeneous ghost fill.
  virtual void bound_diagonal(const Field<double>& diag) = 0;
  /// out_dot (directions * components) = dK/dp p_dot at x_full, x held fixed.
  virtual void coefficient_tangent(Program& p, int directions, const Field<double>& x_full,
                                   const Field<double>& x_zero_tangent, const Field<double>& out_dot) = 0;
  /// coefficient adjoints += (dK/dp)^T w at x_full (w in an output-layout field,
  /// exchanged here as the form needs); x_bar_scratch receives the unused x part.
  virtual void coefficient_adjoint(Program& p, const Field<double>& x_full, const Field<double>& w,
                                   const Field<double>& x_bar_scratch, AdjointForm form) = 0;

  const Field<double>& direction() const { return d_; }
  const Field<double>& product() const { return q_; }
  const BoundaryConditions& boundary() const { return options_.boundary; }

  std::vector<int> coefficients_;

 private:
  void fill_direction_ghosts(Program& p, bool homogeneous);
  void apply_operator(Program& p);  // q = A d (exchange, ghost fill, kernel)
  void prepare_preconditioner(Program& p);
  void check_operator(Program& p);
  /// Solves A x = rhs by PCG into the owned cells of `x`; returns the record.
  LinearSolveRecord cg(Program& p, const Field<double>& rhs, const Field<double>& x, bool zero_start, const char* what);
  void primal_solve(Program& p);
  void fill_solution_ghosts(Program& p, const Field<double>& x);
  void ensure_tangent_scratch(int directions);

  int x_, b_;
  int radius_;
  HaloPattern direction_pattern_;
  int components_;
  LinearSolveOptions options_;
  AdjointForm form_;
  std::string name_;
  bool checked_ = false;
  std::shared_ptr<LinearSolveStats> stats_;
  // Work fields: the solution with filled ghosts (input of the kernel's tangent and
  // adjoint), CG direction and product, residual, preconditioned residual, right
  // side, a second iterate for tangent/adjoint solves, the inverse diagonal.
  Field<double> solution_, d_, q_, r_, z_, rhs_, iterate_, inverse_diagonal_, x_bar_scratch_;
  Field<double> zero_tangent_, product_tangent_;
  int scratch_directions_ = 0;
};

/// Mirror sign per axis, face and component (0: the ghost does not depend on x).
/// At namespace scope: CUDA device lambdas cannot capture function-local types.
template <int NC>
struct MirrorSigns {
  double s[3][2][NC];
};

/// Owned cells of the Jacobi diagonal of K composed with the homogeneous ghost
/// fill of `bc`: for every stencil offset whose (wrapped or mirrored) cell is the
/// cell itself, d out_c / d x_c times the mirror sign.
template <class K>
void linear_operator_diagonal(const K& kernel, const typename KernelApplication<K>::InputFields& inputs,
                              const Field<double>& output, const BoundaryConditions& bc, const Field<double>& diag) {
  constexpr int NC = K::input_components(0);
  KernelData<K> data = make_kernel_data(kernel, inputs);
  const Decomposition& dec = inputs[0].decomposition();
  data.out[0] = output.view();
  data.out_shift[0] = Index3{output.ghost(0), output.ghost(1), output.ghost(2)};
  detail::MirrorSigns<NC> signs{};
  for (int a = 0; a < 3; ++a) {
    for (int side = 0; side < 2; ++side) {
      const FaceCondition& fc = bc.face[a][side];
      for (int c = 0; c < NC; ++c) {
        double s = 0.0;
        if (fc.kind == FaceCondition::Kind::Neumann) s = 1.0;
        if (fc.kind == FaceCondition::Kind::Dirichlet) s = -1.0;
        if (fc.kind == FaceCondition::Kind::Reflect) s = c == fc.normal_component ? -1.0 : 1.0;
        // Layer 1 of an extrapolation is the mirror cell: exact for radius-1
        // stencils; wider ones get an approximate Jacobi diagonal (convergence only).
        if (fc.kind == FaceCondition::Kind::Extrapolate) s = 1.0;
        signs.s[a][side][c] = s;
      }
    }
  }
  const Stencil st = K::stencil;
  const int dim = dec.dim();
  auto dv = diag.view();
  const Index3 ds{diag.ghost(0), diag.ghost(1), diag.ghost(2)};
  const Index3 n = dec.owned_cells();
  Kokkos::parallel_for(
      "undertow::linear_operator_diagonal",
      Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<3>>({0, 0, 0}, {n[0], n[1], n[2]}),
      KOKKOS_LAMBDA(int i, int j, int k) {
        const Index3 p{i, j, k};
        double acc[NC];
        for (int c = 0; c < NC; ++c) acc[c] = 0.0;
        for (int q = 0; q < st.size(); ++q) {
          const Index3 o = st.offset(q);
          // Where does the value read at p + o come from, and with which sign?
          double sign[NC];
          for (int c = 0; c < NC; ++c) sign[c] = 1.0;
          bool self = true;
          for (int a = 0; a < dim && self; ++a) {
            const std::int64_t N = data.global_cells[a];
            const std::int64_t me = data.origin[a] + p[a];
            std::int64_t g = me + o[a];
            if (data.periodic[a]) {
              g = ((g % N) + N) % N;
            } else if (g < 0 || g >= N) {
              const int side = g < 0 ? 0 : 1;
              g = g < 0 ? -g - 1 : 2 * N - 1 - g;
              for (int c = 0; c < NC; ++c) sign[c] *= signs.s[a][side][c];
            }
            self = g == me;
          }
          if (!self) continue;
          const SeededInput<K> in{data, p, o};
          CellOutput<K, Dual<double, K::input_values>> out;
          data.kernel(in, out);
          for (int c = 0; c < NC; ++c) acc[c] += sign[c] * out.v[K::output_slot(0, c)].d[K::input_slot(0, c)];
        }
        for (int c = 0; c < NC; ++c) dv(c, i + ds[0], j + ds[1], k + ds[2]) = acc[c];
      });
}

/// The linear-solve operation for kernel K (input 0: x; inputs 1..: coefficients).
template <class K>
class LinearSolveOperation : public LinearSolveBase {
  static_assert(K::num_outputs == 1, "linear_solve: the operator kernel has exactly one output (A x)");
  static_assert(K::output_components(0) == K::input_components(0),
                "linear_solve: A x must have as many components as x (input 0)");

 public:
  LinearSolveOperation(Program& p, const K& kernel, Var x, Var b,
                       const std::array<Var, K::num_inputs - 1>& coefficients, const LinearSolveOptions& options)
      : LinearSolveBase(p, x, b, std::vector<Var>(coefficients.begin(), coefficients.end()), K::stencil,
                        input_components(), options),
        kernel_(kernel) {
    bind(p, false);  // validates the layouts now
  }

 protected:
  void bind(Program& p, bool use_recorded) override {
    typename KernelApplication<K>::InputFields in;
    in[0] = direction();
    for (int f = 1; f < K::num_inputs; ++f) in[f] = coefficient(p, f - 1, use_recorded);
    bound_.reset();
    bound_.emplace(kernel_, in, typename KernelApplication<K>::OutputFields{product()});
  }
  void apply_bound() override { bound_->forward(); }
  void bound_diagonal(const Field<double>& diag) override {
    linear_operator_diagonal(kernel_, bound_->inputs(), product(), boundary(), diag);
  }
  void coefficient_tangent(Program& p, int directions, const Field<double>& x_full, const Field<double>& x_zero_tangent,
                           const Field<double>& out_dot) override {
    auto app = at(p, x_full, false);
    typename KernelApplication<K>::InputFields in_dot;
    in_dot[0] = x_zero_tangent;
    for (int f = 1; f < K::num_inputs; ++f) in_dot[f] = variable(p, coefficients_[f - 1]).tangent;
    const typename KernelApplication<K>::OutputFields out{out_dot};
    switch (directions) {
      case 1:
        app.template tangent<1>(in_dot, out);
        break;
      case 2:
        app.template tangent<2>(in_dot, out);
        break;
      case 4:
        app.template tangent<4>(in_dot, out);
        break;
      case 8:
        app.template tangent<8>(in_dot, out);
        break;
      default:
        throw Error("linear_solve: tangent directions must be 1, 2, 4 or 8, got " + std::to_string(directions));
    }
  }
  void coefficient_adjoint(Program& p, const Field<double>& x_full, const Field<double>& w,
                           const Field<double>& x_bar_scratch, AdjointForm form) override {
    auto app = at(p, x_full, true);
    typename KernelApplication<K>::InputFields in_bar;
    in_bar[0] = x_bar_scratch;
    for (int f = 1; f < K::num_inputs; ++f) in_bar[f] = variable(p, coefficients_[f - 1]).adjoint;
    const int r = K::stencil.radius;
    if (form == AdjointForm::Gather && r > 0) {
      // The gather pulls w from neighbouring cells: a primal exchange of width r.
      halo(p, K::stencil.shape == StencilShape::Box ? HaloPattern::Box : HaloPattern::Star, r).exchange(w);
    }
    app.adjoint(typename KernelApplication<K>::OutputFields{w}, in_bar, form);
    if (form != AdjointForm::Gather && r > 0) {
      for (int f = 1; f < K::num_inputs; ++f) variable(p, coefficients_[f - 1]).ghost_adjoint_pending = true;
    }
  }

 private:
  static std::vector<int> input_components() {
    std::vector<int> c;
    for (int f = 0; f < K::num_inputs; ++f) c.push_back(K::input_components(f));
    return c;
  }
  const Field<double>& coefficient(Program& p, int f, bool use_recorded) const {
    return use_recorded ? recorded(p, coefficients_[f]) : variable(p, coefficients_[f]).value;
  }
  KernelApplication<K> at(Program& p, const Field<double>& x_full, bool use_recorded) const {
    typename KernelApplication<K>::InputFields in;
    in[0] = x_full;
    for (int f = 1; f < K::num_inputs; ++f) in[f] = coefficient(p, f - 1, use_recorded);
    return KernelApplication<K>(kernel_, in, typename KernelApplication<K>::OutputFields{product()});
  }
  K kernel_;
  std::optional<KernelApplication<K>> bound_;
};

}  // namespace detail

/// Appends "solve K(E(x), coefficients) = b for x" to the program's current
/// section (see the header comment). x is written (owned cells and ghosts); b and
/// the coefficients are read; x must differ from b and from every coefficient.
/// Returns the solve's statistics, updated by every run (the Program owns the
/// operation; the handle stays valid after the Program is gone).
template <class K>
std::shared_ptr<LinearSolveStats> linear_solve(Program& p, const K& operator_kernel, Var x, Var b,
                                               const std::array<Var, K::num_inputs - 1>& coefficients,
                                               const LinearSolveOptions& options = {}) {
  auto op = std::make_unique<detail::LinearSolveOperation<K>>(p, operator_kernel, x, b, coefficients, options);
  auto stats = op->stats();
  p.append(std::move(op));
  return stats;
}

}  // namespace undertow
