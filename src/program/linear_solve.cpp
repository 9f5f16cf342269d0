#include "undertow/program/linear_solve.hpp"

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "undertow/field/field_ops.hpp"

namespace undertow {

const char* to_string(Preconditioner p) {
  return p == Preconditioner::Jacobi ? "Jacobi" : "none";
}

void LinearSolveStats::reset() {
  const std::string keep = name;
  *this = LinearSolveStats{};
  name = keep;
}

std::string LinearSolveStats::str() const {
  std::ostringstream os;
  auto line = [&](const char* what, std::int64_t solves, std::int64_t iterations, double seconds,
                  const LinearSolveRecord& last) {
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "  %-8s %6lld solves %8lld CG iterations %10.4f s   last: %d iterations, residual %.2e\n", what,
                  static_cast<long long>(solves), static_cast<long long>(iterations), seconds, last.iterations,
                  last.relative_residual);
    os << buf;
  };
  os << name << ":\n";
  line("forward", forward_solves, forward_iterations, forward_seconds, last_forward);
  line("tangent", tangent_solves, tangent_iterations, tangent_seconds, last_tangent);
  line("adjoint", adjoint_solves, adjoint_iterations, adjoint_seconds, last_adjoint);
  return os.str();
}

namespace detail {
namespace {

using Policy3 = Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<3>>;

Policy3 owned_cells(const Decomposition& dec) {
  const Index3 n = dec.owned_cells();
  return Policy3({0, 0, 0}, {n[0], n[1], n[2]});
}

/// The CG vector loops run over rows: parallel in i, sequential (unit stride) in
/// j and k. An MDRange over a 2D grid tiles the unit-stride dimension in blocks
/// of 2 cells (its k extent is 1), several times slower for these streaming loops.
Kokkos::RangePolicy<ExecSpace> rows(const Decomposition& dec) {
  return Kokkos::RangePolicy<ExecSpace>(0, dec.owned_cells()[0]);
}

Index3 shift_of(const Field<double>& f) {
  return Index3{f.ghost(0), f.ghost(1), f.ghost(2)};
}

/// Several sums at once, combined in rank order like detail::ordered_global_sum
/// (one message instead of one per value).
void ordered_global_sums(MPI_Comm comm, double* values, int n) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  std::vector<double> all(static_cast<std::size_t>(size) * static_cast<std::size_t>(n));
  check_mpi(MPI_Allgather(values, n, MPI_DOUBLE, all.data(), n, MPI_DOUBLE, comm), "MPI_Allgather");
  for (int v = 0; v < n; ++v) {
    double total = 0;
    for (int r = 0; r < size; ++r) total += all[static_cast<std::size_t>(r) * static_cast<std::size_t>(n) + v];
    values[v] = total;
  }
}

struct TwoSums {
  double a, b;
  KOKKOS_INLINE_FUNCTION TwoSums() : a(0), b(0) {}
  KOKKOS_INLINE_FUNCTION TwoSums& operator+=(const TwoSums& o) {
    a += o.a;
    b += o.b;
    return *this;
  }
#if KOKKOS_VERSION < 40000
  // Kokkos 3 joins reduction values through volatile references; C++20
  // deprecates compound assignment to volatiles, and Kokkos 4 no longer needs it.
  KOKKOS_INLINE_FUNCTION void operator+=(const volatile TwoSums& o) volatile {
    a = a + o.a;
    b = b + o.b;
  }
#endif
};

/// dst[dst_c0 + c] = keep * dst[dst_c0 + c] + a * src[src_c0 + c] on owned cells,
/// c < components (fields of any ghost widths).
void block_update(const Field<double>& dst, int dst_c0, double keep, const Field<double>& src, int src_c0, double a,
                  int components) {
  auto dv = dst.view();
  auto sv = src.view();
  const Index3 ds = shift_of(dst), ss = shift_of(src);
  const Index3 n = dst.decomposition().owned_cells();
  Kokkos::parallel_for(
      "undertow::linear_solve_block", rows(dst.decomposition()), KOKKOS_LAMBDA(int i) {
        for (int c = 0; c < components; ++c)
          for (int j = 0; j < n[1]; ++j)
            for (int k = 0; k < n[2]; ++k) {
              double& y = dv(dst_c0 + c, i + ds[0], j + ds[1], k + ds[2]);
              const double x = a * sv(src_c0 + c, i + ss[0], j + ss[1], k + ss[2]);
              y = keep == 0.0 ? x : keep * y + x;
            }
      });
}

KOKKOS_INLINE_FUNCTION std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// Owned cells get a value in [-1, 1] that depends only on (seed, c, global cell).
void fill_probe(const Field<double>& f, std::uint64_t seed) {
  auto v = f.view();
  const Index3 s = shift_of(f);
  const GlobalIndex3 lo = f.decomposition().owned_lo();
  const int nc = f.components();
  Kokkos::parallel_for(
      "undertow::linear_solve_probe", owned_cells(f.decomposition()), KOKKOS_LAMBDA(int i, int j, int k) {
        for (int c = 0; c < nc; ++c) {
          std::uint64_t h = splitmix64(seed ^ static_cast<std::uint64_t>(c));
          h = splitmix64(h ^ static_cast<std::uint64_t>(lo[0] + i));
          h = splitmix64(h ^ static_cast<std::uint64_t>(lo[1] + j));
          h = splitmix64(h ^ static_cast<std::uint64_t>(lo[2] + k));
          v(c, i + s[0], j + s[1], k + s[2]) = 2.0 * (static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0)) - 1.0;
        }
      });
}

