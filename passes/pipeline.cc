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
#include "passes/dump.h"
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
  const DumpWriter writer(options_.dump_dir, options_.dump_prefix);
  if (!writer.enabled()) return;
  const absl::Status written =
      writer.Write(absl::StrCat(absl::Dec(index, absl::kZeroPad2), ".", AbslView(what), ".ir"),
                   ir::PrintGraph(graph));
  if (!written.ok()) Print(absl::StrCat("// warning: ", written.message(), "\n"));
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

// The flags NDJIT_FLAGS accepts, in the order the help lists them: the one place a flag is named.
// `usage` is how the help writes it; `apply` parses its value into the options.
struct FlagSpec {
  std::string_view name;
  std::string_view usage;
  absl::Status (*apply)(std::string_view name, std::string_view value, PipelineOptions* o);
};

// A boolean flag: --name (on), --name=1|true or --name=0|false.
#define NDJIT_BOOL_FLAG(flag, usage, field)                                              \
  FlagSpec {                                                                             \
    flag, usage, [](std::string_view name, std::string_view value, PipelineOptions* o) { \
      ASSIGN_OR_RETURN(o->field, ParseBool(name, value));                                \
      return absl::OkStatus();                                                           \
    }                                                                                    \
  }

absl::Status SetPrintPass(std::string_view name, std::string_view value, std::string* field) {
  RETURN_IF_ERROR(CheckPassName(name, value));
  *field = value;
  return absl::OkStatus();
}

constexpr FlagSpec kFlags[] = {
    {"print-before", "--print-before=PASS",
     [](std::string_view name, std::string_view value, PipelineOptions* o) {
       return SetPrintPass(name, value, &o->print_before);
     }},
    NDJIT_BOOL_FLAG("print-before-all", "--print-before-all", print_before_all),
    {"print-after", "--print-after=PASS",
     [](std::string_view name, std::string_view value, PipelineOptions* o) {
       return SetPrintPass(name, value, &o->print_after);
     }},
    NDJIT_BOOL_FLAG("print-after-all", "--print-after-all", print_after_all),
    NDJIT_BOOL_FLAG("print-changed", "--print-changed", print_changed),
    NDJIT_BOOL_FLAG("time-passes", "--time-passes", time_passes),
    {"disable", "--disable=PASS[,PASS]",
     [](std::string_view name, std::string_view value, PipelineOptions* o) {
       for (absl::string_view pass : absl::StrSplit(AbslView(value), ',', absl::SkipEmpty())) {
         RETURN_IF_ERROR(CheckPassName(name, StdView(pass)));
         o->disable.emplace_back(pass);
       }
       return absl::OkStatus();
     }},
    {"bisect-limit", "--bisect-limit=N",
     [](std::string_view, std::string_view value, PipelineOptions* o) {
       int limit = 0;
       if (!absl::SimpleAtoi(AbslView(value), &limit) || limit < 0) {
         return absl::InvalidArgumentError(
             absl::StrCat("--bisect-limit=", AbslView(value), ": expected a non-negative integer"));
       }
       o->bisect_limit = limit;
       return absl::OkStatus();
     }},
    NDJIT_BOOL_FLAG("verify-each", "--verify-each=0|1", verify_each),
    NDJIT_BOOL_FLAG("check-unchanged", "--check-unchanged=0|1", check_unchanged),
    {"dump-dir", "--dump-dir=DIR",
     [](std::string_view, std::string_view value, PipelineOptions* o) {
       if (value.empty()) return absl::InvalidArgumentError("--dump-dir: expected a directory");
       o->dump_dir = value;
       return absl::OkStatus();
     }},
    NDJIT_BOOL_FLAG("reorder-kernels", "--reorder-kernels=0|1", schedule.reorder),
    NDJIT_BOOL_FLAG("reuse-buffers", "--reuse-buffers=0|1", schedule.reuse_buffers),
    NDJIT_BOOL_FLAG("in-place", "--in-place=0|1", schedule.in_place),
    NDJIT_BOOL_FLAG("streaming-stores", "--streaming-stores=0|1", streaming_stores),
    NDJIT_BOOL_FLAG("huge-pages", "--huge-pages=0|1", huge_pages),
    NDJIT_BOOL_FLAG("prefetch", "--prefetch=0|1", prefetch),
    {"vector-math", "--vector-math=ndjit|glibc",
     [](std::string_view, std::string_view value, PipelineOptions* o) {
       if (value != "ndjit" && value != "glibc") {
         return absl::InvalidArgumentError(
             absl::StrCat("--vector-math=", AbslView(value), ": expected ndjit or glibc"));
       }
       o->glibc_math = value == "glibc";
       return absl::OkStatus();
     }},
};

#undef NDJIT_BOOL_FLAG

}  // namespace

std::vector<std::string_view> PipelineFlagUsages() {
  std::vector<std::string_view> out;
  for (const FlagSpec& f : kFlags) out.push_back(f.usage);
  return out;
}

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
    const FlagSpec* flag = nullptr;
    for (const FlagSpec& f : kFlags) {
      if (f.name == name) flag = &f;
    }
    if (flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown flag --", AbslView(name), "; known flags: ",
          absl::StrJoin(PipelineFlagUsages(), ", ",
                        [](std::string* out, std::string_view u) { out->append(u); })));
    }
    RETURN_IF_ERROR(flag->apply(name, value, options));
  }
  return absl::OkStatus();
}

}  // namespace ndjit::passes
