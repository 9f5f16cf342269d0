// Field files: distributed Field<double>s written to and read from one parallel
// HDF5 file, with an XDMF companion so that ParaView/VisIt open it directly.
//
// `write_fields` is collective over the fields' communicator: every rank writes its
// owned cells (never ghosts) into one global dataset per field with collective
// MPI-IO, so the file holds the natural global array, the same bytes for any rank
// count. Layout (see docs/io.md): dataset `/fields/<name>` of shape (nz, ny, nx) in
// 3D, (ny, nx) in 2D, (nx) in 1D, with a trailing axis of length ncomp for fields
// with more than one component (C order, x fastest: what XDMF's CoRectMesh cell
// data expects). Grid, step, time, user scalars, the Undertow version and per-field
// checksums are HDF5 attributes. The file is written under a temporary name and
// renamed by rank 0 once every rank has closed it, so a crash never leaves a
// half-written file under the final name. `read_fields` reads datasets by field
// name into fields of ANY decomposition of the same grid (written by P ranks, read
// by Q ranks); ghosts are left untouched. Every problem (missing, truncated or
// corrupted file, incomplete write, missing dataset, other grid, other component
// count, incompatible version, checksum mismatch) throws the same undertow::Error
// on every rank, naming the file and the problem; on error the fields are unchanged.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "undertow/field/field.hpp"
#include "undertow/grid/grid_spec.hpp"

namespace undertow {
namespace io {

/// Version of the on-disk layout described in docs/io.md. Bumped when the layout
/// changes incompatibly; readers refuse other values.
inline constexpr int field_file_format_version = 1;

/// What a field file records besides the fields: the time-loop position and any
/// named numbers a caller wants back (an objective value, a schedule counter).
/// Names must be non-empty and must not contain '/'.
struct FieldFileInfo {
  std::int64_t step = 0;
  double time = 0.0;
  std::map<std::string, double> scalars;
  std::map<std::string, std::int64_t> integers;
};

/// One dataset in a field file.
struct FieldEntry {
  std::string name;
  int components = 1;
  std::uint64_t checksum = 0;  ///< see io/checksum.hpp
};

/// Everything a field file says about itself (no field values).
struct FieldFileDescription {
  std::string path;
  std::string undertow_version;
  int format_version = 0;
  GridSpec grid;
  FieldFileInfo info;
  std::vector<FieldEntry> fields;  ///< sorted by name
};

/// Collective. Writes `fields` (at least one; distinct names without '/'; all on
/// the same grid and communicator, any ghost widths) to `path_h5`, replacing an
/// existing file atomically. With `write_xdmf`, rank 0 also writes `xdmf_path(path_h5)`
/// describing the file for ParaView. Throws undertow::Error on every rank on failure.
void write_fields(const std::string& path_h5, const std::vector<Field<double>>& fields, const FieldFileInfo& info = {},
                  bool write_xdmf = true);

/// Collective over the fields' communicator. Reads dataset `/fields/<field.name()>`
/// into the owned cells of each field and returns the file's step, time, scalars and
/// integers. The fields may use any decomposition and ghost width of the file's grid
/// (same dimension and cell counts; same extents to 1e-12 relative); periodicity is
/// not compared. Verifies the stored checksum of every field read.
FieldFileInfo read_fields(const std::string& path_h5, const std::vector<Field<double>>& fields);

/// As above, but field n is read from dataset `/fields/<names_in_file[n]>`.
FieldFileInfo read_fields(const std::string& path_h5, const std::vector<Field<double>>& fields,
                          const std::vector<std::string>& names_in_file);

/// Collective over `comm` (rank 0 reads, the result is broadcast): the file's grid,
/// info and field list, validated like read_fields validates (existence, integrity
/// of the metadata, completion marker, version). Use it to build fields before reading.
FieldFileDescription describe_field_file(const std::string& path_h5, MPI_Comm comm);

/// The XDMF file written beside `path_h5`: its extension (".h5"/".hdf5", if any)
/// replaced by ".xmf".
std::string xdmf_path(const std::string& path_h5);

}  // namespace io
}  // namespace undertow
