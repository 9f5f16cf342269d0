// A toy time-dependent model for the adjoint-loop tests, with a hand-written
// adjoint (a test double, not a solver).
//
// 2D grid, periodic in x, zero Dirichlet ghosts in y. One step:
//   u_{n+1} = u_n + kappa * L(u_n) - dt * a * u_n^3,  L = 5-point Laplacian stencil,
// with a halo exchange of u first. Objective
//   J = sum_cells u_N^2 / 2 + sum_{n<N} dt * sum_cells u_n^2 / 2,
// the time-distributed part accumulated in a primal scalar. Adjoint (L is
// symmetric with these boundaries):
//   lam_n = lam_{n+1} + kappa * L(lam_{n+1}) - 3 dt a u_n^2 lam_{n+1} + dt u_n,
//   dJ/da -= dt * sum(lam_{n+1} u_n^3)   (an adjoint scalar),
// and dJ/du_0 = lam_0. Every operation is per cell or an ordered global sum, so
// results are bitwise reproducible for a fixed rank and thread count.
#pragma once

#include <cmath>
#include <memory>
#include <vector>

#include "undertow/time/stepper.hpp"
#include "undertow/undertow.hpp"

namespace undertow_test {

class ToyStepper : public undertow::Stepper {
 public:
  ToyStepper(std::shared_ptr<const undertow::Decomposition> dec, double a = 0.8)
      : dec_(std::move(dec)),
        halo_(dec_, undertow::HaloPattern::Star, 1),
        u_(dec_, "u", 1, 1),
        next_(dec_, "u_next", 1, 1),
        recorded_(dec_, "u_recorded", 1, 1),
        lam_(dec_, "lambda", 1, 1),
        lam_next_(dec_, "lambda_next", 1, 1),
        a_(a) {}

  static undertow::GridSpec grid() { return undertow::GridSpec::rect(14, 11, {true, false}); }

  /// u_0 = u0_base + h * direction(i, j) (h = 0: the base state).
  void set_initial(double h = 0.0) {
    undertow::set_by_global_index<double>(u_, [h](int, std::int64_t i, std::int64_t j, std::int64_t) {
      const double x = static_cast<double>(i), y = static_cast<double>(j);
      const double base = 0.6 * std::sin(0.45 * x + 0.2) * std::cos(0.3 * y) + 0.25 * std::cos(0.9 * x * y / 7.0);
      return base + h * direction(i, j);
    });
  }
  static double direction(std::int64_t i, std::int64_t j) {
    return std::sin(1.3 * static_cast<double>(i) + 0.7 * static_cast<double>(j * j) + 0.1);
  }
  void set_a(double a) { a_ = a; }

  std::vector<undertow::Field<double>> primal_state() override { return {u_}; }
  std::vector<undertow::Field<double>> adjoint_state() override { return {lam_}; }
  std::vector<double> primal_scalars() const override { return {j_acc_}; }
  void set_primal_scalars(const std::vector<double>& v) override { j_acc_ = v.at(0); }
  std::vector<double> adjoint_scalars() const override { return {a_bar_}; }
  void set_adjoint_scalars(const std::vector<double>& v) override { a_bar_ = v.at(0); }

  void begin_forward() override { j_acc_ = 0.0; }
  void step(int) override {
    j_acc_ += kDt * 0.5 * undertow::dot(u_, u_);
    halo_.exchange(u_);
    auto u = u_.view();
    auto out = next_.view();
    const double kappa = kKappa, dta = kDt * a_;
    Kokkos::parallel_for(
        "toy_step", undertow::detail::policy(u_.owned_box(), 1), KOKKOS_LAMBDA(int c, int i, int j, int k) {
          const double v = u(c, i, j, k);
          const double lap = u(c, i + 1, j, k) + u(c, i - 1, j, k) + u(c, i, j + 1, k) + u(c, i, j - 1, k) - 4.0 * v;
          out(c, i, j, k) = v + kappa * lap - dta * v * v * v;
        });
    undertow::copy(u_, next_);
  }
  void step_record(int n) override {
    undertow::copy(recorded_, u_);
    ++records_;
    step(n);
  }
  void begin_adjoint(int) override {
    objective_ = j_acc_ + 0.5 * undertow::dot(u_, u_);
    undertow::copy(lam_, u_);
    a_bar_ = 0.0;
  }
  void step_adjoint(int) override {
    halo_.exchange(lam_);
    auto lam = lam_.view();
    auto u = recorded_.view();
    auto out = lam_next_.view();
    const double kappa = kKappa, dt = kDt, a = a_;
    Kokkos::parallel_for(
        "toy_adjoint", undertow::detail::policy(u_.owned_box(), 1), KOKKOS_LAMBDA(int c, int i, int j, int k) {
          const double l = lam(c, i, j, k), v = u(c, i, j, k);
          const double lap =
              lam(c, i + 1, j, k) + lam(c, i - 1, j, k) + lam(c, i, j + 1, k) + lam(c, i, j - 1, k) - 4.0 * l;
          out(c, i, j, k) = l + kappa * lap - 3.0 * dt * a * v * v * l + dt * v;
        });
    // dJ/da: -dt * <lam_{n+1}, u_n^3>, with u^3 formed in the scratch field.
    auto cube = next_.view();
    Kokkos::parallel_for(
        "toy_cube", undertow::detail::policy(u_.owned_box(), 1), KOKKOS_LAMBDA(int c, int i, int j, int k) {
          cube(c, i, j, k) = u(c, i, j, k) * u(c, i, j, k) * u(c, i, j, k);
        });
    a_bar_ -= dt * undertow::dot(lam_, next_);
    undertow::copy(lam_, lam_next_);
  }

  /// J for the current initial state and `a`, by a plain forward run of n steps.
  double objective(int n) {
    begin_forward();
    for (int i = 0; i < n; ++i) step(i);
    return j_acc_ + 0.5 * undertow::dot(u_, u_);
  }

  const undertow::Field<double>& u() const { return u_; }
  const undertow::Field<double>& gradient() const { return lam_; }
  double a_bar() const { return a_bar_; }
  double objective_value() const { return objective_; }
  long records() const { return records_; }

 private:
  static constexpr double kDt = 0.05;
  static constexpr double kKappa = 0.12;
  std::shared_ptr<const undertow::Decomposition> dec_;
  undertow::Halo halo_;
  undertow::Field<double> u_, next_, recorded_, lam_, lam_next_;
  double a_;
  double j_acc_ = 0.0, a_bar_ = 0.0, objective_ = 0.0;
  long records_ = 0;
};

}  // namespace undertow_test
