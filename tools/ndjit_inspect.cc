// ndjit-inspect: reads graph IR text (a .ir file, standard input or an NDJIT_DUMP_DIR
// directory), verifies it, runs passes over it, and prints it: as canonical IR, as the kernels
// the CPU backend would run (--emit), as a Graphviz picture (--dot), as an HTML report (--html),
// or as the `explain` and `stats` reports. The project's opt-style driver.
//
//   ndjit-inspect graph.ir                          # verify, print canonical text
//   ndjit-inspect --passes=cse,dce graph.ir         # run passes in order, print the result
//   ndjit-inspect --passes=default --print_after_all --print_changed graph.ir
//   ndjit-inspect --emit=kernel|llvm|asm graph.ir   # what the CPU backend compiles
//   ndjit-inspect --emit=cuda graph.ir              # the CUDA C++ of the same kernels
//   ndjit-inspect --dot graph.ir | dot -Tsvg > g.svg
//   ndjit-inspect --html graph.ir > report.html
//   ndjit-inspect explain graph.ir                  # why values are not fused; bytes moved
//   ndjit-inspect stats graph.ir                    # nodes, kernels, buffers, peak bytes, times
//   ndjit-inspect /tmp/dump                         # every materialization of a dump directory
//   ndjit-inspect cache stats|list|clear            # the compile cache on disk
#include <algorithm>
#include <array>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "codegen/cpu/cpu_backend.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/status_macros.h"
#include "ir/verifier.h"
#include "passes/fusion.h"
#include "passes/pipeline.h"
#include "passes/schedule.h"
#include "runtime/disk_cache.h"
#include "runtime/executor.h"
#include "tools/inspect_report.h"

ABSL_FLAG(bool, stats, false, "same as the `stats` command");
ABSL_FLAG(std::string, cache_dir, "",
          "for `cache`: the cache directory (default: NDJIT_CACHE_DIR, else "
          "$XDG_CACHE_HOME/ndjit, else ~/.cache/ndjit)");
ABSL_FLAG(bool, no_locations, false, "omit loc(...) call sites when printing");
ABSL_FLAG(std::string, passes, "",
          "comma-separated passes to run in order, or 'default' for the materialization "
          "pipeline; each is verified after it changes the graph");
ABSL_FLAG(bool, print_after_all, false, "print the graph after every pass");
ABSL_FLAG(bool, print_changed, false,
          "with --print_after_all: print only after the passes that changed the graph");
ABSL_FLAG(std::string, pipeline_flags, "",
          "more pipeline options, in NDJIT_FLAGS syntax (e.g. \"--print-before=cse "
          "--disable=simplify --bisect-limit=2 --time-passes\")");
ABSL_FLAG(std::string, emit, "graph",
          "what to print: graph (the IR after the passes), fusion (the kernels the CPU backend "
          "would run, by node), schedule (their order and buffer plan), kernel (their kernel IR "
          "with call sites), llvm (kernel IR followed by the optimized LLVM IR of each kernel), "
          "asm (kernel IR followed by the x86-64 assembly of each kernel), cuda (kernel IR "
          "followed by the CUDA C++ the CUDA backend renders for each kernel)");
ABSL_FLAG(bool, dot, false, "print the fused graph as Graphviz DOT (kernels as clusters)");
ABSL_FLAG(bool, html, false,
          "print a self-contained HTML report (picture, IR before and after, kernels and code)");

namespace {

struct Input {
  std::string path;   // for messages
  std::string title;  // heading: the path, and the dump's summary line
  std::string text;
};

int Fail(const std::string& message) {
  std::cerr << message << "\n";
  return 1;
}

// Flags of this tool (Abseil's own --help lists a program's flags by matching its file name
// against the binary's, which the dash in ndjit-inspect defeats).
bool IsOwnFlagFile(absl::string_view path) { return absl::EndsWith(path, "ndjit_inspect.cc"); }

// --help: the usage message and every flag of the tool with its help text and default; exit 0.
int PrintHelp() {
  std::cout << "ndjit-inspect: " << absl::ProgramUsageMessage() << "\n\nflags:\n";
  std::vector<const absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (IsOwnFlagFile(flag->Filename())) flags.push_back(flag);
  }
  std::sort(flags.begin(), flags.end(),
            [](const absl::CommandLineFlag* a, const absl::CommandLineFlag* b) {
              return a->Name() < b->Name();
            });
  for (const absl::CommandLineFlag* f : flags) {
    std::cout << "  --" << f->Name() << "  " << f->Help() << " (default: \"" << f->DefaultValue()
              << "\")\n";
  }
  return 0;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": error: cannot open file"));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The inputs a path names: a file, standard input, or the input graph of every materialization
