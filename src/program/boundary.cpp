#include "undertow/program/boundary.hpp"

#include <Kokkos_Core.hpp>
#include <sstream>

#include "undertow/core/error.hpp"

namespace undertow {
namespace {

/// ghost = sign_of(c) * mirrored interior value + offset, for component c of a
/// field holding `components` values per direction. A POD captured by value: a
/// boundary fill allocates nothing.
struct FaceRule {
  double sign = 1.0;
  double normal_sign = 1.0;  // sign of the component a Reflect condition flips
  double offset = 0.0;
  int normal_component = -1;
  int components = 1;
  bool from_adjacent = false;  // Extrapolate: every layer copies the cell next to the face

  KOKKOS_INLINE_FUNCTION double sign_of(int c) const { return c % components == normal_component ? normal_sign : sign; }
};

FaceRule face_rule(const FaceCondition& c, int components, bool linear_only) {
  FaceRule r;
  r.components = components;
  if (c.kind == FaceCondition::Kind::Dirichlet) {
    r.sign = -1.0;
    r.offset = linear_only ? 0.0 : 2.0 * c.value;
  } else if (c.kind == FaceCondition::Kind::Reflect) {
    r.normal_component = c.normal_component;
    r.normal_sign = -1.0;
  } else if (c.kind == FaceCondition::Kind::Extrapolate) {
    r.from_adjacent = true;
  }
  return r;
}

bool face_is_wall(const Field<double>& f, int d, int side) {
  const Decomposition& dec = f.decomposition();
  return d < dec.dim() && !dec.grid().periodic[d] && dec.at_boundary(d, side);
}

/// Runs body(c, ghost_index3, interior_index3) over the ghost cells of layers
/// [first_layer, last_layer] (1 = next to the face) of the face; the interior cell
/// is the mirror image, or with `from_adjacent` the cell next to the face.
template <class Body>
void for_face(const Field<double>& f, int d, int side, int ncomp_total, bool from_adjacent, int first_layer,
              int last_layer, Body body) {
  const int g = f.ghost(d);
  const int n = f.decomposition().owned_cells()[d];
  Index3 lo{0, 0, 0}, hi{f.extent(0), f.extent(1), f.extent(2)};
  lo[d] = first_layer;  // layer m along d
  hi[d] = last_layer + 1;
  Kokkos::parallel_for(
      "undertow::boundary_face",
      Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<4>>({0, lo[0], lo[1], lo[2]}, {ncomp_total, hi[0], hi[1], hi[2]}),
      KOKKOS_LAMBDA(int c, int i, int j, int k) {
        Index3 ghost{i, j, k}, inner{i, j, k};
        const int m = ghost[d];
        const int mirrored = from_adjacent ? 1 : m;
        if (side == 0) {
          ghost[d] = g - m;
          inner[d] = g + mirrored - 1;
        } else {
          ghost[d] = g + n - 1 + m;
          inner[d] = g + n - mirrored;
        }
        body(c, ghost, inner);
      });
}

}  // namespace

BoundaryConditions BoundaryConditions::walls(const GridSpec& grid, FaceCondition c) {
  BoundaryConditions b;
  for (int d = 0; d < grid.dim; ++d) {
    if (!grid.periodic[d]) b.face[d] = {c, c};
  }
  return b;
}

bool BoundaryConditions::empty() const {
  for (const auto& dimension : face) {
    for (const FaceCondition& c : dimension) {
      if (c.kind != FaceCondition::Kind::None) return false;
    }
  }
  return true;
}

void check_boundary(const Field<double>& f, const BoundaryConditions& bc) {
  static const char* axis = "xyz";
  const Decomposition& dec = f.decomposition();
  collective_check(dec.comm(), [&] {
    for (int d = 0; d < 3; ++d) {
      for (int side = 0; side < 2; ++side) {
        const FaceCondition& c = bc.face[d][side];
        if (c.kind == FaceCondition::Kind::None) continue;
        std::ostringstream os;
        os << "boundary condition on the " << (side ? "upper " : "lower ") << axis[d] << " face of '" << f.name()
           << "': ";
        if (d >= dec.dim()) continue;  // no ghosts: nothing to fill
        if (dec.grid().periodic[d]) {
          os << "the dimension is periodic (periodicity is handled by the halo exchange)";
          throw Error(os.str());
        }
        if (c.kind == FaceCondition::Kind::Reflect &&
            (c.normal_component < 0 || c.normal_component >= f.components())) {
          os << "reflect flips component " << c.normal_component << " but the field has " << f.components();
          throw Error(os.str());
        }
        if (c.kind != FaceCondition::Kind::Extrapolate && dec.min_owned_cells(d) < f.ghost()) {
          os << "the ghost width " << f.ghost() << " is larger than the smallest owned extent "
             << dec.min_owned_cells(d) << " it mirrors";
          throw Error(os.str());
        }
      }
    }
  });
}

void apply_boundary(const Field<double>& f, const BoundaryConditions& bc, int components, int directions,
                    bool linear_only) {
  auto v = f.view();
  for (int d = 0; d < 3; ++d) {
    for (int side = 0; side < 2; ++side) {
      const FaceCondition& c = bc.face[d][side];
      if (c.kind == FaceCondition::Kind::None || !face_is_wall(f, d, side) || f.ghost(d) == 0) continue;
      const FaceRule rule = face_rule(c, components, linear_only);
      for_face(
          f, d, side, components * directions, rule.from_adjacent, 1, f.ghost(d),
          KOKKOS_LAMBDA(int comp, const Index3& gh, const Index3& in) {
            v(comp, gh[0], gh[1], gh[2]) = rule.sign_of(comp) * v(comp, in[0], in[1], in[2]) + rule.offset;
          });
    }
  }
  Kokkos::fence();
}

void apply_boundary_transpose(const Field<double>& f_bar, const BoundaryConditions& bc, int components) {
  auto v = f_bar.view();
  for (int d = 2; d >= 0; --d) {
    for (int side = 1; side >= 0; --side) {
      const FaceCondition& c = bc.face[d][side];
      if (c.kind == FaceCondition::Kind::None || !face_is_wall(f_bar, d, side) || f_bar.ghost(d) == 0) continue;
      const FaceRule rule = face_rule(c, components, /*linear_only=*/true);
      // Each mirrored ghost cell has a distinct interior cell, so one pass over all
      // layers is race-free; extrapolated layers all add into the cell next to the
      // face, so they go one layer per pass.
      // Every seed of a vector adjoint (components per seed, rule.sign_of wraps).
      const int passes = rule.from_adjacent ? f_bar.ghost(d) : 1;
      for (int pass = 0; pass < passes; ++pass) {
        const int first = rule.from_adjacent ? f_bar.ghost(d) - pass : 1;
        const int last = rule.from_adjacent ? first : f_bar.ghost(d);
        for_face(
            f_bar, d, side, f_bar.components(), rule.from_adjacent, first, last,
            KOKKOS_LAMBDA(int comp, const Index3& gh, const Index3& in) {
              double& ghost = v(comp, gh[0], gh[1], gh[2]);
              v(comp, in[0], in[1], in[2]) += rule.sign_of(comp) * ghost;
              ghost = 0.0;
            });
      }
    }
  }
  Kokkos::fence();
}

std::string describe(const BoundaryConditions& bc, int dim) {
  static const char* axis = "xyz";
  std::ostringstream os;
  for (int d = 0; d < dim; ++d) {
    for (int side = 0; side < 2; ++side) {
      const FaceCondition& c = bc.face[d][side];
      os << (d || side ? ", " : "") << axis[d] << (side ? "+" : "-") << ":";
      switch (c.kind) {
        case FaceCondition::Kind::None:
          os << "none";
          break;
        case FaceCondition::Kind::Neumann:
          os << "neumann";
          break;
        case FaceCondition::Kind::Dirichlet:
          os << "dirichlet(" << c.value << ")";
          break;
        case FaceCondition::Kind::Reflect:
          os << "reflect(" << c.normal_component << ")";
          break;
        case FaceCondition::Kind::Extrapolate:
          os << "extrapolate";
          break;
      }
    }
  }
  return os.str();
}

}  // namespace undertow
