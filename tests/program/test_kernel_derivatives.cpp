// Derivatives of kernels inside step programs, checked with the public
// verification harness: 1D/2D/3D, periodic / walled / mixed, star and box,
// radius 1 and 2, linear and nonlinear (branches), every adjoint assembly form,
// gradients with respect to a state and to a coefficient field.
#include <algorithm>
#include <cstring>
#include <fstream>
#include <vector>

#include "program/test_kernels.hpp"
#include "test_util.hpp"

using namespace undertow;
using namespace undertow_test;

namespace {

enum class Walls { None, All, MixedXPeriodic };

struct Built {
  std::unique_ptr<Program> program;
  Var u, kappa, obs;
};

template <class K>
Built build(std::shared_ptr<const Decomposition> dec, const K& kernel, AdjointForm form, Walls walls,
            LocalDerivative method = LocalDerivative::Automatic, VarRole kappa_role = VarRole::Parameter) {
  const int ghost = std::max(1, 2 * K::stencil.radius);
  Built b;
  b.program = std::make_unique<Program>(dec, ProgramOptions{form, method});
  Program& p = *b.program;
  b.u = p.add_state("u", 1, ghost);
  b.kappa = p.add_variable("kappa", kappa_role, 1, ghost);
  const Var next = p.add_temporary("u_next", 1, ghost);
  b.obs = p.add_data("observation");
  p.exchange(b.u);
  p.exchange(b.kappa);
  if (walls != Walls::None) {
    BoundaryConditions bc_u, bc_k;
    for (int d = 0; d < dec->dim(); ++d) {
      if (dec->grid().periodic[d]) continue;
      bc_u.set(d, 0, FaceCondition::dirichlet(0.3)).set(d, 1, FaceCondition::neumann());
      bc_k.set(d, 0, FaceCondition::neumann()).set(d, 1, FaceCondition::neumann());
    }
    p.boundary(b.u, bc_u);
    p.boundary(b.kappa, bc_k);
  }
  p.apply(kernel, {b.u, b.kappa}, {next});
  p.copy(b.u, next);
  p.objective_misfit(b.u, b.obs, 0.5);
  p.set_section(Section::Final);
  p.objective_sum(b.u, 0.25);
  // Base point: a smooth profile plus noise; a positive coefficient.
  set_by_global_index<double>(p.value(b.u), [&](int, std::int64_t i, std::int64_t j, std::int64_t k) {
    return 0.6 + 0.5 * std::sin(0.7 * double(i) + 0.3 * double(j) - 0.2 * double(k)) +
           0.05 * std::cos(3.1 * double(i * 7 + j * 3 + k));
  });
  set_by_global_index<double>(p.value(b.kappa), [&](int, std::int64_t i, std::int64_t j, std::int64_t k) {
    return 1.0 + 0.3 * std::cos(0.5 * double(i) - 0.4 * double(j) + 0.9 * double(k));
  });
  fill_random(p.value(b.obs), 77);
  return b;
}

GridSpec grid_for(int dim, Walls walls) {
  const bool per = walls == Walls::None;
  std::array<bool, 3> periodic{per || walls == Walls::MixedXPeriodic, per, per};
  if (dim == 1) return GridSpec::line(24, periodic[0]);
  if (dim == 2) return GridSpec::rect(16, 13, {periodic[0], periodic[1]});
  return GridSpec::box(10, 9, 8, {periodic[0], periodic[1], periodic[2]});
}

std::string walls_name(Walls w) {
  return w == Walls::None ? "periodic" : w == Walls::All ? "walls" : "periodic-x";
}

/// The gradient (u_bar, kappa_bar) for fixed weights, gathered on every rank.
std::vector<double> gradient(Built& b) {
  Problem f(*b.program, {b.u, b.kappa}, {b.u}, {2});
  Field<double> w = b.program->value(b.u).clone_layout("w");
  fill_random(w, 5);
  std::vector<Field<double>> grads = {b.program->value(b.u).clone_layout("gu"),
                                      b.program->value(b.kappa).clone_layout("gk")};
  f.adjoint({w}, 0.9, grads);
  std::vector<double> all = gather_global(grads[0]);
  const std::vector<double> gk = gather_global(grads[1]);
  all.insert(all.end(), gk.begin(), gk.end());
  return all;
}

double relative_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff += (a[i] - b[i]) * (a[i] - b[i]);
    norm += a[i] * a[i];
  }
  return std::sqrt(diff / std::max(norm, 1e-300));
}