// of a dump directory (NNNN.00.input.ir, in order, titled with NNNN.summary.txt).
absl::StatusOr<std::vector<Input>> ReadInputs(const std::string& path) {
  if (path == "-") {
    std::stringstream text;
    text << std::cin.rdbuf();
    return std::vector<Input>{{"<stdin>", "<stdin>", text.str()}};
  }
  if (!std::filesystem::is_directory(path)) {
    ASSIGN_OR_RETURN(std::string text, ReadFile(path));
    return std::vector<Input>{{path, path, std::move(text)}};
  }
  std::vector<std::string> names;
  // NNNN.00.input.ir (four digits or more), in numeric order.
  auto number_of = [](const std::string& name) -> int64_t {
    const size_t dot = name.find('.');
    int64_t n = 0;
    if (dot == std::string::npos || dot < 4 || name.substr(dot) != ".00.input.ir" ||
        !std::all_of(name.begin(), name.begin() + dot,
                     [](char c) { return c >= '0' && c <= '9'; }) ||
        !absl::SimpleAtoi(name.substr(0, dot), &n)) {
      return -1;
    }
    return n;
  };
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    const std::string name = entry.path().filename().string();
    if (number_of(name) >= 0) names.push_back(name);
  }
  std::sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
    return number_of(a) < number_of(b);
  });
  if (names.empty()) {
    return absl::NotFoundError(
        absl::StrCat(path, ": error: no NNNN.00.input.ir files (not an NDJIT_DUMP_DIR?)"));
  }
  std::vector<Input> inputs;
  for (const std::string& name : names) {
    const std::string file = absl::StrCat(path, "/", name);
    ASSIGN_OR_RETURN(std::string text, ReadFile(file));
    std::string title = file;
    if (absl::StatusOr<std::string> summary =
            ReadFile(absl::StrCat(path, "/", name.substr(0, name.find('.') + 1), "summary.txt"));
        summary.ok()) {
      absl::StrAppend(&title, ": ", absl::StripTrailingAsciiWhitespace(*summary));
    }
    inputs.push_back({file, std::move(title), std::move(text)});
  }
  return inputs;
}

// Builds the pipeline the flags name; empty when --passes is not given.
absl::StatusOr<std::optional<ndjit::passes::Pipeline>> MakePipeline(bool locations, bool* printed) {
  const std::string spec = absl::GetFlag(FLAGS_passes);
  ndjit::passes::PipelineOptions options;
  RETURN_IF_ERROR(ndjit::passes::ApplyPipelineFlags(absl::GetFlag(FLAGS_pipeline_flags), &options));
  if (absl::GetFlag(FLAGS_print_after_all)) options.print_after_all = true;
  if (absl::GetFlag(FLAGS_print_changed)) options.print_changed = true;
  options.print_sink = [printed](const std::string& text) {
    *printed = true;
    std::cout << text;
  };
  options.print_options.locations = locations;
  if (spec.empty()) return std::nullopt;
  if (spec == "default") return ndjit::passes::DefaultPipeline(options);
  ndjit::passes::Pipeline pipeline(options);
  for (absl::string_view name : absl::StrSplit(spec, ',', absl::SkipEmpty())) {
    ASSIGN_OR_RETURN(std::unique_ptr<ndjit::passes::Pass> pass,
                     ndjit::passes::CreatePass(ndjit::StdView(name)));
    pipeline.Add(std::move(pass));
  }
  return pipeline;
}

