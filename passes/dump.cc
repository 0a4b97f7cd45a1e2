// Dump files (see dump.h).
#include "passes/dump.h"

#include <fstream>

namespace ndjit::passes {

std::string DumpWriter::PathOf(std::string_view name) const {
  std::string path = dir_;
  path += '/';
  path += prefix_;
  path += name;
  return path;
}

absl::Status DumpWriter::Write(std::string_view name, std::string_view text) const {
  if (!enabled()) return absl::OkStatus();
  const std::string path = PathOf(name);
  std::ofstream out(path);
  out << text;
  out.close();
  if (!out) return absl::UnavailableError("cannot write the dump file " + path);
  return absl::OkStatus();
}

}  // namespace ndjit::passes
