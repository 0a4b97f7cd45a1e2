// The CUDA renderer without a GPU: golden sources of representative kernels, and every kernel of
// the op catalog and of the differential corpus compiled by NVRTC to CUBIN for sm_80 and sm_90,
// with ptxas's register and spill counts in the test log.
#include "codegen/cuda/cuda_source.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "codegen/lower.h"
#include "gtest/gtest.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/status_macros.h"
#include "runtime/disk_cache.h"
#include "runtime/executor.h"
#include "tests/cuda/cuda_kernels.h"

namespace ndjit {
namespace {

using cuda_testing::KernelSet;
namespace cg = codegen::cuda;

bool HaveNvrtc() { return cg::NvrtcVersion().ok(); }

// ---- Golden sources ----------------------------------------------------------------------------

struct Golden {
  const char* name;
  const char* graph;
};

// Representative kernels: elementwise with broadcasting, a float16 sum (float accumulation), a
// softmax row kernel (team reductions, scratch stores, a barrier, a team loop), argmax, and a
// gather (64-bit indices only, a run-time check).
constexpr Golden kGoldens[] = {
    {"mul_add", R"(graph @mul_add {
  %0 = input[index=0] : f32[64,128] loc("model.cc":12:9)
  %1 = input[index=1] : f32[128]
  %2 = broadcast(%1) : f32[64,128]
  %3 = mul(%0, %2) : f32[64,128] loc("model.cc":13:11)
  %4 = constant[value=1.0] : f32[]
  %5 = broadcast(%4) : f32[64,128]
  %6 = add(%3, %5) : f32[64,128] loc("model.cc":13:15)
  return %6
})"},
    {"half_row_sum", R"(graph @half_row_sum {
  %0 = input[index=0] : f16[32,1000]
  %1 = reduce_sum[axes=[1]](%0) : f16[32] loc("loss.cc":40:3)
  return %1
})"},
    {"softmax", R"(graph @softmax {
  %0 = input[index=0] : f32[64,100]
  %1 = reduce_max[axes=[1]](%0) : f32[64]
  %2 = reshape(%1) : f32[64,1]
  %3 = broadcast(%2) : f32[64,100]
  %4 = sub(%0, %3) : f32[64,100]
  %5 = exp(%4) : f32[64,100]
  %6 = reduce_sum[axes=[1]](%5) : f32[64]
  %7 = reshape(%6) : f32[64,1]
  %8 = broadcast(%7) : f32[64,100]
  %9 = div(%5, %8) : f32[64,100] loc("net.cc":7:20)
  return %9
})"},
    {"argmax", R"(graph @argmax {
  %0 = input[index=0] : f64[16,300]
  %1 = argmax[axis=1](%0) : i64[16]
  return %1
})"},
    {"gather", R"(graph @gather {
  %0 = input[index=0] : f32[1000,64]
  %1 = input[index=1] : i64[32]
  %2 = gather[axis=0](%0, %1) : f32[32,64] loc("embed.cc":3:5)
  return %2
})"},
};

std::string GoldenPath(const char* name) {
  return absl::StrCat(NDJIT_TEST_DATA_DIR, "/cuda/", name, ".cu");
}

// The rendered program of every kernel of a graph.
absl::StatusOr<std::string> RenderGraph(const char* text, KernelSet* set) {
  ASSIGN_OR_RETURN(std::unique_ptr<ir::Graph> g, ir::ParseGraph(text));
  runtime::testing::Case c;
  c.graph = std::move(g);
  for (const ir::Node* n : c.graph->inputs()) {
    runtime::testing::InputSpec spec{n->type()};
    if (n->dtype() == DType::kInt64) spec.lo = 0, spec.hi = 9;
    c.specs.push_back(spec);
  }
  RETURN_IF_ERROR(cuda_testing::CollectKernels(c, set));
  return cg::ProgramText(set->rendered);
}