std::string Kernels(const ndjit::runtime::KernelsDescription& d) {
  std::string out;
  if (!d.cuda_program.empty()) {
    // One translation unit that nvcc compiles as is: the kernel IR as comments, then the program.
    for (const auto& k : d.kernels) {
      for (absl::string_view line : absl::StrSplit(k.kernel_ir, '\n', absl::SkipEmpty())) {
        absl::StrAppend(&out, absl::StartsWith(line, "//") ? "" : "// ", line, "\n");
      }
      absl::StrAppend(&out, "\n");
    }
    absl::StrAppend(&out, d.cuda_program);
    return out;
  }
  for (const auto& k : d.kernels) {
    absl::StrAppend(&out, k.kernel_ir);
    if (!k.llvm_ir.empty()) absl::StrAppend(&out, "\n", k.llvm_ir);
    if (!k.assembly.empty()) absl::StrAppend(&out, "\n", k.assembly);
    absl::StrAppend(&out, "\n");
  }
  return out;
}

// Prints what the flags ask for about one (verified, optimized) graph.
absl::Status Emit(const std::string& command, const Input& input, const ndjit::ir::Graph& g,
                  const std::vector<ndjit::passes::PassRun>& runs, bool locations) {
  namespace passes = ndjit::passes;
  if (command == "stats" || absl::GetFlag(FLAGS_stats)) {
    std::cout << ndjit::tools::Stats(g, runs);
    return absl::OkStatus();
  }
  if (command == "explain") {
    std::cout << ndjit::tools::Explain(g, passes::PlanFusion(g));
    return absl::OkStatus();
  }
  if (absl::GetFlag(FLAGS_dot)) {
    std::cout << ndjit::tools::GraphToDot(g, passes::PlanFusion(g));
    return absl::OkStatus();
  }
  if (absl::GetFlag(FLAGS_html)) {
    ASSIGN_OR_RETURN(std::string html, ndjit::tools::HtmlReport(input.title, input.text, g, runs));
    std::cout << html;
    return absl::OkStatus();
  }
  const std::string emit = absl::GetFlag(FLAGS_emit);
  if (emit == "graph") {
    std::cout << ndjit::ir::PrintGraph(g, {.locations = locations});
  } else if (emit == "fusion") {
    std::cout << passes::PrintFusionPlan(g, passes::PlanFusion(g));
  } else if (emit == "schedule") {
    const passes::FusionPlan plan = passes::PlanFusion(g);
    std::cout << passes::PrintSchedule(plan, passes::ScheduleKernels(g, plan));
  } else if (emit == "kernel" || emit == "llvm" || emit == "asm" || emit == "cuda") {
    ndjit::runtime::DescribeOptions describe;  // as the runtime would run it
    describe.llvm_ir = emit == "llvm";
    describe.assembly = emit == "asm";
    describe.cuda = emit == "cuda";
    // As the runtime would compile it for the CPU, with --pipeline_flags' code generation
    // switches (streaming stores, vector math, prefetches); CUDA kernels use none of them.
    ndjit::passes::PipelineOptions flags;
    RETURN_IF_ERROR(ndjit::passes::ApplyPipelineFlags(absl::GetFlag(FLAGS_pipeline_flags), &flags));
    if (!describe.cuda) {
      describe.execute.streaming_store_bytes =
          flags.streaming_stores ? ndjit::codegen::cpu::StreamingStoreBytes() : 0;
      describe.execute.glibc_math = flags.glibc_math;
      describe.execute.prefetch = flags.prefetch;
    }
    ASSIGN_OR_RETURN(ndjit::runtime::KernelsDescription d,
                     ndjit::runtime::DescribeKernels(g, describe));
    if (!d.split_graph.empty()) {
      std::cout << "// the CPU backend splits large reductions first; the kernels' node ids refer "
                   "to this graph\n"
                << d.split_graph << "\n";
    }
    std::cout << Kernels(d);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown --emit=", emit, "; expected graph, fusion, schedule, kernel, llvm, asm or cuda"));
  }
  return absl::OkStatus();
}

