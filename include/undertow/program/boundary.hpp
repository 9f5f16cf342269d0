// Boundary conditions as an operation on ghost cells, with its exact transpose.
//
// At a non-periodic face of the grid, ghost layer m (m = 1..ghost) is filled from
// the interior layer m - 1 mirrored across the face: ghost = sign * interior +
// offset, per component. This covers Neumann / zero-gradient (sign +1), Dirichlet
// with face value g (sign -1, offset 2g: the linear interpolant is g at the face)
// and reflective walls (sign +1, except -1 for the momentum component normal to the
// face). Extrapolation (outflow) instead copies the interior cell next to the face
// into every ghost layer (zero-order extrapolation; identical to Neumann for one
// ghost layer). Periodic faces are the halo exchange's business and are skipped;
// so are faces of dimensions the grid does not use (they have no ghosts), so a
// condition set there (BoundaryConditions::all on a 1D or 2D grid) is ignored.
// Faces are filled x, then y, then z over the full extent of the other dimensions,
// ghosts included, so corners are consistent; the transpose runs z, y, x and adds
// sign * ghost_bar into the interior cell the ghost was filled from, then zeroes
// the ghost.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "undertow/field/field.hpp"

namespace undertow {

struct FaceCondition {
  enum class Kind { None, Neumann, Dirichlet, Reflect, Extrapolate };
  Kind kind = Kind::None;
  double value = 0.0;         // Dirichlet face value
  int normal_component = -1;  // Reflect: the component that changes sign

  static FaceCondition none() { return {}; }
  static FaceCondition neumann() { return {Kind::Neumann, 0.0, -1}; }
  static FaceCondition dirichlet(double value) { return {Kind::Dirichlet, value, -1}; }
  static FaceCondition reflect(int normal_component) { return {Kind::Reflect, 0.0, normal_component}; }
  /// Every ghost layer = the interior cell next to the face (outflow).
  static FaceCondition extrapolate() { return {Kind::Extrapolate, 0.0, -1}; }
};

/// One FaceCondition per face: face[d][0] lower, face[d][1] upper side of dimension d.
struct BoundaryConditions {
  std::array<std::array<FaceCondition, 2>, 3> face{};

  /// `c` on every face (those of dimensions the grid does not use are ignored).
  static BoundaryConditions all(FaceCondition c) {
    BoundaryConditions b;
    for (auto& dimension : b.face) dimension = {c, c};
    return b;
  }
  /// Reflective walls for a vector-valued field whose components 1..dim are the
  /// x, y, z momenta (shallow water (h, hu, hv), Euler, ...).
  static BoundaryConditions reflective_walls(int dim) {
    BoundaryConditions b;
    for (int d = 0; d < dim; ++d) b.face[d] = {FaceCondition::reflect(d + 1), FaceCondition::reflect(d + 1)};
    return b;
  }
  /// `c` on every non-periodic face of `grid`'s dimensions; none on periodic ones.
  static BoundaryConditions walls(const GridSpec& grid, FaceCondition c);
  /// Whether no face has a condition (a fill with these conditions does nothing).
  bool empty() const;
  BoundaryConditions& set(int dimension, int side, FaceCondition c) {
    face[dimension][side] = c;
    return *this;
  }
};

/// Fills (or transposes the filling of) the ghost cells of `f` at the faces of
/// `bc` that are non-periodic grid boundaries owned by this rank. `components`
/// is the number of physical components; `directions` > 1 treats `f` as a
/// tangent field with directions * components components (direction-major) and
/// applies the linear part only. `linear_only` drops Dirichlet offsets.
void apply_boundary(const Field<double>& f, const BoundaryConditions& bc, int components, int directions,
                    bool linear_only);
/// The transpose, on an adjoint field of any number of seeds (f_bar.components()
/// = seeds * components, seed-major).
void apply_boundary_transpose(const Field<double>& f_bar, const BoundaryConditions& bc, int components);

/// Throws if the conditions cannot apply to `f` (a reflect component out of
/// range, a condition on a periodic face, or owned cells fewer than ghosts at a
/// mirrored wall).
void check_boundary(const Field<double>& f, const BoundaryConditions& bc);

std::string describe(const BoundaryConditions& bc, int dim);

}  // namespace undertow
