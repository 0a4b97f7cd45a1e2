// The pass pipeline and the pass registry.
#include "passes/pipeline.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "ir/printer.h"
#include "ir/status_macros.h"
#include "ir/verifier.h"
#include "passes/canonicalize_views.h"  // one include per registry.def row
#include "passes/cse.h"
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

void Pipeline::Print(const std::string& text) const {
  if (options_.print_sink) {
    options_.print_sink(text);
  } else {
    std::cerr << text;
  }
}

void Pipeline::Dump(const ir::Graph& graph, int index, std::string_view what) const {
  if (options_.dump_dir.empty()) return;
  const std::string path =
      absl::StrCat(options_.dump_dir, "/", options_.dump_prefix, absl::Dec(index, absl::kZeroPad2),
                   ".", AbslView(what), ".ir");
  std::ofstream out(path);
  out << ir::PrintGraph(graph);
  out.close();
  if (!out) Print(absl::StrCat("// warning: cannot write the dump file ", path, "\n"));
}

absl::Status Pipeline::Run(ir::Graph& graph) {
  runs_.clear();
  int executed = 0;
  Dump(graph, 0, "input");
  for (const std::unique_ptr<Pass>& pass : passes_) {
    const std::string name(pass->name());
    if (options_.disabled(name)) continue;
    if (options_.bisect_limit >= 0 && executed >= options_.bisect_limit) break;
    ++executed;
    if (options_.print_before_all || options_.print_before == name) {
      Print(absl::StrCat("// before pass ", name, "\n",
                         ir::PrintGraph(graph, options_.print_options)));
    }
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
    if (options_.time_passes) {
      Print(absl::StrFormat("// pass %-20s %9.3f ms  %s\n", name, elapsed.count() * 1e3,
                            *changed ? "changed" : "no change"));
    }
    const bool print_after = options_.print_after_all || options_.print_after == name ||
                             (options_.print_changed && options_.print_after.empty());
    if (print_after && (*changed || !options_.print_changed)) {
      Print(absl::StrCat("// after pass ", name, "\n",
                         ir::PrintGraph(graph, options_.print_options)));
    }
    Dump(graph, executed, name);
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

std::vector<std::string_view> DefaultPassNames() {
  return {FoldConstants::kName, AlgebraicSimplifier::kName, CommonSubexpressionElimination::kName,
          CanonicalizeViews::kName, DeadCodeElimination::kName};
}

Pipeline DefaultPipeline(PipelineOptions options) {
  Pipeline p(std::move(options));
  for (std::string_view name : DefaultPassNames()) {
    absl::StatusOr<std::unique_ptr<Pass>> pass = CreatePass(name);
    if (!pass.ok()) {  // a programmer error: DefaultPassNames names an unregistered pass
      std::cerr << "ndjit: " << pass.status().message() << "\n";
      std::abort();
    }
    p.Add(*std::move(pass));
  }
  return p;
}

namespace {

absl::StatusOr<bool> ParseBool(std::string_view flag, std::string_view value) {
  if (value.empty() || value == "1" || value == "true") return true;
  if (value == "0" || value == "false") return false;
  return absl::InvalidArgumentError(
      absl::StrCat("--", AbslView(flag), "=", AbslView(value), ": expected 0 or 1"));
}

absl::Status CheckPassName(std::string_view flag, std::string_view name) {
  if (absl::StatusOr<std::unique_ptr<Pass>> pass = CreatePass(name); !pass.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", AbslView(flag), ": ", pass.status().message()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyPipelineFlags(std::string_view flags, PipelineOptions* options) {
  for (absl::string_view token : absl::StrSplit(AbslView(flags), ' ', absl::SkipWhitespace())) {
    if (!absl::ConsumePrefix(&token, "--")) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", token, "\": expected a flag of the form --name or --name=value"));
    }
    const size_t eq = token.find('=');
    const std::string_view name = StdView(token.substr(0, eq));
    const std::string_view value =
        eq == absl::string_view::npos ? std::string_view() : StdView(token.substr(eq + 1));
    if (name == "print-before-all" || name == "print-after-all" || name == "print-changed" ||
        name == "time-passes" || name == "verify-each" || name == "check-unchanged" ||
        name == "reorder-kernels" || name == "reuse-buffers" || name == "in-place") {
      ASSIGN_OR_RETURN(bool on, ParseBool(name, value));
      if (name == "print-before-all") options->print_before_all = on;
      if (name == "print-after-all") options->print_after_all = on;
      if (name == "print-changed") options->print_changed = on;
      if (name == "time-passes") options->time_passes = on;
      if (name == "verify-each") options->verify_each = on;
      if (name == "check-unchanged") options->check_unchanged = on;
      if (name == "reorder-kernels") options->schedule.reorder = on;
      if (name == "reuse-buffers") options->schedule.reuse_buffers = on;
      if (name == "in-place") options->schedule.in_place = on;
    } else if (name == "print-before" || name == "print-after") {
      RETURN_IF_ERROR(CheckPassName(name, value));
      (name == "print-before" ? options->print_before : options->print_after) = value;
    } else if (name == "disable") {
      for (absl::string_view pass : absl::StrSplit(AbslView(value), ',', absl::SkipEmpty())) {
        RETURN_IF_ERROR(CheckPassName(name, StdView(pass)));
        options->disable.emplace_back(pass);
      }
    } else if (name == "bisect-limit") {
      int limit = 0;
      if (!absl::SimpleAtoi(AbslView(value), &limit) || limit < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("--bisect-limit=", AbslView(value), ": expected a non-negative integer"));
      }
      options->bisect_limit = limit;
    } else if (name == "dump-dir") {
      if (value.empty()) return absl::InvalidArgumentError("--dump-dir: expected a directory");
      options->dump_dir = value;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown flag --", AbslView(name),
          "; known flags: --print-before=PASS, --print-before-all, --print-after=PASS, "
          "--print-after-all, --print-changed, --time-passes, --disable=PASS[,PASS], "
          "--bisect-limit=N, --verify-each=0|1, --check-unchanged=0|1, --dump-dir=DIR, "
          "--reorder-kernels=0|1, --reuse-buffers=0|1, --in-place=0|1"));
    }
  }
  return absl::OkStatus();
}

}  // namespace ndjit::passes
