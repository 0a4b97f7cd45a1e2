// The optimizer through the public API: what the pass pipeline removes from a recorded program
// (counts), NDJIT_FLAGS through set_flags, and the NDJIT_DUMP_DIR files (numbered, complete,
// each graph file reading back exactly).
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ndjit/ndjit.h"
#include "runtime/buffer_pool.h"

namespace ndjit {
namespace {

class OptimizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_flags("");
    set_dump_dir("");
    waitall();
    reset_stats();
  }
  void TearDown() override {
    set_flags("");
    set_dump_dir("");
  }
};

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// exp(a) written twice, a multiplication by one, and a cast to the same dtype: cse merges the
// exps, simplify removes the mul and the cast (and the constant 1 it used, through dce).
NDArray Redundant(const NDArray& a) {
  NDArray t = nd::exp(a) + nd::exp(a);
  return (t * 1.0f).astype(DType::kFloat32);
}

TEST_F(OptimizerTest, RemovesDuplicatedAndUnusedWork) {
  NDArray a = nd::array(std::vector<float>{0.5f, -1.0f, 2.0f}, {3});
  waitall();
  reset_stats();
  NDArray y = Redundant(a);
  const HostArray h = y.asnumpy();
  const Stats s = stats();
  // Recorded: exp, exp, add, constant, mul, cast (the weak scalar 1.0f is a constant of the
  // full shape). Left: exp, add.
  EXPECT_EQ(s.nodes_before_passes, 6);
  EXPECT_EQ(s.nodes_after_passes, 2);
  EXPECT_EQ(s.kernels_launched, 1);
  EXPECT_FLOAT_EQ(static_cast<float>(h.element_as_double(0)), 2.0f * std::exp(0.5f));
}

TEST_F(OptimizerTest, FlagsDisablePasses) {
  NDArray a = nd::array(std::vector<float>{0.5f, -1.0f, 2.0f}, {3});
  waitall();
  set_flags("--disable=cse,simplify");
  EXPECT_EQ(flags(), "--disable=cse,simplify");
  reset_stats();
  Redundant(a).wait_to_read();
  EXPECT_EQ(stats().nodes_before_passes, 6);
  EXPECT_EQ(stats().nodes_after_passes, 6);
  set_flags("--bisect-limit=3");  // fold-constants, simplify, cse: dce never runs
  reset_stats();
  Redundant(a).wait_to_read();
  // simplify drops the mul and the cast and cse the second exp (a rewriting pass copies only
  // the nodes it keeps), but the constant the mul read stays: only dce removes dead nodes.
  EXPECT_EQ(stats().nodes_after_passes, 3);
}

TEST_F(OptimizerTest, BadFlagsThrowAndChangeNothing) {
  set_flags("--disable=cse");
  try {
    set_flags("--disable=fold");
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown pass 'fold'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(flags(), "--disable=cse");
  EXPECT_THROW(set_flags("--no-such-flag"), ValueError);
  EXPECT_THROW(set_flags("print-after-all"), ValueError);
  EXPECT_THROW(set_flags("--bisect-limit=-2"), ValueError);
  EXPECT_THROW(set_flags("--verify-each=maybe"), ValueError);
}

TEST_F(OptimizerTest, DumpDirectoryHoldsEveryStageAndReadsBack) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("ndjit-dump-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  std::filesystem::remove_all(dir);
  set_dump_dir(dir.string());
  NDArray a = nd::array(std::vector<float>{0.5f, -1.0f, 2.0f}, {3});
  NDArray y = Redundant(a);
  const int line = __LINE__ + 1;
  const HostArray h = y.asnumpy();
  set_dump_dir("");
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  // nd::array computes nothing; the one materialization is y's.
  const std::vector<std::string> expected = {"0001.00.input.ir",
                                             "0001.01.fold-constants.ir",
                                             "0001.02.simplify.ir",
                                             "0001.03.cse.ir",
                                             "0001.04.canonicalize-views.ir",
                                             "0001.05.dce.ir",
                                             "0001.kernels.txt",
                                             "0001.llvm.ll",
                                             "0001.summary.txt"};
  EXPECT_EQ(names, expected);
  const std::string summary = ReadText(dir / "0001.summary.txt");
  EXPECT_NE(summary.find("asnumpy at "), std::string::npos) << summary;
  EXPECT_NE(summary.find("optimizer_test.cc:" + std::to_string(line)), std::string::npos)
      << summary;
  EXPECT_NE(summary.find("6 nodes, 2 after passes, 1 kernel, backend cpu"), std::string::npos)
      << summary;
  EXPECT_NE(ReadText(dir / "0001.kernels.txt").find("kernel @exp_add"), std::string::npos);
  EXPECT_NE(ReadText(dir / "0001.llvm.ll").find("define"), std::string::npos);
  // Round trip: every dumped graph parses and prints to exactly its file.
  for (const std::string& name : names) {
    if (!name.ends_with(".ir")) continue;
    const std::string text = ReadText(dir / name);
    auto g = ir::ParseGraph(text, name);
    ASSERT_TRUE(g.ok()) << name << ": " << g.status();
    EXPECT_EQ(ir::PrintGraph(**g), text) << name;
  }
  // The dce output is the graph that ran: two nodes besides the input.
  auto last = ir::ParseGraph(ReadText(dir / "0001.05.dce.ir"), "dce");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ((*last)->num_nodes(), 3);
  EXPECT_FLOAT_EQ(static_cast<float>(h.element_as_double(2)), 2.0f * std::exp(2.0f));
  std::filesystem::remove_all(dir);
}

TEST_F(OptimizerTest, UnwritableDumpDirectoryWarnsAndComputes) {
  set_dump_dir("/proc/ndjit-cannot-create-this");
  NDArray a = nd::array(std::vector<float>{1.0f}, {1});
  NDArray y = nd::exp(a);
  ::testing::internal::CaptureStderr();
  const double v = y.asscalar<double>();
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NEAR(v, std::exp(1.0), 1e-6);
  EXPECT_NE(err.find("ndjit: warning: dump directory /proc/ndjit-cannot-create-this: cannot "
                     "create it"),
            std::string::npos)
      << err;
  // Once per directory, not once per materialization.
  ::testing::internal::CaptureStderr();
  nd::exp(y).wait_to_read();
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST_F(OptimizerTest, ASecondRunNumbersItsDumpsAfterTheFirst) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "ndjit-dump-rerun";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "0007.summary.txt") << "from an earlier run\n";
  set_flags("--dump-dir=" + dir.string());  // the NDJIT_FLAGS spelling works too
  NDArray a = nd::array(std::vector<float>{1.0f}, {1});
  ::testing::internal::CaptureStderr();
  nd::exp(a).wait_to_read();
  const std::string err = ::testing::internal::GetCapturedStderr();
  set_flags("");
  EXPECT_NE(err.find("already holds dumps up to 0007"), std::string::npos) << err;
  EXPECT_TRUE(std::filesystem::exists(dir / "0008.00.input.ir"));
  EXPECT_TRUE(std::filesystem::exists(dir / "0008.summary.txt"));
  std::filesystem::remove_all(dir);
}

