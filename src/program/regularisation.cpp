#include "undertow/program/regularisation.hpp"

#include <Kokkos_Core.hpp>
#include <cmath>
#include <memory>
#include <sstream>
#include <string>

#include "undertow/ad/math.hpp"
#include "undertow/core/error.hpp"
#include "undertow/field/field_ops.hpp"
#include "undertow/halo/halo.hpp"

namespace undertow {
namespace {

using Policy4 = Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<4>>;

/// Which faces of the grid a local cell has, and their 1/h^2: a POD for kernels.
struct Faces {
  int dim = 1;
  double inv_h2[3] = {0.0, 0.0, 0.0};
  std::int64_t origin[3] = {0, 0, 0};  // global index of local index 0
  std::int64_t cells[3] = {1, 1, 1};
  bool periodic[3] = {false, false, false};

  /// Whether local cell index `local` along d has a face on `side` (+1 or -1).
  KOKKOS_INLINE_FUNCTION bool has(int d, int local, int side) const {
    if (periodic[d]) return true;
    const std::int64_t neighbour = origin[d] + local + side;
    return neighbour >= 0 && neighbour < cells[d];
  }
};

Faces faces_of(const Field<double>& f) {
  const GridSpec& g = f.decomposition().grid();
  Faces faces;
  faces.dim = g.dim;
  for (int d = 0; d < 3; ++d) {
    const double h = g.spacing(d);
    faces.inv_h2[d] = d < g.dim ? 1.0 / (h * h) : 0.0;
    faces.origin[d] = f.global_index(d, 0);
    faces.cells[d] = g.cells[d];
    faces.periodic[d] = g.periodic[d];
  }
  return faces;
}

double cell_volume(const GridSpec& g) {
  double v = 1.0;
  for (int d = 0; d < g.dim; ++d) v *= g.spacing(d);
  return v;
}

Policy4 owned_policy(const Field<double>& f, int components) {
  const Box b = f.owned_box();
  return Policy4({0, b.lo[0], b.lo[1], b.lo[2]}, {components, b.hi[0], b.hi[1], b.hi[2]});
}

/// Offsets of the unit step along d, as (di, dj, dk).
KOKKOS_INLINE_FUNCTION int step_of(int d, int e) {
  return d == e ? 1 : 0;
}

/// For the cell (i, j, k): with D = its upper differences over h and
/// g = sqrt(|D|^2 + eps^2), sum_d D_d / (h_d g) when only_d < 0, else
/// D_only_d / (h_only_d g) (0 without that face).
template <class View>
KOKKOS_INLINE_FUNCTION double upper_differences_over_norm(const View& v, const Faces& f, double eps, int c, int i,
                                                          int j, int k, int only_d) {
  const int at[3] = {i, j, k};
  double diff[3] = {0.0, 0.0, 0.0};
  double norm2 = eps * eps;
  for (int d = 0; d < f.dim; ++d) {
    if (!f.has(d, at[d], 1)) continue;
    diff[d] = v(c, i + step_of(d, 0), j + step_of(d, 1), k + step_of(d, 2)) - v(c, i, j, k);
    norm2 += f.inv_h2[d] * diff[d] * diff[d];
  }
  const double g = undertow::sqrt(norm2);
  double s = 0.0;
  for (int d = 0; d < f.dim; ++d) {
    if (only_d < 0 || only_d == d) s += f.inv_h2[d] * diff[d] / g;
  }
  return s;
}

/// dst (one ghost layer) = components [c0, c0 + nc) of src on owned cells,
/// then its ghosts exchanged: the values the penalty's stencil reads.
void fill_copy(Halo& halo, const Field<double>& dst, const Field<double>& src, int c0) {
  auto d = dst.view();
  auto s = src.view();
  const int sx = src.ghost(0) - dst.ghost(0), sy = src.ghost(1) - dst.ghost(1), sz = src.ghost(2) - dst.ghost(2);
  Kokkos::parallel_for(
      "undertow::roughness_penalty_copy", owned_policy(dst, dst.components()),
      KOKKOS_LAMBDA(int c, int i, int j, int k) { d(c, i, j, k) = s(c0 + c, i + sx, j + sy, k + sz); });
  halo.exchange(dst);
}

/// The global sum of term(c, i, j, k) over x's owned cells and components.
template <class Term>
double sum_over_cells(const char* name, const Field<double>& x, const Term& term) {
  double local = 0.0;
  Kokkos::parallel_reduce(
      name, owned_policy(x, x.components()),
      KOKKOS_LAMBDA(int c, int i, int j, int k, double& acc) { acc += term(c, i, j, k); }, local);
  return detail::ordered_global_sum(x.decomposition().comm(), local);
}

/// sum over components and faces of (Delta a)(Delta b) / h^2 (global).
double face_sum(const Faces& f, const Field<double>& a, const Field<double>& b) {
  auto va = a.view(), vb = b.view();
  return sum_over_cells(
      "undertow::roughness_penalty_faces", a, KOKKOS_LAMBDA(int c, int i, int j, int k) {
        const int at[3] = {i, j, k};
        double s = 0.0;
        for (int d = 0; d < f.dim; ++d) {
          if (!f.has(d, at[d], 1)) continue;
          const int ni = i + step_of(d, 0), nj = j + step_of(d, 1), nk = k + step_of(d, 2);
          s += f.inv_h2[d] * (va(c, ni, nj, nk) - va(c, i, j, k)) * (vb(c, ni, nj, nk) - vb(c, i, j, k));
        }
        return s;
      });
}

/// sum over components and cells of sqrt(|D x|^2 + eps^2) - eps, or with x_dot
/// valid of its tangent (D x . D x_dot) / sqrt(|D x|^2 + eps^2) (global).
double tv_sum(const Faces& f, double eps, const Field<double>& x, const Field<double>& x_dot = {}) {
  auto v = x.view();
  auto t = x_dot.valid() ? x_dot.view() : x.view();
  const bool tangent = x_dot.valid();
  return sum_over_cells(
      "undertow::roughness_penalty_tv", x, KOKKOS_LAMBDA(int c, int i, int j, int k) {
        const int at[3] = {i, j, k};
        double norm2 = eps * eps, inner = 0.0;
        for (int d = 0; d < f.dim; ++d) {
          if (!f.has(d, at[d], 1)) continue;
          const int ni = i + step_of(d, 0), nj = j + step_of(d, 1), nk = k + step_of(d, 2);
          const double diff = v(c, ni, nj, nk) - v(c, i, j, k);
          norm2 += f.inv_h2[d] * diff * diff;
          inner += f.inv_h2[d] * diff * (t(c, ni, nj, nk) - t(c, i, j, k));
        }
        return tangent ? inner / undertow::sqrt(norm2) : undertow::sqrt(norm2) - eps;
      });
}

/// A penalty on the differences of x across faces. The term keeps its own copy of
/// x (one ghost layer, Box-exchanged), so that x needs no exchange of its own.
class RoughnessPenalty : public Operation {
 public:
  enum class Kind { Smoothness, TotalVariation };