// Set NDJIT_UPDATE_GOLDENS=1 to rewrite tests/data/cuda/*.cu.
TEST(CudaSourceTest, RepresentativeKernelsMatchTheirGoldenSource) {
  const bool update = std::getenv("NDJIT_UPDATE_GOLDENS") != nullptr;
  for (const Golden& golden : kGoldens) {
    SCOPED_TRACE(golden.name);
    KernelSet set;
    absl::StatusOr<std::string> source = RenderGraph(golden.graph, &set);
    ASSERT_TRUE(source.ok()) << source.status();
    if (update) {
      std::ofstream(GoldenPath(golden.name)) << *source;
      continue;
    }
    std::ifstream in(GoldenPath(golden.name));
    ASSERT_TRUE(in.good()) << "missing " << GoldenPath(golden.name)
                           << " (run with NDJIT_UPDATE_GOLDENS=1)";
    std::stringstream want;
    want << in.rdbuf();
    EXPECT_EQ(*source, want.str()) << "run with NDJIT_UPDATE_GOLDENS=1 to accept the new source";
  }
}

TEST(CudaSourceTest, KernelsAreNamedAfterTheirGroupAndCarryCallSites) {
  KernelSet set;
  absl::StatusOr<std::string> source = RenderGraph(kGoldens[0].graph, &set);
  ASSERT_TRUE(source.ok()) << source.status();
  ASSERT_EQ(set.rendered.size(), 1u);
  EXPECT_EQ(set.rendered[0].entry, "ndj_mul_add_k0");
  EXPECT_NE(source->find("__global__ void __launch_bounds__(256) ndj_mul_add_k0_i32("),
            std::string::npos);
  EXPECT_NE(source->find("model.cc:13:11"), std::string::npos) << *source;
  EXPECT_FALSE(set.rendered[0].team);
}

TEST(CudaSourceTest, GathersIndexIn64BitsOnlyAndReductionsUseTeams) {
  KernelSet set;
  ASSERT_TRUE(RenderGraph(kGoldens[4].graph, &set).ok());
  ASSERT_EQ(set.rendered.size(), 1u);
  EXPECT_FALSE(set.rendered[0].has_i32);
  EXPECT_NE(set.rendered[0].text.find("ndj_fail(status, 1,"), std::string::npos);
  KernelSet softmax;
  ASSERT_TRUE(RenderGraph(kGoldens[2].graph, &softmax).ok());
  ASSERT_EQ(softmax.rendered.size(), 1u);
  EXPECT_TRUE(softmax.rendered[0].team);
  EXPECT_TRUE(softmax.rendered[0].has_i32);
  EXPECT_NE(softmax.rendered[0].text.find("__syncthreads();"), std::string::npos);
}

