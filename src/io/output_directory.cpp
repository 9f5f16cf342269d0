#include "undertow/io/output_directory.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "undertow/core/error.hpp"

namespace undertow {
namespace io {
namespace {

/// "" if `directory` exists (created here if needed) and accepts a new file;
/// otherwise why not. Never throws: rank 0's verdict is shared by all ranks.
std::string prepare(const std::string& directory) {
  namespace fs = std::filesystem;
  if (directory.empty()) return "the directory name is empty";
  std::error_code ec;
  const fs::path path(directory);
  if (fs::exists(path, ec) && !fs::is_directory(path, ec)) return "it exists and is not a directory";
  fs::create_directories(path, ec);
  if (ec) return ec.message();
  if (!fs::is_directory(path, ec)) return "it could not be created";
  // Permissions alone do not tell (root, ACLs, read-only mounts, /proc): try.
  const fs::path probe = path / ".undertow_write_probe";
  {
    std::ofstream out(probe, std::ios::binary | std::ios::trunc);
    out << "probe\n";
    out.close();
    if (!out) {
      fs::remove(probe, ec);
      return "files cannot be created in it";
    }
  }
  fs::remove(probe, ec);
  return "";
}

}  // namespace

void create_output_directory(const std::string& directory, MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::string problem;
  if (rank == 0) {
    const std::string why = prepare(directory);
    if (!why.empty()) problem = "cannot use output directory '" + directory + "': " + why;
  }
  agree_or_throw(comm, problem.empty(), problem);
}

void create_output_directory_for_prefix(const std::string& prefix, MPI_Comm comm) {
  const std::filesystem::path parent = std::filesystem::path(prefix).parent_path();
  create_output_directory(parent.empty() ? std::string(".") : parent.string(), comm);
}

}  // namespace io
}  // namespace undertow