std::string sci(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3e", v);
  return buf;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  Kokkos::fence();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

bool has_dirichlet_offset(const BoundaryConditions& bc, const GridSpec& grid) {
  for (int d = 0; d < grid.dim; ++d) {
    if (grid.periodic[d]) continue;
    for (int side = 0; side < 2; ++side) {
      const FaceCondition& f = bc.face[d][side];
      if (f.kind == FaceCondition::Kind::Dirichlet && f.value != 0.0) return true;
    }
  }
  return false;
}

// The device loops of the preconditioner and of CG, as free functions: CUDA
// allows extended lambdas neither in private member functions nor inside other
// (host) lambdas.

/// v = 1 / v where v is positive and finite, else 0; returns how many were not.
double invert_positive_diagonal(const Field<double>::view_type& v, const Policy3& policy) {
  double bad = 0.0;
  Kokkos::parallel_reduce(
      "undertow::linear_solve_invert_diagonal", policy,
      KOKKOS_LAMBDA(int i, int j, int k, double& count) {
        for (int c = 0; c < v.extent_int(0); ++c) {
          const double a = v(c, i, j, k);
          if (a > 0.0 && a - a == 0.0) {
            v(c, i, j, k) = 1.0 / a;
          } else {
            count += 1.0;
            v(c, i, j, k) = 0.0;
          }
        }
      },
      bad);
  return bad;
}

/// Smallest value of v (NaN if any is NaN), this rank's cells.
double local_min_value(const Field<double>::view_type& v, const Policy3& policy) {
  double local_min = 0.0;
  Kokkos::parallel_reduce(
      "undertow::linear_solve_min_diagonal", policy,
      KOKKOS_LAMBDA(int i, int j, int k, double& m) {
        for (int c = 0; c < v.extent_int(0); ++c) {
          const double a = v(c, i, j, k);
          if (!(a >= m)) m = a;  // NaN-propagating min
        }
      },
      Kokkos::Min<double>(local_min));
  return local_min;
}

/// The fields of one CG solve: residual r, preconditioned residual z, inverse
/// diagonal m (owned-only layouts), direction d, product q and iterate x (with
/// ghosts: shifted by their ghost widths).
struct CgVectors {
  Field<double>::view_type r, z, m, d, q, x;
  Index3 dsh, qsh, xsh, n;
  int components;
  bool jacobi;
};

/// z = M^-1 r and the local sums (r.r, r.z), optionally preceded by
/// x += alpha d, r -= alpha q.
TwoSums cg_update(const CgVectors& v, const Kokkos::RangePolicy<ExecSpace>& policy, bool step, double alpha) {
  const auto rv = v.r, zv = v.z, mv = v.m, dv = v.d, qv = v.q, xv = v.x;
  const Index3 dsh = v.dsh, qsh = v.qsh, xsh = v.xsh, n = v.n;
  const int nc = v.components;
  const bool jacobi = v.jacobi;
  TwoSums s;
  Kokkos::parallel_reduce(
      "undertow::linear_solve_cg_update", policy,
      KOKKOS_LAMBDA(int i, TwoSums& acc) {
        for (int c = 0; c < nc; ++c)
          for (int j = 0; j < n[1]; ++j)
            for (int k = 0; k < n[2]; ++k) {
              double res = rv(c, i, j, k);
              if (step) {
                xv(c, i + xsh[0], j + xsh[1], k + xsh[2]) += alpha * dv(c, i + dsh[0], j + dsh[1], k + dsh[2]);
                res -= alpha * qv(c, i + qsh[0], j + qsh[1], k + qsh[2]);
                rv(c, i, j, k) = res;
              }
              acc.a += res * res;
              if (jacobi) {
                const double zz = mv(c, i, j, k) * res;
                zv(c, i, j, k) = zz;
                acc.b += res * zz;
              }
            }
      },
      s);
  return s;
}

/// d = z + beta d (z = r without a preconditioner).
void cg_next_direction(const CgVectors& v, const Kokkos::RangePolicy<ExecSpace>& policy, double beta) {
  const auto src = v.jacobi ? v.z : v.r, dv = v.d;
  const Index3 dsh = v.dsh, n = v.n;
  const int nc = v.components;
  Kokkos::parallel_for(
      "undertow::linear_solve_cg_direction", policy, KOKKOS_LAMBDA(int i) {
        for (int c = 0; c < nc; ++c)
          for (int j = 0; j < n[1]; ++j)
            for (int k = 0; k < n[2]; ++k) {
              double& dd = dv(c, i + dsh[0], j + dsh[1], k + dsh[2]);
              dd = src(c, i, j, k) + beta * dd;
            }
      });
}

/// Local d^T q.
double cg_local_curvature(const CgVectors& v, const Kokkos::RangePolicy<ExecSpace>& policy) {
  const auto dv = v.d, qv = v.q;
  const Index3 dsh = v.dsh, qsh = v.qsh, n = v.n;
  const int nc = v.components;
  double local = 0.0;
  Kokkos::parallel_reduce(
      "undertow::linear_solve_cg_curvature", policy,
      KOKKOS_LAMBDA(int i, double& acc) {
        for (int c = 0; c < nc; ++c)
          for (int j = 0; j < n[1]; ++j)
            for (int k = 0; k < n[2]; ++k)
              acc += dv(c, i + dsh[0], j + dsh[1], k + dsh[2]) * qv(c, i + qsh[0], j + qsh[1], k + qsh[2]);
      },
      local);
  return local;
}

}  // namespace

