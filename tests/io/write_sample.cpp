// Fixture for scripts/check_h5.py: writes field files with known analytic values
// (value = global_code(component, i, j, k) + step, see tests/test_util.hpp) in
// 1D, 2D and 3D, plus a three-step time series, into the directory argv[1].
#include <filesystem>
#include <iostream>

#include "test_util.hpp"

using namespace undertow;

namespace {

std::vector<Field<double>> sample_fields(const std::shared_ptr<const Decomposition>& dec, std::int64_t step) {
  // Component counts chosen to cover XDMF's Scalar, Vector and Matrix attributes.
  const int vector_components = dec->dim() == 1 ? 4 : dec->dim();
  std::vector<Field<double>> fields{Field<double>(dec, "u", 1, 1), Field<double>(dec, "v", vector_components, 2)};
  for (const auto& f : fields) {
    set_by_global_index<double>(f, [step](int c, std::int64_t i, std::int64_t j, std::int64_t k) {
      return undertow_test::global_code(c, i, j, k) + static_cast<double>(step);
    });
  }
  return fields;
}

}  // namespace

int main(int argc, char** argv) {
  undertow::Environment env(argc, argv);
  if (argc != 2) {
    root_print(MPI_COMM_WORLD, "usage: write_sample OUTPUT_DIR");
    return 2;
  }
  const std::string dir = argv[1];
  if (env.rank() == 0) std::filesystem::create_directories(dir);
  MPI_Barrier(MPI_COMM_WORLD);
  try {
    for (int dim = 1; dim <= 3; ++dim) {
      auto dec = Decomposition::create(undertow_test::small_grid(dim, {true, false, false}), MPI_COMM_WORLD);
      io::FieldFileInfo info;
      info.step = 0;
      info.time = 0.0;
      info.scalars = {{"objective", 1.25}};
      info.integers = {{"snapshots", 7}};
      io::write_fields(dir + "/sample_" + std::to_string(dim) + "d.h5", sample_fields(dec, 0), info);
    }
    auto dec = Decomposition::create(undertow_test::small_grid(3, {false, false, false}), MPI_COMM_WORLD);
    io::TimeSeriesWriter series(dir + "/series");
    for (std::int64_t step = 1; step <= 3; ++step) {
      io::FieldFileInfo info;
      info.step = step;
      info.time = 0.25 * static_cast<double>(step);
      series.write(sample_fields(dec, step), info);
    }
  } catch (const Error& e) {
    if (env.rank() == 0) std::cerr << e.what() << "\n";
    return 1;
  }
  root_print(MPI_COMM_WORLD, "wrote samples to " + dir);
  return 0;
}
