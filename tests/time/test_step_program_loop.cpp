// A real step program through the checkpointed adjoint loop: the gradient from
// AdjointLoop + StepProgram (revolve, memory and disk) equals, bitwise, the one
// from ProgramFunction's store-all reverse, and it passes the harness.
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

  // Reference: ProgramFunction (store-all in memory).
  Model ref = build(dec);
  const auto u0 = ref.program->value(ref.u).clone("u0");
  ProgramFunction f(*ref.program, {ref.u, ref.kappa}, {}, steps);
  std::vector<Field<double>> grads = {u0.clone_layout("gu"), ref.program->value(ref.kappa).clone_layout("gk")};
  f.adjoint({}, 1.0, grads);
  std::vector<double> expected = gather_global(grads[0]);
  const std::vector<double> gk = gather_global(grads[1]);
  expected.insert(expected.end(), gk.begin(), gk.end());
  const double j_expected = ref.program->objective();

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
