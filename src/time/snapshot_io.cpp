#include "snapshot_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "undertow/core/error.hpp"
#include "undertow/field/field_ops.hpp"

namespace undertow {
namespace time_detail {

std::int64_t owned_doubles(const std::vector<Field<double>>& fields) {
  std::int64_t n = 0;
  for (const Field<double>& f : fields) n += f.owned_box().size() * f.components();
  return n;
}

namespace {

/// Owned cells of `f` <-> buffer[offset ...], (c, i, j, k) order with k fastest.
void transfer(const Field<double>& f, const Buffer& buffer, std::int64_t offset, bool to_buffer) {
  const Box o = f.owned_box();
  const std::int64_t nx = o.extent(0), ny = o.extent(1), nz = o.extent(2);
  auto v = f.view();
  Buffer b = buffer;
  const Index3 lo = o.lo;
  Kokkos::parallel_for(
      "undertow::snapshot_transfer", detail::policy(o, f.components()), KOKKOS_LAMBDA(int c, int i, int j, int k) {
        const std::int64_t n = offset + ((c * nx + (i - lo[0])) * ny + (j - lo[1])) * nz + (k - lo[2]);
        if (to_buffer) {
          b(n) = v(c, i, j, k);
        } else {
          v(c, i, j, k) = b(n);
        }
      });
}

}  // namespace

void pack_owned(const std::vector<Field<double>>& fields, const Buffer& buffer) {
  std::int64_t offset = 0;
  for (const Field<double>& f : fields) {
    transfer(f, buffer, offset, true);
    offset += f.owned_box().size() * f.components();
  }
  Kokkos::fence();
}

void unpack_owned(const Buffer& buffer, const std::vector<Field<double>>& fields) {
  std::int64_t offset = 0;
  for (const Field<double>& f : fields) {
    transfer(f, buffer, offset, false);
    offset += f.owned_box().size() * f.components();
  }
  Kokkos::fence();
}

std::string snapshot_file(std::int64_t serial) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "snapshot_%09lld.h5", static_cast<long long>(serial));
  return buf;
}

std::string adjoint_file(std::int64_t position) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "adjoint_%09lld.h5", static_cast<long long>(position));
  return buf;
}

bool is_loop_file(const std::string& name) {
  auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  auto starts_with = [&](const std::string& prefix) { return name.rfind(prefix, 0) == 0; };
  if (name == kManifest || name == std::string(kManifest) + ".tmp") return true;
  const bool ours = starts_with("snapshot_") || starts_with("adjoint_");
  return ours && (ends_with(".h5") || ends_with(".h5.tmp"));
}

std::string join(const std::string& directory, const std::string& name) {
  return (std::filesystem::path(directory) / name).string();
}

namespace {

void sync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) throw Error("cannot open '" + path + "' to sync it: " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0) throw Error("cannot fsync '" + path + "': " + std::strerror(saved));
}

}  // namespace

void write_text_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot create '" + tmp + "': " + std::strerror(errno));
    out << text;
    out.flush();
    if (!out) throw Error("cannot write '" + tmp + "'");
  }
  sync_path(tmp, false);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    throw Error("cannot rename '" + tmp + "' to '" + path + "': " + std::strerror(errno));
  }
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  sync_path(dir.empty() ? std::string(".") : dir.string(), true);
}

bool read_text(const std::string& path, std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream os;
  os << in.rdbuf();
  text = os.str();
  return true;
}

std::vector<std::string> list_loop_files(const std::string& directory) {
  std::vector<std::string> names;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string name = it->path().filename().string();
    if (is_loop_file(name)) names.push_back(name);
  }
  return names;
}

void remove_file(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
}

}  // namespace time_detail
}  // namespace undertow
