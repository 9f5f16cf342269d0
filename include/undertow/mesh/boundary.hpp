// Boundary conditions of a mesh, as described: one plain condition per face.
//
// A mesh file names a condition for each of the 2*dim faces (x_lower, x_upper, ...)
// from a small fixed set, and `BoundarySpec` carries them to the layer that fills
// ghost cells (the program layer's `undertow::BoundaryConditions`, which is the
// operation; this is only the description). The set, defined in meshes/README.md,
// with "mirror" = the interior cell as far inside the face as the ghost is outside:
// periodic (copy from the opposite side: the halo exchange), wall (reflective:
// ghost = mirror, and the velocity component normal to the face changes sign;
// which component that is, the solver says with a WallReflection),
// dirichlet (the face carries `value`: ghost = 2*value - mirror), neumann (zero
// normal gradient: ghost = mirror) and outflow (zero-order extrapolation: every
// ghost = the interior cell next to the face). Periodic faces come in pairs,
// exactly in the grid's periodic dimensions.
#pragma once

#include <array>
#include <string>

#include "undertow/grid/grid_spec.hpp"
#include "undertow/program/boundary.hpp"

namespace undertow {
namespace mesh {

enum class BoundaryKind { Periodic, Wall, Dirichlet, Neumann, Outflow };

/// The mesh-file spelling: "periodic", "wall", "dirichlet", "neumann", "outflow".
const char* to_string(BoundaryKind kind);
/// Inverse of to_string; also accepts "reflective" for Wall. Throws Error listing
/// the accepted names.
BoundaryKind boundary_kind_from_string(const std::string& name);

/// The condition on one face. `value` is meaningful only for Dirichlet.
struct FaceBoundary {
  BoundaryKind kind = BoundaryKind::Neumann;
  double value = 0.0;

  static FaceBoundary periodic() { return {BoundaryKind::Periodic, 0.0}; }
  static FaceBoundary wall() { return {BoundaryKind::Wall, 0.0}; }
  static FaceBoundary dirichlet(double v) { return {BoundaryKind::Dirichlet, v}; }
  static FaceBoundary neumann() { return {BoundaryKind::Neumann, 0.0}; }
  static FaceBoundary outflow() { return {BoundaryKind::Outflow, 0.0}; }

  bool operator==(const FaceBoundary& o) const { return kind == o.kind && value == o.value; }
  bool operator!=(const FaceBoundary& o) const { return !(*this == o); }
};

/// "x_lower", "x_upper", "y_lower", ... for dimension d (0-2) and side (0 lower, 1 upper).
std::string face_name(int d, int side);

/// Conditions on every face: faces[d][side], side 0 = lower, 1 = upper. Faces of
/// dimensions a grid does not use hold Neumann (a one-cell-thick dimension has no
/// gradient) and are never consulted.
struct BoundarySpec {
  std::array<std::array<FaceBoundary, 2>, 3> faces{};

  const FaceBoundary& at(int d, int side) const { return faces[static_cast<std::size_t>(d)][side ? 1 : 0]; }
  FaceBoundary& at(int d, int side) { return faces[static_cast<std::size_t>(d)][side ? 1 : 0]; }

  /// Periodic in the grid's periodic dimensions, `other` on every remaining face.
  static BoundarySpec periodic_or(const GridSpec& grid, FaceBoundary other);

  /// Throws Error naming the first face that contradicts the grid: a periodic face
  /// in a non-periodic dimension, a non-periodic face in a periodic one, or a
  /// non-finite Dirichlet value.
  void validate(const GridSpec& grid) const;
  /// One line such as "x: periodic/periodic, y: wall/dirichlet(1)".
  std::string describe(int dim) const;

  bool operator==(const BoundarySpec& o) const { return faces == o.faces; }
  bool operator!=(const BoundarySpec& o) const { return !(*this == o); }
};

/// How a field reflects at a wall: the component that changes sign at the faces
/// of each dimension (-1: none). The physics of the field decides, so a solver
/// states it explicitly.
struct WallReflection {
  std::array<int, 3> flipped{-1, -1, -1};

  /// A scalar (temperature, tracer): even reflection, zero normal gradient.
  static WallReflection scalar() { return {}; }
  /// A scalar that is itself a velocity in every direction (Burgers' u): odd
  /// reflection, u = 0 on the wall.
  static WallReflection velocity_scalar() { return {{0, 0, 0}}; }
  /// A vector whose components first, first + 1, ... are the momenta (velocities)
  /// along x, y, z (shallow water's (h, hu, hv): first = 1): the normal one flips.
  static WallReflection momentum(int first) { return {{first, first + 1, first + 2}}; }
};

/// The ghost fills for the faces of a `dim`-dimensional grid: the one place where
/// mesh kinds become fills, one meaning each (meshes/README.md). periodic: none
/// (the halo exchange); wall: reflection (`reflection` says which component
/// flips); dirichlet(v): the face carries v; neumann: zero normal gradient
/// (mirror); outflow: zero-order extrapolation (every ghost = the cell next to the
/// face). Dirichlet on a vector field sets every component's face value.
BoundaryConditions boundary_fills(const BoundarySpec& spec, int dim,
                                  const WallReflection& reflection = WallReflection::scalar());

}  // namespace mesh
}  // namespace undertow
