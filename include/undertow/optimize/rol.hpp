// Trilinos ROL on Undertow fields: an optimiser's vector over a set of
// distributed fields, and an objective over any Differentiable (a Problem, a
// ProgramFunction), so that ROL's algorithms (line-search quasi-Newton, trust
// regions, bound constraints) run on the parameters of a program on any
// decomposition. Optional: needs ROL and Teuchos (Debian's libtrilinos-rol-dev,
// libtrilinos-teuchos-dev) and the CMake target Undertow::rol; not part of
// undertow.hpp.
//
// FieldVector's inner product is the sum over owned cells and components of
// every field, combined in rank order: every rank gets the same bits, and ROL's
// scalar decisions (step lengths, stopping tests) are the same on every rank.
// Element-wise operations (bounds, projections) act on owned cells; ghosts are
// never read or written (the program fills them).
#pragma once

#include <ROL_Elementwise_Function.hpp>
#include <ROL_Elementwise_Reduce.hpp>
#include <ROL_Objective.hpp>
#include <ROL_Vector.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "undertow/core/error.hpp"
#include "undertow/field/field_ops.hpp"
#include "undertow/verify/differentiable.hpp"
#include "undertow/verify/random.hpp"

namespace undertow {
namespace optimize {

/// A vector of ROL over fields (any number, components and ghost widths) of one
/// decomposition, owned cells only. Copies of the handle share storage; clone()
/// allocates new fields of the same layout.
class FieldVector : public ROL::Vector<double> {
 public:
  explicit FieldVector(std::vector<Field<double>> fields) : fields_(std::move(fields)) {
    if (fields_.empty()) throw Error("optimize::FieldVector: no fields");
    for (const Field<double>& f : fields_) {
      if (!f.valid()) throw Error("optimize::FieldVector: an uninitialised field");
    }
  }

  const std::vector<Field<double>>& fields() const { return fields_; }

  void plus(const ROL::Vector<double>& x) override { axpy(1.0, x); }
  void scale(const double alpha) override {
    for (const Field<double>& f : fields_) undertow::scale(f, alpha);
  }
  double dot(const ROL::Vector<double>& x) const override {
    const FieldVector& y = same_layout(x, "dot");
    double s = 0.0;
    for (std::size_t i = 0; i < fields_.size(); ++i) s += undertow::dot(fields_[i], y.fields_[i]);
    return s;
  }
  double norm() const override { return std::sqrt(dot(*this)); }
  ROL::Ptr<ROL::Vector<double>> clone() const override {
    std::vector<Field<double>> copies;
    for (const Field<double>& f : fields_) copies.push_back(f.clone_layout(f.name()));
    return ROL::makePtr<FieldVector>(std::move(copies));
  }
  void axpy(const double alpha, const ROL::Vector<double>& x) override {
    const FieldVector& y = same_layout(x, "axpy");
    for (std::size_t i = 0; i < fields_.size(); ++i) undertow::axpy(fields_[i], alpha, y.fields_[i]);
  }
  void zero() override {
    for (const Field<double>& f : fields_) fill(f, 0.0);
  }
  void set(const ROL::Vector<double>& x) override {
    const FieldVector& y = same_layout(x, "set");
    for (std::size_t i = 0; i < fields_.size(); ++i) copy(fields_[i], y.fields_[i]);
  }
  /// Global number of values (int, as ROL counts; an Error beyond its range).
  int dimension() const override {
    std::int64_t n = 0;
    for (const Field<double>& f : fields_) n += f.decomposition().grid().total_cells() * f.components();
    if (n > std::numeric_limits<int>::max()) {
      throw Error("optimize::FieldVector: " + std::to_string(n) + " values exceed ROL's int dimension");
    }
    return static_cast<int>(n);
  }
  /// The i-th unit vector in gather_global order, field after field.
  ROL::Ptr<ROL::Vector<double>> basis(const int i) const override {
    auto e = clone();
    e->zero();
    std::int64_t first = 0;
    for (const Field<double>& f : static_cast<const FieldVector&>(*e).fields_) {
      const GridSpec& g = f.decomposition().grid();
      const std::int64_t n = g.total_cells() * f.components();
      if (i >= first && i < first + n) {
        const std::int64_t at = i - first;
        const std::int64_t per_component = g.total_cells();
        const int c = static_cast<int>(at / per_component);
        const std::int64_t cell = at % per_component;
        const std::int64_t gk = cell % g.cells[2], gj = (cell / g.cells[2]) % g.cells[1],
                           gi = cell / (g.cells[2] * g.cells[1]);
        if (f.owns(gi, gj, gk)) {
          auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), f.view());
          host(c, f.local_index(0, gi), f.local_index(1, gj), f.local_index(2, gk)) = 1.0;
          Kokkos::deep_copy(f.view(), host);
        }
      }
      first += n;
    }
    return e;
  }