LinearSolveBase::LinearSolveBase(Program& p, Var x, Var b, const std::vector<Var>& coefficients, const Stencil& stencil,
                                 const std::vector<int>& input_components, const LinearSolveOptions& options)
    : x_(x.id),
      b_(b.id),
      radius_(stencil.radius),
      direction_pattern_(stencil.shape == StencilShape::Box ? HaloPattern::Box : HaloPattern::Star),
      components_(input_components.at(0)),
      options_(options),
      form_(options.adjoint_form.value_or(p.options().adjoint_form)),
      stats_(std::make_shared<LinearSolveStats>()) {
  const auto& xv = variable(p, x);  // throws for a foreign handle
  const auto& bv = variable(p, b);
  name_ = options_.name.empty() ? "solve for '" + xv.name + "'" : options_.name;
  stats_->name = name_;
  const std::string who = "linear_solve (" + name_ + "): ";
  if (xv.role == VarRole::Data) throw Error(who + "the unknown '" + xv.name + "' is a Data variable");
  if (x.id == b.id) throw Error(who + "the unknown and the right-hand side are the same variable '" + xv.name + "'");
  if (xv.value.components() != components_) {
    throw Error(who + "the unknown '" + xv.name + "' has " + std::to_string(xv.value.components()) +
                " component(s), the operator kernel's input 0 has " + std::to_string(components_));
  }
  if (bv.value.components() != components_ || &bv.value.decomposition() != &xv.value.decomposition()) {
    throw Error(who + "the right-hand side '" + bv.name + "' must have the decomposition and the " +
                std::to_string(components_) + " component(s) of '" + xv.name + "'");
  }
  if (coefficients.size() + 1 != input_components.size()) {
    throw Error(who + "expected " + std::to_string(input_components.size() - 1) + " coefficient variable(s)");
  }
  const int need = form_ == AdjointForm::Gather ? 2 * radius_ : radius_;
  for (std::size_t f = 0; f < coefficients.size(); ++f) {
    const auto& cv = variable(p, coefficients[f]);
    if (coefficients[f].id == x.id) throw Error(who + "the unknown '" + xv.name + "' is also a coefficient");
    if (cv.value.ghost() < need) {
      throw Error(who + "coefficient '" + cv.name + "' has ghost width " + std::to_string(cv.value.ghost()) + "; the " +
                  to_string(form_) + " adjoint of a radius-" + std::to_string(radius_) + " stencil needs " +
                  std::to_string(need));
    }
    coefficients_.push_back(coefficients[f].id);
  }
  if (!(options_.relative_tolerance >= 0.0) || !(options_.absolute_tolerance >= 0.0) ||
      (options_.relative_tolerance == 0.0 && options_.absolute_tolerance == 0.0)) {
    throw Error(who + "needs relative_tolerance > 0 or absolute_tolerance > 0 (got " +
                sci(options_.relative_tolerance) + ", " + sci(options_.absolute_tolerance) + ")");
  }
  if (options_.max_iterations < 1) {
    throw Error(who + "max_iterations must be at least 1, got " + std::to_string(options_.max_iterations));
  }
  const auto dec = xv.value.decomposition_ptr();
  solution_ = Field<double>(dec, xv.name + "_solution", components_, need);
  d_ = Field<double>(dec, xv.name + "_cg_direction", components_, radius_);
  q_ = Field<double>(dec, xv.name + "_cg_product", components_, radius_);
  r_ = Field<double>(dec, xv.name + "_cg_residual", components_, 0);
  z_ = Field<double>(dec, xv.name + "_cg_preconditioned", components_, 0);
  rhs_ = Field<double>(dec, xv.name + "_cg_rhs", components_, 0);
  iterate_ = Field<double>(dec, xv.name + "_cg_iterate", components_, 0);
  inverse_diagonal_ = Field<double>(dec, xv.name + "_inverse_diagonal", components_, 0);
  x_bar_scratch_ = solution_.clone_layout(xv.name + "_unused_adjoint");
  if (need > 0) check_boundary(solution_, options_.boundary);
  if (xv.value.ghost() > 0) check_boundary(xv.value, options_.boundary);
}

