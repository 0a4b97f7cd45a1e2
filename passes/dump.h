// The one writer of dump files (NDJIT_DUMP_DIR): DIR/PREFIX<name>. The pass pipeline writes its
// graphs through it (passes/pipeline.cc), and the materializer the compile driver's description
// of a graph's kernels and its summary (runtime/evaluate.cc), so every file of a dump is named and
// written the same way and ndjit-inspect finds them all.
#ifndef NDJIT_PASSES_DUMP_H_
#define NDJIT_PASSES_DUMP_H_

#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"

namespace ndjit::passes {

class DumpWriter {
 public:
  DumpWriter() = default;  // writes nothing
  // `dir` must exist; `prefix` starts every file name ("0007.").
  DumpWriter(std::string dir, std::string prefix)
      : dir_(std::move(dir)), prefix_(std::move(prefix)) {}
  bool enabled() const { return !dir_.empty(); }
  // The path of DIR/PREFIX<name>.
  std::string PathOf(std::string_view name) const;
  // Writes `text` to PathOf(name): Unavailable naming the path if it cannot be written (dumps
  // never change what is computed: callers warn and go on). Nothing when not enabled.
  absl::Status Write(std::string_view name, std::string_view text) const;

 private:
  std::string dir_;
  std::string prefix_;
};

}  // namespace ndjit::passes

#endif  // NDJIT_PASSES_DUMP_H_