TEST(CudaSourceTest, LaunchShapes) {
  cg::RenderedKernel flat;
  flat.has_i32 = true;
  cg::LaunchShape s = cg::ChooseLaunch(flat, 1000, 1000, 1000, 256, 528);
  EXPECT_EQ(s.block_x, 256);
  EXPECT_EQ(s.block_y, 1);
  EXPECT_EQ(s.grid, 4);
  EXPECT_FALSE(s.index64);
  s = cg::ChooseLaunch(flat, int64_t{1} << 32, int64_t{1} << 32, int64_t{1} << 32, 256, 528);
  EXPECT_EQ(s.grid, 528);  // grid-stride beyond one wave
  EXPECT_TRUE(s.index64);
  s = cg::ChooseLaunch(flat, 10, 10, int64_t{3} << 30, 256, 528);  // a large buffer: 64 bits
  EXPECT_TRUE(s.index64);
  // A fused intermediate larger than any buffer (a broadcast reshaped, then sliced): the product
  // of the size parameters bounds its indices.
  const int64_t params[] = {65536, 65536};
  EXPECT_EQ(cg::IndexBound(100, params, 2), int64_t{1} << 32);
  s = cg::ChooseLaunch(flat, 8, 8, cg::IndexBound(8, params, 2), 256, 528);
  EXPECT_TRUE(s.index64);
  // Just below 2^31 points the grid-stride counter would pass 2^31 after its last step.
  s = cg::ChooseLaunch(flat, (int64_t{1} << 31) - 1000, (int64_t{1} << 31) - 1000,
                       (int64_t{1} << 31) - 1000, 256, 528);
  EXPECT_TRUE(s.index64);
  s = cg::ChooseLaunch(flat, int64_t{1} << 29, int64_t{1} << 29, int64_t{1} << 29, 256, 528);
  EXPECT_FALSE(s.index64);
  cg::RenderedKernel team = flat;
  team.team = true;
  s = cg::ChooseLaunch(team, 64, 64 * 100, 6400, 1024, 528);  // rows of 100: 128 lanes
  EXPECT_EQ(s.block_x, 128);
  EXPECT_EQ(s.block_y, 2);
  EXPECT_EQ(s.grid, 32);
  s = cg::ChooseLaunch(team, 100000, 300000, 300000, 1024, 528);  // rows of 3: 4 lanes
  EXPECT_EQ(s.block_x, 4);
  EXPECT_EQ(s.block_x * s.block_y % 32, 0);
  // A block size from occupancy that is not a power of two: teams stay powers of two, blocks
  // whole warps.
  s = cg::ChooseLaunch(team, 64, 64 * 1000, 64000, 96, 528);
  EXPECT_EQ(s.block_x, 64);
  EXPECT_EQ(s.block_y, 1);
  team.column = true;
  s = cg::ChooseLaunch(team, 128, 128 * 5000, 640000, 1024, 528);  // a column sum: one lane
  EXPECT_EQ(s.block_x, 1);
  EXPECT_EQ(s.block_y, 256);
}

TEST(CudaSourceTest, ParsesPtxasResourceUsage) {
  const std::string log =
      "ptxas info    : 0 bytes gmem\n"
      "ptxas info    : Compiling entry function 'ndj_exp_k0_i64' for 'sm_90'\n"
      "ptxas info    : Function properties for ndj_exp_k0_i64\n"
      "ptxas         .     16 bytes stack frame, 8 bytes spill stores, 4 bytes spill loads\n"
      "ptxas info    : Used 27 registers, used 0 barriers, 16 bytes cumulative stack size\n"
      "ptxas info    : Function properties for __internal_trig_reduction_slowpathd\n"
      "ptxas         .     40 bytes stack frame, 12 bytes spill stores, 12 bytes spill loads\n"
      "ptxas info    : Compiling entry function 'ndj_b_k1_i32' for 'sm_90'\n"
      "ptxas info    : Function properties for ndj_b_k1_i32\n"
      "ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads\n"
      "ptxas info    : Used 9 registers, used 1 barriers\n";
  const std::vector<cg::EntryResources> r = cg::ParseResources(log);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].entry, "ndj_exp_k0_i64");
  EXPECT_EQ(r[0].registers, 27);
  EXPECT_EQ(r[0].spill_stores, 8);
  EXPECT_EQ(r[0].spill_loads, 4);
  EXPECT_EQ(r[0].stack, 16);
  EXPECT_EQ(r[1].entry, "ndj_b_k1_i32");
  EXPECT_EQ(r[1].registers, 9);
  EXPECT_EQ(r[0].spill_stores, 8);  // the helper's figures are not the entry's
  EXPECT_EQ(r[1].spill_stores, 0);
}

