// kernel_proto_check.hpp: the prototype assemblies of fast_assembly.hpp against
// KernelApplication, bitwise, on the kernels of the derivative tests
// (tests/program/test_kernels.hpp: 1D/2D/3D, star and box stencils, radius 1 and
// 2, linear and nonlinear with branches, walls and periodic dimensions). Every
// value of every field is compared (ghosts included: the gather also writes
// ghosts beyond walls); in a default build they are bitwise equal. bench_kernels runs this before timing anything, on
// the ranks and threads it was started with.
#pragma once

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <array>
#include <cmath>

#include "fast_assembly.hpp"
#include "program/test_kernels.hpp"
#include "undertow/undertow.hpp"

namespace undertow::bench {

namespace proto_check {

/// Largest |a - b| / max |b| over every local value of every rank (0: bitwise
/// equal up to the sign of zeros).
inline double difference(const Field<double>& a, const Field<double>& b) {
  auto ha = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), a.view());
  auto hb = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), b.view());
  double local[2] = {0, 0}, global[2] = {0, 0};
  for (std::size_t n = 0; n < ha.span(); ++n) {
    local[0] = std::max(local[0], std::abs(ha.data()[n] - hb.data()[n]));
    local[1] = std::max(local[1], std::abs(hb.data()[n]));
  }
  check_mpi(MPI_Allreduce(local, global, 2, MPI_DOUBLE, MPI_MAX, a.decomposition().comm()), "MPI_Allreduce");
  return global[1] > 0 ? global[0] / global[1] : global[0];
}

/// Forward, tangent<2> and gather adjoint of kernel k on `grid`, library against
/// prototype: the largest relative difference of the three.
template <class K>
double compare(MPI_Comm comm, const GridSpec& grid, const K& k) {
  auto dec = Decomposition::create(grid, comm);
  const int g = 2 * K::stencil.radius;
  using In = std::array<Field<double>, K::num_inputs>;
  using Out = std::array<Field<double>, K::num_outputs>;
  In in, in_dot, bar_lib, bar_proto;
  Out out_lib, out_proto, dot_lib, dot_proto, out_bar;
  for (int f = 0; f < K::num_inputs; ++f) {
    in[f] = Field<double>(dec, "in", 1, g);
    // Values by global index in ghosts too (wrapped where periodic), a positive
    // coefficient for input 1.
    set_by_global_index<double>(
        in[f],
        [f](int, std::int64_t i, std::int64_t j, std::int64_t kk) {
          return f == 0 ? 0.3 * std::sin(0.7 * double(i) + 0.3 * double(j) - 0.2 * double(kk)) +
                              0.05 * std::cos(3.1 * double(i * 7 + j * 3 + kk))
                        : 1.0 + 0.3 * std::cos(0.5 * double(i) - 0.4 * double(j) + 0.9 * double(kk));
        },
        true);
    in_dot[f] = Field<double>(dec, "in_dot", 2, g);
    set_by_global_index<double>(
        in_dot[f],
        [f](int c, std::int64_t i, std::int64_t j, std::int64_t kk) {
          return std::cos(1.1 * double(i) - 0.6 * double(j) + 0.3 * double(kk) + c + 2 * f);
        },
        true);
    bar_lib[f] = in[f].clone_layout("bar_lib");
    bar_proto[f] = in[f].clone_layout("bar_proto");
  }
  for (int f = 0; f < K::num_outputs; ++f) {
    out_lib[f] = Field<double>(dec, "out_lib", 1, g);
    out_proto[f] = out_lib[f].clone_layout("out_proto");
    dot_lib[f] = Field<double>(dec, "dot_lib", 2, g);
    dot_proto[f] = dot_lib[f].clone_layout("dot_proto");
    out_bar[f] = out_lib[f].clone_layout("out_bar");
    set_by_global_index<double>(
        out_bar[f],
        [](int, std::int64_t i, std::int64_t j, std::int64_t kk) {
          return std::cos(1.3 * double(i) + 0.7 * double(j) + 0.1 * double(kk));
        },
        true);
  }
  const KernelApplication<K> lib(k, in, out_lib), proto(k, in, out_proto);
  lib.forward();
  fast_forward(proto);
  lib.template tangent<2>(in_dot, dot_lib);
  fast_tangent<2>(proto, in_dot, dot_proto);
  lib.adjoint(out_bar, bar_lib, AdjointForm::Gather);
  fast_adjoint_gather(proto, out_bar, bar_proto);
  double worst = 0;
  for (int f = 0; f < K::num_outputs; ++f) {
    worst = std::max({worst, difference(out_proto[f], out_lib[f]), difference(dot_proto[f], dot_lib[f])});
  }
  for (int f = 0; f < K::num_inputs; ++f) worst = std::max(worst, difference(bar_proto[f], bar_lib[f]));
  return worst;
}

}  // namespace proto_check

/// Runs every case; returns the largest relative difference over all of them
/// (0 in a default build: the same operations in the same order; with FMA
/// contraction, e.g. -march=native, the compiler may fuse differently in the two
/// codes and the last bits differ).
inline double check_prototype(MPI_Comm comm, int& cases) {
  using namespace undertow_test;
  double worst = 0;
  cases = 0;
  auto run = [&](double difference) {
    ++cases;
    worst = std::max(worst, difference);
  };
  run(proto_check::compare(comm, GridSpec::line(37, false), Diffusion<1>{}));
  run(proto_check::compare(comm, GridSpec::rect(23, 19, {false, false}), Diffusion<2>{}));
  run(proto_check::compare(comm, GridSpec::rect(23, 19, {true, false}), Diffusion<2>{}));
  run(proto_check::compare(comm, GridSpec::box(11, 9, 13, {false, false, false}), Diffusion<3>{}));
  run(proto_check::compare(comm, GridSpec::rect(24, 21, {false, false}), FourthOrderReaction<2>{}));
  run(proto_check::compare(comm, GridSpec::line(40, true), FourthOrderReaction<1>{}));
  run(proto_check::compare(comm, GridSpec::rect(17, 15, {false, false}), BoxSmoother<2>{}));
  run(proto_check::compare(comm, GridSpec::box(10, 9, 8, {true, false, false}), BoxSmoother<3>{}));
  run(proto_check::compare(comm, GridSpec::rect(22, 18, {false, false}), UpwindBurgers<2>{}));
  run(proto_check::compare(comm, GridSpec::line(30, false), UpwindBurgers<1>{}));
  return worst;
}

}  // namespace undertow::bench
