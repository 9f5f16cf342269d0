#include <cstdlib>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "test_util.hpp"

using namespace undertow;
using undertow_test::global_code;

namespace {

constexpr double kSentinel = -7.0;

/// Which neighbour direction (or none) owns local cell (i, j, k) of f, and whether
/// the given halo fills it.
bool filled_by_exchange(const Field<double>& f, const Index3& local, HaloPattern pattern, int width) {
  const Decomposition& dec = f.decomposition();
  Index3 o{0, 0, 0};
  int nonzero = 0;
  for (int d = 0; d < 3; ++d) {
    const int rel = local[d] - f.ghost(d);
    if (rel < 0) o[d] = -1;
    if (rel >= dec.owned_cells()[d]) o[d] = 1;
    if (rel < -width || rel >= dec.owned_cells()[d] + width) return false;
    nonzero += o[d] != 0;
  }
  if (nonzero == 0) return false;
  if (pattern == HaloPattern::Star && nonzero > 1) return false;
  return dec.neighbor(o) != MPI_PROC_NULL;
}

void randomize_all(const Field<double>& f, unsigned seed) {
  auto host = Kokkos::create_mirror_view(f.view());
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (std::size_t n = 0; n < host.span(); ++n) host.data()[n] = u(gen);
  Kokkos::deep_copy(f.view(), host);
}

struct Case {
  int dim;
  std::array<bool, 3> periodic;
  HaloPattern pattern;
  int width;
};

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (int dim = 1; dim <= 3; ++dim)
    for (int per = 0; per < 3; ++per)  // none, all, mixed
      for (HaloPattern p : {HaloPattern::Star, HaloPattern::Box})
        for (int w : {1, 2}) {
          std::array<bool, 3> periodic{per == 1, per == 1, per == 1};
          if (per == 2) periodic = {true, false, dim == 3};
          for (int d = dim; d < 3; ++d) periodic[d] = false;
          cases.push_back({dim, periodic, p, w});
        }
  return cases;
}

std::string describe(const Case& c) {
  return std::to_string(c.dim) + "D periodic=" + std::to_string(c.periodic[0]) + std::to_string(c.periodic[1]) +
         std::to_string(c.periodic[2]) + " " + to_string(c.pattern) + " width " + std::to_string(c.width);
}

}  // namespace

TEST_CASE("primal exchange copies owners' values into exactly the ghosts it covers", "[halo]") {
  for (const Case& c : all_cases()) {
    INFO(describe(c));
    auto dec = Decomposition::create(undertow_test::small_grid(c.dim, c.periodic), MPI_COMM_WORLD);
    Field<double> f(dec, "f", 2, 2);
    fill_all(f, kSentinel);
    set_by_global_index<double>(
        f, [](int comp, std::int64_t i, std::int64_t j, std::int64_t k) { return global_code(comp, i, j, k); });
    Halo halo(dec, c.pattern, c.width);
    halo.exchange(f);
    auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), f.view());
    const GridSpec& g = dec->grid();
    bool ok = true;
    for (int comp = 0; comp < 2; ++comp)
      for (int i = 0; i < f.extent(0); ++i)
        for (int j = 0; j < f.extent(1); ++j)
          for (int k = 0; k < f.extent(2); ++k) {
            const Index3 local{i, j, k};
            std::int64_t gidx[3];
            bool owned = true;
            for (int d = 0; d < 3; ++d) {
              gidx[d] = f.global_index(d, local[d]);
              if (local[d] < f.ghost(d) || local[d] >= f.ghost(d) + dec->owned_cells()[d]) owned = false;
              gidx[d] = ((gidx[d] % g.cells[d]) + g.cells[d]) % g.cells[d];
            }
            double want = kSentinel;
            if (owned || filled_by_exchange(f, local, c.pattern, c.width))
              want = global_code(comp, gidx[0], gidx[1], gidx[2]);
            if (host(comp, i, j, k) != want) ok = false;
          }
    CHECK(undertow_test::all_ranks(ok));
  }
}

