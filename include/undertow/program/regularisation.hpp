// Regularisation terms of an objective: penalties on the roughness of a field,
// appended to a program like its other objective terms (Program::objective_sum,
// Program::objective_misfit) and differentiated exactly like them.
//
// With cell widths h_d and cell volume V = h_0 h_1 h_2 (the grid's dimensions),
// Delta_d x(c) = x(c + e_d) - x(c) over every face of the grid (faces across a
// periodic boundary included, none across a wall), summed over components:
//
//   objective_smoothness:      J += weight / 2 * sum_faces V (Delta_d x / h_d)^2
//                                   (weight / 2 * integral of |grad x|^2)
//   objective_total_variation: J += weight * sum_cells V (sqrt(|D x(c)|^2 + eps^2) - eps),
//                                   |D x(c)|^2 = sum_d (Delta_d x(c) / h_d)^2 over the
//                                   faces on the upper side of c (smoothed TV; 0 for a
//                                   constant field)
//
// The Tikhonov term on the field itself is Program::objective_misfit against a
// reference (prior) field. Each term exchanges its own copy of x's ghost cells,
// so x needs no exchange (or ghost layer) of its own, and its reverse adds to
// owned cells only (a gather: bitwise the same on any decomposition). Typically
// appended to the Final section for a Parameter (it then runs once per
// objective); in the Step section it adds up in every step.
#pragma once

#include "undertow/program/program.hpp"

namespace undertow {

/// Appends J += weight / 2 * integral of |grad x|^2 (see above). weight >= 0.
void objective_smoothness(Program& program, Var x, double weight = 1.0);

/// Appends J += weight * integral of (sqrt(|grad x|^2 + epsilon^2) - epsilon), a
/// total variation smoothed by epsilon > 0 (in the units of |grad x|), so that it
/// is differentiable where grad x = 0. weight >= 0.
void objective_total_variation(Program& program, Var x, double weight, double epsilon);

}  // namespace undertow
