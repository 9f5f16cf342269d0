// A real step program through the checkpointed adjoint loop: the gradient from
// AdjointLoop + StepProgram (revolve, memory and disk) equals, bitwise, the one
// from Problem's store-all reverse; Problem under every checkpoint policy gives
// that gradient, keeps its base point, passes the harness and rejects bad options.
#include <cstring>
#include <string>

#include "program/test_kernels.hpp"
#include "test_util.hpp"

using namespace undertow;

namespace {

struct Model {
  std::unique_ptr<Program> program;
  Var u, kappa, obs;
};

Model build(std::shared_ptr<const Decomposition> dec) {
  Model m;
  m.program = std::make_unique<Program>(dec);
  Program& p = *m.program;
  m.u = p.add_state("u", 1, 2);
  m.kappa = p.add_parameter("kappa", 1, 2);
  const Var next = p.add_temporary("next", 1, 2);
  m.obs = p.add_data("obs");
  p.exchange(m.u);
  p.exchange(m.kappa);
  p.apply(undertow_test::UpwindBurgers<2>{}, {m.u, m.kappa}, {next});
  p.copy(m.u, next);
  p.objective_misfit(m.u, m.obs, 0.3);  // time-distributed
  p.set_section(Section::Final);
  p.objective_sum(m.u, 0.7);  // terminal
  set_by_global_index<double>(p.value(m.u), [](int, std::int64_t i, std::int64_t j, std::int64_t) {
    return 0.4 + 0.5 * std::sin(0.5 * double(i) + 0.2 * double(j));
  });
  fill(p.value(m.kappa), 0.8);
  fill_random(p.value(m.obs), 3);
  return m;
}

std::vector<double> both(const Program& p, Var u, Var kappa) {
  std::vector<double> g = gather_global(p.adjoint(u));
  const std::vector<double> k = gather_global(p.adjoint(kappa));
  g.insert(g.end(), k.begin(), k.end());
  return g;
}

/// Records the objective once the forward sweep and the terminal terms are done.
struct ObjectiveRecordingStepper : StepProgram {
  using StepProgram::StepProgram;
  double objective_at_end = 0;
  void begin_adjoint(int n_steps) override {
    StepProgram::begin_adjoint(n_steps);
    objective_at_end = program().objective();
  }
};

}  // namespace

TEST_CASE("AdjointLoop over a StepProgram gives the store-all gradient bitwise", "[time][program]") {
  const int steps = 12;
  auto dec = Decomposition::create(GridSpec::rect(20, 14, {true, true}), MPI_COMM_WORLD);

  // Reference: Problem (store-all in memory).
  Model ref = build(dec);
  const auto u0 = ref.program->value(ref.u).clone("u0");
  Problem f(*ref.program, {ref.u, ref.kappa}, {}, {steps});
  std::vector<Field<double>> grads = {u0.clone_layout("gu"), ref.program->value(ref.kappa).clone_layout("gk")};
  f.adjoint({}, 1.0, grads);
  std::vector<double> expected = gather_global(grads[0]);
  const std::vector<double> gk = gather_global(grads[1]);
  expected.insert(expected.end(), gk.begin(), gk.end());
  const double j_expected = f.last_gradient().objective;

  const char* dir = std::getenv("UNDERTOW_TEST_OUTPUT_DIR");
  const char* threads = std::getenv("OMP_NUM_THREADS");
  const std::string scratch = std::string(dir ? dir : ".") + "/step_program_loop_np" +
                              std::to_string(undertow_test::world_size()) + "_t" + (threads ? threads : "0");
  for (int storage = 0; storage < 2; ++storage) {
    INFO((storage == 0 ? "memory" : "disk") << " snapshots");
    Model m = build(dec);
    ObjectiveRecordingStepper stepper(*m.program);
    AdjointLoopOptions options;
    options.storage = storage == 0 ? SnapshotStorage::Memory : SnapshotStorage::Disk;
    options.directory = scratch;
    AdjointLoop loop(stepper, CheckpointSchedule::binomial(steps, 3), options);
    loop.run();
    const std::vector<double> got = both(*m.program, m.u, m.kappa);
    REQUIRE(got.size() == expected.size());
    CHECK(std::memcmp(got.data(), expected.data(), got.size() * sizeof(double)) == 0);
    CHECK(stepper.objective_at_end == j_expected);
    // t(12, 3): r = 3 (C(6, 3) = 20 >= 12), 3 * 12 - C(6, 4) = 21 forward steps.
    CHECK(loop.stats().forward_steps == 21);
  }
}

