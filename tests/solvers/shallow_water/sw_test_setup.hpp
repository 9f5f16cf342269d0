// Small shallow-water set-ups shared by the solver's tests: a walled basin with a
// non-flat bed, an island (land cells, so the coastline walls are exercised) and
// an offshore hump of water; sizes split over 1-4 ranks with two ghost layers.
#pragma once

#include <cmath>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "test_util.hpp"
#include "undertow/solvers/shallow_water.hpp"

namespace sw_test {

using undertow::solvers::ShallowWaterParameters;
using undertow::solvers::ShallowWaterSolver;
using undertow::solvers::TimeScheme;

constexpr double kLx = 24000.0, kLy = 20000.0;  // metres

inline undertow::GridSpec basin_grid(int nx = 24, int ny = 20) {
  return undertow::GridSpec::rect(nx, ny, {false, false}, {kLx, kLy});
}

/// 40-60 m deep, a ridge, and an island (depth < 0) near (17 km, 13 km).
inline double basin_depth(double x, double y, double = 0.0) {
  const double ridge = 15.0 * std::exp(-std::pow((x - 10000.0) / 3000.0, 2));
  const double island = 70.0 * std::exp(-(std::pow(x - 17000.0, 2) + std::pow(y - 13000.0, 2)) / std::pow(2200.0, 2));
  return 55.0 - 5.0 * std::sin(2.0e-4 * y + 1.0e-4 * x) - ridge - island;
}

/// A 1.5 m hump offshore.
inline double basin_hump(double x, double y, double = 0.0) {
  return 1.5 * std::exp(-(std::pow(x - 7000.0, 2) + std::pow(y - 8000.0, 2)) / (2.0 * std::pow(2000.0, 2)));
}

/// The basin's parameters: the depth, the hump, 5 m minimum depth, a gauge east of the ridge.
inline ShallowWaterParameters basin_parameters(TimeScheme scheme = TimeScheme::ForwardEuler) {
  ShallowWaterParameters p;
  p.scheme = scheme;
  p.depth_function = [](double x, double y, double) { return basin_depth(x, y); };
  p.initial_elevation = [](double x, double y, double) { return basin_hump(x, y); };
  p.min_depth = 5.0;
  p.gauge = {15000.0, 9000.0, 1500.0};
  p.safety = 0.7;
  return p;
}

inline std::unique_ptr<ShallowWaterSolver> basin(MPI_Comm comm, const ShallowWaterParameters& p) {
  return std::make_unique<ShallowWaterSolver>(basin_grid(), comm, p);
}

}  // namespace sw_test
