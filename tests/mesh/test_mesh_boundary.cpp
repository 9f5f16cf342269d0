// mesh::scalar_fills: the one place where a mesh's boundary kinds become the
// ghost fills of a scalar field.
#include "test_util.hpp"

using namespace undertow;

TEST_CASE("scalar_fills maps every mesh kind to its documented fill", "[mesh][boundary]") {
  using Kind = FaceCondition::Kind;
  const GridSpec grid = GridSpec::box(4, 5, 6, {false, true, false});
  mesh::BoundarySpec spec = mesh::BoundarySpec::periodic_or(grid, mesh::FaceBoundary::wall());
  spec.at(0, 1) = mesh::FaceBoundary::dirichlet(2.5);
  spec.at(2, 0) = mesh::FaceBoundary::outflow();
  spec.at(2, 1) = mesh::FaceBoundary::neumann();
  spec.validate(grid);
  const BoundaryConditions bc = mesh::scalar_fills(spec, grid.dim);
  CHECK(bc.face[0][0].kind == Kind::Neumann);  // wall: nothing crosses the face
  CHECK(bc.face[0][1].kind == Kind::Dirichlet);
  CHECK(bc.face[0][1].value == 2.5);
  CHECK(bc.face[1][0].kind == Kind::None);  // periodic: the halo exchange
  CHECK(bc.face[1][1].kind == Kind::None);
  CHECK(bc.face[2][0].kind == Kind::Neumann);
  CHECK(bc.face[2][1].kind == Kind::Neumann);
  // Dimensions the grid does not use get nothing.
  const BoundaryConditions line = mesh::scalar_fills(spec, 1);
  CHECK(line.face[2][0].kind == Kind::None);
}
