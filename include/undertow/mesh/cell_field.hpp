// Cell fields of a mesh: named per-cell input arrays stored in HDF5 beside the
// mesh file (a conductivity, a bathymetry, a land/water mask).
//
// A `CellFieldInfo` is what the mesh file says about one array: its name, what it
// means (the kind, which fixes the accepted HDF5 type and values), the HDF5 file
// (already resolved against the mesh file's directory) and the dataset inside it.
// The dataset is the natural global array in C order with x fastest: shape (nx)
// in 1D, (ny, nx) in 2D, (nz, ny, nx) in 3D, as h5py/numpy and XDMF see it (the
// same layout as io/field_io.hpp). `Mesh::load_field` reads it into a Field.
#pragma once

#include <string>

namespace undertow {
namespace mesh {

/// What a cell field means, and therefore what it must hold:
/// - Coefficient: a material coefficient (conductivity, diffusivity, wave speed);
///   floating-point dataset, every value finite and > 0.
/// - Bathymetry: still-water depth in metres, positive downwards (> 0 is water,
///   <= 0 is land at height -depth); floating-point dataset, every value finite.
/// - Mask: land/water (inactive/active) mask; integer dataset, 1 = water (active),
///   0 = land (inactive), nothing else.
enum class CellFieldKind { Coefficient, Bathymetry, Mask };

/// "coefficient", "bathymetry", "mask".
const char* to_string(CellFieldKind kind);
/// Inverse of to_string; throws Error listing the accepted names.
CellFieldKind cell_field_kind_from_string(const std::string& name);

struct CellFieldInfo {
  std::string name;  ///< the key under [fields] in the mesh file
  CellFieldKind kind = CellFieldKind::Coefficient;
  std::string file;         ///< HDF5 file, absolute (resolved against the mesh file's directory)
  std::string dataset;      ///< dataset path inside the file, e.g. "bathymetry" or "/static/depth"
  std::string units;        ///< free text, may be empty
  std::string description;  ///< free text, may be empty
  std::string declared_at;  ///< "<mesh file>:<line>", for error messages
};

}  // namespace mesh
}  // namespace undertow
