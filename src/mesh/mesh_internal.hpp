// Internals of the mesh layer shared by its sources: building and (de)serialising
// a Mesh, the rank-local TOML parser, and the HDF5 access to cell fields.
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

#include "undertow/mesh/mesh.hpp"

namespace undertow {
namespace mesh {
namespace detail {

struct MeshAccess {
  static Mesh make(std::string source, std::string name, std::string description, int format_version,
                   const GridSpec& grid, const BoundarySpec& boundary, std::vector<CellFieldInfo> fields);
  /// A byte string that unpack() turns back into an equal Mesh (for MPI_Bcast).
  static std::string pack(const Mesh& mesh);
  static Mesh unpack(const std::string& bytes);
};

/// Physical memory of the nodes a communicator spans (each node counted once).
struct MemoryBudget {
  double bytes = 0.0;  ///< +infinity when the system does not say
  int nodes = 1;
};
/// Collective over `comm`.
MemoryBudget physical_memory(MPI_Comm comm);

/// Rank-local: reads, parses and validates the mesh file, including the HDF5
/// metadata of every cell field. Throws Error naming file, key and line.
Mesh parse_mesh_file(const std::string& path, const MemoryBudget& budget);

/// Rank-local: throws Error (without the mesh-file prefix) unless `info.file`
/// exists and is an HDF5 file.
void check_cell_file(const CellFieldInfo& info);

/// Rank-local, serial HDF5: check_cell_file, then throws Error unless
/// `info.dataset` in `info.file` exists with the shape of `grid` (C order, x
/// fastest) and the HDF5 type class `info.kind` demands.
void check_cell_dataset(const CellFieldInfo& info, const GridSpec& grid);

/// Collective over dec.comm(): rank 0 re-checks the dataset, then every rank reads
/// its owned box with collective parallel HDF5. Returns the owned values x fastest,
/// converted to double. Throws the same Error on every rank.
std::vector<double> read_owned_cells(const CellFieldInfo& info, const Decomposition& dec);

/// Collective: rank `root` passes (ok, message); if not ok every rank throws
/// Error(message) verbatim (root's outcome is the only one that counts).
void broadcast_outcome(MPI_Comm comm, int root, bool ok, const std::string& message);

}  // namespace detail
}  // namespace mesh
}  // namespace undertow
