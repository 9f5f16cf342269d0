// The multipoint driver on a toy but real model: every point runs a few explicit
// steps of a nonlinear reaction-diffusion equation on its own rank group, with
// its own Decomposition, Fields and Halo, and a source that depends on y; its
// responses are weighted sums of the final field. The tangent and adjoint of a
// point are written by hand here (test doubles for a real solver's). The upstream
// is y_j = sum_k A_jk x_k + 0.1 sin(x_s(j)). Checked: coloured reverse == serialised
// reverse == forward == the model on one rank == central finite differences, at
// every rank count; solve and round counts; errors raised on every rank.
#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "test_util.hpp"

using namespace undertow;

namespace {

// ---------------------------------------------------------------------------
// The upstream: y_j = sum_k A_jk x_k + 0.1 sin(x_{s_j}).
class SineUpstream : public Upstream {
 public:
  SineUpstream(int nx, std::vector<double> A, std::vector<int> s) : nx_(nx), A_(std::move(A)), s_(std::move(s)) {}
  int num_inputs() const override { return nx_; }
  int num_outputs() const override { return static_cast<int>(s_.size()); }
  std::vector<double> evaluate(const std::vector<double>& x) override {
    std::vector<double> y(s_.size());
    for (std::size_t j = 0; j < s_.size(); ++j) y[j] = row_dot(j, x) + 0.1 * std::sin(x[idx(s_[j])]);
    return y;
  }
  std::vector<double> jvp(const std::vector<double>& x, const std::vector<double>& xdot) override {
    std::vector<double> ydot(s_.size());
    for (std::size_t j = 0; j < s_.size(); ++j)
      ydot[j] = row_dot(j, xdot) + 0.1 * std::cos(x[idx(s_[j])]) * xdot[idx(s_[j])];
    return ydot;
  }
  std::vector<double> vjp(const std::vector<double>& x, const std::vector<double>& ybar) override {
    std::vector<double> xbar(static_cast<std::size_t>(nx_), 0.0);
    for (std::size_t j = 0; j < s_.size(); ++j) {
      for (int k = 0; k < nx_; ++k) xbar[idx(k)] += A_[j * idx(nx_) + idx(k)] * ybar[j];
      xbar[idx(s_[j])] += 0.1 * std::cos(x[idx(s_[j])]) * ybar[j];
    }
    return xbar;
  }

