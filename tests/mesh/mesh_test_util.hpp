// Helpers for the mesh tests: a scratch directory per (ranks, threads) run, files
// written by rank 0 only, serial HDF5 reads/writes for independent checks, and a
// check that an error reached every rank with the same message.
#pragma once

#include <hdf5.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace mesh_test {

/// $UNDERTOW_TEST_OUTPUT_DIR/mesh_np<N>_t<T>/, created by rank 0; unique per
/// concurrent ctest run.
inline std::string scratch_dir() {
  const char* base = std::getenv("UNDERTOW_TEST_OUTPUT_DIR");
  const char* threads = std::getenv("OMP_NUM_THREADS");
  const std::string dir = std::string(base ? base : ".") + "/mesh_np" + std::to_string(undertow_test::world_size()) +
                          "_t" + (threads ? threads : "0");
  if (undertow_test::world_rank() == 0) std::filesystem::create_directories(dir);
  MPI_Barrier(MPI_COMM_WORLD);
  return dir;
}

/// Rank 0 writes `text` to `path`; every rank returns after it is written.
inline void write_text(const std::string& path, const std::string& text) {
  if (undertow_test::world_rank() == 0) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

/// Serial (rank-local) HDF5 dataset write; creates intermediate groups.
inline void write_dataset(hid_t file, const std::string& name, const std::vector<hsize_t>& dims, hid_t mem_type,
                          hid_t file_type, const void* data) {
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t dset = H5Dcreate2(file, name.c_str(), file_type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(dset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  H5Dclose(dset);
  H5Sclose(space);
  H5Pclose(lcpl);
}

/// Serial read of a whole dataset as doubles, in file (C) order.
inline std::vector<double> read_dataset(const std::string& path, const std::string& name) {
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t dset = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
  hid_t space = H5Dget_space(dset);
  std::vector<double> values(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
  H5Dread(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
  H5Sclose(space);
  H5Dclose(dset);
  H5Fclose(file);
  return values;
}

/// Rank 0's copy of `s` on every rank.
inline std::string from_rank0(const std::string& s) {
  long long n = static_cast<long long>(s.size());
  MPI_Bcast(&n, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
  std::string out = undertow_test::world_rank() == 0 ? s : std::string(static_cast<std::size_t>(n), '\0');
  if (n > 0) MPI_Bcast(&out[0], static_cast<int>(n), MPI_CHAR, 0, MPI_COMM_WORLD);
  return out;
}

/// Runs `f` (collective) and returns the undertow::Error message it threw, or "".
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const undertow::Error& e) {
    return e.what();
  }
  return "";
}

/// The message is non-empty, identical on every rank, and contains every part.
inline void check_error(const std::string& message, const std::vector<std::string>& parts) {
  INFO("error message: " << message);
  CHECK_FALSE(message.empty());
  CHECK(undertow_test::all_ranks(from_rank0(message) == message));
  for (const std::string& p : parts) CHECK_THAT(message, Catch::Contains(p));
}

}  // namespace mesh_test
