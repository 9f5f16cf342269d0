// Mesh: a structured grid, its boundary conditions and its cell fields, as
// described by a mesh file (TOML, format in meshes/README.md and docs/meshes.md).
//
// `load_mesh(path, comm)` is collective: rank 0 reads and validates the file (keys,
// types, sizes, boundary kinds, periodicity, and that every referenced HDF5 dataset
// exists with the right shape and type) and broadcasts either the result or the
// error, so every rank returns the same Mesh or throws the same undertow::Error,
// whose message names the file, the key, its line and what was expected. The Mesh
// is plain data (no MPI, no Kokkos): copy it freely. `load_field` then reads one
// cell field with collective parallel HDF5 into a Field<double> on any
// Decomposition of the mesh's grid, each rank reading only its owned hyperslab.
#pragma once

#include <mpi.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "undertow/field/field.hpp"
#include "undertow/grid/decomposition.hpp"
#include "undertow/grid/grid_spec.hpp"
#include "undertow/mesh/boundary.hpp"
#include "undertow/mesh/cell_field.hpp"

namespace undertow {
namespace mesh {

/// The mesh-file format version this library reads (`format_version = 1`).
inline constexpr int mesh_format_version = 1;
/// Hard cap on cells per dimension: local indices are `int` and a rank may own a
/// whole dimension plus ghosts. Larger counts are refused before anything is sized.
inline constexpr std::int64_t max_cells_per_dimension = std::int64_t(1) << 30;

namespace detail {
struct MeshAccess;
}

class Mesh {
 public:
  Mesh() = default;
  /// A mesh built in code: no file, no cell fields. Throws Error if the grid is
  /// invalid or the boundary conditions contradict its periodicity.
  Mesh(GridSpec grid, BoundarySpec boundary, std::string name = "");

  /// The mesh file it was loaded from ("" if built in code).
  const std::string& source() const { return source_; }
  const std::string& name() const { return name_; }
  const std::string& description() const { return description_; }
  int format_version() const { return format_version_; }
  const GridSpec& grid() const { return grid_; }
  const BoundarySpec& boundary() const { return boundary_; }
  /// Cell fields in the order the file declares them.
  const std::vector<CellFieldInfo>& fields() const { return fields_; }
  bool has_field(const std::string& name) const;
  /// Throws Error listing the available names if there is no such field.
  const CellFieldInfo& field_info(const std::string& name) const;

  /// Collective: a Decomposition of grid() over `comm` (see Decomposition).
  std::shared_ptr<const Decomposition> decompose(MPI_Comm comm, std::array<int, 3> ranks_per_dim = {0, 0, 0}) const;

  /// Collective over the decomposition's communicator: a new one-component field
  /// named `name` holding cell field `name` in its owned cells; ghosts are zero
  /// (fill them with a Halo exchange and the boundary conditions). Mask values
  /// become 0.0/1.0. Throws the same Error on every rank if the decomposition is
  /// not of this mesh's grid, the dataset changed since load_mesh checked it, or a
  /// value breaks its kind's rule (the message gives the count and the first bad
  /// cell in global order, identical for every rank count).
  Field<double> load_field(const std::string& name, std::shared_ptr<const Decomposition> decomposition,
                           int ghost = 1) const;
  /// As load_field, into the owned cells of an existing one-component field (any
  /// ghost width); its ghosts are not touched.
  void read_field(const std::string& name, const Field<double>& into) const;

  /// Several lines: name, grid, boundary conditions, cell fields.
  std::string describe() const;

 private:
  friend struct detail::MeshAccess;

  std::string source_;
  std::string name_;
  std::string description_;
  int format_version_ = mesh_format_version;
  GridSpec grid_;
  BoundarySpec boundary_;
  std::vector<CellFieldInfo> fields_;
};

/// Collective over `comm`: reads and validates the mesh file at `path`. Relative
/// HDF5 paths in it are resolved against the directory of `path`. Also refuses a
/// grid whose single double-precision field would not fit in the physical memory
/// of the nodes `comm` spans.
Mesh load_mesh(const std::string& path, MPI_Comm comm);

}  // namespace mesh
}  // namespace undertow