 private:
  static std::size_t idx(int i) { return static_cast<std::size_t>(i); }
  double row_dot(std::size_t j, const std::vector<double>& v) const {
    double s = 0;
    for (int k = 0; k < nx_; ++k) s += A_[j * idx(nx_) + idx(k)] * v[idx(k)];
    return s;
  }
  int nx_;
  std::vector<double> A_;
  std::vector<int> s_;
};

/// Dense: every y_j depends on every x_k.
std::shared_ptr<Upstream> dense_upstream(int nx, int ny) {
  std::vector<double> A;
  std::vector<int> s;
  for (int j = 0; j < ny; ++j) {
    for (int k = 0; k < nx; ++k) A.push_back(0.2 + 0.1 * ((3 * j + 5 * k) % 7) - 0.35 * (j == k));
    s.push_back(j % nx);
  }
  return std::make_shared<SineUpstream>(nx, A, s);
}

/// Shared x0, x1 and one private variable per point: y0, y1 from x0, x1, and
/// y_{2+p} from x0 and x_{2+p}. Point p reads y0, y1, y_{2+p}.
std::shared_ptr<Upstream> sparse_upstream(int npoints) {
  const int n = 2 + npoints;
  std::vector<double> A(static_cast<std::size_t>(n * n), 0.0);
  auto a = [&](int j, int k) -> double& { return A[static_cast<std::size_t>(j * n + k)]; };
  a(0, 0) = 1.0, a(0, 1) = 0.5, a(1, 0) = 0.4, a(1, 1) = -1.0;
  std::vector<int> s{0, 1};
  for (int p = 0; p < npoints; ++p) {
    a(2 + p, 2 + p) = 1.0;
    a(2 + p, 0) = 0.3;
    s.push_back(2 + p);
  }
  return std::make_shared<SineUpstream>(n, A, s);
}

// ---------------------------------------------------------------------------
// The point: u_{n+1} = u_n + a Lap(u_n) + dt (g(y) - b u_n^2) on a periodic grid,
// g = S + 0.05 S^2 with S = sum_j y_j phi_j; z_r = <w_r, u_K>.
using undertow_test::kPi;
constexpr double kA = 0.1, kDt = 0.5, kB = 0.3;
constexpr int kSteps = 6;

/// out = in + a Lap(in) + dt src + coef * mult * in on owned cells (in's ghosts filled).
void step_kernel(const Field<double>& out, const Field<double>& in, const Field<double>& src, double dt,
                 const Field<double>& mult, double coef) {
  auto o = out.view();
  auto u = in.view();
  auto s = src.view();
  auto m = mult.view();
  const Box b = out.owned_box();
  Kokkos::parallel_for(
      "toy_step", Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<2>>({b.lo[0], b.lo[1]}, {b.hi[0], b.hi[1]}),
      KOKKOS_LAMBDA(int i, int j) {
        const double lap =
            u(0, i + 1, j, 0) + u(0, i - 1, j, 0) + u(0, i, j + 1, 0) + u(0, i, j - 1, 0) - 4.0 * u(0, i, j, 0);
        o(0, i, j, 0) = u(0, i, j, 0) + kA * lap + dt * s(0, i, j, 0) + coef * m(0, i, j, 0) * u(0, i, j, 0);
      });
}

struct ToyOptions {
  int responses = 1;
  std::vector<int> reads;  // y entries the source uses (empty: all)
  bool fail_adjoint = false;
};

class ToyPoint : public PointModel {
 public:
  ToyPoint(int point, MPI_Comm comm, int ny, ToyOptions options) : point_(point), ny_(ny), opt_(std::move(options)) {
    dec_ = Decomposition::create(GridSpec::rect(16, 12, {true, true}), comm);
    halo_ = Halo::create(dec_, HaloPattern::Star, 1);
    const double shift = 0.37 * point_;
    for (int j = 0; j < ny_; ++j) {
      Field<double> phi(dec_, "phi" + std::to_string(j));
      const bool read = opt_.reads.empty() || std::find(opt_.reads.begin(), opt_.reads.end(), j) != opt_.reads.end();
      set_by_global_index<double>(phi, [&](int, std::int64_t i, std::int64_t k, std::int64_t) {
        if (!read) return 0.0;
        const double x = (i + 0.5) / 16.0, y = (k + 0.5) / 12.0;
        return 0.5 + std::cos(2 * kPi * (j + 1) * x + shift) * std::sin(2 * kPi * (1 + (j + point_) % 3) * y + 0.2);
      });
      phi_.push_back(phi);
    }
    for (int r = 0; r < opt_.responses; ++r) {
      Field<double> w(dec_, "w" + std::to_string(r));
      set_by_global_index<double>(w, [&](int, std::int64_t i, std::int64_t k, std::int64_t) {
        return (1.0 + 0.5 * std::cos(0.3 * (r + 1) * i + 0.7 * k + shift)) / 192.0;
      });
      w_.push_back(w);
    }
  }

  std::vector<double> analyse(MPI_Comm, const std::vector<double>& y) override {
    ++analyses;
    // S, g and G_j = dg/dy_j = phi_j (1 + 0.1 S).
    Field<double> S(dec_, "S");
    for (int j = 0; j < ny_; ++j) axpy(S, y[static_cast<std::size_t>(j)], phi_[static_cast<std::size_t>(j)]);
    g_ = S.clone("g");
    auto gv = g_.view();
    auto sv = S.view();
    const Box b = S.owned_box();
    Kokkos::parallel_for(
        "toy_source", Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<2>>({b.lo[0], b.lo[1]}, {b.hi[0], b.hi[1]}),
        KOKKOS_LAMBDA(int i, int j) { gv(0, i, j, 0) = sv(0, i, j, 0) + 0.05 * sv(0, i, j, 0) * sv(0, i, j, 0); });
    G_.clear();
    for (int j = 0; j < ny_; ++j) {
      Field<double> G = phi_[static_cast<std::size_t>(j)].clone("G");
      auto Gv = G.view();
      Kokkos::parallel_for(
          "toy_dsource", Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<2>>({b.lo[0], b.lo[1]}, {b.hi[0], b.hi[1]}),
          KOKKOS_LAMBDA(int i, int k) { Gv(0, i, k, 0) *= 1.0 + 0.1 * sv(0, i, k, 0); });
      G_.push_back(G);
    }
    u_.clear();
    Field<double> u0(dec_, "u0");
    set_by_global_index<double>(u0, [](int, std::int64_t i, std::int64_t k, std::int64_t) {
      return 0.2 * std::sin(0.5 * i) * std::cos(0.4 * k);
    });
    u_.push_back(u0);
    for (int n = 0; n < kSteps; ++n) {
      halo_->exchange(u_.back());
      Field<double> next = u_.back().clone_layout("u");
      step_kernel(next, u_.back(), g_, kDt, u_.back(), -kDt * kB);
      u_.push_back(next);
    }
    std::vector<double> z;
    for (const Field<double>& w : w_) z.push_back(dot(w, u_.back()));
    return z;
  }