  RoughnessPenalty(Program& p, Var x, Kind kind, double weight, double epsilon)
      : x_(x.id), kind_(kind), weight_(weight), epsilon_(epsilon) {
    const Field<double>& value = variable(p, x_).value;
    copy_ = Field<double>(value.decomposition_ptr(), p.name(x) + "_regularised", value.components(), 1);
    tangent_copy_ = copy_.clone_layout(p.name(x) + "_regularised_tangent");
    faces_ = faces_of(copy_);
    volume_ = cell_volume(value.decomposition().grid());
  }

  std::string describe(const Program& p) const override {
    std::ostringstream os;
    if (kind_ == Kind::Smoothness) {
      os << "J += " << weight_ << "/2 * integral |grad " << p.name(Var{x_}) << "|^2";
    } else {
      os << "J += " << weight_ << " * total variation of " << p.name(Var{x_}) << " (epsilon " << epsilon_ << ")";
    }
    return os.str();
  }
  std::vector<int> writes() const override { return {}; }
  std::vector<int> reverse_reads() const override { return {x_}; }
  bool reverse_needs_only_values() const override { return true; }

  void forward(Program& p) override {
    fill_copy(halo(p, HaloPattern::Box, 1), copy_, variable(p, x_).value, 0);
    objective(p) +=
        weight_ * volume_ *
        (kind_ == Kind::Smoothness ? 0.5 * face_sum(faces_, copy_, copy_) : tv_sum(faces_, epsilon_, copy_));
  }

