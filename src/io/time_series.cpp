#include "undertow/io/time_series.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <regex>

#include "hdf5_util.hpp"

namespace undertow {
namespace io {

TimeSeriesWriter::TimeSeriesWriter(std::string prefix, MPI_Comm comm, bool resume) : prefix_(std::move(prefix)) {
  if (!resume) return;
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  // Rank 0 lists the step files already on disk and keeps those that pass the
  // reader's validation; the list is broadcast so every rank knows the steps.
  std::string bytes;
  detail::agreed(comm, [&] {
    if (rank != 0) return;
    const std::filesystem::path p(prefix_);
    const std::filesystem::path dir = p.parent_path().empty() ? std::filesystem::path(".") : p.parent_path();
    const std::regex pattern(std::regex_replace(p.filename().string(), std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                             R"(_(-?\d{6,})\.h5)");
    std::vector<Entry> found;
    std::error_code ec;
    for (const auto& item : std::filesystem::directory_iterator(dir, ec)) {
      if (!std::regex_match(item.path().filename().string(), pattern)) continue;
      try {
        const FieldFileDescription d = detail::describe_serial(item.path().string(), "TimeSeriesWriter");
        found.push_back({d.info.step, d.info.time, d.grid, d.fields});
      } catch (const Error&) {
        // An unreadable leftover (e.g. from a crash) is not part of the series.
      }
    }
    std::sort(found.begin(), found.end(), [](const Entry& a, const Entry& b) { return a.step < b.step; });
    // Reuse the description packer: one description per entry.
    std::string all;
    for (const Entry& e : found) {
      FieldFileDescription d;
      d.info.step = e.step;
      d.info.time = e.time;
      d.grid = e.grid;
      d.fields = e.fields;
      const std::string one = detail::serialize(d);
      const std::uint64_t size = one.size();
      all.append(reinterpret_cast<const char*>(&size), sizeof size);
      all += one;
    }
    bytes = all;
  });
  detail::broadcast(comm, bytes, 0);
  std::size_t pos = 0;
  while (pos + sizeof(std::uint64_t) <= bytes.size()) {
    std::uint64_t size = 0;
    std::copy_n(bytes.data() + pos, sizeof size, reinterpret_cast<char*>(&size));
    pos += sizeof size;
    const FieldFileDescription d = detail::deserialize(bytes.substr(pos, static_cast<std::size_t>(size)));
    pos += static_cast<std::size_t>(size);
    entries_.push_back({d.info.step, d.info.time, d.grid, d.fields});
  }
}

std::string TimeSeriesWriter::step_path(std::int64_t step) const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "_%06lld.h5", static_cast<long long>(step));
  return prefix_ + buf;
}

std::vector<std::int64_t> TimeSeriesWriter::steps() const {
  std::vector<std::int64_t> s;
  for (const Entry& e : entries_) s.push_back(e.step);
  return s;
}

std::string TimeSeriesWriter::write(const std::vector<Field<double>>& fields, const FieldFileInfo& info) {
  const std::string path = step_path(info.step);
  write_fields(path, fields, info, false);
  Entry entry{info.step, info.time, fields[0].decomposition().grid(), {}};
  for (const Field<double>& f : fields) entry.fields.push_back({f.name(), f.components(), 0});
  std::sort(entry.fields.begin(), entry.fields.end(),
            [](const FieldEntry& a, const FieldEntry& b) { return a.name < b.name; });
  auto same = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.step == info.step; });
  if (same != entries_.end()) {
    *same = entry;
  } else {
    entries_.push_back(entry);
  }
  const MPI_Comm comm = fields[0].decomposition().comm();
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  detail::agreed(comm, [&] {
    if (rank == 0) write_xdmf();
  });
  return path;
}

void TimeSeriesWriter::write_xdmf() const {
  std::string body = "    <Grid Name=\"time_series\" GridType=\"Collection\" CollectionType=\"Temporal\">\n";
  for (const Entry& e : entries_) {
    char name[32];
    std::snprintf(name, sizeof name, "step_%06lld", static_cast<long long>(e.step));
    const std::string href = std::filesystem::path(step_path(e.step)).filename().string();
    body += detail::xdmf_uniform_grid(e.grid, e.fields, href, e.time, name, "      ");
  }
  body += "    </Grid>\n";
  detail::write_text_atomically(xdmf_path(), detail::xdmf_document(body));
}

}  // namespace io
}  // namespace undertow