  std::vector<double> tangent(MPI_Comm, const std::vector<double>& ydot) override {
    ++tangents;
    Field<double> gdot(dec_, "gdot");
    for (int j = 0; j < ny_; ++j) axpy(gdot, ydot[static_cast<std::size_t>(j)], G_[static_cast<std::size_t>(j)]);
    Field<double> ud(dec_, "ud");
    for (int n = 0; n < kSteps; ++n) {
      halo_->exchange(ud);
      Field<double> next = ud.clone_layout("ud");
      step_kernel(next, ud, gdot, kDt, u_[static_cast<std::size_t>(n)], -2.0 * kDt * kB);
      ud = next;
    }
    std::vector<double> zdot;
    for (const Field<double>& w : w_) zdot.push_back(dot(w, ud));
    return zdot;
  }

  std::vector<double> adjoint(MPI_Comm comm, const std::vector<double>& zbar) override {
    ++adjoints;
    // Raised on every rank of the point, as a real solver's error would be.
    agree_or_throw(comm, !opt_.fail_adjoint, "toy point " + std::to_string(point_) + " refuses its adjoint");
    Field<double> ub(dec_, "ub"), sum_ub(dec_, "sum_ub"), zero(dec_, "zero");
    for (int r = 0; r < opt_.responses; ++r)
      axpy(ub, zbar[static_cast<std::size_t>(r)], w_[static_cast<std::size_t>(r)]);
    // The step's Jacobian I + a Lap - 2 dt b diag(u_n) is symmetric: the adjoint
    // step is the tangent step with the source switched off.
    for (int n = kSteps - 1; n >= 0; --n) {
      axpy(sum_ub, 1.0, ub);
      halo_->exchange(ub);
      Field<double> prev = ub.clone_layout("ub");
      step_kernel(prev, ub, zero, 0.0, u_[static_cast<std::size_t>(n)], -2.0 * kDt * kB);
      ub = prev;
    }
    std::vector<double> ybar;
    for (int j = 0; j < ny_; ++j) ybar.push_back(kDt * dot(sum_ub, G_[static_cast<std::size_t>(j)]));
    return ybar;
  }

  long analyses = 0, tangents = 0, adjoints = 0;