// The compile cache: memory first, then the disk entry (whose stored key must match in full).
TEST(CudaSourceTest, CompileCacheServesFromMemoryThenDisk) {
  if (!HaveNvrtc()) GTEST_SKIP() << "skipped: NVRTC not found";
  const std::string dir = ::testing::TempDir() + "/ndjit_cuda_cache_test";
  std::filesystem::remove_all(dir);
  const runtime::CacheSettings saved = runtime::GetCacheSettings();
  runtime::SetCacheDir(dir);
  runtime::SetCacheEnabled(true);
  runtime::DiskCache* disk = &runtime::DiskCache::Cuda();
  KernelSet set;
  ASSERT_TRUE(RenderGraph(kGoldens[0].graph, &set).ok());
  const std::string program = cg::ProgramText(set.rendered);
  const cg::CompileCacheCounters c0 = cg::GetCompileCacheCounters();
  absl::StatusOr<cg::CudaImage> first = cg::CompileProgramCached(program, "cache.cu", 80, disk);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<cg::CudaImage> again = cg::CompileProgramCached(program, "cache.cu", 80, disk);
  ASSERT_TRUE(again.ok()) << again.status();
  cg::ClearMemoryCompileCacheForTesting();
  absl::StatusOr<cg::CudaImage> from_disk = cg::CompileProgramCached(program, "cache.cu", 80, disk);
  ASSERT_TRUE(from_disk.ok()) << from_disk.status();
  const cg::CompileCacheCounters c1 = cg::GetCompileCacheCounters();
  EXPECT_EQ(c1.compiled - c0.compiled, 1);
  EXPECT_EQ(c1.memory_hits - c0.memory_hits, 1);
  EXPECT_EQ(c1.disk_hits - c0.disk_hits, 1);
  EXPECT_EQ(from_disk->image, first->image);
  EXPECT_TRUE(from_disk->cubin);
  EXPECT_EQ(from_disk->target, "sm_80");
  // A corrupted entry is a miss, never a wrong image (runtime/disk_cache_test.cc has the other
  // kinds of bad entry).
  cg::ClearMemoryCompileCacheForTesting();
  for (const auto& entry : std::filesystem::directory_iterator(dir + "/cuda")) {
    std::ofstream(entry.path(), std::ios::binary)
        << "NDJIT-CACHE 1\ncuda\n12 0 7 0\nnot the key!garbage";
  }
  ::testing::internal::CaptureStderr();
  absl::StatusOr<cg::CudaImage> recompiled =
      cg::CompileProgramCached(program, "cache.cu", 80, disk);
  ASSERT_TRUE(recompiled.ok());
  EXPECT_EQ(cg::GetCompileCacheCounters().compiled - c0.compiled, 2);
  EXPECT_EQ(recompiled->image, first->image);
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("corrupt (checksum)"), std::string::npos);
  // The entry describes the program it holds.
  const std::vector<runtime::CacheEntryInfo> entries = runtime::ListCacheEntries(dir);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].kind, "cuda");
  EXPECT_EQ(entries[0].description, "program cache.cu\ntarget sm_80\n");
  runtime::SetCacheDir(saved.root);
  runtime::SetCacheEnabled(saved.enabled);
}

// nvcc, if the machine has it: NDJIT_TEST_NVCC, else the CUDA toolkit's, else one on the PATH.
std::string FindNvcc() {
  if (const char* p = std::getenv("NDJIT_TEST_NVCC"); p != nullptr && *p != '\0') return p;
  for (const char* p : {"/usr/local/cuda/bin/nvcc", "/usr/bin/nvcc"}) {
    if (std::filesystem::exists(p)) return p;
  }
  return std::system("command -v nvcc > /dev/null 2>&1") == 0 ? "nvcc" : "";
}

// Compiles `program` with nvcc for sm_90 in a fresh directory under the test's temp dir; returns
// nvcc's log, empty on success.
std::string NvccErrors(const std::string& nvcc, const std::string& program, const char* name) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/ndjit_", name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/program.cu") << program;
  const std::string command = absl::StrCat(nvcc, " -arch=sm_90 -cubin -o ", dir, "/program.cubin ",
                                           dir, "/program.cu > ", dir, "/nvcc.log 2>&1");
  const int rc = std::system(command.c_str());
  std::ifstream log(dir + "/nvcc.log");
  std::stringstream text;
  text << log.rdbuf();
  if (rc == 0 && std::filesystem::file_size(dir + "/program.cubin") > 0) return "";
  return absl::StrCat(command, " failed:\n", text.str());
}

