// The compile cache on disk across processes: a program run twice loads every kernel the first run
// compiled and computes the same bits; concurrent writers; bad objects; NDJIT_CACHE=0. Each
// "process" is this test binary running the disabled test CacheChild.DISABLED_Program, which
// writes its counters and result bytes to the file named by NDJIT_TEST_CACHE_CHILD_OUT.
#include "runtime/disk_cache.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ndjit/ndjit.h"

extern char** environ;

namespace ndjit {
namespace {

namespace fs = std::filesystem;

// The program the children run, written the way people write code: named intermediates, a scalar
// that changes in a loop, results read with asnumpy in the same statement.
std::string RunProgram() {
  std::string bytes;
  auto keep = [&bytes](const HostArray& h) {
    bytes.append(static_cast<const char*>(h.raw_data()), h.nbytes());
  };
  NDArray a = nd::random::uniform(-2, 2, {64, 33}, /*seed=*/1);
  NDArray b = nd::random::uniform(0.5, 1.5, {64, 33}, /*seed=*/2);
  NDArray y = nd::exp(a) * b + 1.0f;
  keep(y.asnumpy());
  keep(nd::softmax(y, -1).asnumpy());
  NDArray d = a - b;
  keep(nd::mean(d * d).asnumpy());
  keep(nd::cumsum(nd::tanh(a), 1).asnumpy());
  for (float lr : {0.1f, 0.01f}) keep((a - lr * b).asnumpy());
  keep(nd::sum(a.astype(DType::kFloat16) * 2.0f, {0}).asnumpy());
  return bytes;
}

// What a child reports.
struct ChildResult {
  int exit_code = -1;
  int64_t compiled = -1;
  int64_t loaded = -1;
  int64_t records_loaded = -1;  // compile records marked as loads
  int64_t records = -1;
  std::string results;
  std::string stderr_text;
};

TEST(CacheChild, DISABLED_Program) {
  const char* out_path = std::getenv("NDJIT_TEST_CACHE_CHILD_OUT");
  ASSERT_NE(out_path, nullptr);
  const std::string results = RunProgram();
  const Stats s = stats();
  // Each kernel has one compile record, which says whether it was loaded.
  int64_t records_loaded = 0;
  const std::vector<profiler::Compile> records = profiler::compiles();
  for (const profiler::Compile& c : records) records_loaded += c.loaded;
  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  out << s.kernels_compiled << " " << s.kernels_loaded << " " << records_loaded << " "
      << records.size() << "\n"
      << results;
}

class DiskCacheProcesses : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("ndjit_cache_processes_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Starts this binary on the child program with the cache in `cache_dir` and NDJIT_CACHE set to
  // `cache`; returns its pid.
  pid_t Start(const std::string& name, const std::string& cache_dir, const char* cache) {
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::strncmp(*e, "NDJIT_CACHE", 11) != 0 &&
          std::strncmp(*e, "NDJIT_TEST_CACHE", 16) != 0) {
        env.push_back(*e);
      }
    }
    env.push_back("NDJIT_CACHE_DIR=" + cache_dir);
    env.push_back(std::string("NDJIT_CACHE=") + cache);
    env.push_back("NDJIT_TEST_CACHE_CHILD_OUT=" + (dir_ / (name + ".out")).string());
    std::vector<std::string> args = {"/proc/self/exe", "--gtest_filter=CacheChild.DISABLED_Program",
                                     "--gtest_also_run_disabled_tests"};
    std::vector<char*> argv, envp;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (std::string& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string err = (dir_ / (name + ".stderr")).string();
    const std::string log = (dir_ / (name + ".stdout")).string();
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    EXPECT_EQ(rc, 0) << std::strerror(rc);
    return pid;
  }

