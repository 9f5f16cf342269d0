// mesh::boundary_fills: the one place where a mesh's boundary kinds become
// ghost fills, with the wall reflection the solver states.
#include "test_util.hpp"

using namespace undertow;

TEST_CASE("boundary_fills maps every mesh kind to its documented fill", "[mesh][boundary]") {
  using Kind = FaceCondition::Kind;
  const GridSpec grid = GridSpec::box(4, 5, 6, {false, true, false});
  mesh::BoundarySpec spec = mesh::BoundarySpec::periodic_or(grid, mesh::FaceBoundary::wall());
  spec.at(0, 1) = mesh::FaceBoundary::dirichlet(2.5);
  spec.at(2, 0) = mesh::FaceBoundary::outflow();
  spec.at(2, 1) = mesh::FaceBoundary::neumann();
  spec.validate(grid);
  const BoundaryConditions bc = mesh::boundary_fills(spec, grid.dim);
  CHECK(bc.face[0][0].kind == Kind::Neumann);  // a scalar's wall: nothing crosses the face
  CHECK(bc.face[0][1].kind == Kind::Dirichlet);
  CHECK(bc.face[0][1].value == 2.5);
  CHECK(bc.face[1][0].kind == Kind::None);  // periodic: the halo exchange
  CHECK(bc.face[1][1].kind == Kind::None);
  CHECK(bc.face[2][0].kind == Kind::Extrapolate);
  CHECK(bc.face[2][1].kind == Kind::Neumann);
  // Dimensions the grid does not use get nothing.
  const BoundaryConditions line = mesh::boundary_fills(spec, 1);
  CHECK(line.face[2][0].kind == Kind::None);

  // The wall reflection is the solver's statement about its field.
  const BoundaryConditions odd = mesh::boundary_fills(spec, grid.dim, mesh::WallReflection::velocity_scalar());
  CHECK(odd.face[0][0].kind == Kind::Reflect);
  CHECK(odd.face[0][0].normal_component == 0);
  const BoundaryConditions momentum = mesh::boundary_fills(spec, grid.dim, mesh::WallReflection::momentum(1));
  CHECK(momentum.face[0][0].kind == Kind::Reflect);
  CHECK(momentum.face[0][0].normal_component == 1);
  CHECK(momentum.face[2][0].kind == Kind::Extrapolate);  // only walls reflect
}
