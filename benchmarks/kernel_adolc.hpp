// kernel_adolc.hpp: the operator-overloading reference for bench_kernels. The
// same kernel bodies (templates on In::scalar) run on ADOL-C's `adouble`: one
// step of one rank's subdomain is taped (every local input cell, ghosts included,
// an independent; every owned output a dependent) and reversed with fos_reverse.
// This is what differentiating the solver with a general-purpose AD tool costs,
// before any MPI handling (which ADOL-C does not do).
//
// Include this header BEFORE kernel_cases.hpp: kernels call the qualified
// `undertow::sqrt`, so the adouble overload must be declared first.
#pragma once

#include <adolc/adolc.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace undertow_adolc {
// ADOL-C's math functions are hidden friends of badouble: found by ADL only.
inline adouble call_sqrt(const adouble& x) {
  return sqrt(x);
}
}  // namespace undertow_adolc

namespace undertow {
// adouble versions of the undertow:: math the benchmark kernels use.
inline adouble sqrt(const adouble& x) {
  return undertow_adolc::call_sqrt(x);
}
}  // namespace undertow

#include "kernel_cases.hpp"

namespace undertow::bench {

/// ADOL-C writes a tape that outgrows its buffers to files named by tag in the
/// current directory: ranks sharing a directory would overwrite each other's
/// tapes (seen as a wrong Burgers adjoint at 2 ranks). Every ADOL-C call runs
/// inside a TapeDirectory, which makes a directory of this process's own (in the
/// system's temporary directory, removed at exit) the current one meanwhile.
class TapeDirectory {
 public:
  TapeDirectory() : previous_(std::filesystem::current_path()) { std::filesystem::current_path(own().path); }
  ~TapeDirectory() {
    std::error_code ignored;
    std::filesystem::current_path(previous_, ignored);
  }
  TapeDirectory(const TapeDirectory&) = delete;
  TapeDirectory& operator=(const TapeDirectory&) = delete;

 private:
  struct Own {
    std::filesystem::path path;
    Own()
        : path(std::filesystem::temp_directory_path() /
               ("undertow_bench_adolc_" + std::to_string(static_cast<long>(::getpid())))) {
      std::filesystem::create_directories(path);
    }
    ~Own() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  };
  static const Own& own() {
    static const Own dir;
    return dir;
  }
  std::filesystem::path previous_;
};

/// A fresh tape number for every AdolcStep: re-tracing an old tag with other
/// buffer sizes crashed ADOL-C 2.7.2 here.
inline short next_adolc_tag() {
  static short tag = 0;
  return ++tag;
}

/// Input accessor over adouble arrays covering a rank's local box (ghosts too).
template <class K>
struct AdolcInput {
  using scalar = adouble;
  const adouble* const* fields;
  std::ptrdiff_t stride[3];
  std::ptrdiff_t centre;
  const adouble& comp(int f, int /*c*/, int di, int dj = 0, int dk = 0) const {
    return fields[f][centre + di * stride[0] + dj * stride[1] + dk * stride[2]];
  }
  const adouble& operator()(int f, int di, int dj = 0, int dk = 0) const { return comp(f, 0, di, dj, dk); }
};

template <class K>
struct AdolcOutput {
  adouble v[K::output_values];
  adouble& operator()(int f, int c = 0) { return v[K::output_slot(f, c)]; }
};

/// Tapes one application of kernel K on the local boxes of `inputs` and reverses
/// it with weights `output_adjoints` (owned cells), ADDING the result to
/// `input_adjoints` in every local cell (ghost contributions need the transposed
/// exchange afterwards, as in the scatter assemblies). Single-component fields;
/// host memory spaces only (ADOL-C is a CPU library).
template <class K>
class AdolcStep {
 public:
  static constexpr int NI = K::num_inputs, NO = K::num_outputs;
  static_assert(K::input_values == NI && K::output_values == NO, "single-component fields only");

  AdolcStep(const K& kernel, const std::array<Field<double>, NI>& inputs, const std::array<Field<double>, NO>& outputs,
            short tag)
      : kernel_(kernel), inputs_(inputs), outputs_(outputs), tag_(tag) {
    const auto& v = inputs_[0].view();
    local_ = static_cast<std::size_t>(v.extent(1) * v.extent(2) * v.extent(3));
    for (int d = 0; d < 3; ++d) stride_[d] = static_cast<std::ptrdiff_t>(v.stride(d + 1));
    const Index3 n = inputs_[0].decomposition().owned_cells();
    owned_ = static_cast<std::size_t>(n[0]) * n[1] * n[2];
    y_.resize(owned_ * NO);
    weights_.resize(owned_ * NO);
    gradient_.resize(local_ * NI);
  }

