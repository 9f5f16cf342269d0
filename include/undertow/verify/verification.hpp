// The verification harness: dot-product test, Taylor test, and their report.
//
// `verify(f, options)` checks any Differentiable at the point held in its inputs:
//  1. dot-product test <J v, w> = <v, J^T w> with reproducible random v, w (and a
//     random objective weight), error relative to |J v| |w| (Cauchy-Schwarz
//     scale), pass at `dot_tolerance` (1e-12). A point where both terms are below
//     that tolerance times their bounds (|J v| |w| and |v| |J^T w|), e.g. J v = 0
//     and J^T w = 0 for u^2 at u = 0, is reported as a degenerate test point, not
//     a pass: there any adjoint would agree;
//  2. Taylor test: the remainder |F(u + h v) - F(u) - h J v| over several
//     halvings of h must fall as h^2 (observed order near 2), or sit at round-off
//     for a linear F. When the first halvings are not second order, h keeps
//     halving: a kink of a piecewise-smooth F (limiter, upwinding, min/max, abs)
//     crossed between u and u + h v only spoils the steps that reach it, so the
//     order returns to 2 below some h (PASS, reported as non-smooth along v above
//     that h, with the orders as evidence); a wrong tangent settles at order 1
//     (FAIL); erratic orders down to round-off are reported as non-smooth with no
//     conclusion (not a pass).
// The report prints as a short table (`str()`); `passed()` combines both checks.
// Every derivative test in Undertow goes through this function, and users call it
// on their own kernels and programs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "undertow/verify/differentiable.hpp"

namespace undertow {

struct VerifyOptions {
  std::uint64_t seed = 20261122;
  /// First step of the Taylor test, relative to |u| / |v| (absolute if u = 0).
  double relative_step = 1e-2;
  int halvings = 4;
  /// Halvings in all when the first ones are not second order (see above).
  int max_halvings = 40;
  double dot_tolerance = 1e-12;
  /// Observed order must be at least this (2 is exact second order).
  double min_order = 1.8;
  /// Remainders below this fraction of |F(u + h v) - F(u)| count as round-off.
  double roundoff = 1e-10;
  std::string name = "function";
};

struct VerificationReport {
  std::string name;
  double dot_tangent = 0;   // <J v, w>
  double dot_adjoint = 0;   // <v, J^T w>
  double dot_error = 0;     // |difference| / (|J v| |w|)
  double norm_tangent = 0;  // |J v| (objective derivative included)
  double norm_adjoint = 0;  // |J^T w|
  /// Both dot terms at round-off of their bounds: the test cannot tell a right
  /// adjoint from a wrong one at this point (dot_passed is false).
  bool dot_degenerate = false;
  bool dot_passed = false;
  std::vector<double> steps;       // h
  std::vector<double> remainders;  // |F(u + h v) - F(u) - h J v|
  std::vector<double> orders;      // log2 of successive remainder ratios
  bool linear = false;             // remainders at round-off
  /// > 0: second order (or a remainder at round-off: piecewise linear) only for
  /// h <= smooth_below; the orders above it show a kink (or strong nonlinearity)
  /// between u and u + h v. Still a pass.
  double smooth_below = 0;
  /// The order settled at 1: J v is not the derivative along v.
  bool first_order = false;
  /// Neither second nor first order down to round-off: non-smooth along v, no conclusion.
  bool non_smooth = false;
  bool taylor_passed = false;
  bool passed() const { return dot_passed && taylor_passed; }
  std::string str() const;
};

/// Collective over the fields' communicator.
VerificationReport verify(Differentiable& f, const VerifyOptions& options = {});

}  // namespace undertow
