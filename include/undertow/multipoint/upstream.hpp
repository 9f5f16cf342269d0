// Upstream: the cheap shared map from design variables x to derived inputs y.
//
// Every point of a multipoint model reads the same y = f(x). The upstream is small
// (geometry parameters, operating conditions, a few hundred values at most) and is
// evaluated redundantly on every rank, so each rank group owns a private copy of x,
// y and their derivatives: that is what lets all groups back-propagate at once
// instead of queueing their adjoints through one shared copy. An implementation
// must therefore be deterministic (same bits on every rank for the same x; the
// driver checks y) and must not communicate. `jvp` and `vjp` are the products
// with the Jacobian dy/dx at x. `IdentityUpstream` (y = x) serves models whose
// points read the design variables directly.
#pragma once

#include <vector>

namespace undertow {

class Upstream {
 public:
  virtual ~Upstream() = default;

  /// Sizes of x and y.
  virtual int num_inputs() const = 0;
  virtual int num_outputs() const = 0;
  /// y = f(x).
  virtual std::vector<double> evaluate(const std::vector<double>& x) = 0;
  /// ydot = (dy/dx)(x) xdot.
  virtual std::vector<double> jvp(const std::vector<double>& x, const std::vector<double>& xdot) = 0;
  /// xbar = ybar^T (dy/dx)(x).
  virtual std::vector<double> vjp(const std::vector<double>& x, const std::vector<double>& ybar) = 0;
};

/// y = x, for points that read the design variables themselves.
class IdentityUpstream : public Upstream {
 public:
  explicit IdentityUpstream(int n) : n_(n) {}
  int num_inputs() const override { return n_; }
  int num_outputs() const override { return n_; }
  std::vector<double> evaluate(const std::vector<double>& x) override { return x; }
  std::vector<double> jvp(const std::vector<double>&, const std::vector<double>& xdot) override { return xdot; }
  std::vector<double> vjp(const std::vector<double>&, const std::vector<double>& ybar) override { return ybar; }

 private:
  int n_;
};

}  // namespace undertow