std::string LinearSolveBase::describe(const Program& p) const {
  std::ostringstream os;
  os << name_ << ": A(";
  for (std::size_t f = 0; f < coefficients_.size(); ++f) os << (f ? ", " : "") << p.name(Var{coefficients_[f]});
  os << ") " << p.name(Var{x_}) << " = " << p.name(Var{b_}) << " by CG (" << to_string(options_.preconditioner)
     << ", rtol " << options_.relative_tolerance << ", at most " << options_.max_iterations
     << " iterations), stencil radius " << radius_ << ", implicit tangent/adjoint, coefficient adjoint "
     << to_string(form_);
  return os.str();
}

void LinearSolveBase::fill_direction_ghosts(Program& p, bool homogeneous) {
  if (radius_ == 0) return;
  halo(p, direction_pattern_, radius_).exchange(d_);
  apply_boundary(d_, options_.boundary, components_, 1, homogeneous);
}

void LinearSolveBase::apply_operator(Program& p) {
  fill_direction_ghosts(p, true);
  apply_bound();
}

void LinearSolveBase::prepare_preconditioner(Program& p) {
  if (options_.preconditioner != Preconditioner::Jacobi) return;
  bound_diagonal(inverse_diagonal_);
  const double bad = ordered_global_sum(
      p.decomposition().comm(), invert_positive_diagonal(inverse_diagonal_.view(), owned_cells(p.decomposition())));
  if (bad > 0.0) {
    // Report the smallest diagonal entry (recomputed: the inverse overwrote it).
    bound_diagonal(inverse_diagonal_);
    const double local_min = local_min_value(inverse_diagonal_.view(), owned_cells(p.decomposition()));
    const double smallest = -global_max(p.decomposition().comm(), -local_min);
    throw Error("linear_solve (" + name_ + "): the operator's diagonal is not positive in " +
                std::to_string(static_cast<std::int64_t>(bad)) + " value(s) (smallest " + sci(smallest) +
                "), so A is not positive definite: check the coefficients (a negative conductivity?) and the sign "
                "of the operator (CG needs A symmetric positive definite)");
  }
}