 private:
  int point_, ny_;
  ToyOptions opt_;
  std::shared_ptr<const Decomposition> dec_;
  std::shared_ptr<Halo> halo_;
  std::vector<Field<double>> phi_, w_, G_, u_;
  Field<double> g_;
};

struct Setup {
  std::vector<PointSpec> points;
  std::vector<ToyOptions> options;
  std::function<std::shared_ptr<Upstream>()> upstream;
};

std::unique_ptr<Multipoint> build(MPI_Comm comm, const Setup& s, Sharing sharing = Sharing::Allow) {
  auto up = s.upstream();
  const int ny = up->num_outputs();
  const std::vector<ToyOptions> options = s.options;
  return std::make_unique<Multipoint>(
      comm, s.points, up,
      [ny, options](int p, MPI_Comm pc) {
        return std::make_unique<ToyPoint>(p, pc, ny, options[static_cast<std::size_t>(p)]);
      },
      sharing);
}

/// Responses [3, 1, 2], weights following them: uneven colours.
Setup uneven_setup() {
  Setup s;
  const std::vector<int> responses{3, 1, 2};
  for (std::size_t p = 0; p < responses.size(); ++p) {
    PointSpec spec;
    spec.name = "p" + std::to_string(p);
    spec.responses = responses[p];
    spec.weight = responses[p];
    s.points.push_back(spec);
    ToyOptions o;
    o.responses = responses[p];
    s.options.push_back(o);
  }
  s.upstream = [] { return dense_upstream(4, 5); };
  return s;
}

/// Two points with two responses each: at 4 ranks, two ranks per point.
Setup two_point_setup() {
  Setup s;
  for (int p = 0; p < 2; ++p) {
    PointSpec spec;
    spec.responses = 2;
    s.points.push_back(spec);
    ToyOptions o;
    o.responses = 2;
    s.options.push_back(o);
  }
  s.upstream = [] { return dense_upstream(4, 5); };
  return s;
}

/// Three points, each depending on x0, x1 and its own variable.
Setup sparse_setup() {
  Setup s;
  for (int p = 0; p < 3; ++p) {
    PointSpec spec;
    spec.responses = 1 + p % 2;
    spec.depends_on = {0, 1, 2 + p};
    s.points.push_back(spec);
    ToyOptions o;
    o.responses = spec.responses;
    o.reads = {0, 1, 2 + p};
    s.options.push_back(o);
  }
  s.upstream = [] { return sparse_upstream(3); };
  return s;
}

std::vector<double> design_point(int nx) {
  std::vector<double> x;
  for (int k = 0; k < nx; ++k) x.push_back(0.3 + 0.25 * k - 0.1 * k * k);
  return x;
}

double dot_v(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

/// Identical on every rank, bitwise.
bool same_everywhere(const std::vector<double>& v) {
  std::vector<double> root = v;
  MPI_Bcast(root.data(), static_cast<int>(root.size()), MPI_DOUBLE, 0, MPI_COMM_WORLD);
  return undertow_test::all_ranks(root == v);
}

void check_against_references(const Setup& setup, const char* label) {
  INFO(label << " at " << undertow_test::world_size() << " ranks");
  auto mp = build(MPI_COMM_WORLD, setup);
  const int nx = mp->num_design_variables();
  const std::vector<double> x = design_point(nx);
  const std::vector<double> z = mp->analyse(x);
  CHECK(same_everywhere(z));

  const SolveCounts before = mp->solve_counts();
  const MultipointJacobian coloured = mp->reverse();
  const int coloured_rounds = mp->last_rounds();
  const SolveCounts after_coloured = mp->solve_counts();
  const MultipointJacobian serialised = mp->reverse(SeedColouring::none(mp->num_responses()));
  const int serial_rounds = mp->last_rounds();
  const SolveCounts after_serial = mp->solve_counts();
  const MultipointJacobian fwd = mp->forward();
  const int fwd_rounds = mp->last_rounds();
  const SolveCounts after_fwd = mp->solve_counts();
  const MultipointJacobian fwd_serial = mp->forward(SeedColouring::none(nx));
  const SolveCounts after_fwd_serial = mp->solve_counts();

  // Every rank holds the same full Jacobian, bitwise.
  CHECK(same_everywhere(coloured.values()));
  // The private upstream copies give bitwise the serialised rows.
  CHECK(coloured.values() == serialised.values());
  const double scale = coloured.max_abs();
  REQUIRE(scale > 1e-3);
  CHECK(coloured.max_abs_difference(fwd) <= 1e-12 * scale);
  CHECK(coloured.max_abs_difference(fwd_serial) <= 1e-12 * scale);

  // Rounds: the most responses on one group (every group makes the same
  // collective calls meanwhile), against one per response when serialised.
  const RankAllocation& alloc = mp->groups().allocation();
  int most = 0;
  for (const auto& members : alloc.points_of_group) {
    int n = 0;
    for (int p : members) n += setup.points[static_cast<std::size_t>(p)].responses;
    most = std::max(most, n);
  }
  CHECK(coloured_rounds == most);
  CHECK(serial_rounds == mp->num_responses());
  CHECK(fwd_rounds == colour_design_variables(nx, setup.points).colours());

  // Exactly one adjoint solve per seeded response, per point, in either mode; the
  // point's own counters agree with the driver's.
  for (int p = 0; p < mp->num_points(); ++p) {
    const std::size_t P = static_cast<std::size_t>(p);
    const long R = setup.points[P].responses;
    CHECK(after_coloured.adjoint_solves[P] - before.adjoint_solves[P] == R);
    CHECK(after_serial.adjoint_solves[P] - after_coloured.adjoint_solves[P] == R);
    long depends = 0;
    for (int k = 0; k < nx; ++k) depends += depends_on_variable(setup.points[P], k);
    const long fwd_colours_of_p = [&] {
      const SeedColouring c = colour_design_variables(nx, setup.points);
      std::vector<bool> seen(static_cast<std::size_t>(c.colours()), false);
      long n = 0;
      for (int k = 0; k < nx; ++k)
        if (depends_on_variable(setup.points[P], k) &&
            !seen[static_cast<std::size_t>(c.colour[static_cast<std::size_t>(k)])]) {
          seen[static_cast<std::size_t>(c.colour[static_cast<std::size_t>(k)])] = true;
          ++n;
        }
      return n;
    }();
    CHECK(fwd_colours_of_p <= depends);  // a colour counts only through a variable p depends on
    CHECK(after_fwd.tangent_solves[P] - after_serial.tangent_solves[P] == fwd_colours_of_p);
    CHECK(after_fwd_serial.tangent_solves[P] - after_fwd.tangent_solves[P] == nx);
    CHECK(after_fwd_serial.analyses[P] == 1);
    if (auto* model = dynamic_cast<ToyPoint*>(mp->local_model(p))) {
      CHECK(model->adjoints == after_fwd_serial.adjoint_solves[P]);
      CHECK(model->tangents == after_fwd_serial.tangent_solves[P]);
      CHECK(model->analyses == 1);
    }
  }
  // Undeclared dependencies are exact zeros in the forward Jacobian, and true zeros.
  const std::vector<int> offsets = response_offsets(setup.points);
  for (int p = 0; p < mp->num_points(); ++p)
    for (int k = 0; k < nx; ++k)
      if (!depends_on_variable(setup.points[static_cast<std::size_t>(p)], k))
        for (int r = offsets[static_cast<std::size_t>(p)]; r < offsets[static_cast<std::size_t>(p) + 1]; ++r) {
          CHECK(fwd(r, k) == 0.0);
          CHECK(std::abs(coloured(r, k)) <= 1e-14 * scale);
        }

  // Dot-product test of the one-shot products, and vjp against the rows.
  std::vector<double> v, w;
  for (int k = 0; k < nx; ++k) v.push_back(std::cos(1.0 + k));
  for (int r = 0; r < mp->num_responses(); ++r) w.push_back(std::sin(2.0 + r));
  const std::vector<double> Jv = mp->jvp(v);
  const std::vector<double> JTw = mp->vjp(w);
  CHECK(same_everywhere(JTw));
  CHECK(std::abs(dot_v(Jv, w) - dot_v(v, JTw)) <= 1e-12 * std::abs(dot_v(v, JTw)));
  for (int k = 0; k < nx; ++k) {
    double expect = 0;
    for (int r = 0; r < mp->num_responses(); ++r) expect += w[static_cast<std::size_t>(r)] * coloured(r, k);
    CHECK(std::abs(JTw[static_cast<std::size_t>(k)] - expect) <= 1e-12 * scale);
  }

  // The same model on one rank (every rank alone: all points share one group).
  {
    auto single = build(MPI_COMM_SELF, setup);
    single->analyse(x);
    const MultipointJacobian one_rank = single->reverse();
    CHECK(single->last_rounds() == single->num_responses());
    CHECK(coloured.max_abs_difference(one_rank) <= 1e-12 * scale);
  }

  // Central finite differences of the whole model (upstream and all points).
  const double h = 1e-5;
  double worst = 0;
  for (int k = 0; k < nx; ++k) {
    std::vector<double> xp = x, xm = x;
    xp[static_cast<std::size_t>(k)] += h;
    xm[static_cast<std::size_t>(k)] -= h;
    const std::vector<double> zp = mp->analyse(xp), zm = mp->analyse(xm);
    for (int r = 0; r < mp->num_responses(); ++r) {
      const double fd = (zp[static_cast<std::size_t>(r)] - zm[static_cast<std::size_t>(r)]) / (2 * h);
      worst = std::max(worst, std::abs(fd - coloured(r, k)));
    }
  }
  INFO("max |FD - J| = " << worst << ", max |J| = " << scale);
  CHECK(worst <= 1e-9 * scale);  // observed ~5e-11: truncation h^2 plus rounding
}

}  // namespace

TEST_CASE("uneven colours: coloured reverse matches serialised, forward, one rank and FD", "[multipoint]") {
  check_against_references(uneven_setup(), "responses [3,1,2]");
}

TEST_CASE("two points, two ranks each at four ranks", "[multipoint]") {
  const Setup setup = two_point_setup();
  auto mp = build(MPI_COMM_WORLD, setup);
  const int size = undertow_test::world_size();
  if (size == 4) CHECK(mp->groups().allocation().ranks_of_point() == std::vector<int>{2, 2});
  if (size == 3) CHECK(mp->groups().allocation().ranks_of_point() == std::vector<int>{2, 1});
  check_against_references(setup, "two points");
}

TEST_CASE("forward colouring of point-local design variables", "[multipoint]") {
  check_against_references(sparse_setup(), "sparse");
  auto mp = build(MPI_COMM_WORLD, sparse_setup());
  mp->analyse(design_point(5));
  mp->forward();
  CHECK(mp->last_rounds() == 3);  // x0 | x1 | x2, x3, x4 together
}

TEST_CASE("several rounds on one group, none on the others, in a sub-communicator", "[multipoint]") {
  // Only the first min(size, 2) ranks take part: the others must not be needed.
  const int rank = undertow_test::world_rank();
  MPI_Comm sub = MPI_COMM_NULL;
  MPI_Comm_split(MPI_COMM_WORLD, rank < 2 ? 0 : MPI_UNDEFINED, rank, &sub);
  if (sub != MPI_COMM_NULL) {
    Setup s;
    for (int R : {5, 1}) {
      PointSpec spec;
      spec.responses = R;
      s.points.push_back(spec);
      ToyOptions o;
      o.responses = R;
      s.options.push_back(o);
    }
    s.upstream = [] { return dense_upstream(3, 3); };
    auto mp = build(sub, s);
    mp->analyse(design_point(3));
    const MultipointJacobian J = mp->reverse();
    // One rank: both points on it, 6 rounds; two ranks: 5 rounds on point 0's group.
    CHECK(mp->last_rounds() == (mp->groups().allocation().groups() == 1 ? 6 : 5));
    const MultipointJacobian S = mp->reverse(SeedColouring::none(6));
    CHECK(J.values() == S.values());
    // A partial colouring: coloured rounds first, the rest serialised, same rows.
    SeedColouring partial = colour_responses(s.points, mp->groups().allocation());
    partial.colour[2] = -1;
    partial.colour[5] = -1;
    const MultipointJacobian P = mp->reverse(partial);
    CHECK(P.values() == J.values());
    const SolveCounts c = mp->solve_counts();
    CHECK(c.adjoint_solves == std::vector<long>{15, 3});
    MPI_Comm_free(&sub);
  }
}

TEST_CASE("multipoint errors are raised on every rank, with the numbers", "[multipoint][errors]") {
  const int size = undertow_test::world_size();
  const int rank = undertow_test::world_rank();
  Setup s = uneven_setup();

  // More points than ranks, sharing forbidden.
  std::vector<PointSpec> many(static_cast<std::size_t>(size) + 1);
  Setup crowded = s;
  crowded.points = many;
  crowded.options.assign(many.size(), ToyOptions{});
  CHECK_THROWS_WITH(build(MPI_COMM_WORLD, crowded, Sharing::Forbid),
                    Catch::Contains(std::to_string(size) + " ranks for " + std::to_string(size + 1) + " points"));

  auto mp = build(MPI_COMM_WORLD, s);
  CHECK_THROWS_WITH(mp->reverse(), Catch::Contains("call analyse(x) first"));
  CHECK_THROWS_WITH(mp->analyse({1.0, 2.0}), Catch::Contains("x has 2 values, expected 4"));
  if (size > 1) {
    std::vector<double> x = design_point(4);
    if (rank == size - 1) x[2] += 1e-15;
    CHECK_THROWS_WITH(mp->analyse(x), Catch::Contains("x differs between ranks: entry 2"));
  }
  mp->analyse(design_point(4));
  // Two responses of one point in the same colour.
  CHECK_THROWS_WITH(mp->reverse(SeedColouring{{0, 0, 1, 2, 3, 4}}),
                    Catch::Contains("response 0 (point 0 'p0', response 0) and response 1 (point 0 'p0', response 1)"));
  CHECK_THROWS_WITH(mp->forward(SeedColouring{{0, 0, 1, 2}}),
                    Catch::Contains("design variables 0 and 1 both have colour 0"));
  CHECK_THROWS_WITH(mp->vjp({1.0}), Catch::Contains("zbar has 1 values, expected 6"));

  // A point whose adjoint fails: every rank throws, in coloured and serialised
  // rounds alike, and nobody is left waiting.
  Setup failing = s;
  failing.options[1].fail_adjoint = true;
  auto bad = build(MPI_COMM_WORLD, failing);
  bad->analyse(design_point(4));
  CHECK_THROWS_WITH(bad->reverse(), Catch::Contains("point 1 'p1': adjoint solve failed") &&
                                        Catch::Contains("toy point 1 refuses its adjoint"));
  CHECK_THROWS_WITH(bad->reverse(SeedColouring::none(6)), Catch::Contains("point 1 'p1': adjoint solve failed"));
  // Still usable afterwards for what works.
  CHECK(bad->forward().rows() == 6);
}