template <class K>
void check_kernel(const std::string& name, int dim, const K& kernel, Walls walls) {
  const std::string tag = name + "_" + std::to_string(dim) + "d_" + walls_name(walls);
  INFO(tag);
  auto dec = Decomposition::create(grid_for(dim, walls), MPI_COMM_WORLD);
  // The gather on local reverses, on the seeded forward form (the reference), and
  // the two scatter forms.
  const std::pair<AdjointForm, LocalDerivative> forms[] = {{AdjointForm::Gather, LocalDerivative::Reverse},
                                                           {AdjointForm::Gather, LocalDerivative::SeededForward},
                                                           {AdjointForm::ScatterAtomic, LocalDerivative::Automatic},
                                                           {AdjointForm::ScatterColoured, LocalDerivative::Automatic}};
  std::vector<std::vector<double>> per_form;
  for (const auto& [form, method] : forms) {
    const std::string form_name = std::string(to_string(form)) + ", " + to_string(method);
    INFO("adjoint form " << form_name);
    Built b = build(dec, kernel, form, walls, method);
    Problem f(*b.program, {b.u, b.kappa}, {b.u}, {2});
    VerifyOptions opt;
    opt.name = tag + " (" + form_name + ")";
    const VerificationReport report = verify(f, opt);
    INFO(report.str());
    CHECK(report.dot_passed);
    CHECK(report.taylor_passed);
    per_form.push_back(gradient(b));
  }
  for (std::size_t other = 1; other < per_form.size(); ++other)
    CHECK(relative_difference(per_form[0], per_form[other]) <= 1e-13);
  // Gather gradients are bitwise identical on one rank and on all of them, with
  // either local derivative.
  auto self = Decomposition::create(grid_for(dim, walls), MPI_COMM_SELF);
  for (int m = 0; m < 2; ++m) {
    Built one = build(self, kernel, AdjointForm::Gather, walls, forms[m].second);
    const std::vector<double> serial = gradient(one);
    CHECK(std::memcmp(serial.data(), per_form[m].data(), serial.size() * sizeof(double)) == 0);
  }
  record_gradient_hash("gather_hash_", tag + "_reverse", per_form[0]);
  record_gradient_hash("gather_hash_", tag + "_seeded", per_form[1]);
}

}  // namespace

TEST_CASE("diffusion with a conductivity field, radius 1, 1D/2D/3D", "[derivatives]") {
  for (Walls w : {Walls::None, Walls::All, Walls::MixedXPeriodic}) {
    check_kernel("diffusion", 1, Diffusion<1>{}, w == Walls::MixedXPeriodic ? Walls::None : w);
    check_kernel("diffusion", 2, Diffusion<2>{}, w);
    check_kernel("diffusion", 3, Diffusion<3>{}, w);
  }
}

TEST_CASE("fourth-order Laplacian with reaction, radius-2 star", "[derivatives]") {
  check_kernel("fourth_order", 1, FourthOrderReaction<1>{}, Walls::None);
  check_kernel("fourth_order", 2, FourthOrderReaction<2>{}, Walls::All);
  check_kernel("fourth_order", 2, FourthOrderReaction<2>{}, Walls::MixedXPeriodic);
}

TEST_CASE("box stencils with corners", "[derivatives]") {
  check_kernel("box", 2, BoxSmoother<2>{}, Walls::None);
  check_kernel("box", 2, BoxSmoother<2>{}, Walls::All);
  check_kernel("box", 3, BoxSmoother<3>{}, Walls::MixedXPeriodic);
}

/// Upwind Burgers with a tape of 4 statements (it needs 7): every cell's local
/// reverse overflows and takes the seeded forward fallback.
template <int Dim>
struct TinyTapeBurgers : UpwindBurgers<Dim> {
  static constexpr int tape_capacity = 4;
};

TEST_CASE("upwind Burgers with branches", "[derivatives]") {
  check_kernel("burgers", 1, UpwindBurgers<1>{}, Walls::All);
  check_kernel("burgers_tiny_tape", 2, TinyTapeBurgers<2>{}, Walls::All);
  check_kernel("burgers", 2, UpwindBurgers<2>{}, Walls::None);
  check_kernel("burgers", 2, UpwindBurgers<2>{}, Walls::MixedXPeriodic);
}