void LinearSolveBase::check_operator(Program& p) {
  const std::string who = "linear_solve (" + name_ + "): ";
  // Linear: K(0) must vanish (constant terms belong in the right-hand side).
  fill_all(d_, 0.0);
  apply_bound();
  const std::int64_t nonfinite = count_nonfinite(q_);
  if (nonfinite > 0) {
    throw Error(who + "the operator kernel gives " + std::to_string(nonfinite) +
                " non-finite value(s) for x = 0: are the coefficients finite?");
  }
  const double k0 = max_abs(q_);
  if (k0 != 0.0) {
    throw Error(who + "the operator kernel is not linear in x: K(0) has max |value| " + sci(k0) +
                "; move constant terms (sources) to the right-hand side b");
  }
  // Symmetric: <A u, v> = <u, A v> for two fixed probe fields.
  fill_probe(d_, 0x5eed0001u);
  apply_operator(p);
  copy(r_, q_);  // A u
  fill_probe(d_, 0x5eed0002u);
  apply_operator(p);  // q = A v, d = v
  fill_probe(z_, 0x5eed0001u);
  const double au_v = dot(r_, d_), u_av = dot(z_, q_);
  const double scale = std::max(norm2(r_) * norm2(d_), norm2(z_) * norm2(q_));
  if (!(std::abs(au_v - u_av) <= 1e-10 * scale)) {
    throw Error(who + "the operator is not symmetric with these boundary conditions: <A u, v> = " + sci(au_v) +
                " but <u, A v> = " + sci(u_av) +
                " for probe fields u, v (CG and the implicit adjoint need A symmetric positive definite)");
  }
}

