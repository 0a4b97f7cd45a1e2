// libFuzzer target: the graph text parser (ir/parser.h) with the verifier and the printer.
// Every input either fails to parse or verify, with an error status, or is a graph whose printed
// text parses and verifies again and prints the same: the printer writes only what the parser
// reads back. A crash, a sanitizer report, an exception or a broken round trip is a finding.
// scripts/fuzz.sh ir_parser SECONDS fuzzes it (the fuzz preset); every other preset replays the
// committed corpus through replay_main.cc as the ctest FuzzCorpus.ir_parser.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"

namespace {

[[noreturn]] void Fail(const std::string& what, std::string_view first, std::string_view second) {
  std::fprintf(stderr, "fuzz_ir_parser: %s\n--- input ---\n%.*s\n--- printed ---\n%.*s\n",
               what.c_str(), static_cast<int>(first.size()), first.data(),
               static_cast<int>(second.size()), second.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto graph = ndjit::ir::ParseGraph(text);
  if (!graph.ok() || !ndjit::ir::VerifyGraph(**graph).ok()) return 0;
  const std::string printed = ndjit::ir::PrintGraph(**graph);
  auto again = ndjit::ir::ParseGraph(printed, "<printed>");
  if (!again.ok())
    Fail("the printed graph does not parse: " + again.status().ToString(), text, printed);
  if (const absl::Status s = ndjit::ir::VerifyGraph(**again); !s.ok()) {
    Fail("the printed graph does not verify: " + s.ToString(), text, printed);
  }
  const std::string reprinted = ndjit::ir::PrintGraph(**again);
  if (reprinted != printed) Fail("the printed graph prints differently", printed, reprinted);
  return 0;
}
