// Reproducible random fields, independent of the decomposition.
//
// `fill_random(f, seed)` sets every owned value of f to a number in [-1, 1] that
// depends only on (seed, component, global cell index): the same field on 1 or 4
// ranks holds the same numbers, which is what decomposition-invariance tests and
// the verification harness need.
#pragma once

#include <cstdint>

#include "undertow/field/field.hpp"

namespace undertow {

/// Owned cells get hash(seed, c, i, j, k) in [-1, 1]; ghosts are set to zero.
void fill_random(const Field<double>& f, std::uint64_t seed);

}  // namespace undertow
