// The profiler on its own: call-site totals from blocking calls, and the Chrome trace file.
#include "runtime/profiler.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace ndjit::runtime::profiler {
namespace {

TEST(ProfilerTest, BlockingCallsAddUpPerCallSiteLargestFirst) {
  ResetCallSites();
  Wait a;
  a.api = "asnumpy";
  a.site = ir::SourceLoc{"prog.cc", 10, 3};
  a.start_ns = 1000;
  a.compile_ns = 100;
  a.run_ns = 200;
  a.waited = true;
  RecordWait(a, 1500);
  RecordWait(a, 1700);  // the same site again: 700 ns
  Wait b;
  b.api = "wait_to_read";
  b.site = ir::SourceLoc{"prog.cc", 20, 5};
  b.start_ns = 0;
  RecordWait(b, 100);  // found its values computed: not a wait
  const std::vector<SiteStats> sites = CallSites();
  ASSERT_EQ(sites.size(), 2u);
  EXPECT_EQ(sites[0].api, "asnumpy");
  EXPECT_EQ(sites[0].site, SiteText(a.site));
  EXPECT_EQ(sites[0].calls, 2);
  EXPECT_EQ(sites[0].waits, 2);
  EXPECT_EQ(sites[0].total_ns, 500 + 700);
  EXPECT_EQ(sites[0].compile_ns, 200);
  EXPECT_EQ(sites[0].run_ns, 400);
  EXPECT_EQ(sites[1].api, "wait_to_read");
  EXPECT_EQ(sites[1].waits, 0);
  EXPECT_EQ(sites[1].total_ns, 100);
  ResetCallSites();
  EXPECT_TRUE(CallSites().empty());
}

TEST(ProfilerTest, ATraceHoldsItsEventsAsChromeTraceJson) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("ndjit_profiler_test_trace_" + std::to_string(::getpid()) + ".json"))
                               .string();
  EXPECT_FALSE(StopTrace().ok());  // none started
  StartTrace(path);
  EXPECT_TRUE(Tracing());
  EXPECT_EQ(TracePath(), path);
  NameThisThread("test thread");
  AddEvent("compile", "compile @k", 1000, 3000, {{"reason", std::string("constant")}});
  ASSERT_TRUE(StopTrace().ok());
  EXPECT_FALSE(Tracing());
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json trace = nlohmann::json::parse(text.str());
  const nlohmann::json& events = trace.is_array() ? trace : trace.at("traceEvents");
  bool found = false;
  for (const nlohmann::json& e : events) {
    if (e.value("name", "") != "compile @k") continue;
    found = true;
    EXPECT_EQ(e.at("ph"), "X");
    EXPECT_EQ(e.at("cat"), "compile");
    EXPECT_EQ(e.at("args").at("reason"), "constant");
  }
  EXPECT_TRUE(found) << text.str();
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace ndjit::runtime::profiler
