#include "undertow/io/checksum.hpp"

#include <cstring>

#include "hdf5_util.hpp"

namespace undertow {
namespace io {

std::uint64_t value_hash(std::uint64_t n, double v) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  return mix64(mix64(n) ^ bits);
}

std::uint64_t checksum(const Field<double>& field) {
  const std::vector<double> packed = detail::pack_owned(field);
  std::uint64_t local = detail::local_checksum(field, packed);
  std::uint64_t global = 0;
  // Unsigned addition wraps modulo 2^64 in any order: exact and deterministic.
  check_mpi(MPI_Allreduce(&local, &global, 1, MPI_UINT64_T, MPI_SUM, field.decomposition().comm()), "MPI_Allreduce");
  return global;
}

}  // namespace io
}  // namespace undertow