TEST_CASE("AdjointLoop over a StepProgram reverses several seeds at once", "[time][program][vector]") {
  // Four objective adjoints in one checkpointed reverse: seed s is J_bar_s times
  // the one-seed gradient, bitwise (J_bar_s is 0 or a power of two, and every
  // contribution is linear in it).
  const int steps = 7;
  auto dec = Decomposition::create(GridSpec::rect(20, 14, {true, true}), MPI_COMM_WORLD);
  Model one = build(dec);
  StepProgram single(*one.program);
  AdjointLoop(single, CheckpointSchedule::binomial(steps, 2)).run();
  const std::vector<double> reference = both(*one.program, one.u, one.kappa);

  Model m = build(dec);
  m.program->prepare_reverse(4);
  const std::vector<double> objective_adjoints = {1.0, 0.0, -0.5, 2.0};
  m.program->set_objective_adjoints(objective_adjoints);
  StepProgram stepper(*m.program);
  AdjointLoop(stepper, CheckpointSchedule::binomial(steps, 2)).run();
  bool same = true;
  for (int s = 0; s < 4; ++s) {
    std::vector<double> seed;
    for (Var v : {m.u, m.kappa}) {
      Field<double> block = m.program->value(v).clone_layout("block");
      undertow_test::copy_components(m.program->adjoint(v), s, block, 0, 1);
      const std::vector<double> g = gather_global(block);
      seed.insert(seed.end(), g.begin(), g.end());
    }
    REQUIRE(seed.size() == reference.size());
    for (std::size_t n = 0; n < seed.size(); ++n) {
      same = same && seed[n] == objective_adjoints[static_cast<std::size_t>(s)] * reference[n];
    }
  }
  CHECK(undertow_test::all_ranks(same));
}

