// The pass pipeline and the pass registry.
#include "passes/pipeline.h"

#include <algorithm>
#include <chrono>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ir/printer.h"
#include "ir/status_macros.h"
#include "ir/verifier.h"
#include "passes/cse.h"  // one include per registry.def row
#include "passes/dce.h"
#include "passes/fold_constants.h"
#include "passes/simplify.h"
#include "passes/split_reductions.h"

namespace ndjit::passes {
namespace {

absl::Status InPass(std::string_view pass, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat("after pass ", AbslView(pass), ": ", s.message()));
}

}  // namespace

absl::Status Pipeline::Run(ir::Graph& graph) {
  runs_.clear();
  int executed = 0;
  for (const std::unique_ptr<Pass>& pass : passes_) {
    const std::string name(pass->name());
    if (std::find(options_.disable.begin(), options_.disable.end(), name) !=
        options_.disable.end()) {
      continue;
    }
    if (options_.bisect_limit >= 0 && executed >= options_.bisect_limit) break;
    ++executed;
    const std::string before = options_.check_unchanged ? ir::PrintGraph(graph) : std::string();
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<bool> changed = pass->Run(graph);
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    if (!changed.ok()) return InPass(name, changed.status());
    runs_.push_back(PassRun{name, *changed, elapsed.count()});
    if (*changed && options_.verify_each) {
      absl::Status verified = ir::VerifyGraph(graph);
      if (!verified.ok()) return InPass(name, verified);
    }
    if (!*changed && options_.check_unchanged && ir::PrintGraph(graph) != before) {
      return InPass(name, absl::InternalError("the pass reported no change but changed the graph"));
    }
    if (options_.print_after_all || options_.print_after == name) {
      const std::string text =
          absl::StrCat("// after pass ", name, "\n", ir::PrintGraph(graph, options_.print_options));
      if (options_.print_sink) {
        options_.print_sink(text);
      } else {
        std::cerr << text;
      }
    }
  }
  return absl::OkStatus();
}

std::vector<std::string_view> RegisteredPasses() {
  return {
#define NDJIT_PASS(Class) Class::kName,
#include "passes/registry.def"
#undef NDJIT_PASS
  };
}

absl::StatusOr<std::unique_ptr<Pass>> CreatePass(std::string_view name) {
#define NDJIT_PASS(Class) \
  if (name == Class::kName) return std::make_unique<Class>();
#include "passes/registry.def"
#undef NDJIT_PASS
  std::vector<std::string> known;
  for (std::string_view n : RegisteredPasses()) known.emplace_back(n);
  return absl::NotFoundError(absl::StrCat("unknown pass '", AbslView(name),
                                          "'; known passes: ", absl::StrJoin(known, ", ")));
}

Pipeline DefaultPipeline(PipelineOptions options) {
  Pipeline p(std::move(options));
  p.Add(std::make_unique<CommonSubexpressionElimination>());
  p.Add(std::make_unique<DeadCodeElimination>());
  return p;
}

}  // namespace ndjit::passes