  /// Tape sizes: measured once on this problem (a first, default-sized trace),
  /// then every trace gets buffers big enough to stay in memory (no tape files).
  void size_buffers() {
    const TapeDirectory tapes;
    run_trace(false);
    std::size_t stats[STAT_SIZE];
    tapestats(tag_, stats);
    auto grow = [](std::size_t n) {
      return static_cast<unsigned>(std::min<std::size_t>(n + n / 4 + 1024, 4000000000u));
    };
    sizes_ = {grow(stats[NUM_OPERATIONS]), grow(stats[NUM_LOCATIONS]), grow(stats[NUM_VALUES]),
              grow(stats[TAY_STACK_SIZE])};
    sized_ = true;
  }

  /// Tape the step (values of the inputs now), then reverse it.
  void tape_and_reverse(const std::array<Field<double>, NO>& output_adjoints,
                        const std::array<Field<double>, NI>& input_adjoints) {
    const TapeDirectory tapes;
    run_trace(sized_);
    // Weights: the output adjoints of the owned cells, in the dependents' order.
    const Index3 n = inputs_[0].decomposition().owned_cells();
    const int g = inputs_[0].ghost();
    const int dim = inputs_[0].decomposition().dim();
    std::size_t cell = 0;
    for (int i = 0; i < n[0]; ++i)
      for (int j = 0; j < n[1]; ++j)
        for (int k = 0; k < n[2]; ++k, ++cell)
          for (int f = 0; f < NO; ++f) {
            weights_[cell * NO + f] = output_adjoints[f].view()(0, i + g, j + g, k + (dim == 3 ? g : 0));
          }
    fos_reverse(tag_, static_cast<int>(y_.size()), static_cast<int>(local_ * NI), weights_.data(), gradient_.data());
    for (int f = 0; f < NI; ++f) {
      double* bar = input_adjoints[f].view().data();
      const double* src = gradient_.data() + f * local_;
      for (std::size_t c = 0; c < local_; ++c) bar[c] += src[c];
    }
  }

  /// Operations on the tape per owned cell (after the last trace).
  double operations_per_cell() const {
    std::size_t stats[STAT_SIZE];
    tapestats(tag_, stats);
    return static_cast<double>(stats[NUM_OPERATIONS]) / static_cast<double>(owned_);
  }

 private:
  void run_trace(bool sized) {
    if (sized) {
      trace_on(tag_, 1, sizes_[0], sizes_[1], sizes_[2], sizes_[3]);
    } else {
      trace_on(tag_, 1);
    }
    {
      std::vector<adouble> a(local_ * NI);
      for (int f = 0; f < NI; ++f) {
        const double* src = inputs_[f].view().data();
        for (std::size_t c = 0; c < local_; ++c) a[f * local_ + c] <<= src[c];
      }
      const adouble* fields[NI];
      for (int f = 0; f < NI; ++f) fields[f] = a.data() + f * local_;
      const Index3 n = inputs_[0].decomposition().owned_cells();
      const int g = inputs_[0].ghost();
      const int dim = inputs_[0].decomposition().dim();
      std::size_t cell = 0;
      for (int i = 0; i < n[0]; ++i)
        for (int j = 0; j < n[1]; ++j)
          for (int k = 0; k < n[2]; ++k, ++cell) {
            AdolcInput<K> in{fields,
                             {stride_[0], stride_[1], stride_[2]},
                             (i + g) * stride_[0] + (j + g) * stride_[1] + (k + (dim == 3 ? g : 0)) * stride_[2]};
            AdolcOutput<K> out;
            kernel_(in, out);
            for (int f = 0; f < NO; ++f) out.v[f] >>= y_[cell * NO + f];
          }
    }
    trace_off();
  }

  K kernel_;
  std::array<Field<double>, NI> inputs_;
  std::array<Field<double>, NO> outputs_;
  short tag_;
  std::size_t local_ = 0, owned_ = 0;
  std::ptrdiff_t stride_[3] = {0, 0, 0};
  std::vector<double> y_, weights_, gradient_;
  std::array<unsigned, 4> sizes_{0, 0, 0, 0};
  bool sized_ = false;
};

}  // namespace undertow::bench