TEST_CASE("transposed exchange is the exact transpose and zeroes the ghosts it covers", "[halo]") {
  for (const Case& c : all_cases()) {
    INFO(describe(c));
    auto dec = Decomposition::create(undertow_test::small_grid(c.dim, c.periodic), MPI_COMM_WORLD);
    Field<double> x(dec, "x", 3, 2), y(dec, "y", 3, 2);
    const unsigned seed = 1234u + 17u * static_cast<unsigned>(dec->rank());
    randomize_all(x, seed);
    randomize_all(y, seed + 1);
    Field<double> ex = x.clone("Ex"), ety = y.clone("ETy");
    Halo halo(dec, c.pattern, c.width);
    halo.exchange(ex);
    halo.exchange_adjoint(ety);
    const double lhs = dot_all(ex, y);
    const double rhs = dot_all(x, ety);
    INFO("<Ex,y> = " << lhs << "  <x,E^T y> = " << rhs);
    // Relative to the Cauchy-Schwarz scale |Ex||y|: the sums cancel, so |<Ex,y>|
    // itself can be far smaller than the rounding of its terms.
    const double scale = std::sqrt(dot_all(ex, ex) * dot_all(y, y));
    CHECK(std::abs(lhs - rhs) <= 1e-14 * scale);
    // Owned-only form of the identity: x zero in the ghosts, pair over owned cells.
    zero_ghosts(x);
    Field<double> ex2 = x.clone("Ex2");
    halo.exchange(ex2);
    const double lhs2 = dot_all(ex2, y);
    const double rhs2 = dot(x, ety);
    CHECK(std::abs(lhs2 - rhs2) <= 1e-14 * std::sqrt(dot_all(ex2, ex2) * dot_all(y, y)));
    // Covered ghosts are zero, uncovered ones untouched.
    auto got = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), ety.view());
    auto before = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), y.view());
    bool ok = true;
    for (int comp = 0; comp < 3; ++comp)
      for (int i = 0; i < ety.extent(0); ++i)
        for (int j = 0; j < ety.extent(1); ++j)
          for (int k = 0; k < ety.extent(2); ++k) {
            const Index3 local{i, j, k};
            bool owned = true;
            for (int d = 0; d < 3; ++d)
              if (local[d] < ety.ghost(d) || local[d] >= ety.ghost(d) + dec->owned_cells()[d]) owned = false;
            if (owned) continue;
            const double want = filled_by_exchange(ety, local, c.pattern, c.width) ? 0.0 : before(comp, i, j, k);
            if (got(comp, i, j, k) != want) ok = false;
          }
    CHECK(undertow_test::all_ranks(ok));
  }
}

TEST_CASE("transposed exchange adds ghost values into owners deterministically", "[halo]") {
  // Every covered ghost holds 1: afterwards each owned cell holds 1 + the number of
  // ghost copies of it, which for a periodic box pattern is known in closed form.
  auto dec = Decomposition::create(GridSpec::rect(8, 8, {true, true}), MPI_COMM_WORLD);
  Field<double> f(dec, "f", 1, 1);
  fill_all(f, 1.0);
  Halo halo(dec, HaloPattern::Box, 1);
  halo.exchange_adjoint(f);
  // Total mass is conserved: owned sum after == all cells (owned + covered ghosts) before.
  const double ghosts_per_rank = (dec->owned_cells()[0] + 2.0) * (dec->owned_cells()[1] + 2.0) -
                                 double(dec->owned_cells()[0]) * dec->owned_cells()[1];
  double all_ghosts = 0;
  MPI_Allreduce(&ghosts_per_rank, &all_ghosts, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  CHECK(sum(f) == Approx(64.0 + all_ghosts));
  // Run twice with the same input: bitwise identical output.
  Field<double> a(dec, "a"), b(dec, "b");
  randomize_all(a, 99u + static_cast<unsigned>(dec->rank()));
  Kokkos::deep_copy(b.view(), a.view());
  halo.exchange_adjoint(a);
  halo.exchange_adjoint(b);
  const std::vector<double> ga = gather_global(a), gb = gather_global(b);
  CHECK(ga == gb);
}

TEST_CASE("several fields with different component counts share one exchange", "[halo]") {
  auto dec = Decomposition::create(GridSpec::box(9, 8, 7, {true, false, true}), MPI_COMM_WORLD);
  Field<double> a(dec, "a", 1, 1), b(dec, "b", 3, 2), a1(dec, "a1", 1, 1), b1(dec, "b1", 3, 2);
  for (auto* f : {&a, &b}) {
    fill_all(*f, kSentinel);
    set_by_global_index<double>(
        *f, [](int comp, std::int64_t i, std::int64_t j, std::int64_t k) { return global_code(comp, i, j, k); });
  }
  Kokkos::deep_copy(a1.view(), a.view());
  Kokkos::deep_copy(b1.view(), b.view());
  Halo halo(dec, HaloPattern::Box, 1);
  halo.exchange_begin(a, b);
  // Interior work could run here.
  halo.exchange_finish();
  halo.exchange(a1);
  halo.exchange(b1);
  auto ha = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), a.view());
  auto ha1 = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), a1.view());
  auto hb = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), b.view());
  auto hb1 = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), b1.view());
  bool same = true;
  for (std::size_t n = 0; n < ha.span(); ++n) same = same && ha.data()[n] == ha1.data()[n];
  for (std::size_t n = 0; n < hb.span(); ++n) same = same && hb.data()[n] == hb1.data()[n];
  CHECK(undertow_test::all_ranks(same));
}