TEST_CASE("Data inputs are passive: no adjoint, the same gradient for the others", "[derivatives][passive]") {
  auto dec = Decomposition::create(grid_for(2, Walls::All), MPI_COMM_WORLD);
  const std::pair<AdjointForm, LocalDerivative> forms[] = {{AdjointForm::Gather, LocalDerivative::Reverse},
                                                           {AdjointForm::Gather, LocalDerivative::SeededForward},
                                                           {AdjointForm::ScatterAtomic, LocalDerivative::Automatic}};
  auto u_gradient = [](Built& b) {
    Problem f(*b.program, {b.u}, {b.u}, {2});
    Field<double> w = b.program->value(b.u).clone_layout("w");
    fill_random(w, 5);
    std::vector<Field<double>> g = {b.program->value(b.u).clone_layout("gu")};
    f.adjoint({w}, 0.9, g);
    return gather_global(g[0]);
  };
  for (const auto& [form, method] : forms) {
    INFO(to_string(form) << ", " << to_string(method));
    Built active = build(dec, UpwindBurgers<2>{}, form, Walls::All, method);
    Built passive = build(dec, UpwindBurgers<2>{}, form, Walls::All, method, VarRole::Data);
    CHECK(relative_difference(u_gradient(active), u_gradient(passive)) <= 1e-14);
    CHECK(max_abs(passive.program->adjoint(passive.kappa)) == 0.0);  // never written
    CHECK(max_abs(active.program->adjoint(active.kappa)) > 0.0);
    // Asking for the gradient with respect to a Data variable is an error, not zeros.
    CHECK_THROWS_WITH(Problem(*passive.program, {passive.u, passive.kappa}, {passive.u}, {2}),
                      Catch::Contains("input 'kappa' is a Data variable"));
  }
}

TEST_CASE("vector-mode tangents equal separate tangent runs", "[derivatives][tangent]") {
  auto dec = Decomposition::create(grid_for(2, Walls::All), MPI_COMM_WORLD);
  Built b = build(dec, UpwindBurgers<2>{}, AdjointForm::Gather, Walls::All);
  Program& p = *b.program;
  const auto base = p.value(b.u).clone("base");
  // Four directions at once.
  p.prepare_tangent(4);
  std::vector<Field<double>> dirs;
  auto seed = p.tangent(b.u).view();
  for (int n = 0; n < 4; ++n) {
    dirs.push_back(p.value(b.u).clone_layout("dir"));
    fill_random(dirs.back(), 300 + n);
  }
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), seed);
  for (int n = 0; n < 4; ++n) {
    auto d = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), dirs[n].view());
    for (int i = 0; i < d.extent_int(1); ++i)
      for (int j = 0; j < d.extent_int(2); ++j) host(n, i, j, 0) = d(0, i, j, 0);
  }
  Kokkos::deep_copy(seed, host);
  p.set_objective(0);
  p.run_tangent();
  auto vector_mode = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), p.tangent(b.u).view());
  const auto objective_tangents = p.objective_tangent();
  bool same = true;
  for (int n = 0; n < 4; ++n) {
    Kokkos::deep_copy(p.value(b.u).view(), base.view());
    p.prepare_tangent(1);
    copy(p.tangent(b.u), dirs[n]);
    p.set_objective(0);
    p.run_tangent();
    auto single = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), p.tangent(b.u).view());
    const Box o = p.value(b.u).owned_box();
    for (int i = o.lo[0]; i < o.hi[0]; ++i)
      for (int j = o.lo[1]; j < o.hi[1]; ++j) same = same && single(0, i, j, 0) == vector_mode(n, i, j, 0);
    same = same && p.objective_tangent()[0] == objective_tangents[static_cast<std::size_t>(n)];
    p.prepare_tangent(4);
  }
  CHECK(all_ranks(same));
}

