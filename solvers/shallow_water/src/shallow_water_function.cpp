#include "undertow/solvers/shallow_water_function.hpp"

#include <algorithm>
#include <string>

#include "undertow/solvers/shallow_water.hpp"

namespace undertow {
namespace solvers {

namespace {
CheckpointSchedule make_schedule(int steps, int snapshots) {
  if (steps < 1) throw Error("ShallowWaterFunction: steps must be >= 1, got " + std::to_string(steps));
  if (snapshots <= 0 || steps == 1) return CheckpointSchedule::store_all(steps);
  return CheckpointSchedule::binomial(steps, std::min(snapshots, steps));
}
}  // namespace

ShallowWaterFunction::ShallowWaterFunction(ShallowWaterSolver& solver, int steps, int snapshots)
    : solver_(solver), steps_(steps), schedule_(make_schedule(steps, snapshots)) {}

std::vector<Field<double>> ShallowWaterFunction::inputs() {
  return {solver_.initial_elevation_field(), solver_.bed_field()};
}

std::vector<Field<double>> ShallowWaterFunction::outputs() {
  return {solver_.state_field()};
}

double ShallowWaterFunction::evaluate() {
  solver_.reset();
  solver_.run(steps_);
  return solver_.objective();
}

double ShallowWaterFunction::tangent(const std::vector<Field<double>>& directions,
                                     const std::vector<Field<double>>& output_tangents) {
  return solver_.tangent(steps_, directions.at(0), directions.at(1), output_tangents.at(0));
}

void ShallowWaterFunction::adjoint(const std::vector<Field<double>>& weights, double objective_weight,
                                   const std::vector<Field<double>>& input_adjoints) {
  solver_.adjoint(schedule_, AdjointLoopOptions{}, weights.at(0), objective_weight);
  copy(input_adjoints.at(0), solver_.gradient_initial_elevation());
  copy(input_adjoints.at(1), solver_.gradient_bed());
}

}  // namespace solvers
}  // namespace undertow
