// Field<T>: a distributed array of T over a Decomposition, with ghost layers.
//
// Storage is one Kokkos View indexed (component, i, j, k) in local,
// ghost-inclusive indices, LayoutRight so that k (or j in 2D, i in 1D) is the
// unit-stride index and each component is a contiguous block. Owned cells are
// [ghost, ghost + owned_cells) in each used dimension; unused dimensions of a 1D or
// 2D grid have extent 1 and no ghosts. The Field is a handle: copies share data
// (like a View); use `clone()` or `deep_copy` for a new array.
#pragma once

#include <Kokkos_Core.hpp>
#include <memory>
#include <string>
#include <utility>

#include "undertow/core/error.hpp"
#include "undertow/core/types.hpp"
#include "undertow/grid/decomposition.hpp"

namespace undertow {

template <class T>
class Field {
 public:
  using value_type = T;
  using view_type = Kokkos::View<T****, Kokkos::LayoutRight, MemSpace>;

  Field() = default;

  /// Collective (validates `ghost` against the decomposition on every rank).
  Field(std::shared_ptr<const Decomposition> decomposition, std::string name, int components = 1, int ghost = 1)
      : decomp_(std::move(decomposition)), name_(std::move(name)), components_(components), ghost_(ghost) {
    if (!decomp_) throw Error("Field '" + name_ + "': null decomposition");
    collective_check(decomp_->comm(), [&] {
      if (components_ < 1) {
        throw Error("Field '" + name_ + "': needs at least one component, got " + std::to_string(components_));
      }
    });
    decomp_->check_ghost_width(ghost_);
    for (int d = 0; d < 3; ++d) {
      ghost_in_[d] = d < decomp_->dim() ? ghost_ : 0;
      extent_[d] = decomp_->owned_cells()[d] + 2 * ghost_in_[d];
    }
    view_ = view_type(name_, components_, extent_[0], extent_[1], extent_[2]);
  }

  /// A new Field with the same layout, zero-initialised (or named differently).
  Field clone_layout(const std::string& name) const { return Field(decomp_, name, components_, ghost_); }
  /// A new Field with the same layout and a copy of every value, ghosts included.
  Field clone(const std::string& name) const {
    Field f = clone_layout(name);
    Kokkos::deep_copy(f.view_, view_);
    return f;
  }

  bool valid() const { return decomp_ != nullptr; }
  const view_type& view() const { return view_; }
  const Decomposition& decomposition() const { return *decomp_; }
  const std::shared_ptr<const Decomposition>& decomposition_ptr() const { return decomp_; }
  const std::string& name() const { return name_; }
  int components() const { return components_; }
  int ghost() const { return ghost_; }
  /// Ghost width in dimension d (0 in unused dimensions).
  int ghost(int d) const { return ghost_in_[d]; }
  /// Local extent (ghosts included) in dimension d.
  int extent(int d) const { return extent_[d]; }

  /// Owned cells in local indices.
  Box owned_box() const {
    Box b;
    for (int d = 0; d < 3; ++d) {
      b.lo[d] = ghost_in_[d];
      b.hi[d] = ghost_in_[d] + decomp_->owned_cells()[d];
    }
    return b;
  }
  /// All cells, ghosts included.
  Box full_box() const { return Box{{0, 0, 0}, extent_}; }

  /// Local index of a global index along dimension d (may lie in the ghost layer).
  int local_index(int d, std::int64_t global) const {
    return static_cast<int>(global - decomp_->owned_lo()[d]) + ghost_in_[d];
  }
  /// Trades storage with `other`, which must have the same layout; names stay.
  /// O(1). Copies of either handle made before keep the storage they saw.
  void swap_storage(Field& other) {
    if (decomp_ != other.decomp_ || components_ != other.components_ || ghost_ != other.ghost_) {
      throw Error("Field::swap_storage: fields '" + name_ + "' and '" + other.name_ +
                  "' differ in decomposition, component count or ghost width");
    }
    std::swap(view_, other.view_);
  }

  /// Global index of a local index along dimension d (not wrapped for periodic ghosts).
  std::int64_t global_index(int d, int local) const { return decomp_->owned_lo()[d] + (local - ghost_in_[d]); }
  /// True if this rank owns global cell (gi, gj, gk).
  bool owns(std::int64_t gi, std::int64_t gj = 0, std::int64_t gk = 0) const {
    const std::int64_t g[3] = {gi, gj, gk};
    for (int d = 0; d < 3; ++d) {
      if (g[d] < decomp_->owned_lo()[d] || g[d] >= decomp_->owned_lo()[d] + decomp_->owned_cells()[d]) return false;
    }
    return true;
  }

 private:
  std::shared_ptr<const Decomposition> decomp_;
  std::string name_;
  int components_ = 1;
  int ghost_ = 0;
  Index3 ghost_in_{0, 0, 0};
  Index3 extent_{1, 1, 1};
  view_type view_;
};

}  // namespace undertow