namespace {

std::string scratch_directory(const std::string& name) {
  const char* dir = std::getenv("UNDERTOW_TEST_OUTPUT_DIR");
  const char* threads = std::getenv("OMP_NUM_THREADS");
  return std::string(dir ? dir : ".") + "/" + name + "_np" + std::to_string(undertow_test::world_size()) + "_t" +
         (threads ? threads : "0");
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

}  // namespace

TEST_CASE("Problem: every checkpoint policy gives the store-all gradient bitwise and keeps the base point",
          "[time][problem]") {
  const int steps = 9;
  auto dec = Decomposition::create(GridSpec::rect(20, 14, {true, true}), MPI_COMM_WORLD);
  Model ref = build(dec);
  Problem store_all(*ref.program, {ref.u, ref.kappa}, {ref.u}, {steps});
  const GradientResult r = store_all.gradient();
  const std::vector<double> expected = both(*ref.program, ref.u, ref.kappa);
  CHECK(r.steps == steps);
  CHECK(r.stats.recomputed_steps == 0);
  CHECK(r.stats.adjoint_steps == steps);

  struct Policy {
    const char* name;
    int snapshots;
    SnapshotStorage storage;
  };
  for (const Policy& policy :
       {Policy{"revolve(2), memory", 2, SnapshotStorage::Memory}, Policy{"revolve(3), disk", 3, SnapshotStorage::Disk},
        Policy{"revolve(4), memory then disk", 4, SnapshotStorage::MemoryThenDisk}}) {
    INFO(policy.name);
    Model m = build(dec);
    const std::vector<double> u_before = gather_global(m.program->value(m.u));
    m.program->set_step_index(40);
    m.program->set_objective(-1.5);
    ProblemOptions options{steps};
    options.checkpointing.snapshots = policy.snapshots;
    options.checkpointing.loop.storage = policy.storage;
    options.checkpointing.loop.memory_snapshots = 1;
    options.checkpointing.loop.directory = scratch_directory("problem_policy");
    Problem problem(*m.program, {m.u, m.kappa}, {m.u}, options);
    const GradientResult got = problem.gradient();
    CHECK(undertow_test::all_ranks(same_bits(both(*m.program, m.u, m.kappa), expected)));
    CHECK(got.objective == r.objective);
    CHECK(got.stats.recomputed_steps > 0);
    // The base point: the state, the running objective and the step index.
    CHECK(undertow_test::all_ranks(same_bits(gather_global(m.program->value(m.u)), u_before)));
    CHECK(m.program->objective() == -1.5);
    CHECK(m.program->step_index() == 40);
  }
}

TEST_CASE("Problem: evaluate and tangent before a gradient leave it bitwise unchanged", "[time][problem]") {
  const int steps = 5;
  auto dec = Decomposition::create(GridSpec::rect(20, 14, {true, true}), MPI_COMM_WORLD);
  Model alone = build(dec);
  Problem fresh(*alone.program, {alone.u, alone.kappa}, {alone.u}, {steps});
  const double j_alone = fresh.gradient().objective;
  const std::vector<double> expected = both(*alone.program, alone.u, alone.kappa);

  Model m = build(dec);
  ProblemOptions options{steps};
  options.checkpointing.snapshots = 2;
  Problem problem(*m.program, {m.u, m.kappa}, {m.u}, options);
  const double j = problem.evaluate();
  const std::vector<double> u_final = gather_global(problem.outputs()[0]);
  Field<double> du = m.program->value(m.u).clone_layout("du"), dk = m.program->value(m.kappa).clone_layout("dk");
  fill_random(du, 5);
  fill_random(dk, 6);
  Field<double> du_final = du.clone_layout("du_final");
  problem.tangent({du, dk}, {du_final});
  const GradientResult r = problem.gradient();
  CHECK(j == j_alone);
  CHECK(r.objective == j_alone);
  CHECK(undertow_test::all_ranks(same_bits(both(*m.program, m.u, m.kappa), expected)));
  // The gradient's forward sweep evaluates too: the same final state as evaluate().
  CHECK(undertow_test::all_ranks(same_bits(gather_global(problem.outputs()[0]), u_final)));
}

TEST_CASE("Problem under revolve on disk passes the dot-product and Taylor tests", "[time][problem][verify]") {
  auto dec = Decomposition::create(GridSpec::rect(17, 12, {true, true}), MPI_COMM_WORLD);
  Model m = build(dec);
  ProblemOptions options{6};
  options.checkpointing.snapshots = 2;
  options.checkpointing.loop.storage = SnapshotStorage::Disk;
  options.checkpointing.loop.directory = scratch_directory("problem_verify");
  Problem problem(*m.program, {m.u, m.kappa}, {m.u}, options);
  VerifyOptions v;
  v.name = "Burgers steps under revolve(2) on disk";
  const VerificationReport report = verify(problem, v);
  INFO(report.str());
  CHECK(report.passed());
}

TEST_CASE("Problem rejects bad options and calls on every rank", "[time][problem][errors]") {
  auto dec = Decomposition::create(GridSpec::rect(12, 10, {true, true}), MPI_COMM_WORLD);
  Model m = build(dec);
  Program& p = *m.program;
  CHECK_THROWS_WITH(Problem(p, {m.u}, {}, {0}), Catch::Contains("steps must be >= 1, got 0"));
  ProblemOptions negative{3};
  negative.checkpointing.snapshots = -1;
  CHECK_THROWS_WITH(Problem(p, {m.u}, {}, negative), Catch::Contains("snapshots must be 0 (keep every state)"));
  CHECK_THROWS_WITH(Problem(p, {m.u, m.obs}, {}, {3}), Catch::Contains("input 'obs' is a Data variable"));
  ProblemOptions on_disk{3};
  on_disk.checkpointing.snapshots = 1;
  on_disk.checkpointing.loop.storage = SnapshotStorage::Disk;  // and no directory
  CHECK_THROWS(Problem(p, {m.u}, {}, on_disk).gradient());

  Problem no_objective(p, {m.u}, {m.u}, {3, false});
  CHECK_THROWS_WITH(no_objective.gradient(), Catch::Contains("has no objective"));
  Field<double> g = p.value(m.u).clone_layout("g");
  CHECK_THROWS_WITH(no_objective.adjoint({}, 0.0, {g}), Catch::Contains("0 fields for 1 outputs"));
  CHECK_THROWS_WITH(no_objective.tangent({g, g}, {g}), Catch::Contains("2 fields for 1 inputs"));
}

namespace {

/// The Burgers model whose initial state is computed from a parameter a by the
/// Initial section: u0 = 2 a (plus, optionally, an objective term 0.1 sum a).
Model build_with_initial(std::shared_ptr<const Decomposition> dec, Var* a, bool initial_objective) {
  Model m = build(dec);
  Program& p = *m.program;
  *a = p.add_parameter("a", 1, 2);
  p.set_section(Section::Initial);
  p.copy(m.u, *a);
  p.scale(m.u, 2.0);
  if (initial_objective) p.objective_sum(*a, 0.1);
  p.set_section(Section::Step);
  set_by_global_index<double>(p.value(*a), [](int, std::int64_t i, std::int64_t j, std::int64_t) {
    return 0.2 + 0.25 * std::cos(0.3 * double(i) - 0.4 * double(j));
  });
  return m;
}

}  // namespace

TEST_CASE("Problem: the Initial section runs before the first step and is reversed after the last",
          "[time][problem][initial]") {
  const int steps = 6;
  auto dec = Decomposition::create(GridSpec::rect(18, 13, {true, true}), MPI_COMM_WORLD);

  // (A) from the parameter a through the Initial section, under revolve.
  Var a;
  Model m = build_with_initial(dec, &a, false);
  Program& p = *m.program;
  const std::vector<double> u_before = gather_global(p.value(m.u));
  ProblemOptions revolve{steps};
  revolve.checkpointing.snapshots = 2;
  Problem from_a(p, {a, m.kappa}, {m.u}, revolve);
  const GradientResult ra = from_a.gradient();
  const std::vector<double> grad_a = gather_global(p.adjoint(a));
  const std::vector<double> grad_kappa_a = gather_global(p.adjoint(m.kappa));
  // The base point is kept: the State was not moved to 2 a.
  CHECK(undertow_test::all_ranks(same_bits(gather_global(p.value(m.u)), u_before)));
  CHECK(ra.stats.recomputed_steps > 0);

  // (B) the same program started by hand at u0 = 2 a, the Initial section skipped.
  Var b_a;
  Model n = build_with_initial(dec, &b_a, false);
  n.program->run_forward(Section::Initial);
  ProblemOptions skip{steps};
  skip.run_initial = false;
  Problem from_u(*n.program, {n.u, n.kappa}, {n.u}, skip);
  const GradientResult rb = from_u.gradient();
  const std::vector<double> grad_u0 = gather_global(n.program->adjoint(n.u));
  CHECK(rb.objective == ra.objective);
  CHECK(undertow_test::all_ranks(same_bits(gather_global(n.program->adjoint(n.kappa)), grad_kappa_a)));
  // The chain rule through u0 = 2 a, exact in floating point.
  bool chain = grad_a.size() == grad_u0.size();
  for (std::size_t i = 0; chain && i < grad_a.size(); ++i) chain = grad_a[i] == 2.0 * grad_u0[i];
  CHECK(undertow_test::all_ranks(chain));
  CHECK(from_u.evaluate() == from_a.evaluate());

  // The harness, with an objective term in the Initial section.
  Var c;
  Model v = build_with_initial(dec, &c, true);
  Problem with_term(*v.program, {c, v.kappa}, {v.u}, revolve);
  VerifyOptions options;
  options.name = "Initial section u0 = 2 a, objective term 0.1 sum a, then Burgers steps";
  const VerificationReport report = verify(with_term, options);
  INFO(report.str());
  CHECK(report.passed());
  CHECK(with_term.evaluate() - from_a.evaluate() != 0.0);  // the Initial term counts

  // A bare StepProgram would leave the gradient at the initial state: refused.
  CHECK_THROWS_WITH(StepProgram(p), Catch::Contains("has an Initial section"));
}

TEST_CASE("Problem: the store-all forward recording gives bitwise the gradient of re-run steps",
          "[time][problem][record]") {
  const int steps = 7;
  auto dec = Decomposition::create(GridSpec::rect(19, 11, {true, true}), MPI_COMM_WORLD);
  Var a;
  Model rerun = build_with_initial(dec, &a, true);
  ProblemOptions no_recording{steps};
  no_recording.checkpointing.record_forward = false;
  Problem reference(*rerun.program, {a, rerun.u, rerun.kappa}, {rerun.u}, no_recording);
  const GradientResult r = reference.gradient();
  CHECK(r.stats.recorded_steps == steps);  // each reverse step re-ran its step
  const std::vector<double> expected = both(*rerun.program, a, rerun.kappa);

  Var b;
  Model m = build_with_initial(dec, &b, true);
  REQUIRE(m.program->replayable(Section::Step));
  std::vector<int> reversed;
  ProblemOptions options{steps};
  options.checkpointing.loop.after_reverse_step = [&](int k) { reversed.push_back(k); };
  Problem recorded(*m.program, {b, m.u, m.kappa}, {m.u}, options);
  const std::vector<double> u_before = gather_global(m.program->value(m.u));
  for (int round = 0; round < 2; ++round) {  // the second reuses the recordings
    INFO("round " << round);
    const GradientResult g = recorded.gradient();
    CHECK(g.objective == r.objective);
    CHECK(g.stats.forward_steps == steps);
    CHECK(g.stats.recomputed_steps == 0);
    CHECK(g.stats.recorded_steps == 0);  // the forward sweep recorded
    CHECK(undertow_test::all_ranks(same_bits(both(*m.program, b, m.kappa), expected)));
    CHECK(undertow_test::all_ranks(same_bits(gather_global(m.program->value(m.u)), u_before)));
    CHECK(undertow_test::all_ranks(
        same_bits(gather_global(recorded.outputs()[0]), gather_global(reference.outputs()[0]))));
  }
  CHECK(reversed.size() == 2 * steps);
  CHECK(reversed.front() == steps - 1);
  CHECK(reversed.back() == 0);

  // A recording is tied to its section and to the program's operations.
  Program::Recording empty;
  CHECK_THROWS_WITH(m.program->run_reverse(Section::Step, empty), Catch::Contains("run_forward_record into it first"));
}

namespace {

/// The component-major global array of block `block` of a field holding blocks
/// of `per_block` components (gather_global order: component, then cells).
std::vector<double> block_of(const Field<double>& f, int block, int per_block) {
  const std::vector<double> all = gather_global(f);
  const std::size_t size = all.size() / static_cast<std::size_t>(f.components()) * per_block;
  return {all.begin() + static_cast<std::ptrdiff_t>(size * block),
          all.begin() + static_cast<std::ptrdiff_t>(size * (block + 1))};
}

/// Smooth pattern number b at cell (i, j).
double pattern(int b, std::int64_t i, std::int64_t j) {
  return std::sin(0.3 * double(i) + 0.7 * double(j) + 1.3 * b) + 0.1 * b;
}

/// A field of `blocks` blocks of one component, block b = pattern b.
Field<double> patterns(const Field<double>& like, int blocks, const char* name) {
  Field<double> f(like.decomposition_ptr(), name, blocks, like.ghost());
  set_by_global_index<double>(f, [](int c, std::int64_t i, std::int64_t j, std::int64_t) { return pattern(c, i, j); });
  return f;
}

/// A one-component field like `like` holding pattern b.
Field<double> one_pattern(const Field<double>& like, int b, const char* name) {
  Field<double> f = like.clone_layout(name);
  set_by_global_index<double>(f, [b](int, std::int64_t i, std::int64_t j, std::int64_t) { return pattern(b, i, j); });
  return f;
}

}  // namespace

TEST_CASE("Problem: tangents and adjoints of several directions or seeds equal one at a time",
          "[time][problem][vector]") {
  const int steps = 5, width = 4;
  auto dec = Decomposition::create(GridSpec::rect(16, 13, {true, true}), MPI_COMM_WORLD);
  for (int snapshots : {0, 2}) {  // the recorded store-all sweep and revolve
    INFO("snapshots " << snapshots);
    Var a;
    Model m = build_with_initial(dec, &a, true);
    Program& p = *m.program;
    ProblemOptions options{steps};
    options.checkpointing.snapshots = snapshots;
    Problem problem(p, {a, m.kappa}, {m.u}, options);
    const Field<double>& u = p.value(m.u);

    // M seeds: output weights and objective weights per seed.
    const Field<double> weights = patterns(u, width, "weights");
    const std::vector<double> objective_weights = {1.0, 0.0, -0.5, 2.0};
    Field<double> adj_a = patterns(p.value(a), width, "adj_a"), adj_kappa = patterns(p.value(m.kappa), width, "adj_k");
    problem.adjoints({weights}, objective_weights, {adj_a, adj_kappa});
    CHECK(p.reverse_seeds() == width);
    // N directions.
    const Field<double> da = patterns(p.value(a), width, "da"), dk = patterns(p.value(m.kappa), width, "dk");
    Field<double> du_final = patterns(u, width, "du_final");
    const std::vector<double> dj = problem.tangents({da, dk}, {du_final});
    REQUIRE(dj.size() == static_cast<std::size_t>(width));

    for (int s = 0; s < width; ++s) {
      INFO("seed / direction " << s);
      const Field<double> w = one_pattern(u, s, "w");
      Field<double> ga = p.value(a).clone_layout("ga"), gk = p.value(m.kappa).clone_layout("gk");
      problem.adjoint({w}, objective_weights[static_cast<std::size_t>(s)], {ga, gk});
      CHECK(undertow_test::all_ranks(same_bits(block_of(adj_a, s, 1), gather_global(ga))));
      CHECK(undertow_test::all_ranks(same_bits(block_of(adj_kappa, s, 1), gather_global(gk))));

      const Field<double> one_a = one_pattern(p.value(a), s, "one_a");
      const Field<double> one_k = one_pattern(p.value(m.kappa), s, "one_k");
      Field<double> one_u = u.clone_layout("one_u");
      const double one = problem.tangent({one_a, one_k}, {one_u});
      CHECK(std::abs(dj[static_cast<std::size_t>(s)] - one) <= 1e-13 * std::abs(one));
      const std::vector<double> expected = gather_global(one_u), got = block_of(du_final, s, 1);
      double diff = 0.0, norm = 0.0;
      for (std::size_t c = 0; c < got.size(); ++c) {
        diff = std::max(diff, std::abs(got[c] - expected[c]));
        norm = std::max(norm, std::abs(expected[c]));
      }
      CHECK(diff <= 1e-13 * norm);
    }
    CHECK(p.reverse_seeds() == 1);  // adjoint() went back to one seed

    // Mismatched blocks are refused with the counts.
    const std::vector<double> three = {1.0, 1.0, 1.0};
    CHECK_THROWS_WITH(problem.adjoints({weights}, three, {adj_a, adj_kappa}), Catch::Contains("3 objective weights"));
    Field<double> two = patterns(p.value(a), 2, "two");
    CHECK_THROWS_WITH(problem.tangents({da, two}, {du_final}), Catch::Contains("the other fields hold 4 blocks"));
    CHECK_THROWS_WITH(problem.tangent({da, dk}, {du_final}), Catch::Contains("use tangents()"));
  }
}

TEST_CASE("Problem: an interrupted gradient resumes from its restart point to the same bits",
          "[time][problem][restart]") {
  const int steps = 12;
  auto dec = Decomposition::create(GridSpec::rect(15, 12, {true, true}), MPI_COMM_WORLD);
  Var a0;
  Model ref = build_with_initial(dec, &a0, true);
  Problem uninterrupted(*ref.program, {a0, ref.kappa}, {ref.u}, {steps});
  const GradientResult expected = uninterrupted.gradient();
  const std::vector<double> expected_gradient = both(*ref.program, a0, ref.kappa);

  Var a;
  Model m = build_with_initial(dec, &a, true);
  ProblemOptions options{steps};
  options.checkpointing.snapshots = 3;
  options.checkpointing.loop.storage = SnapshotStorage::Disk;
  options.checkpointing.loop.directory = scratch_directory("problem_resume");
  options.checkpointing.loop.restart_interval = 2;
  int reversed = 0;
  // Every rank stops at the same reverse step, as a killed job would.
  options.checkpointing.loop.after_reverse_step = [&](int) {
    if (++reversed == 7) throw Error("simulated crash");
  };
  Problem problem(*m.program, {a, m.kappa}, {m.u}, options);
  const std::vector<double> u_before = gather_global(m.program->value(m.u));
  CHECK_THROWS_WITH(problem.gradient(), Catch::Contains("simulated crash"));
  // The base point survives the interruption.
  CHECK(undertow_test::all_ranks(same_bits(gather_global(m.program->value(m.u)), u_before)));
  REQUIRE(problem.restart_available());

  const GradientResult resumed = problem.resume();  // reversed > 7 from here: no more crashes
  CHECK(resumed.stats.resumed);
  CHECK(resumed.stats.adjoint_steps < steps);  // only what was left
  CHECK(resumed.objective == expected.objective);
  CHECK(undertow_test::all_ranks(same_bits(both(*m.program, a, m.kappa), expected_gradient)));
  CHECK(undertow_test::all_ranks(same_bits(gather_global(m.program->value(m.u)), u_before)));

  // Without restart points there is nothing to resume.
  Problem plain(*m.program, {a, m.kappa}, {m.u}, {steps});
  CHECK(!plain.restart_available());
  CHECK_THROWS_WITH(plain.resume(), Catch::Contains("write no restart points"));
}