// `ndjit-inspect cache stats|list|clear`: the compile cache on disk (runtime/disk_cache.h).
int Cache(const std::string& what) {
  std::string root = absl::GetFlag(FLAGS_cache_dir);
  if (root.empty()) root = ndjit::runtime::GetCacheSettings().root;
  if (root.empty()) {
    return Fail(
        "ndjit-inspect cache: no cache directory (set NDJIT_CACHE_DIR, or pass --cache_dir)");
  }
  if (what == "clear") {
    absl::StatusOr<int64_t> removed = ndjit::runtime::ClearCache(root);
    if (!removed.ok())
      return Fail(absl::StrCat("ndjit-inspect cache clear: ", removed.status().message()));
    std::cout << "removed " << *removed << " files from " << root << "\n";
    return 0;
  }
  const std::vector<ndjit::runtime::CacheEntryInfo> entries =
      ndjit::runtime::ListCacheEntries(root);
  if (what == "list") {
    for (const ndjit::runtime::CacheEntryInfo& e : entries) {
      char when[32] = "?";
      const time_t t = static_cast<time_t>(e.last_use_unix_seconds);
      struct tm local;
      if (localtime_r(&t, &local) != nullptr)
        std::strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &local);
      // The description's "name value" lines, on one line.
      std::vector<std::string> fields;
      for (absl::string_view line : absl::StrSplit(e.description, '\n', absl::SkipEmpty())) {
        fields.emplace_back(line);
      }
      std::cout << absl::StrFormat("%-4s %10d  %s  %s  %s%s\n", e.kind, e.bytes, when,
                                   std::filesystem::path(e.path).filename().string(),
                                   absl::StrJoin(fields, "; "),
                                   e.problem.empty() ? "" : absl::StrCat("UNUSABLE: ", e.problem));
    }
    if (entries.empty()) std::cout << "(no entries in " << root << ")\n";
    return 0;
  }
  if (what == "stats") {
    const ndjit::runtime::CacheSettings settings = ndjit::runtime::GetCacheSettings();
    std::cout << "cache directory: " << root << "\n";
    std::map<std::string, std::array<int64_t, 3>> kinds = {{"cpu", {0, 0, 0}}, {"cuda", {0, 0, 0}}};
    int64_t total = 0;
    for (const ndjit::runtime::CacheEntryInfo& e : entries) {
      std::array<int64_t, 3>& k = kinds[e.kind];
      k[0] += 1;
      k[1] += e.bytes;
      k[2] += e.problem.empty() ? 0 : 1;
      total += e.bytes;
    }
    for (const auto& [kind, k] : kinds) {
      std::cout << absl::StrFormat("%-4s %6d entries %12d bytes  %d unusable\n", kind, k[0], k[1],
                                   k[2]);
    }
    std::cout << absl::StrFormat(
        "total %d bytes of a %d-byte limit (%.1f%%; NDJIT_CACHE_MAX_BYTES)\n", total,
        settings.max_bytes,
        100.0 * static_cast<double>(total) / static_cast<double>(settings.max_bytes));
    if (!settings.enabled) {
      std::cout
          << "NDJIT_CACHE=0 here: programs run with this environment neither load nor store\n";
    }
    return 0;
  }
  return Fail(absl::StrCat("ndjit-inspect cache: unknown command \"", what,
                           "\"; expected stats, list or clear"));
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "verifies graph IR text, optimizes it and shows what ndjit would run.\n"
      "usage: ndjit-inspect [explain|stats] [flags] FILE.ir|DUMP_DIR|-\n"
      "       ndjit-inspect cache stats|list|clear [--cache_dir=DIR]\n"
      "examples:\n"
      "  ndjit-inspect graph.ir                       canonical text (after verifying)\n"
      "  ndjit-inspect --passes=default --print_after_all --print_changed graph.ir\n"
      "  ndjit-inspect --passes=fold-constants,simplify,dce graph.ir\n"
      "  ndjit-inspect --passes=default --pipeline_flags='--disable=cse --time-passes' graph.ir\n"
      "  ndjit-inspect --passes=default --emit=kernel graph.ir    (also fusion, schedule, llvm, "
      "asm)\n"
      "  ndjit-inspect --passes=default --dot graph.ir | dot -Tsvg > graph.svg\n"
      "  ndjit-inspect --passes=default --html graph.ir > report.html\n"
      "  ndjit-inspect explain --passes=default graph.ir\n"
      "  ndjit-inspect stats --passes=default graph.ir\n"
      "  NDJIT_DUMP_DIR=/tmp/dump ./my_program && ndjit-inspect /tmp/dump\n"
      "  ndjit-inspect cache list                     the compiled kernels kept on disk");
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = IsOwnFlagFile;
  usage_config.contains_helpshort_flags = IsOwnFlagFile;
  absl::SetFlagsUsageConfig(usage_config);
  // --help anywhere among the flags (not as a flag's value, not after `--`).
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg == "--help" || arg == "-help" || arg == "-h" || arg == "--helpshort") {
      return PrintHelp();
    }
    // `--flag value`: a flag that is not boolean takes the next argument as its value.
    absl::string_view name = arg;
    if (absl::ConsumePrefix(&name, "--") || absl::ConsumePrefix(&name, "-")) {
      if (!absl::StrContains(name, '=')) {
        const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
        if (flag != nullptr && !flag->IsOfType<bool>()) ++i;
      }
    }
  }
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() >= 2 && std::string(args[1]) == "cache") {
    if (args.size() != 3) return Fail("ndjit-inspect cache: expected stats, list or clear");
    return Cache(args[2]);
  }
  std::string command;
  if (args.size() == 3 && (std::string(args[1]) == "explain" || std::string(args[1]) == "stats")) {
    command = args[1];
    args.erase(args.begin() + 1);
  }
  if (args.size() != 2) return Fail("ndjit-inspect: expected one input file (see --help)");
  absl::StatusOr<std::vector<Input>> inputs = ReadInputs(args[1]);
  if (!inputs.ok()) return Fail(std::string(inputs.status().message()));
  if (absl::GetFlag(FLAGS_html) && inputs->size() != 1) {
    return Fail("ndjit-inspect: --html takes one graph; name one file of the dump directory");
  }
  const bool locations = !absl::GetFlag(FLAGS_no_locations);
  for (const Input& input : *inputs) {
    auto graphs = ndjit::ir::ParseGraphs(input.text, input.path);
    if (!graphs.ok()) return Fail(std::string(graphs.status().message()));
    if (inputs->size() > 1) std::cout << "// " << input.title << "\n";
    for (const auto& g : *graphs) {
      absl::Status verified = ndjit::ir::VerifyGraph(*g);
      if (!verified.ok()) return Fail(absl::StrCat(input.path, ": error: ", verified.message()));
      bool printed = false;
      absl::StatusOr<std::optional<ndjit::passes::Pipeline>> pipeline =
          MakePipeline(locations, &printed);
      if (!pipeline.ok()) {
        return Fail(absl::StrCat("ndjit-inspect: ", pipeline.status().message()));
      }
      std::vector<ndjit::passes::PassRun> runs;
      if (pipeline->has_value()) {
        absl::Status ran = (*pipeline)->Run(*g);
        if (!ran.ok()) return Fail(absl::StrCat(input.path, ": error: ", ran.message()));
        runs = (*pipeline)->runs();
        // With --print_after_all the last print is the result (unless nothing was printed:
        // --print_changed and no pass changed the graph).
        if (printed && absl::GetFlag(FLAGS_print_after_all) && command.empty() &&
            absl::GetFlag(FLAGS_emit) == "graph" && !absl::GetFlag(FLAGS_dot) &&
            !absl::GetFlag(FLAGS_html) && !absl::GetFlag(FLAGS_stats)) {
          continue;
        }
      }
      absl::Status emitted = Emit(command, input, *g, runs, locations);
      if (!emitted.ok()) {
        const bool usage = emitted.code() == absl::StatusCode::kInvalidArgument;
        return Fail(usage ? absl::StrCat("ndjit-inspect: ", emitted.message())
                          : absl::StrCat(input.path, ": error: ", emitted.message()));
      }
    }
  }
  return 0;
}
