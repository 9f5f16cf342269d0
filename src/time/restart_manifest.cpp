#include "restart_manifest.hpp"

#include <sstream>

#include "undertow/core/error.hpp"

namespace undertow {
namespace time_detail {

std::string RestartManifest::to_text() const {
  std::ostringstream os;
  os << "undertow_adjoint_restart " << kVersion << "\n";
  os << "schedule " << schedule_kind << " " << n_steps << " " << schedule_parameter << "\n";
  os << "storage " << storage << " " << memory_snapshots << "\n";
  os << "position " << position << "\n";
  os << "next_reverse " << next_reverse << "\n";
  os << "forward_done " << forward_done << "\n";
  os << "adjoint " << adjoint_file << "\n";
  for (const ManifestSlot& s : slots) {
    os << "slot " << s.slot << " " << s.step << " " << s.serial << " " << s.medium << " " << s.file << "\n";
  }
  os << "end\n";
  return os.str();
}

RestartManifest RestartManifest::parse(const std::string& text, const std::string& where) {
  RestartManifest m;
  std::istringstream in(text);
  std::string line;
  bool header = false, ended = false;
  int line_number = 0;
  auto bad = [&](const std::string& what) {
    throw Error(where + ": line " + std::to_string(line_number) + ": " + what);
  };
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty()) continue;
    if (ended) bad("text after 'end'");
    std::istringstream ls(line);
    std::string key;
    ls >> key;
    if (!header) {
      int version = 0;
      if (key != "undertow_adjoint_restart" || !(ls >> version)) bad("not an Undertow adjoint restart manifest");
      if (version != kVersion) {
        bad("manifest version " + std::to_string(version) + ", this build reads version " + std::to_string(kVersion));
      }
      header = true;
      continue;
    }
    bool ok = true;
    if (key == "schedule") {
      ok = static_cast<bool>(ls >> m.schedule_kind >> m.n_steps >> m.schedule_parameter);
    } else if (key == "storage") {
      ok = static_cast<bool>(ls >> m.storage >> m.memory_snapshots);
    } else if (key == "position") {
      ok = static_cast<bool>(ls >> m.position);
    } else if (key == "next_reverse") {
      ok = static_cast<bool>(ls >> m.next_reverse);
    } else if (key == "forward_done") {
      ok = static_cast<bool>(ls >> m.forward_done);
    } else if (key == "adjoint") {
      ok = static_cast<bool>(ls >> m.adjoint_file);
    } else if (key == "slot") {
      ManifestSlot s;
      ok = static_cast<bool>(ls >> s.slot >> s.step >> s.serial >> s.medium >> s.file);
      if (ok && s.medium != "memory" && s.medium != "disk") bad("unknown medium '" + s.medium + "'");
      m.slots.push_back(s);
    } else if (key == "end") {
      ended = true;
    } else {
      bad("unknown key '" + key + "'");
    }
    if (!ok) bad("malformed '" + key + "' line");
  }
  if (!header) throw Error(where + ": empty manifest");
  if (!ended) throw Error(where + ": manifest is incomplete (no 'end' line)");
  if (m.adjoint_file.empty()) throw Error(where + ": manifest names no adjoint-state file");
  return m;
}

}  // namespace time_detail
}  // namespace undertow
