// The switches on their own: setters, their errors, and that a refused value changes nothing.
#include "runtime/config.h"

#include <string>

#include "gtest/gtest.h"

namespace ndjit::runtime {
namespace {

// Restores the switches a test changes.
class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { saved_ = GetConfig(); }
  void TearDown() override {
    ASSERT_TRUE(SetBackend(BackendName(saved_.backend)).ok());
    SetEager(saved_.eager);
    ASSERT_TRUE(SetNumThreads(saved_.num_threads).ok());
    ASSERT_TRUE(SetFlags(saved_.flags).ok());
    SetDumpDir(saved_.dump_dir);
  }
  Config saved_;
};

TEST_F(ConfigTest, BackendsByNameAndTheirErrors) {
  ASSERT_TRUE(SetBackend("interp").ok());
  EXPECT_EQ(GetConfig().backend, Backend::kInterp);
  EXPECT_STREQ(BackendName(GetConfig().backend), "interp");
  const absl::Status unknown = SetBackend("tpu");
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.message(), "unknown backend \"tpu\": expected cpu or interp");
  const absl::Status cuda = SetBackend("cuda");
  EXPECT_EQ(cuda.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(cuda.message()).find("arrays on gpu(i) always run on the CUDA backend"),
            std::string::npos)
      << cuda;
  EXPECT_EQ(GetConfig().backend, Backend::kInterp);  // refused names change nothing
  ASSERT_TRUE(SetBackend("cpu").ok());
  EXPECT_EQ(GetConfig().backend, Backend::kCpu);
}

TEST_F(ConfigTest, ThreadsEagerFlagsAndDumpDir) {
  EXPECT_FALSE(SetNumThreads(0).ok());
  EXPECT_FALSE(SetNumThreads(1025).ok());
  ASSERT_TRUE(SetNumThreads(3).ok());
  EXPECT_EQ(GetConfig().num_threads, 3);
  SetEager(true);
  EXPECT_TRUE(EagerMode());
  EXPECT_TRUE(GetConfig().eager);
  SetEager(false);
  EXPECT_FALSE(EagerMode());
  ASSERT_TRUE(SetFlags("--disable=cse --time-passes").ok());
  EXPECT_TRUE(GetConfig().pipeline.disabled("cse"));
  EXPECT_TRUE(GetConfig().pipeline.time_passes);
  EXPECT_EQ(GetConfig().flags, "--disable=cse --time-passes");
  // A bad string is the parser's error and keeps the flags in force.
  const absl::Status bad = SetFlags("--frobnicate");
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(GetConfig().pipeline.disabled("cse"));
  ASSERT_TRUE(SetFlags("").ok());
  EXPECT_FALSE(GetConfig().pipeline.disabled("cse"));
  SetDumpDir("/tmp/ndjit-config-test");
  EXPECT_EQ(GetConfig().dump_dir, "/tmp/ndjit-config-test");
}

}  // namespace
}  // namespace ndjit::runtime