// What `ndjit-inspect --emit=cuda` prints and dumps write is one translation unit that nvcc
// compiles on its own: ndjit's in-memory headers are expanded into it once, and the rules they
// share with host code are marked for the device as well.
TEST(CudaSourceTest, StandaloneProgramCompilesWithNvcc) {
  KernelSet set;
  for (const Golden& g : kGoldens) ASSERT_TRUE(RenderGraph(g.graph, &set).ok()) << g.name;
  const std::string program = cg::StandaloneProgramText(set.rendered);
  EXPECT_EQ(program.find("#include \""), std::string::npos) << "a quoted include is left";
  EXPECT_NE(program.find("// ---- ndjit_prelude.h"), std::string::npos);
  const std::string nvcc = FindNvcc();
  if (nvcc.empty()) GTEST_SKIP() << "skipped: nvcc not found";
  EXPECT_EQ(NvccErrors(nvcc, program, "standalone_cu"), "");
}

// A graph of several kernels is described as one program (the headers once, distinct entry
// points), which is what a dump's NNNN.cuda.cu holds.
TEST(CudaSourceTest, DescribedKernelsOfAGraphAreOneProgram) {
  auto g = ir::ParseGraph(R"(graph @branches {
  %0 = input[index=0] : f32[64,64]
  %1 = input[index=1] : f32[64,64]
  %2 = exp(%0) : f32[64,64]
  %3 = exp(%1) : f32[64,64]
  %4 = reduce_sum[axes=[0]](%2) : f32[64]
  %5 = reduce_sum[axes=[0]](%3) : f32[64]
  %6 = reduce_max[axes=[1]](%2) : f32[64]
  %7 = reduce_max[axes=[1]](%3) : f32[64]
  %8 = add(%2, %3) : f32[64,64]
  return %4, %5, %6, %7, %8
})");
  ASSERT_TRUE(g.ok()) << g.status();
  runtime::DescribeOptions options;
  options.cuda = true;
  absl::StatusOr<runtime::KernelsDescription> d = runtime::DescribeKernels(**g, options);
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_GE(d->kernels.size(), 2u);
  const std::string& program = d->cuda_program;
  size_t headers = 0;
  for (size_t at = program.find("// ---- ndjit_cuda.h"); at != std::string::npos;
       at = program.find("// ---- ndjit_cuda.h", at + 1)) {
    ++headers;
  }
  EXPECT_EQ(headers, 1u);
  for (const runtime::KernelReport& k : d->kernels) {
    EXPECT_NE(program.find(k.cuda), std::string::npos) << k.name;
  }
  const std::string nvcc = FindNvcc();
  if (nvcc.empty()) GTEST_SKIP() << "skipped: nvcc not found";
  EXPECT_EQ(NvccErrors(nvcc, program, "described_cu"), "");
}

TEST(CudaSourceTest, ContiguousElementwiseKernelsGetTheVectorPath) {
  KernelSet set;
  ASSERT_TRUE(RenderGraph(kGoldens[0].graph, &set).ok());
  ASSERT_EQ(set.rendered.size(), 1u);
  EXPECT_TRUE(set.rendered[0].vectorized);
  EXPECT_NE(set.rendered[0].text.find("ndj_vec4<float>"), std::string::npos);
  KernelSet gather;
  ASSERT_TRUE(RenderGraph(kGoldens[4].graph, &gather).ok());
  EXPECT_FALSE(gather.rendered[0].vectorized);  // a run-time check: point by point
}

// ---- Every kernel through NVRTC
// ------------------------------------------------------------------

// Kernels per NVRTC program (one compile per chunk and architecture).
constexpr size_t kChunk = 150;