TEST_F(OptimizerTest, FlagsReachTheExecutor) {
  const int n = 1 << 20;
  NDArray a = nd::full({n}, 1.0f);
  NDArray a2 = a * 1.0f + 0.0f;  // a computed array, not a constant the optimizer folds
  waitall();
  // (Results are named first: a C++ temporary is a live array until the end of its statement,
  // so it would be stored too.)
  reset_stats();
  NDArray total = nd::sum(nd::exp(a2 - a2));  // large: split into partials, then combined
  total.wait_to_read();
  EXPECT_EQ(stats().kernels_launched, 2);
  set_flags("--disable=split-reductions");
  reset_stats();
  NDArray total2 = nd::sum(nd::exp(a2 - a2));
  total2.wait_to_read();
  EXPECT_EQ(stats().kernels_launched, 1);
  // The scheduler's switches: with in-place off, log(exp(x)) after a reduction needs a third
  // buffer.
  auto run = [&] {
    NDArray s;
    NDArray y = [&] {
      NDArray t = nd::exp(a2);
      s = nd::sum(t);
      return nd::log(t);
    }();
    waitall();
  };
  set_flags("--disable=split-reductions");
  reset_stats();
  run();
  EXPECT_EQ(stats().buffers_allocated, 2);
  set_flags("--disable=split-reductions --in-place=0");
  reset_stats();
  run();
  EXPECT_EQ(stats().buffers_allocated, 3);
}

// --prefetch=0 reaches the kernels: their text (and so their cache entry) differs, so the same
// expression compiles once more under it, and once is enough for each setting.
TEST_F(OptimizerTest, PrefetchFlagReachesTheKernels) {
  NDArray a = nd::full({4096}, 1.5f);
  waitall();
  auto compiles = [&] {
    reset_stats();
    (nd::exp(a) * 3.0f).wait_to_read();
    return stats().kernels_compiled + stats().kernels_loaded;  // or found on disk
  };
  compiles();  // whatever the cache held before
  EXPECT_EQ(compiles(), 0);
  set_flags("--prefetch=0");
  EXPECT_EQ(compiles(), 1);
  EXPECT_EQ(compiles(), 0);
  set_flags("");
  EXPECT_EQ(compiles(), 0);
}

// Whether this system gives madvise(MADV_HUGEPAGE) regions transparent huge pages.
bool SystemHasHugePages() {
  const std::string mode = ReadText("/sys/kernel/mm/transparent_hugepage/enabled");
  return mode.find("[always]") != std::string::npos || mode.find("[madvise]") != std::string::npos;
}

TEST_F(OptimizerTest, HugePagesFlagReachesTheBufferPool) {
  const int n = 1 << 21;  // 8 MiB of float32: a fresh buffer advised as huge pages
  NDArray a = nd::full({n}, 1.5f);
  waitall();
  auto fresh_huge_bytes = [&] {
    runtime::BufferPool::Get().Trim();  // no cached buffer of the same class
    reset_stats();
    (a * 2.0f).wait_to_read();
    EXPECT_EQ(stats().bytes_fresh, int64_t{4} * n);
    return stats().bytes_huge_pages;
  };
  EXPECT_EQ(fresh_huge_bytes(), SystemHasHugePages() ? int64_t{4} * n : 0);
  set_flags("--huge-pages=0");
  EXPECT_EQ(fresh_huge_bytes(), 0);
  // Small buffers are never advised.
  set_flags("");
  runtime::BufferPool::Get().Trim();
  reset_stats();
  (nd::full({1024}, 1.0f) * 2.0f).wait_to_read();
  EXPECT_EQ(stats().bytes_huge_pages, 0);
}

}  // namespace
}  // namespace ndjit