TEST_CASE("a rank that is its own periodic neighbour exchanges with itself", "[halo]") {
  auto dec = Decomposition::create(GridSpec::line(6, true), MPI_COMM_SELF);
  Field<double> f(dec, "f", 1, 2);
  set_by_global_index<double>(f, [](int, std::int64_t i, std::int64_t, std::int64_t) { return double(i); });
  Halo halo(dec, HaloPattern::Star, 2);
  halo.exchange(f);
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), f.view());
  CHECK(h(0, 0, 0, 0) == 4.0);
  CHECK(h(0, 1, 0, 0) == 5.0);
  CHECK(h(0, 8, 0, 0) == 0.0);
  CHECK(h(0, 9, 0, 0) == 1.0);
}

TEST_CASE("bad halo requests are refused on every rank", "[halo][errors]") {
  const int n = undertow_test::world_size();
  auto dec = Decomposition::create(GridSpec::line(3 * n, true), MPI_COMM_WORLD);
  CHECK_THROWS_WITH(Halo(dec, HaloPattern::Star, 0), Catch::Matchers::Contains("width must be at least 1"));
  CHECK_THROWS_WITH(Halo(dec, HaloPattern::Box, 4), Catch::Matchers::Contains("ghost width 4 is wider"));
  Field<double> thin(dec, "thin", 1, 1);
  Halo wide(dec, HaloPattern::Star, 2);
  CHECK_THROWS_WITH(wide.exchange(thin), Catch::Matchers::Contains("has ghost width 1"));
  Halo halo(dec, HaloPattern::Star, 1);
  CHECK_THROWS_WITH(halo.exchange_finish(), Catch::Matchers::Contains("without a matching"));
  auto other = Decomposition::create(GridSpec::line(3 * n, true), MPI_COMM_WORLD);
  Field<double> elsewhere(other, "elsewhere", 1, 1);
  CHECK_THROWS_WITH(halo.exchange(elsewhere), Catch::Matchers::Contains("different decomposition"));
}

TEST_CASE("host-staged messages give bitwise the same exchanges as direct ones", "[halo]") {
  for (const Case& c : all_cases()) {
    INFO(describe(c));
    auto dec = Decomposition::create(undertow_test::small_grid(c.dim, c.periodic), MPI_COMM_WORLD);
    Halo direct(dec, c.pattern, c.width, MessageBuffers::Direct);
    Halo staged(dec, c.pattern, c.width, MessageBuffers::HostStaged);
    CHECK(direct.message_buffers() == MessageBuffers::Direct);
    CHECK(staged.message_buffers() == MessageBuffers::HostStaged);
    Field<double> a(dec, "a", 1, 2), b(dec, "b", 3, 2);
    const unsigned seed = 77u + 13u * static_cast<unsigned>(dec->rank());
    randomize_all(a, seed);
    randomize_all(b, seed + 1);
    Field<double> a_staged = a.clone("a_staged"), b_staged = b.clone("b_staged");
    bool same = true;
    for (bool adjoint : {false, true}) {
      if (adjoint) {
        direct.exchange_adjoint(a, b);
        staged.exchange_adjoint(a_staged, b_staged);
      } else {
        direct.exchange(a, b);
        staged.exchange(a_staged, b_staged);
      }
      CHECK(direct.last_bytes_sent() == staged.last_bytes_sent());
      for (auto pair : {std::make_pair(&a, &a_staged), std::make_pair(&b, &b_staged)}) {
        auto want = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pair.first->view());
        auto got = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pair.second->view());
        for (std::size_t n = 0; n < want.span(); ++n) same = same && want.data()[n] == got.data()[n];
      }
    }
    CHECK(undertow_test::all_ranks(same));
  }
}