  void applyUnary(const ROL::Elementwise::UnaryFunction<double>& op) override {
    for (const Field<double>& f : fields_) {
      each_owned(f, [&](double& v) { v = op.apply(v); });
    }
  }
  void applyBinary(const ROL::Elementwise::BinaryFunction<double>& op, const ROL::Vector<double>& x) override {
    const FieldVector& y = same_layout(x, "applyBinary");
    for (std::size_t i = 0; i < fields_.size(); ++i) {
      auto other = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), y.fields_[i].view());
      each_owned(fields_[i], [&](double& v, int c, int a, int b, int d) { v = op.apply(v, other(c, a, b, d)); });
    }
  }
  double reduce(const ROL::Elementwise::ReductionOp<double>& r) const override {
    double local = r.initialValue();
    for (const Field<double>& f : fields_) {
      auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), f.view());
      const Box o = f.owned_box();
      for (int c = 0; c < f.components(); ++c)
        for (int i = o.lo[0]; i < o.hi[0]; ++i)
          for (int j = o.lo[1]; j < o.hi[1]; ++j)
            for (int k = o.lo[2]; k < o.hi[2]; ++k) r.reduce(host(c, i, j, k), local);
    }
    MPI_Comm comm = fields_[0].decomposition().comm();
    switch (r.reductionType()) {
      case ROL::Elementwise::REDUCE_SUM:
        return detail::ordered_global_sum(comm, local);
      case ROL::Elementwise::REDUCE_MIN:
        return all_reduce(comm, local, MPI_MIN);
      case ROL::Elementwise::REDUCE_MAX:
        return detail::global_max(comm, local);
      case ROL::Elementwise::REDUCE_AND:
        return all_reduce(comm, local, MPI_MIN);  // ROL's AND on 0/1 values
      case ROL::Elementwise::REDUCE_BOR: {
        long long bits = static_cast<long long>(local), all = 0;
        MPI_Allreduce(&bits, &all, 1, MPI_LONG_LONG, MPI_BOR, comm);
        return static_cast<double>(all);
      }
    }
    throw Error("optimize::FieldVector::reduce: unknown reduction type");
  }
  /// Uniform in [l, u], by global index: the same vector on any decomposition
  /// (ROL's default draws std::rand() per rank).
  void randomize(const double l = 0.0, const double u = 1.0) override {
    std::uint64_t seed = 1234567;
    for (const Field<double>& f : fields_) {
      fill_random(f, seed++);  // [-1, 1]
      undertow::scale(f, 0.5 * (u - l));
      each_owned(f, [&](double& v) { v += 0.5 * (u + l); });
    }
  }
  void print(std::ostream& os) const override {
    os << "FieldVector of " << fields_.size() << " field(s), " << dimension() << " values, norm " << norm() << "\n";
  }

 private:
  const FieldVector& same_layout(const ROL::Vector<double>& x, const char* what) const {
    const auto* y = dynamic_cast<const FieldVector*>(&x);
    if (y == nullptr || y->fields_.size() != fields_.size()) {
      throw Error(std::string("optimize::FieldVector::") + what + ": the other vector is not a FieldVector of " +
                  std::to_string(fields_.size()) + " field(s)");
    }
    return *y;
  }

  /// Applies op(value) or op(value, c, i, j, k) to every owned value of f on the host.
  template <class Op>
  static void each_owned(const Field<double>& f, const Op& op) {
    auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), f.view());
    const Box o = f.owned_box();
    for (int c = 0; c < f.components(); ++c)
      for (int i = o.lo[0]; i < o.hi[0]; ++i)
        for (int j = o.lo[1]; j < o.hi[1]; ++j)
          for (int k = o.lo[2]; k < o.hi[2]; ++k) {
            if constexpr (std::is_invocable_v<Op, double&>) {
              op(host(c, i, j, k));
            } else {
              op(host(c, i, j, k), c, i, j, k);
            }
          }
    Kokkos::deep_copy(f.view(), host);
  }

  static double all_reduce(MPI_Comm comm, double local, MPI_Op op) {
    double result = local;
    MPI_Allreduce(&local, &result, 1, MPI_DOUBLE, op, comm);
    return result;
  }

  std::vector<Field<double>> fields_;
};

