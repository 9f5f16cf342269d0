// TimeSeriesWriter: one field file per output step plus one XDMF file with a
// temporal collection over every step written so far.
//
// `write` is collective: it writes `<prefix>_<step>.h5` (step zero-padded to six
// digits) with io::write_fields and then has rank 0 rewrite `<prefix>.xmf` (atomically,
// via a temporary name) listing all steps in the order written, each with its time.
// ParaView opens `<prefix>.xmf` as one time-dependent dataset. Writing a step
// number again replaces that step. With `resume`, the constructor re-lists the
// complete `<prefix>_NNNNNN.h5` files already on disk (a restarted run continues
// the same series); otherwise the series starts empty and old step files are left
// alone until overwritten.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "undertow/field/field.hpp"
#include "undertow/io/field_io.hpp"

namespace undertow {
namespace io {

class TimeSeriesWriter {
 public:
  /// Collective over `comm` (used only with `resume`, to agree on the list).
  /// `prefix` is a path without extension, e.g. "out/run"; its directory must exist.
  explicit TimeSeriesWriter(std::string prefix, MPI_Comm comm = MPI_COMM_WORLD, bool resume = false);

  /// Collective over the fields' communicator. Returns the path of the .h5 written.
  std::string write(const std::vector<Field<double>>& fields, const FieldFileInfo& info);

  /// The .h5 path a given step is (or would be) written to.
  std::string step_path(std::int64_t step) const;
  /// The series' XDMF file, `<prefix>.xmf`.
  std::string xdmf_path() const { return prefix_ + ".xmf"; }
  /// Steps in the series, in the order they appear in the XDMF collection.
  std::vector<std::int64_t> steps() const;

  /// One step of the series (public for docs/tests; the writer owns the list).
  struct Entry {
    std::int64_t step = 0;
    double time = 0.0;
    GridSpec grid;
    std::vector<FieldEntry> fields;
  };

 private:
  void write_xdmf() const;

  std::string prefix_;
  std::vector<Entry> entries_;
};

}  // namespace io
}  // namespace undertow