TEST_CASE("the per-value walk (devices) packs and unpacks exactly as the row walk (host)", "[halo]") {
  using detail::Walk;
  auto dec = Decomposition::create(GridSpec::box(7, 6, 5, {false, false, false}), MPI_COMM_SELF);
  Field<double> rows(dec, "rows", 2, 2), values(dec, "values", 2, 2);
  // Faces, an edge and a corner of widths 1 and 2, and one interior block.
  const std::vector<Box> regions = {Box{{0, 2, 2}, {2, 8, 7}}, Box{{2, 0, 2}, {9, 1, 7}},   Box{{2, 2, 7}, {9, 8, 9}},
                                    Box{{0, 0, 2}, {2, 2, 7}}, Box{{9, 8, 7}, {11, 10, 9}}, Box{{3, 3, 3}, {6, 5, 6}}};
  bool same = true;
  auto equal = [&](const Field<double>& x, const Field<double>& y) {
    auto hx = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), x.view());
    auto hy = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), y.view());
    for (std::size_t n = 0; n < hx.span(); ++n) same = same && hx.data()[n] == hy.data()[n];
  };
  for (const Box& region : regions) {
    const std::size_t count = static_cast<std::size_t>(2 * region.size());
    Kokkos::View<double*, MemSpace> by_rows("by_rows", count), by_values("by_values", count);
    randomize_all(rows, 5u);
    Kokkos::deep_copy(values.view(), rows.view());
    detail::pack_region<double, true, Walk::Rows>(rows.view(), region, 2, by_rows.data());
    detail::pack_region<double, true, Walk::Values>(values.view(), region, 2, by_values.data());
    Kokkos::fence();
    auto hr = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), by_rows);
    auto hv = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), by_values);
    for (std::size_t n = 0; n < count; ++n) same = same && hr(n) == hv(n);
    equal(rows, values);  // both zeroed the region
    randomize_all(rows, 6u);
    Kokkos::deep_copy(values.view(), rows.view());
    detail::unpack_region<double, true, Walk::Rows>(rows.view(), region, 2, by_rows.data());
    detail::unpack_region<double, true, Walk::Values>(values.view(), region, 2, by_rows.data());
    Kokkos::fence();
    equal(rows, values);
    detail::unpack_region<double, false, Walk::Rows>(rows.view(), region, 2, by_values.data());
    detail::unpack_region<double, false, Walk::Values>(values.view(), region, 2, by_values.data());
    Kokkos::fence();
    equal(rows, values);
  }
  CHECK(same);
}

TEST_CASE("message buffers: Automatic is Direct on host execution spaces, a bad UNDERTOW_GPU_AWARE_MPI is refused",
          "[halo][errors]") {
  auto dec = Decomposition::create(GridSpec::line(4 * undertow_test::world_size(), true), MPI_COMM_WORLD);
  CHECK(std::string(to_string(MessageBuffers::HostStaged)) == "host-staged");
  if (host_execution()) CHECK(Halo(dec, HaloPattern::Star, 1).message_buffers() == MessageBuffers::Direct);
  // Only rank 0 has the bad value: every rank still throws.
  if (undertow_test::world_rank() == 0) setenv("UNDERTOW_GPU_AWARE_MPI", "yes", 1);
  CHECK_THROWS_WITH(Halo(dec, HaloPattern::Star, 1), Catch::Matchers::Contains("UNDERTOW_GPU_AWARE_MPI='yes'"));
  unsetenv("UNDERTOW_GPU_AWARE_MPI");
  setenv("UNDERTOW_GPU_AWARE_MPI", "0", 1);
  CHECK(Halo(dec, HaloPattern::Star, 1, MessageBuffers::Direct).message_buffers() == MessageBuffers::Direct);
  if (host_execution()) CHECK(Halo(dec, HaloPattern::Star, 1).message_buffers() == MessageBuffers::Direct);
  unsetenv("UNDERTOW_GPU_AWARE_MPI");
}