TEST_CASE("a vector reverse gives every seed what a one-seed reverse gives it", "[derivatives][vector]") {
  // Two steps of the walled Burgers program (exchanges, boundary fills, the
  // kernel, a copy, a misfit and a final sum): four seeds, each a state adjoint
  // and an objective adjoint, in one reverse and one at a time.
  auto dec = Decomposition::create(grid_for(2, Walls::All), MPI_COMM_WORLD);
  const std::pair<AdjointForm, LocalDerivative> forms[] = {{AdjointForm::Gather, LocalDerivative::Reverse},
                                                           {AdjointForm::Gather, LocalDerivative::SeededForward},
                                                           {AdjointForm::ScatterAtomic, LocalDerivative::Automatic},
                                                           {AdjointForm::ScatterColoured, LocalDerivative::Automatic}};
  constexpr int M = 4;
  const std::vector<double> objective_adjoints = {1.0, 0.0, -0.5, 2.0};
  for (const auto& [form, method] : forms) {
    INFO(to_string(form) << ", " << to_string(method));
    Built b = build(dec, UpwindBurgers<2>{}, form, Walls::All, method);
    Program& p = *b.program;
    const Field<double> base = p.value(b.u).clone("base");
    std::vector<Field<double>> weights;
    for (int s = 0; s < M; ++s) {
      weights.push_back(p.value(b.u).clone_layout("w"));
      fill_random(weights.back(), 50 + static_cast<std::uint64_t>(s));
    }
    // Two recorded steps and the final terms, then the reverse of both.
    auto run = [&](auto seed_state_adjoint) {
      Kokkos::deep_copy(p.value(b.u).view(), base.view());
      std::vector<std::vector<Field<double>>> states;
      for (int step = 0; step < 2; ++step) {
        states.push_back({p.value(b.u).clone("state")});
        p.run_forward_record(Section::Step);
      }
      p.run_forward_record(Section::Final);
      seed_state_adjoint();
      p.run_reverse(Section::Final);
      for (int step = 1; step >= 0; --step) {
        Kokkos::deep_copy(p.value(b.u).view(), states[static_cast<std::size_t>(step)][0].view());
        p.run_forward_record(Section::Step);
        p.run_reverse(Section::Step);
      }
    };
    p.prepare_reverse(M);
    CHECK(p.reverse_seeds() == M);
    CHECK(p.adjoint(b.kappa).components() == M);
    p.set_objective_adjoints(objective_adjoints);
    run([&] {
      for (int s = 0; s < M; ++s) copy_components(weights[static_cast<std::size_t>(s)], 0, p.adjoint(b.u), s, 1);
    });
    const Field<double> u_bar = p.adjoint(b.u).clone("u_bar"), kappa_bar = p.adjoint(b.kappa).clone("kappa_bar");
    const double tolerance = form == AdjointForm::ScatterAtomic ? 1e-13 : 0.0;  // atomics: any order
    p.prepare_reverse(1);
    bool same = true;
    for (int s = 0; s < M; ++s) {
      p.zero_adjoints();
      p.set_objective_adjoint(objective_adjoints[static_cast<std::size_t>(s)]);
      run([&] { copy(p.adjoint(b.u), weights[static_cast<std::size_t>(s)]); });
      const double scale = std::max(1.0, max_abs(p.adjoint(b.kappa)));
      same = same && block_difference(u_bar, s, p.adjoint(b.u), /*owned_only=*/true) <= tolerance * scale;
      same = same && block_difference(kappa_bar, s, p.adjoint(b.kappa), /*owned_only=*/true) <= tolerance * scale;
    }
    CHECK(all_ranks(same));
  }
}

TEST_CASE("vector reverse errors are clear", "[derivatives][vector][errors]") {
  auto dec = Decomposition::create(grid_for(2, Walls::All), MPI_COMM_WORLD);
  Built b = build(dec, UpwindBurgers<2>{}, AdjointForm::Gather, Walls::All);
  Program& p = *b.program;
  CHECK_THROWS_WITH(p.prepare_reverse(3), Catch::Contains("reverse seeds must be 1, 2, 4 or 8, got 3"));
  p.prepare_reverse(2);
  CHECK_THROWS_WITH(p.set_objective_adjoints({1.0, 2.0, 3.0}),
                    Catch::Contains("3 objective adjoints for 2 reverse seed(s)"));
  Problem f(p, {b.u, b.kappa}, {b.u}, {1});
  Field<double> w = p.value(b.u).clone_layout("w");
  std::vector<Field<double>> grads = {p.value(b.u).clone_layout("gu"), p.value(b.kappa).clone_layout("gk")};
  // A Problem sets the seed count it needs: one for adjoint(), as many as weights for adjoints().
  CHECK_NOTHROW(f.adjoint({w}, 1.0, grads));
  CHECK(p.reverse_seeds() == 1);
  CHECK_THROWS_WITH(f.adjoints({w}, {1.0, 1.0, 1.0}, grads), Catch::Contains("3 objective weights"));
}