  ChildResult Wait(const std::string& name, pid_t pid) {
    ChildResult r;
    int status = 0;
    if (waitpid(pid, &status, 0) == pid && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    r.stderr_text = Read(dir_ / (name + ".stderr"));
    std::ifstream in(dir_ / (name + ".out"), std::ios::binary);
    in >> r.compiled >> r.loaded >> r.records_loaded >> r.records;
    in.get();
    r.results = std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return r;
  }

  ChildResult Run(const std::string& name, const std::string& cache_dir, const char* cache = "1") {
    return Wait(name, Start(name, cache_dir, cache));
  }

  static std::string Read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

  fs::path dir_;
};

TEST_F(DiskCacheProcesses, TheSecondRunLoadsEveryKernelAndComputesTheSameBits) {
  const std::string cache = (dir_ / "cache").string();
  const ChildResult first = Run("first", cache);
  ASSERT_EQ(first.exit_code, 0) << first.stderr_text;
  EXPECT_GT(first.compiled, 5);
  EXPECT_EQ(first.loaded, 0);
  const ChildResult second = Run("second", cache);
  ASSERT_EQ(second.exit_code, 0) << second.stderr_text;
  EXPECT_EQ(second.compiled, 0);
  EXPECT_EQ(second.loaded, first.compiled);
  // The compile records say which kernels were compiled and which loaded.
  EXPECT_EQ(first.records, first.compiled);
  EXPECT_EQ(first.records_loaded, 0);
  EXPECT_EQ(second.records, second.loaded);
  EXPECT_EQ(second.records_loaded, second.loaded);
  EXPECT_FALSE(first.results.empty());
  EXPECT_TRUE(first.results == second.results) << "the loaded kernels computed other bits";
  // One entry per kernel, each whole and described with its call sites.
  const std::vector<runtime::CacheEntryInfo> entries = runtime::ListCacheEntries(cache);
  EXPECT_EQ(static_cast<int64_t>(entries.size()), first.compiled);
  for (const runtime::CacheEntryInfo& e : entries) {
    EXPECT_EQ(e.kind, "cpu");
    EXPECT_EQ(e.problem, "");
    EXPECT_NE(e.description.find("disk_cache_test.cc:"), std::string::npos) << e.description;
  }
  // The same program without the cache compiles everything and agrees.
  const ChildResult off = Run("off", (dir_ / "unused").string(), "0");
  ASSERT_EQ(off.exit_code, 0) << off.stderr_text;
  EXPECT_EQ(off.compiled, first.compiled);
  EXPECT_EQ(off.loaded, 0);
  EXPECT_TRUE(off.results == first.results);
  EXPECT_FALSE(fs::exists(dir_ / "unused"));
}

TEST_F(DiskCacheProcesses, TwoProcessesFillingOneCacheAtOnceBothWork) {
  const std::string cache = (dir_ / "cache").string();
  const ChildResult reference = Run("reference", (dir_ / "other").string(), "0");
  ASSERT_EQ(reference.exit_code, 0) << reference.stderr_text;
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round);
    const pid_t p1 = Start("one", cache, "1");
    const pid_t p2 = Start("two", cache, "1");
    const ChildResult one = Wait("one", p1);
    const ChildResult two = Wait("two", p2);
    for (const ChildResult* r : {&one, &two}) {
      ASSERT_EQ(r->exit_code, 0) << r->stderr_text;
      EXPECT_EQ(r->compiled + r->loaded, reference.compiled);
      EXPECT_TRUE(r->results == reference.results);
      EXPECT_EQ(r->stderr_text.find("compile cache"), std::string::npos) << r->stderr_text;
    }
    if (round == 1) {
      EXPECT_EQ(one.compiled, 0);
      EXPECT_EQ(two.compiled, 0);
    }
  }
  // Whole entries only, and no temporary file left behind.
  int files = 0;
  for (const auto& d : fs::directory_iterator(fs::path(cache) / "cpu")) {
    ++files;
    EXPECT_EQ(d.path().extension(), ".ndjk") << d.path();
  }
  EXPECT_EQ(files, reference.compiled);
  for (const runtime::CacheEntryInfo& e : runtime::ListCacheEntries(cache)) {
    EXPECT_EQ(e.problem, "") << e.path;
  }
}

TEST_F(DiskCacheProcesses, AnObjectTheLinkerRejectsIsCompiledAgain) {
  const std::string cache = (dir_ / "cache").string();
  const ChildResult first = Run("first", cache);
  ASSERT_EQ(first.exit_code, 0) << first.stderr_text;
  // Whole entries (their checksums match) whose objects are not objects.
  const runtime::CacheSettings saved = runtime::GetCacheSettings();
  runtime::SetCacheDir(cache);
  runtime::SetCacheEnabled(true);
  int rewritten = 0;
  for (const auto& d : fs::directory_iterator(fs::path(cache) / "cpu")) {
    const std::string bytes = Read(d.path());
    // The header's third line gives the key's size; the key follows the header.
    size_t pos = 0;
    for (int line = 0; line < 3; ++line) pos = bytes.find('\n', pos) + 1;
    const size_t key_size = std::stoul(bytes.substr(bytes.find('\n', bytes.find('\n') + 1) + 1));
    runtime::DiskCache::Cpu().Store(bytes.substr(pos, key_size), "rewritten", "not an object");
    ++rewritten;
  }
  runtime::SetCacheDir(saved.root);
  runtime::SetCacheEnabled(saved.enabled);
  EXPECT_EQ(rewritten, first.compiled);
  const ChildResult second = Run("second", cache);
  ASSERT_EQ(second.exit_code, 0) << second.stderr_text;
  EXPECT_EQ(second.compiled, first.compiled);
  EXPECT_EQ(second.loaded, 0);
  EXPECT_TRUE(second.results == first.results);
  EXPECT_NE(second.stderr_text.find("the backend rejected it (not an object file"),
            std::string::npos)
      << second.stderr_text;
  // ... and replaced: a third run loads them all.
  const ChildResult third = Run("third", cache);
  ASSERT_EQ(third.exit_code, 0) << third.stderr_text;
  EXPECT_EQ(third.compiled, 0);
  EXPECT_TRUE(third.results == first.results);
}

TEST(CacheSwitches, SettersAndTheirErrors) {
  const bool was_on = cache_enabled();
  const std::string dir = cache_dir();
  const int64_t max = cache_max_bytes();
  set_cache(true);
  EXPECT_TRUE(cache_enabled());
  set_cache(false);
  EXPECT_FALSE(cache_enabled());
  set_cache_dir("/tmp/some/where");
  EXPECT_EQ(cache_dir(), "/tmp/some/where");
  set_cache_dir("");  // the default again
  EXPECT_NE(cache_dir(), "/tmp/some/where");
  set_cache_max_bytes(int64_t{1} << 20);
  EXPECT_EQ(cache_max_bytes(), int64_t{1} << 20);
  try {
    set_cache_max_bytes(0);
    ADD_FAILURE() << "no error";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(),
                 "set_cache_max_bytes: cache size limit 0: expected a positive number of "
                 "bytes");
  }
  EXPECT_EQ(cache_max_bytes(), int64_t{1} << 20);
  set_cache(was_on);
  set_cache_dir(dir);
  set_cache_max_bytes(max);
}

}  // namespace
}  // namespace ndjit