TEST(CudaNvrtcCorpusTest, EveryCatalogAndCorpusKernelCompilesForSm80AndSm90) {
  if (!HaveNvrtc()) GTEST_SKIP() << "skipped: NVRTC not found";
  std::string error;
  // Without the steps whose kernels ptxas spills (4 to 36 bytes in 9 of about 1,400 entry
  // points: concats of up to 32 buffers, rows sharing erf and atan values; and 16 bytes in the
  // sm_90 i32 entry of a 5-element uint8 scan_min, the only scan kernel of ~100 that spills),
  // so that "nothing spills" holds for the rest. all_ops.ir still brings every scan op.
  runtime::testing::GeneratorProfile profile = cuda_testing::EmulationProfile();
  profile.wide_concats = false;
  profile.shared_expensive_rows = false;
  profile.scans = false;
  const std::vector<runtime::testing::Case> cases =
      cuda_testing::EmulationCorpus(100, &error, profile);
  ASSERT_EQ(error, "");
  // Every op of the catalog is in the corpus (all_ops.ir holds each one).
  std::set<ir::Op> ops;
  for (const runtime::testing::Case& c : cases) {
    for (const auto& n : c.graph->nodes()) ops.insert(n->op());
  }
  EXPECT_EQ(static_cast<int>(ops.size()), ir::kNumOps) << "all_ops.ir lacks an op";
  KernelSet set;
  for (const runtime::testing::Case& c : cases) {
    absl::Status s = cuda_testing::CollectKernels(c, &set);
    ASSERT_TRUE(s.ok()) << c.name << ": " << s;
  }
  ASSERT_GT(set.rendered.size(), 100u);
  const std::string log_path = ::testing::TempDir() + "/ndjit_cuda_resources.txt";
  std::ofstream log(log_path);
  log << "# ptxas resource usage of every rendered kernel (entry, sm, registers, spill stores, "
         "spill loads, stack bytes)\n";
  int entries = 0, spilling = 0, max_registers = 0;
  for (int sm : {80, 90}) {
    for (size_t first = 0; first < set.rendered.size(); first += kChunk) {
      const size_t last = std::min(set.rendered.size(), first + kChunk);
      std::vector<cg::RenderedKernel> chunk(set.rendered.begin() + first,
                                            set.rendered.begin() + last);
      const std::string name = absl::StrCat("corpus_", first, ".cu");
      absl::StatusOr<cg::CudaImage> image =
          cg::CompileProgram(cg::ProgramText(chunk), name, sm, /*verbose=*/true);
      ASSERT_TRUE(image.ok()) << image.status();
      EXPECT_TRUE(image->cubin);
      EXPECT_EQ(image->target, absl::StrCat("sm_", sm));
      EXPECT_EQ(image->image.substr(0, 4),
                "\x7f"
                "ELF");
      const std::vector<cg::EntryResources> res = cg::ParseResources(image->log);
      size_t expected = 0;
      for (const cg::RenderedKernel& k : chunk) expected += k.has_i32 ? 2 : 1;
      EXPECT_EQ(res.size(), expected) << image->log;
      for (const cg::EntryResources& r : res) {
        ++entries;
        if (r.spill_stores > 0 || r.spill_loads > 0) ++spilling;
        max_registers = std::max(max_registers, r.registers);
        log << absl::StrFormat("%s sm_%d %d %d %d %d\n", r.entry, sm, r.registers, r.spill_stores,
                               r.spill_loads, r.stack);
      }
    }
  }
  std::printf(
      "%zu kernels from %zu graphs, %d entry points compiled for sm_80 and sm_90; at most %d "
      "registers; %d entry points spill; per-entry log: %s\n",
      set.rendered.size(), cases.size(), entries, max_registers, spilling, log_path.c_str());
  // Blocks of at most 256 threads leave ptxas 255 registers: nothing in the corpus spills.
  EXPECT_EQ(spilling, 0);
}

}  // namespace
}  // namespace ndjit
