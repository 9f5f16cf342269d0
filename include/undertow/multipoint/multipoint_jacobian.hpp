// MultipointJacobian: the dense Jacobian dz/dx of a multipoint model.
//
// Rows are the responses in global order (point 0's first), columns the design
// variables; storage is row-major. Every rank holds an identical copy: the driver
// assembles it from pieces all-gathered in a fixed order, so it is bitwise the same
// everywhere. Small by construction (responses x design variables of the model),
// so plain host memory.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "undertow/core/error.hpp"

namespace undertow {

class MultipointJacobian {
 public:
  MultipointJacobian() = default;
  MultipointJacobian(int rows, int cols)
      : rows_(rows), cols_(cols), values_(static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols), 0.0) {}

  int rows() const { return rows_; }
  int cols() const { return cols_; }
  double& operator()(int r, int c) { return values_[index(r, c)]; }
  double operator()(int r, int c) const { return values_[index(r, c)]; }
  /// Row-major values.
  const std::vector<double>& values() const { return values_; }
  std::vector<double> row(int r) const {
    return std::vector<double>(values_.begin() + static_cast<std::ptrdiff_t>(index(r, 0)),
                               values_.begin() + static_cast<std::ptrdiff_t>(index(r, 0) + cols_));
  }
  std::vector<double> column(int c) const {
    std::vector<double> out(static_cast<std::size_t>(rows_));
    for (int r = 0; r < rows_; ++r) out[static_cast<std::size_t>(r)] = (*this)(r, c);
    return out;
  }
  /// Largest |entry| (NaN if any entry is NaN).
  double max_abs() const {
    double m = 0;
    for (double v : values_) m = nan_max(m, std::fabs(v));
    return m;
  }
  /// Largest |this - other| entry (NaN if any is NaN); throws Error if the shapes differ.
  double max_abs_difference(const MultipointJacobian& other) const {
    if (other.rows_ != rows_ || other.cols_ != cols_) {
      throw Error("MultipointJacobian: comparing a " + std::to_string(rows_) + "x" + std::to_string(cols_) +
                  " with a " + std::to_string(other.rows_) + "x" + std::to_string(other.cols_) + " Jacobian");
    }
    double m = 0;
    for (std::size_t n = 0; n < values_.size(); ++n) m = nan_max(m, std::fabs(values_[n] - other.values_[n]));
    return m;
  }

 private:
  // NaN must not hide in a comparison: a NaN entry makes the result NaN.
  static double nan_max(double a, double b) { return (b > a || b != b) ? b : a; }
  std::size_t index(int r, int c) const {
    return static_cast<std::size_t>(r) * static_cast<std::size_t>(cols_) + static_cast<std::size_t>(c);
  }

  int rows_ = 0;
  int cols_ = 0;
  std::vector<double> values_;
};

}  // namespace undertow