LinearSolveRecord LinearSolveBase::cg(Program& p, const Field<double>& rhs, const Field<double>& x, bool zero_start,
                                      const char* what) {
  const std::string who = "linear_solve (" + name_ + ", " + what + "): ";
  const MPI_Comm comm = p.decomposition().comm();
  const double bnorm = norm2(rhs);
  if (!std::isfinite(bnorm)) throw Error(who + "the right-hand side holds non-finite values");
  const double tolerance = std::max(options_.relative_tolerance * bnorm, options_.absolute_tolerance);
  const bool jacobi = options_.preconditioner == Preconditioner::Jacobi;

  // r = rhs - A x
  if (zero_start) {
    fill(x, 0.0);
    copy(r_, rhs);
  } else {
    block_update(d_, 0, 0.0, x, 0, 1.0, components_);
    apply_operator(p);
    block_update(r_, 0, 0.0, rhs, 0, 1.0, components_);
    block_update(r_, 0, 1.0, q_, 0, -1.0, components_);
  }
  const CgVectors vectors{
      r_.view(),    z_.view(),   inverse_diagonal_.view(),        d_.view(),   q_.view(), x.view(), shift_of(d_),
      shift_of(q_), shift_of(x), p.decomposition().owned_cells(), components_, jacobi};
  const auto policy = rows(p.decomposition());
  // z = M^-1 r; global sums (r.r, r.z); optionally preceded by x += alpha d, r -= alpha q.
  auto update = [&](bool step, double alpha) {
    const TwoSums s = cg_update(vectors, policy, step, alpha);
    double sums[2] = {s.a, jacobi ? s.b : s.a};
    ordered_global_sums(comm, sums, 2);
    return std::make_pair(sums[0], sums[1]);
  };
  auto next_direction = [&](double beta) { cg_next_direction(vectors, policy, beta); };
  auto curvature_of = [&]() { return ordered_global_sum(comm, cg_local_curvature(vectors, policy)); };

  const auto first = update(false, 0.0);
  double rr = first.first, rz = first.second;
  LinearSolveRecord rec;
  auto relative = [&](double r2) { return bnorm > 0.0 ? std::sqrt(r2) / bnorm : std::sqrt(r2); };
  if (!(std::sqrt(rr) <= tolerance)) {
    next_direction(0.0);
    bool converged = false;
    for (int it = 1; it <= options_.max_iterations; ++it) {
      apply_operator(p);
      const double curvature = curvature_of();
      if (!(curvature > 0.0)) {
        throw Error(who + "the operator is not positive definite: d^T A d = " + sci(curvature) +
                    " <= 0 at CG iteration " + std::to_string(it) + " (relative residual " + sci(relative(rr)) +
                    "); check the coefficients (a negative conductivity?) and the operator's sign");
      }
      const double alpha = rz / curvature;
      const auto sums = update(true, alpha);
      rec.iterations = it;
      if (std::sqrt(sums.first) <= tolerance) {
        rr = sums.first;
        converged = true;
        break;
      }
      if (!std::isfinite(sums.first)) {
        throw Error(who + "the CG residual became non-finite at iteration " + std::to_string(it));
      }
      next_direction(sums.second / rz);
      rr = sums.first;
      rz = sums.second;
    }
    if (!converged) {
      throw Error(who + "CG did not converge in " + std::to_string(options_.max_iterations) +
                  " iterations: relative residual " + sci(relative(rr)) + " > tolerance " +
                  sci(tolerance / (bnorm > 0.0 ? bnorm : 1.0)) +
                  " (raise max_iterations or the tolerance, or check the conditioning of the operator)");
    }
  }
  rec.relative_residual = relative(rr);
  return rec;
}

void LinearSolveBase::fill_solution_ghosts(Program& p, const Field<double>& x) {
  if (x.ghost() == 0) return;
  halo(p, HaloPattern::Box, x.ghost()).exchange(x);
  apply_boundary(x, options_.boundary, components_, 1, false);
}

void LinearSolveBase::primal_solve(Program& p) {
  const auto t0 = std::chrono::steady_clock::now();
  bind(p, false);
  if (options_.check_operator && !checked_) {
    check_operator(p);
    checked_ = true;
  }
  prepare_preconditioner(p);
  const auto& xv = variable(p, x_);
  // Right side: b minus the lift of the Dirichlet values, K(E(0)).
  copy(rhs_, variable(p, b_).value);
  if (has_dirichlet_offset(options_.boundary, p.decomposition().grid())) {
    fill_all(d_, 0.0);
    fill_direction_ghosts(p, false);
    apply_bound();
    block_update(rhs_, 0, 1.0, q_, 0, -1.0, components_);
  }
  if (options_.warm_start) copy(solution_, xv.value);
  LinearSolveRecord rec = cg(p, rhs_, solution_, !options_.warm_start, "forward");
  fill_solution_ghosts(p, solution_);
  copy(xv.value, solution_);
  if (xv.value.ghost() > 0) fill_solution_ghosts(p, xv.value);
  rec.seconds = seconds_since(t0);
  stats_->last_forward = rec;
  stats_->forward_solves += 1;
  stats_->forward_iterations += rec.iterations;
  stats_->forward_seconds += rec.seconds;
}

void LinearSolveBase::forward(Program& p) {
  primal_solve(p);
}

