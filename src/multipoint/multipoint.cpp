#include "undertow/multipoint/multipoint.hpp"

#include <algorithm>
#include <cstring>
#include <exception>
#include <sstream>

#include "undertow/core/error.hpp"

namespace undertow {
namespace {

/// A result computed by one group leader: a key (row, point, ...) and its values.
struct Piece {
  int key = 0;
  std::vector<double> values;
};

/// Collective: every rank's pieces, in rank order then local order, on every rank.
std::vector<Piece> allgather_pieces(MPI_Comm comm, const std::vector<Piece>& mine) {
  std::vector<double> flat;
  for (const Piece& p : mine) {
    flat.push_back(static_cast<double>(p.key));
    flat.push_back(static_cast<double>(p.values.size()));
    flat.insert(flat.end(), p.values.begin(), p.values.end());
  }
  int size = 1;
  check_mpi(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  const int n = static_cast<int>(flat.size());
  std::vector<int> counts(static_cast<std::size_t>(size)), displs(static_cast<std::size_t>(size), 0);
  check_mpi(MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, comm), "MPI_Allgather");
  for (std::size_t r = 1; r < counts.size(); ++r) displs[r] = displs[r - 1] + counts[r - 1];
  std::vector<double> all(static_cast<std::size_t>(displs.back() + counts.back()));
  check_mpi(MPI_Allgatherv(flat.data(), n, MPI_DOUBLE, all.data(), counts.data(), displs.data(), MPI_DOUBLE, comm),
            "MPI_Allgatherv");
  std::vector<Piece> pieces;
  for (std::size_t i = 0; i < all.size();) {
    Piece p;
    p.key = static_cast<int>(all[i]);
    const std::size_t len = static_cast<std::size_t>(all[i + 1]);
    p.values.assign(all.begin() + static_cast<std::ptrdiff_t>(i + 2),
                    all.begin() + static_cast<std::ptrdiff_t>(i + 2 + len));
    pieces.push_back(std::move(p));
    i += 2 + len;
  }
  return pieces;
}

/// Collective: runs `work`, and turns any exception on any rank into the same
/// Error on every rank of `comm`.
template <class Work>
void run_collectively(MPI_Comm comm, Work&& work) {
  bool ok = true;
  std::string message;
  try {
    work();
  } catch (const std::exception& e) {
    ok = false;
    message = e.what();
  }
  agree_or_throw(comm, ok, message);
}

/// Collective: throws Error on every rank unless `v` is bitwise the same on every
/// rank (compared against rank 0's copy).
void check_identical(MPI_Comm comm, const std::vector<double>& v, const std::string& what) {
  int rank = 0;
  check_mpi(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  long n = static_cast<long>(v.size());
  check_mpi(MPI_Bcast(&n, 1, MPI_LONG, 0, comm), "MPI_Bcast");
  std::vector<double> root(static_cast<std::size_t>(n));
  if (rank == 0) root = v;
  if (n > 0) check_mpi(MPI_Bcast(root.data(), static_cast<int>(n), MPI_DOUBLE, 0, comm), "MPI_Bcast");
  std::ostringstream os;
  bool ok = true;
  if (static_cast<long>(v.size()) != n) {
    ok = false;
    os << what << " differs between ranks: " << v.size() << " values on rank " << rank << ", " << n << " on rank 0";
  } else {
    for (std::size_t i = 0; i < v.size() && ok; ++i) {
      if (std::memcmp(&v[i], &root[i], sizeof(double)) != 0) {
        ok = false;
        os.precision(17);
        os << what << " differs between ranks: entry " << i << " is " << v[i] << " on rank " << rank << " but "
           << root[i] << " on rank 0";
      }
    }
  }
  agree_or_throw(comm, ok, os.str());
}

std::vector<double> unit(int n, int i) {
  std::vector<double> e(static_cast<std::size_t>(n), 0.0);
  e[static_cast<std::size_t>(i)] = 1.0;
  return e;
}

void check_length(const std::vector<double>& v, int expected, const std::string& what, const std::string& unit_name) {
  if (static_cast<int>(v.size()) != expected) {
    throw Error(what + " has " + std::to_string(v.size()) + " values, expected " + std::to_string(expected) + " (" +
                unit_name + ")");
  }
}

std::vector<double> as_doubles(const std::vector<int>& v) {
  return std::vector<double>(v.begin(), v.end());
}

}  // namespace

Multipoint::Multipoint(MPI_Comm comm, std::vector<PointSpec> points, std::shared_ptr<Upstream> upstream,
                       const PointFactory& make_point, Sharing sharing)
    : points_(std::move(points)),
      offsets_(response_offsets(points_)),
      groups_(comm, points_, sharing),
      upstream_(std::move(upstream)) {
  MPI_Comm c = groups_.comm();
  collective_check(c, [&] {
    if (!upstream_) throw Error("Multipoint: no upstream given (use IdentityUpstream for y = x)");
    nx_ = upstream_->num_inputs();
    ny_ = upstream_->num_outputs();
    if (nx_ < 1 || ny_ < 0) {
      throw Error("Multipoint: the upstream has " + std::to_string(nx_) + " inputs and " + std::to_string(ny_) +
                  " outputs; it needs at least one input");
    }
    for (std::size_t p = 0; p < points_.size(); ++p) {
      if (points_[p].responses < 1) {
        throw Error("Multipoint: " + describe_point(points_, static_cast<int>(p)) + " declares " +
                    std::to_string(points_[p].responses) + " responses; a point needs at least one");
      }
    }
    check_design_colouring(SeedColouring::none(nx_), nx_, points_);  // depends_on indices in range
    if (!make_point) throw Error("Multipoint: no point factory given");
  });
  const std::size_t n = points_.size();
  analyses_.assign(n, 0);
  tangents_.assign(n, 0);
  adjoints_.assign(n, 0);
  run_collectively(c, [&] {
    for (int p : groups_.local_points()) {
      std::unique_ptr<PointModel> model = make_point(p, groups_.point_comm(p));
      if (!model) throw Error("Multipoint: the factory returned no model for " + describe_point(points_, p));
      models_[p] = std::move(model);
    }
  });
}

Multipoint::~Multipoint() = default;

int Multipoint::response_index(int point, int r) const {
  if (point < 0 || point >= num_points() || r < 0 || r >= points_[static_cast<std::size_t>(point)].responses) {
    throw Error("Multipoint: no response " + std::to_string(r) + " of point " + std::to_string(point) + " (" +
                std::to_string(num_points()) + " points)");
  }
  return offsets_[static_cast<std::size_t>(point)] + r;
}

PointModel* Multipoint::local_model(int point) const {
  auto it = models_.find(point);
  return it == models_.end() ? nullptr : it->second.get();
}

void Multipoint::require_analysis(const char* what) const {
  // analysed_ is the same on every rank: analyse() either succeeds or throws everywhere.
  if (!analysed_) throw Error(std::string("Multipoint::") + what + ": call analyse(x) first (successfully)");
}

std::vector<double> Multipoint::solve_adjoint(int point, const std::vector<double>& zbar) {
  const std::string who = describe_point(points_, point);
  std::vector<double> ybar;
  try {
    ybar = models_.at(point)->adjoint(groups_.point_comm(point), zbar);
  } catch (const std::exception& e) {
    throw Error(who + ": adjoint solve failed: " + e.what());
  }
  ++adjoints_[static_cast<std::size_t>(point)];
  check_length(ybar, ny_, who + ": the adjoint's ybar", "one per upstream output y");
  return ybar;
}

std::vector<double> Multipoint::solve_tangent(int point, const std::vector<double>& ydot) {
  const std::string who = describe_point(points_, point);
  std::vector<double> zdot;
  try {
    zdot = models_.at(point)->tangent(groups_.point_comm(point), ydot);
  } catch (const std::exception& e) {
    throw Error(who + ": tangent solve failed: " + e.what());
  }
  ++tangents_[static_cast<std::size_t>(point)];
  check_length(zdot, points_[static_cast<std::size_t>(point)].responses, who + ": the tangent's zdot",
               "one per response");
  return zdot;
}

std::vector<double> Multipoint::upstream_vjp(const std::vector<double>& ybar) const {
  std::vector<double> xbar = upstream_->vjp(x_, ybar);
  check_length(xbar, nx_, "Multipoint: the upstream's vjp", "one per design variable");
  return xbar;
}

std::vector<double> Multipoint::upstream_jvp(const std::vector<double>& xdot) const {
  std::vector<double> ydot = upstream_->jvp(x_, xdot);
  check_length(ydot, ny_, "Multipoint: the upstream's jvp", "one per upstream output");
  return ydot;
}

std::vector<double> Multipoint::analyse(const std::vector<double>& x) {
  MPI_Comm comm = groups_.comm();
  analysed_ = false;
  collective_check(comm, [&] { check_length(x, nx_, "Multipoint::analyse: x", "one per design variable"); });
  check_identical(comm, x, "Multipoint::analyse: the design variables x");
  std::vector<double> y;
  run_collectively(comm, [&] {
    y = upstream_->evaluate(x);
    check_length(y, ny_, "Multipoint::analyse: the upstream's y", "one per upstream output");
  });
  check_identical(comm, y, "Multipoint::analyse: the upstream's output y (an upstream must be deterministic)");
  std::vector<Piece> mine;
  run_collectively(comm, [&] {
    for (int p : groups_.local_points()) {
      const std::string who = describe_point(points_, p);
      std::vector<double> z;
      try {
        z = models_.at(p)->analyse(groups_.point_comm(p), y);
      } catch (const std::exception& e) {
        throw Error(who + ": analysis failed: " + e.what());
      }
      ++analyses_[static_cast<std::size_t>(p)];
      check_length(z, points_[static_cast<std::size_t>(p)].responses, who + ": analyse's z", "one per response");
      if (groups_.leader()) mine.push_back({p, std::move(z)});
    }
  });
  std::vector<double> z(static_cast<std::size_t>(num_responses()), 0.0);
  for (const Piece& piece : allgather_pieces(comm, mine)) {
    std::copy(piece.values.begin(), piece.values.end(), z.begin() + offsets_[static_cast<std::size_t>(piece.key)]);
  }
  x_ = x;
  y_ = std::move(y);
  z_ = std::move(z);
  analysed_ = true;
  return z_;
}

MultipointJacobian Multipoint::reverse() {
  return reverse(colour_responses(points_, groups_.allocation()));
}

MultipointJacobian Multipoint::reverse(const SeedColouring& colouring) {
  MPI_Comm comm = groups_.comm();
  collective_check(comm, [&] {
    require_analysis("reverse");
    check_response_colouring(colouring, points_, groups_.allocation());
  });
  check_identical(comm, as_doubles(colouring.colour), "Multipoint::reverse: the colouring");
  const int rows = num_responses();
  std::vector<int> owner;
  for (int p = 0; p < num_points(); ++p)
    owner.insert(owner.end(), static_cast<std::size_t>(points_[static_cast<std::size_t>(p)].responses), p);
  MultipointJacobian J(rows, nx_);
  std::vector<int> writes(static_cast<std::size_t>(rows), 0);
  auto write_row = [&](int row, const std::vector<double>& xbar) {
    for (int k = 0; k < nx_; ++k) J(row, k) = xbar[static_cast<std::size_t>(k)];
    ++writes[static_cast<std::size_t>(row)];
  };
  int rounds = 0;
  // Coloured rounds: every group seeds its own response of the colour (if any) and
  // back-propagates through its private upstream; only the leader reports the row.
  for (const std::vector<int>& members : colouring.members()) {
    if (members.empty()) continue;
    std::vector<Piece> mine;
    run_collectively(comm, [&] {
      for (int row : members) {
        const int p = owner[static_cast<std::size_t>(row)];
        if (!groups_.is_local(p)) continue;
        const std::vector<double> ybar = solve_adjoint(
            p, unit(points_[static_cast<std::size_t>(p)].responses, row - offsets_[static_cast<std::size_t>(p)]));
        if (groups_.leader()) mine.push_back({row, upstream_vjp(ybar)});
      }
    });
    for (const Piece& piece : allgather_pieces(comm, mine)) write_row(piece.key, piece.values);
    ++rounds;
  }
  // Serialised fallback: one adjoint solve at a time; its ybar goes to every rank,
  // which back-propagates through the shared upstream itself.
  for (int row : colouring.uncoloured()) {
    const int p = owner[static_cast<std::size_t>(row)];
    std::vector<double> ybar(static_cast<std::size_t>(ny_), 0.0);
    run_collectively(comm, [&] {
      if (groups_.is_local(p)) {
        ybar = solve_adjoint(
            p, unit(points_[static_cast<std::size_t>(p)].responses, row - offsets_[static_cast<std::size_t>(p)]));
      }
    });
    const int root = groups_.leader_rank(groups_.allocation().group_of_point[static_cast<std::size_t>(p)]);
    if (ny_ > 0) check_mpi(MPI_Bcast(ybar.data(), ny_, MPI_DOUBLE, root, comm), "MPI_Bcast");
    std::vector<double> xbar;
    run_collectively(comm, [&] { xbar = upstream_vjp(ybar); });
    write_row(row, xbar);
    ++rounds;
  }
  last_rounds_ = rounds;
  for (int row = 0; row < rows; ++row) {
    if (writes[static_cast<std::size_t>(row)] != 1) {
      throw Error("Multipoint::reverse: internal error, row " + std::to_string(row) + " was written " +
                  std::to_string(writes[static_cast<std::size_t>(row)]) + " times instead of once");
    }
  }
  return J;
}

MultipointJacobian Multipoint::forward() {
  return forward(colour_design_variables(nx_, points_));
}

MultipointJacobian Multipoint::forward(const SeedColouring& colouring) {
  MPI_Comm comm = groups_.comm();
  collective_check(comm, [&] {
    require_analysis("forward");
    check_design_colouring(colouring, nx_, points_);
  });
  check_identical(comm, as_doubles(colouring.colour), "Multipoint::forward: the colouring");
  const int np = num_points();
  MultipointJacobian J(num_responses(), nx_);
  std::vector<int> writes(static_cast<std::size_t>(np) * static_cast<std::size_t>(nx_), 0);
  auto write_piece = [&](const Piece& piece) {
    const int p = piece.key / nx_, k = piece.key % nx_;
    for (std::size_t r = 0; r < piece.values.size(); ++r)
      J(offsets_[static_cast<std::size_t>(p)] + static_cast<int>(r), k) = piece.values[r];
    ++writes[static_cast<std::size_t>(piece.key)];
  };
  int rounds = 0;
  // Coloured rounds: each point pushes the one variable of the colour it depends on
  // (if any) through its group's private upstream and its tangent.
  for (const std::vector<int>& members : colouring.members()) {
    if (members.empty()) continue;
    std::vector<Piece> mine;
    run_collectively(comm, [&] {
      for (int p : groups_.local_points()) {
        for (int k : members) {
          if (!depends_on_variable(points_[static_cast<std::size_t>(p)], k)) continue;
          std::vector<double> zdot = solve_tangent(p, upstream_jvp(unit(nx_, k)));
          if (groups_.leader()) mine.push_back({p * nx_ + k, std::move(zdot)});
        }
      }
    });
    for (const Piece& piece : allgather_pieces(comm, mine)) write_piece(piece);
    ++rounds;
  }
  // Serialised fallback: one variable at a time through the shared upstream, every
  // point solving (declared independence is not used).
  for (int k : colouring.uncoloured()) {
    std::vector<double> ydot;
    run_collectively(comm, [&] { ydot = upstream_jvp(unit(nx_, k)); });
    std::vector<Piece> mine;
    run_collectively(comm, [&] {
      for (int p : groups_.local_points()) {
        std::vector<double> zdot = solve_tangent(p, ydot);
        if (groups_.leader()) mine.push_back({p * nx_ + k, std::move(zdot)});
      }
    });
    for (const Piece& piece : allgather_pieces(comm, mine)) write_piece(piece);
    ++rounds;
  }
  last_rounds_ = rounds;
  for (int p = 0; p < np; ++p) {
    for (int k = 0; k < nx_; ++k) {
      const bool expected = colouring.colour[static_cast<std::size_t>(k)] < 0 ||
                            depends_on_variable(points_[static_cast<std::size_t>(p)], k);
      const int w = writes[static_cast<std::size_t>(p * nx_ + k)];
      if (w != (expected ? 1 : 0)) {
        throw Error("Multipoint::forward: internal error, the entries of " + describe_point(points_, p) +
                    " for design variable " + std::to_string(k) + " were written " + std::to_string(w) + " times");
      }
    }
  }
  return J;
}

std::vector<double> Multipoint::vjp(const std::vector<double>& zbar) {
  MPI_Comm comm = groups_.comm();
  collective_check(comm, [&] {
    require_analysis("vjp");
    check_length(zbar, num_responses(), "Multipoint::vjp: zbar", "one per response");
  });
  check_identical(comm, zbar, "Multipoint::vjp: zbar");
  std::vector<Piece> mine;
  run_collectively(comm, [&] {
    for (int p : groups_.local_points()) {
      const auto begin = zbar.begin() + offsets_[static_cast<std::size_t>(p)];
      const std::vector<double> part(begin, begin + points_[static_cast<std::size_t>(p)].responses);
      if (std::all_of(part.begin(), part.end(), [](double v) { return v == 0.0; })) continue;
      const std::vector<double> ybar = solve_adjoint(p, part);
      if (groups_.leader()) mine.push_back({p, upstream_vjp(ybar)});
    }
  });
  std::vector<Piece> pieces = allgather_pieces(comm, mine);
  // Summed in point order, whatever the grouping: the same bits on every rank.
  std::sort(pieces.begin(), pieces.end(), [](const Piece& a, const Piece& b) { return a.key < b.key; });
  std::vector<double> xbar(static_cast<std::size_t>(nx_), 0.0);
  for (const Piece& piece : pieces)
    for (int k = 0; k < nx_; ++k) xbar[static_cast<std::size_t>(k)] += piece.values[static_cast<std::size_t>(k)];
  last_rounds_ = 1;
  return xbar;
}

std::vector<double> Multipoint::jvp(const std::vector<double>& xdot) {
  MPI_Comm comm = groups_.comm();
  collective_check(comm, [&] {
    require_analysis("jvp");
    check_length(xdot, nx_, "Multipoint::jvp: xdot", "one per design variable");
  });
  check_identical(comm, xdot, "Multipoint::jvp: xdot");
  std::vector<double> ydot;
  run_collectively(comm, [&] { ydot = upstream_jvp(xdot); });
  std::vector<Piece> mine;
  run_collectively(comm, [&] {
    for (int p : groups_.local_points()) {
      std::vector<double> zdot = solve_tangent(p, ydot);
      if (groups_.leader()) mine.push_back({p, std::move(zdot)});
    }
  });
  std::vector<double> zdot(static_cast<std::size_t>(num_responses()), 0.0);
  for (const Piece& piece : allgather_pieces(comm, mine)) {
    std::copy(piece.values.begin(), piece.values.end(), zdot.begin() + offsets_[static_cast<std::size_t>(piece.key)]);
  }
  last_rounds_ = 1;
  return zdot;
}

SolveCounts Multipoint::solve_counts() const {
  // Every rank of a group counts its points' solves; the other ranks count zero.
  const std::size_t n = points_.size();
  std::vector<long> local, global(3 * n);
  local.insert(local.end(), analyses_.begin(), analyses_.end());
  local.insert(local.end(), tangents_.begin(), tangents_.end());
  local.insert(local.end(), adjoints_.begin(), adjoints_.end());
  check_mpi(MPI_Allreduce(local.data(), global.data(), static_cast<int>(3 * n), MPI_LONG, MPI_MAX, groups_.comm()),
            "MPI_Allreduce");
  SolveCounts c;
  c.analyses.assign(global.begin(), global.begin() + static_cast<std::ptrdiff_t>(n));
  c.tangent_solves.assign(global.begin() + static_cast<std::ptrdiff_t>(n),
                          global.begin() + static_cast<std::ptrdiff_t>(2 * n));
  c.adjoint_solves.assign(global.begin() + static_cast<std::ptrdiff_t>(2 * n), global.end());
  return c;
}

}  // namespace undertow
