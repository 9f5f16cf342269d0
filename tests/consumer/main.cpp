#include <undertow/undertow.hpp>

int main(int argc, char** argv) {
  undertow::Environment env(argc, argv);
  {
    auto dec = undertow::Decomposition::create(undertow::GridSpec::rect(16, 16, {true, true}), env.world());
    undertow::Field<double> f(dec, "f", 1, 1);
    undertow::fill(f, 1.0);
    undertow::Halo halo(dec, undertow::HaloPattern::Box, 1);
    halo.exchange(f);
    undertow::root_print(env.world(), "consumer: sum = " + std::to_string(undertow::sum(f)));
    if (undertow::sum(f) != 256.0) return 1;
  }
  return 0;
}
