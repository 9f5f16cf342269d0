#include "undertow/verify/random.hpp"

#include <Kokkos_Core.hpp>

#include "undertow/field/field_ops.hpp"

namespace undertow {
namespace {

KOKKOS_INLINE_FUNCTION std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

void fill_random(const Field<double>& f, std::uint64_t seed) {
  fill_all(f, 0.0);
  auto v = f.view();
  const Box b = f.owned_box();
  const Decomposition& dec = f.decomposition();
  const std::int64_t o0 = dec.owned_lo()[0] - b.lo[0], o1 = dec.owned_lo()[1] - b.lo[1], o2 = dec.owned_lo()[2] - b.lo[2];
  Kokkos::parallel_for(
      "undertow::fill_random", detail::policy(b, f.components()), KOKKOS_LAMBDA(int c, int i, int j, int k) {
        std::uint64_t h = splitmix64(seed);
        h = splitmix64(h ^ static_cast<std::uint64_t>(c));
        h = splitmix64(h ^ static_cast<std::uint64_t>(i + o0));
        h = splitmix64(h ^ static_cast<std::uint64_t>(j + o1));
        h = splitmix64(h ^ static_cast<std::uint64_t>(k + o2));
        v(c, i, j, k) = 2.0 * (static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0)) - 1.0;
      });
  Kokkos::fence();
}

}  // namespace undertow
