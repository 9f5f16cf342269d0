#include "undertow/mesh/boundary.hpp"

#include <cmath>
#include <sstream>

#include "undertow/core/error.hpp"

namespace undertow {
namespace mesh {

const char* to_string(BoundaryKind kind) {
  switch (kind) {
    case BoundaryKind::Periodic:
      return "periodic";
    case BoundaryKind::Wall:
      return "wall";
    case BoundaryKind::Dirichlet:
      return "dirichlet";
    case BoundaryKind::Neumann:
      return "neumann";
    case BoundaryKind::Outflow:
      return "outflow";
  }
  return "?";
}

BoundaryKind boundary_kind_from_string(const std::string& name) {
  for (BoundaryKind k : {BoundaryKind::Periodic, BoundaryKind::Wall, BoundaryKind::Dirichlet, BoundaryKind::Neumann,
                         BoundaryKind::Outflow}) {
    if (name == to_string(k)) return k;
  }
  if (name == "reflective") return BoundaryKind::Wall;
  throw Error("unknown boundary kind '" + name +
              "'; expected one of periodic, wall (or reflective), dirichlet, neumann, outflow");
}

std::string face_name(int d, int side) {
  static const char* axes[3] = {"x", "y", "z"};
  if (d < 0 || d > 2) throw Error("face_name: dimension must be 0, 1 or 2, got " + std::to_string(d));
  return std::string(axes[d]) + (side ? "_upper" : "_lower");
}

BoundarySpec BoundarySpec::periodic_or(const GridSpec& grid, FaceBoundary other) {
  BoundarySpec bc;
  for (int d = 0; d < grid.dim && d < 3; ++d) {
    for (int side = 0; side < 2; ++side) bc.at(d, side) = grid.periodic[d] ? FaceBoundary::periodic() : other;
  }
  return bc;
}

void BoundarySpec::validate(const GridSpec& grid) const {
  for (int d = 0; d < grid.dim && d < 3; ++d) {
    for (int side = 0; side < 2; ++side) {
      const FaceBoundary& f = at(d, side);
      const bool face_periodic = f.kind == BoundaryKind::Periodic;
      if (face_periodic != grid.periodic[d]) {
        throw Error("boundary " + face_name(d, side) + " is " + to_string(f.kind) + " but the grid is " +
                    (grid.periodic[d] ? "" : "not ") + "periodic in " + face_name(d, side).substr(0, 1) +
                    ": a dimension is periodic exactly when both its faces are periodic");
      }
      if (f.kind == BoundaryKind::Dirichlet && !std::isfinite(f.value)) {
        throw Error("boundary " + face_name(d, side) + ": dirichlet value must be finite");
      }
    }
  }
}

std::string BoundarySpec::describe(int dim) const {
  std::ostringstream os;
  for (int d = 0; d < dim && d < 3; ++d) {
    if (d > 0) os << ", ";
    os << face_name(d, 0).substr(0, 1) << ": ";
    for (int side = 0; side < 2; ++side) {
      const FaceBoundary& f = at(d, side);
      if (side) os << "/";
      os << to_string(f.kind);
      if (f.kind == BoundaryKind::Dirichlet) os << "(" << f.value << ")";
    }
  }
  return os.str();
}

BoundaryConditions boundary_fills(const BoundarySpec& spec, int dim, const WallReflection& reflection) {
  BoundaryConditions bc;
  for (int d = 0; d < dim; ++d) {
    const int flipped = reflection.flipped[static_cast<std::size_t>(d)];
    for (int side = 0; side < 2; ++side) {
      const FaceBoundary& f = spec.at(d, side);
      switch (f.kind) {
        case BoundaryKind::Periodic:
          break;
        case BoundaryKind::Wall:
          bc.set(d, side, flipped >= 0 ? FaceCondition::reflect(flipped) : FaceCondition::neumann());
          break;
        case BoundaryKind::Dirichlet:
          bc.set(d, side, FaceCondition::dirichlet(f.value));
          break;
        case BoundaryKind::Neumann:
          bc.set(d, side, FaceCondition::neumann());
          break;
        case BoundaryKind::Outflow:
          bc.set(d, side, FaceCondition::extrapolate());
          break;
      }
    }
  }
  return bc;
}

}  // namespace mesh
}  // namespace undertow
