// Decomposition-independent checksums of distributed fields.
//
// A field file stores one 64-bit checksum per field so that a reader detects
// flipped bits, truncated data and misplaced blocks. The checksum must come out
// the same whether 1 or 64 ranks wrote the field, so it cannot be a CRC over a
// byte stream (the stream is split differently at every rank count). Instead it
// is the sum, modulo 2^64, of one hash per value: h = mix(mix(n) ^ bits(v)), where
// n is the value's flat C-order index in the global file array (see field_io.hpp),
// bits(v) the IEEE-754 bit pattern of the double and mix the splitmix64 finaliser.
// Integer addition is exact, associative and commutative, so any partition and any
// summation order give the same bits; a single changed bit changes one term
// completely. scripts/check_h5.py recomputes it with numpy.
#pragma once

#include <cstdint>

#include "undertow/field/field.hpp"

namespace undertow {
namespace io {

/// The splitmix64 finaliser (a bijection on 64-bit integers with full avalanche).
constexpr std::uint64_t mix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// Hash of one value at flat file index n; the checksum is the sum of these.
std::uint64_t value_hash(std::uint64_t n, double v);

/// Collective: the checksum of the owned values of `field` (all components), as
/// stored in field files. Identical on every rank and for every decomposition.
std::uint64_t checksum(const Field<double>& field);

}  // namespace io
}  // namespace undertow