  void tangent(Program& p, int directions) override {
    forward(p);
    const Field<double>& x_dot = variable(p, x_).tangent;
    for (int n = 0; n < directions; ++n) {
      fill_copy(halo(p, HaloPattern::Box, 1), tangent_copy_, x_dot, n * copy_.components());
      const double s = kind_ == Kind::Smoothness ? face_sum(faces_, copy_, tangent_copy_)
                                                 : tv_sum(faces_, epsilon_, copy_, tangent_copy_);
      objective_tangent(p)[static_cast<std::size_t>(n)] += weight_ * volume_ * s;
    }
  }

  void reverse(Program& p) override {
    fill_copy(halo(p, HaloPattern::Box, 1), copy_, recorded(p, x_), 0);
    const Field<double>& x_bar = variable(p, x_).adjoint;
    auto v = copy_.view();
    auto bar = x_bar.view();
    const int nc = copy_.components();
    const int sx = x_bar.ghost(0) - copy_.ghost(0), sy = x_bar.ghost(1) - copy_.ghost(1),
              sz = x_bar.ghost(2) - copy_.ghost(2);
    double scale[8] = {};
    for (int m = 0; m < p.reverse_seeds(); ++m)
      scale[m] = weight_ * volume_ * p.objective_adjoints()[static_cast<std::size_t>(m)];
    const int seeds = p.reverse_seeds();
    const Faces f = faces_;
    const double eps = epsilon_;
    const bool tv = kind_ == Kind::TotalVariation;
    Kokkos::parallel_for(
        "undertow::roughness_penalty_adjoint", owned_policy(copy_, nc), KOKKOS_LAMBDA(int c, int i, int j, int k) {
          const int at[3] = {i, j, k};
          const double x0 = v(c, i, j, k);
          double d_x0 = 0.0;  // dJ/dx(i, j, k) / (weight * V)
          if (!tv) {
            for (int d = 0; d < f.dim; ++d) {
              const int a = step_of(d, 0), b = step_of(d, 1), e = step_of(d, 2);
              if (f.has(d, at[d], 1)) d_x0 += f.inv_h2[d] * (x0 - v(c, i + a, j + b, k + e));
              if (f.has(d, at[d], -1)) d_x0 += f.inv_h2[d] * (x0 - v(c, i - a, j - b, k - e));
            }
          } else {
            // This cell's own term, then the term of each lower neighbour whose
            // upper face this cell is.
            d_x0 -= upper_differences_over_norm(v, f, eps, c, i, j, k, -1);
            for (int d = 0; d < f.dim; ++d) {
              if (!f.has(d, at[d], -1)) continue;
              const int a = step_of(d, 0), b = step_of(d, 1), e = step_of(d, 2);
              d_x0 += upper_differences_over_norm(v, f, eps, c, i - a, j - b, k - e, d);
            }
          }
          for (int m = 0; m < seeds; ++m) bar(m * nc + c, i + sx, j + sy, k + sz) += scale[m] * d_x0;
        });
  }

 private:
  int x_;
  Kind kind_;
  double weight_, epsilon_;
  Field<double> copy_, tangent_copy_;
  Faces faces_;
  double volume_ = 1.0;
};

void check_weight(const char* who, double weight) {
  if (!(weight >= 0.0) || !std::isfinite(weight)) {
    std::ostringstream os;
    os << who << ": weight must be finite and >= 0, got " << weight;
    throw Error(os.str());
  }
}

}  // namespace

void objective_smoothness(Program& program, Var x, double weight) {
  check_weight("objective_smoothness", weight);
  program.append(
      std::make_unique<RoughnessPenalty>(program, x, RoughnessPenalty::Kind::Smoothness, weight, /*epsilon=*/0.0));
}

void objective_total_variation(Program& program, Var x, double weight, double epsilon) {
  check_weight("objective_total_variation", weight);
  if (!(epsilon > 0.0) || !std::isfinite(epsilon)) {
    std::ostringstream os;
    os << "objective_total_variation: epsilon must be finite and > 0 (it keeps the term differentiable where the "
          "gradient vanishes), got "
       << epsilon;
    throw Error(os.str());
  }
  program.append(
      std::make_unique<RoughnessPenalty>(program, x, RoughnessPenalty::Kind::TotalVariation, weight, epsilon));
}

}  // namespace undertow