void LinearSolveBase::ensure_tangent_scratch(int directions) {
  if (scratch_directions_ == directions) return;
  const auto dec = solution_.decomposition_ptr();
  zero_tangent_ = Field<double>(dec, solution_.name() + "_tangent_zero", components_ * directions, solution_.ghost());
  product_tangent_ = Field<double>(dec, q_.name() + "_tangent", components_ * directions, q_.ghost());
  scratch_directions_ = directions;
}

void LinearSolveBase::tangent(Program& p, int directions) {
  primal_solve(p);
  const auto t0 = std::chrono::steady_clock::now();
  ensure_tangent_scratch(directions);
  auto& xv = variable(p, x_);
  const Field<double>& b_dot = variable(p, b_).tangent;
  if (!coefficients_.empty()) coefficient_tangent(p, directions, solution_, zero_tangent_, product_tangent_);
  LinearSolveRecord total;
  for (int n = 0; n < directions; ++n) {
    // A x_dot = b_dot - (dK/dp p_dot)(E(x))
    block_update(rhs_, 0, 0.0, b_dot, n * components_, 1.0, components_);
    if (!coefficients_.empty()) block_update(rhs_, 0, 1.0, product_tangent_, n * components_, -1.0, components_);
    const LinearSolveRecord rec = cg(p, rhs_, iterate_, true, "tangent");
    block_update(xv.tangent, n * components_, 0.0, iterate_, 0, 1.0, components_);
    total.iterations += rec.iterations;
    total.relative_residual = std::max(total.relative_residual, rec.relative_residual);
    stats_->tangent_solves += 1;
    stats_->tangent_iterations += rec.iterations;
  }
  if (xv.value.ghost() > 0) {
    // The ghost fill of x, linearised (as the exchange and boundary operations do).
    halo(p, HaloPattern::Box, xv.value.ghost()).exchange(xv.tangent);
    apply_boundary(xv.tangent, options_.boundary, components_, directions, true);
  }
  total.seconds = seconds_since(t0);
  stats_->last_tangent = total;
  stats_->tangent_seconds += total.seconds;
}

void LinearSolveBase::reverse(Program& p) {
  if (p.reverse_seeds() != 1) {
    throw Error("linear solve of '" + p.name(Var{x_}) + "': a vector reverse (" + std::to_string(p.reverse_seeds()) +
                " seeds) is not supported; call prepare_reverse(1) and reverse one seed at a time");
  }
  const auto t0 = std::chrono::steady_clock::now();
  bind(p, true);
  prepare_preconditioner(p);
  auto& xv = variable(p, x_);
  const Field<double>& x_bar = xv.adjoint;
  if (xv.value.ghost() > 0) {
    // Transpose of the ghost fill of x in forward: boundary first, then exchange.
    apply_boundary_transpose(x_bar, options_.boundary, components_);
    if (xv.ghost_adjoint_pending) {
      halo(p, HaloPattern::Box, xv.value.ghost()).exchange_adjoint(x_bar);
      xv.ghost_adjoint_pending = false;
    }
  }
  // A lambda = x_bar (A symmetric), b_bar += lambda, p_bar -= (dK/dp)^T lambda.
  copy(rhs_, x_bar);
  const LinearSolveRecord rec = cg(p, rhs_, iterate_, true, "adjoint");
  axpy(variable(p, b_).adjoint, 1.0, iterate_);
  if (!coefficients_.empty()) {
    block_update(d_, 0, 0.0, iterate_, 0, -1.0, components_);
    fill_all(x_bar_scratch_, 0.0);
    coefficient_adjoint(p, solution_, d_, x_bar_scratch_, form_);
  }
  fill_all(x_bar, 0.0);  // x was overwritten
  LinearSolveRecord done = rec;
  done.seconds = seconds_since(t0);
  stats_->last_adjoint = done;
  stats_->adjoint_solves += 1;
  stats_->adjoint_iterations += rec.iterations;
  stats_->adjoint_seconds += done.seconds;
}

}  // namespace detail
}  // namespace undertow
