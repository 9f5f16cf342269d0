// The shallow-water update kernel as the kernel-level tests use it: small steps,
// depth ~10 with currents of both signs, a rough bed and some land cells.
#pragma once

#include <cmath>
#include <cstdint>

#include "undertow/solvers/shallow_water_kernels.hpp"

namespace undertow_test {

inline undertow::solvers::shallow_water::Update sw_update() {
  undertow::solvers::shallow_water::Update update;
  update.dt_over_dx = 0.01;
  update.dt_over_dy = 0.02;
  update.smoothing = 0.01;
  return update;
}

/// Value of input f (state, bed, mask), component c, at a global cell.
inline double sw_sea(int f, int c, std::int64_t i, std::int64_t j, std::int64_t) {
  if (f == 0 && c == 0) return 10.0 + std::sin(0.9 * double(i) + 0.4 * double(j));
  if (f == 0) return 2.0 * std::cos(0.7 * double(i) - 1.1 * double(j) + c);
  if (f == 1) return -0.5 + 0.3 * std::sin(1.3 * double(i) * double(j));
  return (i + 2 * j) % 5 == 0 ? 0.0 : 1.0;  // the mask
}

}  // namespace undertow_test