TEST_CASE("gather adjoints need wide enough ghosts, with a clear error", "[derivatives][errors]") {
  auto dec = Decomposition::create(grid_for(2, Walls::None), MPI_COMM_WORLD);
  Program p(dec);
  const Var u = p.add_state("u", 1, 1), k = p.add_parameter("k", 1, 1), out = p.add_temporary("out", 1, 1);
  CHECK_THROWS_WITH(p.apply(Diffusion<2>{}, {u, k}, {out}), Catch::Matchers::Contains("needs 2"));
  CHECK_NOTHROW(p.apply(Diffusion<2>{}, {u, k}, {out}, AdjointForm::ScatterAtomic));
  CHECK_THROWS_WITH(p.apply(Diffusion<2>{}, {u, k}, {u}, AdjointForm::ScatterAtomic),
                    Catch::Matchers::Contains("is also an input"));
  CHECK_THROWS_WITH(p.apply(Diffusion<3>{}, {u, k}, {out}, AdjointForm::ScatterAtomic),
                    Catch::Matchers::Contains("stencil is 3D but the grid is 2D"));
  CHECK_THROWS_WITH(p.prepare_tangent(3), Catch::Matchers::Contains("1, 2, 4 or 8"));
}

TEST_CASE("Problem calls keep the base point: evaluate then adjoint equals adjoint alone", "[derivatives]") {
  // The natural sequence f.evaluate(); f.adjoint(...) must differentiate at the
  // state the user set, not at the state after the run (Differentiable's contract).
  auto dec = Decomposition::create(grid_for(2, Walls::All), MPI_COMM_WORLD);
  Built alone = build(dec, BoxSmoother<2>{}, AdjointForm::Gather, Walls::All);
  Built after_calls = build(dec, BoxSmoother<2>{}, AdjointForm::Gather, Walls::All);
  const Field<double> base = after_calls.program->value(after_calls.u).clone("base");
  auto bitwise_same = [](const Field<double>& a, const Field<double>& b) {
    const std::vector<double> x = gather_global(a), y = gather_global(b);
    return std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) == 0;
  };

  Problem f(*after_calls.program, {after_calls.u, after_calls.kappa}, {after_calls.u}, {3});
  const double j = f.evaluate();
  CHECK(bitwise_same(after_calls.program->value(after_calls.u), base));
  // outputs() hold the state after the run, not the (restored) input.
  CHECK_FALSE(bitwise_same(f.outputs()[0], base));
  CHECK(f.evaluate() == j);
  CHECK(bitwise_same(after_calls.program->value(after_calls.u), base));
  std::vector<Field<double>> directions = {base.clone("du"), after_calls.program->value(after_calls.kappa).clone("dk")};
  fill_random(directions[0], 11);
  fill_random(directions[1], 12);
  Field<double> out_dot = base.clone_layout("out_dot");
  f.tangent(directions, {out_dot});
  CHECK(bitwise_same(after_calls.program->value(after_calls.u), base));

  auto gradient_of = [](Built& b, Problem& fn) {
    Field<double> w = b.program->value(b.u).clone_layout("w");
    fill_random(w, 5);
    std::vector<Field<double>> g = {b.program->value(b.u).clone_layout("gu"),
                                    b.program->value(b.kappa).clone_layout("gk")};
    fn.adjoint({w}, 0.9, g);
    std::vector<double> all = gather_global(g[0]);
    const std::vector<double> gk = gather_global(g[1]);
    all.insert(all.end(), gk.begin(), gk.end());
    return all;
  };
  const std::vector<double> g_after = gradient_of(after_calls, f);
  CHECK(bitwise_same(after_calls.program->value(after_calls.u), base));
  Problem fresh(*alone.program, {alone.u, alone.kappa}, {alone.u}, {3});
  const std::vector<double> g_alone = gradient_of(alone, fresh);
  REQUIRE(g_after.size() == g_alone.size());
  CHECK(std::memcmp(g_after.data(), g_alone.data(), g_after.size() * sizeof(double)) == 0);
  // And a second adjoint from the same function gives the same gradient again.
  CHECK(gradient_of(after_calls, f) == g_after);
}