/// ROL's objective over a Differentiable f: value(x) evaluates f with its inputs
/// set to x, gradient(g, x) runs f's adjoint with objective weight 1 (zero output
/// weights). f's inputs are the optimisation variables; the last point's value
/// is kept, so ROL's value-then-gradient at one point costs one forward sweep
/// and one gradient.
class DifferentiableObjective : public ROL::Objective<double> {
 public:
  explicit DifferentiableObjective(Differentiable& f) : f_(f) {
    if (!f_.has_objective()) throw Error("optimize::DifferentiableObjective: the function has no objective");
    for (const Field<double>& out : f_.outputs()) zero_weights_.push_back(out.clone_layout(out.name() + "_weight"));
  }

  /// A new FieldVector holding a copy of f's current inputs: the initial guess.
  ROL::Ptr<FieldVector> initial_guess() const {
    std::vector<Field<double>> copies;
    for (const Field<double>& f : f_.inputs()) copies.push_back(f.clone(f.name() + "_iterate"));
    return ROL::makePtr<FieldVector>(std::move(copies));
  }

  double value(const ROL::Vector<double>& x, double& /*tol*/) override {
    if (at_last_point(x)) return last_value_;
    set_inputs(x);
    last_value_ = f_.evaluate();
    ++evaluations_;
    // Kept only once evaluated: a failed evaluation leaves no stale value behind.
    last_point_ = ROL::staticPtrCast<FieldVector>(x.clone());
    last_point_->set(x);
    return last_value_;
  }

  void gradient(ROL::Vector<double>& g, const ROL::Vector<double>& x, double& /*tol*/) override {
    set_inputs(x);
    auto* grad = dynamic_cast<FieldVector*>(&g);
    if (grad == nullptr) throw Error("optimize::DifferentiableObjective::gradient: g is not a FieldVector");
    f_.adjoint(zero_weights_, 1.0, grad->fields());
    ++gradients_;
  }

  int evaluations() const { return evaluations_; }
  int gradients() const { return gradients_; }

 private:
  /// Whether x equals the point of the last value() on every rank (collective).
  bool at_last_point(const ROL::Vector<double>& x) const {
    if (ROL::is_nullPtr(last_point_)) return false;
    FieldVector difference = *ROL::staticPtrCast<FieldVector>(last_point_->clone());
    difference.set(x);  // checks that x is a FieldVector of the same fields
    difference.axpy(-1.0, *last_point_);
    bool same = true;
    for (const Field<double>& f : difference.fields()) same = same && max_abs(f) == 0.0;  // global: all agree
    return same;
  }

  void set_inputs(const ROL::Vector<double>& x) {
    const auto* y = dynamic_cast<const FieldVector*>(&x);
    const std::vector<Field<double>> inputs = f_.inputs();
    if (y == nullptr || y->fields().size() != inputs.size()) {
      throw Error("optimize::DifferentiableObjective: the iterate is not a FieldVector over the function's " +
                  std::to_string(inputs.size()) + " input(s)");
    }
    for (std::size_t i = 0; i < inputs.size(); ++i) copy(inputs[i], y->fields()[i]);
  }

  Differentiable& f_;
  std::vector<Field<double>> zero_weights_;  // no output weights: the objective alone
  ROL::Ptr<FieldVector> last_point_;
  double last_value_ = 0.0;
  int evaluations_ = 0, gradients_ = 0;
};

}  // namespace optimize
}  // namespace undertow
