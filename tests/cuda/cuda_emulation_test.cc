// The CUDA backend's generated source run on the CPU: every kernel of the differential corpus is
// rendered to CUDA C++, compiled as host C++ against tests/cuda/cuda_emulation.h (threads per
// block, barriers, warp shuffles), launched over its grid as the device launch would be, and the
// results are compared with the reference interpreter (tests/runtime/differential_corpus.h).
// This checks the indexing, team reductions, shuffles and barriers of the GPU code path without
// a GPU.
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "codegen/cuda/cuda_source.h"
#include "codegen/prelude_abi.h"
#include "gtest/gtest.h"
#include "ir/printer.h"
#include "ndjit/ndjit.h"
#include "runtime/cuda/cuda_backend.h"
#include "runtime/cuda/driver.h"
#include "tests/codegen/vector_math_check.h"
#include "tests/cuda/cuda_kernels.h"
#include "tests/runtime/row_kernel_cases.h"

namespace ndjit {
namespace {

using cuda_testing::KernelSet;
namespace cg = codegen::cuda;
using EmuKernel = void (*)(void* const*, const int64_t*, int64_t*);
using EmuLaunch = void (*)(EmuKernel, void* const*, const int64_t*, int64_t*, int64_t, int, int);

// The kernels of a KernelSet, compiled for the emulation and loaded.
struct Emulation {
  void* handle = nullptr;
  EmuLaunch launch = nullptr;
  std::vector<EmuKernel> i32, i64;  // per kernel; i32 null where the kernel has no such entry
};

// One adapter per entry point: the runner's (buffers, params, status) to the entry's arguments.
std::string Adapters(const KernelSet& set) {
  std::string s;
  for (size_t n = 0; n < set.rendered.size(); ++n) {
    const ir::Kernel& k = set.kernels[n];
    const cg::RenderedKernel& r = set.rendered[n];
    std::vector<std::string> args;
    for (size_t b = 0; b < k.buffers.size(); ++b) {
      args.push_back(absl::StrCat("(", k.buffers[b].output ? "" : "const ",
                                  cg::CudaCType(k.buffers[b].dtype), "*)b[", b, "]"));
    }
    for (int p = 0; p < k.num_params + k.num_values; ++p) {
      args.push_back(absl::StrCat("(long long)p[", p, "]"));
    }
    args.push_back("(long long*)s");
    for (const char* v : {"i32", "i64"}) {
      if (std::string(v) == "i32" && !r.has_i32) continue;
      absl::StrAppend(&s, "extern \"C\" void ndj_emu_adapt_", n, "_", v,
                      "(void* const* b, const int64_t* p, int64_t* s) {\n  ", r.entry, "_", v, "(",
                      absl::StrJoin(args, ", "), ");\n}\n");
    }
  }
  return s;
}

absl::StatusOr<Emulation> BuildEmulation(const KernelSet& set, const std::string& dir) {
  std::filesystem::create_directories(dir);
  for (const cg::SourceHeader& h : cg::ProgramHeaders()) {
    if (h.nvrtc_only) continue;  // the host compiler has its own <cmath>, <cstdint>, dtype.h
    const std::filesystem::path path = std::filesystem::path(dir) / h.name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << h.text;
  }
  const std::string source = dir + "/program.cc";
  std::ofstream(source) << cg::ProgramText(set.rendered) << "\n" << Adapters(set);
  const std::string library = dir + "/program.so";
  const std::string log = dir + "/compile.log";
  // The project root for include/ndjit/dtype.h (ir/random.h includes it).
  const std::string root = std::filesystem::path(NDJIT_TEST_DATA_DIR).parent_path().parent_path();
  const std::string command = absl::StrCat(
      NDJIT_EMULATION_CXX, " --driver-mode=g++ -std=c++20 -O1 -fPIC -shared -pthread -w",
      " -include ", NDJIT_EMULATION_HEADER, " -I", dir, " -I", root, "/include ", source, " -o ",
      library, " > ", log, " 2>&1");
  if (std::system(command.c_str()) != 0) {
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    return absl::InternalError(
        absl::StrCat("emulation compile failed: ", command, "\n", text.str().substr(0, 20000)));
  }
  Emulation e;
  e.handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (e.handle == nullptr) return absl::InternalError(absl::StrCat("dlopen: ", dlerror()));
  e.launch = reinterpret_cast<EmuLaunch>(dlsym(e.handle, "ndj_emu_launch"));
  if (e.launch == nullptr) return absl::InternalError("no ndj_emu_launch");
  for (size_t n = 0; n < set.rendered.size(); ++n) {
    const std::string base = absl::StrCat("ndj_emu_adapt_", n, "_");
    e.i32.push_back(reinterpret_cast<EmuKernel>(dlsym(e.handle, (base + "i32").c_str())));
    e.i64.push_back(reinterpret_cast<EmuKernel>(dlsym(e.handle, (base + "i64").c_str())));
    if (e.i64.back() == nullptr || (set.rendered[n].has_i32 && e.i32.back() == nullptr)) {
      return absl::InternalError(absl::StrCat("missing adapter ", base));
    }
  }
  return e;
}

struct LaunchLimits {
  int max_threads = 64;  // block size: teams up to 64 lanes (two warps: the shared-memory fold)
  int64_t max_blocks = 3;
  bool force_index64 = false;
};

// Kernels run through the emulation instead of the CPU JIT.
runtime::ExecuteOptions EmulatedOptions(const KernelSet& set, const Emulation& emu,
                                        LaunchLimits limits, int64_t* launches) {
  runtime::ExecuteOptions options;
  options.backend = [&set, &emu, limits,
                     launches](const ir::Kernel& k) -> absl::StatusOr<runtime::KernelRunner> {
    auto it = set.index.find(ir::PrintKernel(k));
    if (it == set.index.end()) {
      return absl::InternalError(absl::StrCat("kernel @", k.name, " was not collected"));
    }
    const int n = it->second;
    return runtime::KernelRunner(
        [&set, &emu, limits, launches, n](void* const* buffers, const int64_t* params,
                                          int64_t* status, const runtime::LaunchSize& size) {
          const cg::RenderedKernel& r = set.rendered[n];
          cg::LaunchShape shape =
              cg::ChooseLaunch(r, size.points, size.work,
                               cg::IndexBound(size.max_elements, params, set.kernels[n].num_params),
                               limits.max_threads, limits.max_blocks);
          if (limits.force_index64) shape.index64 = true;
          EmuKernel fn = shape.index64 ? emu.i64[n] : emu.i32[n];
          emu.launch(fn, buffers, params, status, shape.grid, shape.block_x, shape.block_y);
          ++*launches;
          return absl::OkStatus();
        });
  };
  return options;
}

class CudaEmulationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    cases_ = new std::vector<runtime::testing::Case>(cuda_testing::EmulationCorpus(150, &error));
    ASSERT_EQ(error, "");
    set_ = new KernelSet();
    for (const runtime::testing::Case& c : *cases_) {
      absl::Status s = cuda_testing::CollectKernels(c, set_);
      ASSERT_TRUE(s.ok()) << c.name << ": " << s;
    }
    absl::StatusOr<Emulation> emu =
        BuildEmulation(*set_, ::testing::TempDir() + "/ndjit_cuda_emulation");
    ASSERT_TRUE(emu.ok()) << emu.status();
    emu_ = new Emulation(*emu);
  }

  // Runs the corpus through the emulation; the number of graphs that differ.
  static int RunCorpus(LaunchLimits limits, int64_t* launches) {
    int failures = 0;
    const runtime::ExecuteOptions options = EmulatedOptions(*set_, *emu_, limits, launches);
    for (const runtime::testing::Case& c : *cases_) {
      const std::string d = runtime::testing::Differ(*c.graph, c.specs, c.seed, options);
      if (d.empty()) continue;
      ADD_FAILURE() << c.name << " (seed " << c.seed << "): " << d << "\n"
                    << ir::PrintGraph(*c.graph);
      if (++failures >= 3) break;
    }
    return failures;
  }

  static std::vector<runtime::testing::Case>* cases_;
  static KernelSet* set_;
  static Emulation* emu_;
};
std::vector<runtime::testing::Case>* CudaEmulationTest::cases_ = nullptr;
KernelSet* CudaEmulationTest::set_ = nullptr;
Emulation* CudaEmulationTest::emu_ = nullptr;

TEST_F(CudaEmulationTest, GeneratedSourceMatchesTheInterpreterOnTheCorpus) {
  ASSERT_NE(emu_, nullptr);
  int64_t launches = 0;
  EXPECT_EQ(RunCorpus(LaunchLimits{}, &launches), 0);
  std::printf("%zu graphs, %zu kernels, %lld emulated launches (blocks of up to 64 threads)\n",
              cases_->size(), set_->rendered.size(), static_cast<long long>(launches));
  EXPECT_GT(launches, static_cast<int64_t>(cases_->size()));
  // The corpus exercises both kernel shapes, and team-split loops (row kernels).
  int team = 0, loops = 0;
  for (const cg::RenderedKernel& r : set_->rendered) {
    team += r.team;
    loops += r.text.find("_loop = ndj_lane;") != std::string::npos;
  }
  int vectorized = 0;
  for (const cg::RenderedKernel& r : set_->rendered) vectorized += r.vectorized;
  EXPECT_GT(vectorized, 20);
  EXPECT_GT(team, 20);
  EXPECT_GT(loops, 0);
  EXPECT_LT(team, static_cast<int>(set_->rendered.size()));
  std::printf("%d team kernels, %d with team-split loops, %d with the vector path\n", team, loops,
              vectorized);
}

// Wide teams (up to 256 lanes: eight warps folding through shared memory), one block (every
// point through the grid-stride loop), and the 64-bit entry points.
TEST_F(CudaEmulationTest, WideTeamsOneBlockAnd64BitIndexing) {
  ASSERT_NE(emu_, nullptr);
  int64_t launches = 0;
  EXPECT_EQ(RunCorpus(LaunchLimits{256, 1, true}, &launches), 0);
  EXPECT_GT(launches, 0);
}

// Row kernels whose reduction and loop share one to three expensive values
// (tests/runtime/row_kernel_cases.h), in every float dtype, at row lengths (of three rows)
// below, at and above a warp and the widest team, with teams of up to 64 lanes over three blocks
// and then up to 256 lanes in one block.
TEST(CudaEmulationRowTest, SharedExpensiveValuesMatchTheInterpreter) {
  using namespace ::ndjit::runtime::testing;  // NOLINT: the corpus's names, test-only
  std::vector<Case> cases;
  for (RowFamily family :
       {RowFamily::kExpAdd, RowFamily::kExpMul, RowFamily::kSqrtAbsAdd, RowFamily::kTanhExp}) {
    for (RowForm form : {RowForm::kSubMean, RowForm::kDivMax}) {
      for (const std::string& dt : RowDTypes()) {
        for (int count = 1; count <= 3; ++count) {
          for (int64_t cols : {1, 3, 32, 33, 257}) {
            absl::StatusOr<Case> c = RowCase(family, count, form, dt, 3, cols, 2000 + cols);
            ASSERT_TRUE(c.ok()) << c.status();
            cases.push_back(*std::move(c));
          }
        }
      }
    }
  }
  KernelSet set;
  for (const Case& c : cases) {
    absl::Status s = cuda_testing::CollectKernels(c, &set);
    ASSERT_TRUE(s.ok()) << c.name << ": " << s;
  }
  absl::StatusOr<Emulation> emu = BuildEmulation(set, ::testing::TempDir() + "/ndjit_cuda_rows");
  ASSERT_TRUE(emu.ok()) << emu.status();
  int team_loops = 0;
  for (const cg::RenderedKernel& r : set.rendered) {
    team_loops += r.text.find("_loop = ndj_lane;") != std::string::npos;
  }
  EXPECT_GT(team_loops, 0);
  for (LaunchLimits limits : {LaunchLimits{}, LaunchLimits{256, 1, true}}) {
    SCOPED_TRACE(limits.max_threads);
    int64_t launches = 0;
    const runtime::ExecuteOptions options = EmulatedOptions(set, *emu, limits, &launches);
    int failures = 0;
    for (const Case& c : cases) {
      const std::string d = Differ(*c.graph, c.specs, c.seed, options);
      if (d.empty()) continue;
      ADD_FAILURE() << c.name << ": " << d << "\n" << ir::PrintGraph(*c.graph);
      if (++failures >= 5) break;
    }
    EXPECT_GE(launches, static_cast<int64_t>(cases.size()));
  }
}

// The prelude's vector math under the emulation, which compiles its host branch (the same
// functions the CPU JIT inlines) with the host compiler: every float16 and bfloat16 input and
// 2^22 float32 samples with the special values, for exp, expm1, log, tanh and erf, and pow
// (the host's powf here) on every 16-bit x with 16 exponents each and 2^22 float32 pairs, against
// the bounds of codegen/prelude_abi.h (the CPU JIT's own check, over 2^24 samples, is
// tests/codegen/vector_math_test.cc).
TEST(CudaEmulationVectorMathTest, EveryResultIsWithinItsBound) {
  using namespace ::ndjit::runtime::testing;  // NOLINT: the corpus's names, test-only
  struct Check {
    ir::Op op;
    DType dtype;
    std::vector<uint32_t> inputs;
    Case c;
    std::vector<uint32_t> exponents;  // pow's second operand
  };
  std::vector<Check> checks;
  for (const DType dtype : ndjit::testing::kVectorMathDTypes) {
    for (const ir::Op op : ndjit::testing::kVectorMathOps) {
      Check k{op, dtype, ndjit::testing::VectorMathInputs(dtype, 1 << 22), Case{}, {}};
      const std::string type = absl::StrCat(ir::DTypeShortName(dtype), "[", k.inputs.size(), "]");
      absl::StatusOr<std::unique_ptr<ir::Graph>> g = ir::ParseGraph(
          absl::StrCat("graph @g {\n  %0 = input[index=0] : ", type, "\n  %1 = ", ir::OpName(op),
                       "(%0) : ", type, "\n  return %1\n}\n"),
          "vector_math");
      ASSERT_TRUE(g.ok()) << g.status();
      k.c.graph = *std::move(g);
      k.c.specs.push_back(InputSpec{k.c.graph->node(0)->type()});
      k.c.name = absl::StrCat(ir::OpName(op), "_", DTypeName(dtype));
      checks.push_back(std::move(k));
    }
    ndjit::testing::PowInputs pairs = ndjit::testing::MakePowInputs(dtype, 16, 1 << 22);
    Check k{ir::Op::kPow, dtype, std::move(pairs.x), Case{}, std::move(pairs.y)};
    const std::string type = absl::StrCat(ir::DTypeShortName(dtype), "[", k.inputs.size(), "]");
    absl::StatusOr<std::unique_ptr<ir::Graph>> g =
        ir::ParseGraph(absl::StrCat("graph @g {\n  %0 = input[index=0] : ", type,
                                    "\n  %1 = input[index=1] : ", type,
                                    "\n  %2 = pow(%0, %1) : ", type, "\n  return %2\n}\n"),
                       "vector_math");
    ASSERT_TRUE(g.ok()) << g.status();
    k.c.graph = *std::move(g);
    k.c.specs.push_back(InputSpec{k.c.graph->node(0)->type()});
    k.c.specs.push_back(InputSpec{k.c.graph->node(1)->type()});
    k.c.name = absl::StrCat("pow_", DTypeName(dtype));
    checks.push_back(std::move(k));
  }
  KernelSet set;
  for (const Check& k : checks) {
    absl::Status s = cuda_testing::CollectKernels(k.c, &set);
    ASSERT_TRUE(s.ok()) << k.c.name << ": " << s;
  }
  absl::StatusOr<Emulation> emu =
      BuildEmulation(set, ::testing::TempDir() + "/ndjit_cuda_vector_math");
  ASSERT_TRUE(emu.ok()) << emu.status();
  int64_t launches = 0;
  const runtime::ExecuteOptions options = EmulatedOptions(set, *emu, LaunchLimits{}, &launches);
  for (const Check& k : checks) {
    const size_t n = k.inputs.size();
    auto tensor = [&](const std::vector<uint32_t>& bits) {
      ir::HostTensor t(k.c.graph->node(0)->type());
      if (k.dtype == DType::kFloat32) {
        std::memcpy(t.data(), bits.data(), 4 * n);
      } else {
        for (size_t i = 0; i < n; ++i) t.data_as<uint16_t>()[i] = static_cast<uint16_t>(bits[i]);
      }
      return t;
    };
    std::vector<ir::HostTensor> inputs = {tensor(k.inputs)};
    if (k.op == ir::Op::kPow) inputs.push_back(tensor(k.exponents));
    absl::StatusOr<std::vector<ir::HostTensor>> out =
        runtime::ExecuteCompiled(*k.c.graph, inputs, options);
    ASSERT_TRUE(out.ok()) << k.c.name << ": " << out.status();
    std::vector<uint32_t> got(n);
    for (size_t i = 0; i < n; ++i) {
      got[i] = k.dtype == DType::kFloat32 ? (*out)[0].data_as<uint32_t>()[i]
                                          : (*out)[0].data_as<uint16_t>()[i];
    }
    double max_error = 0;
    const double bound = codegen::VectorMathUlpBound(k.op, k.dtype);
    if (k.op == ir::Op::kPow) {
      EXPECT_EQ(ndjit::testing::CheckPow(k.dtype, {k.inputs, k.exponents}, got, bound, &max_error),
                "");
    } else {
      EXPECT_EQ(ndjit::testing::CheckVectorMath(k.op, k.dtype, k.inputs, got, bound, &max_error),
                "");
    }
    std::printf("%-6s %-9s %zu inputs: max error %.3f ulp\n", ir::OpName(k.op), DTypeName(k.dtype),
                n, max_error);
  }
  EXPECT_EQ(launches, static_cast<int64_t>(checks.size()));
}

// Scans under the emulation: one thread per row walking it in order, and long scans of few
// rows split into chunks whose kernel first reduces the totals before its chunk (the carry),
// then scans the chunk from it. Integer sums and products (wrapping) and float max/min are
// exact, so any error in the chunking or the carries shows.
TEST(CudaEmulationScanTest, RowsAndSplitChunksMatchTheInterpreter) {
  using namespace ::ndjit::runtime::testing;  // NOLINT: the corpus's names, test-only
  struct Spec {
    const char* op;
    const char* type;
    int64_t axis;
  };
  const Spec specs[] = {{"scan_sum", "i64[20001]", 0},   {"scan_prod", "i64[3,20000]", 1},
                        {"scan_max", "i32[20001,2]", 0}, {"scan_min", "f32[5,40000]", 1},
                        {"scan_sum", "i64[40,300]", 0},  {"scan_max", "f64[7,33]", 1},
                        {"scan_sum", "i32[16385]", 0}};
  std::vector<Case> cases;
  uint64_t seed = 3000;
  for (const Spec& sp : specs) {
    const std::string text =
        absl::StrCat("graph @scan {\n  %0 = input[index=0] : ", sp.type, "\n  %1 = ", sp.op,
                     "[axis=", sp.axis, "](%0) : ", sp.type, "\n  return %1\n}\n");
    absl::StatusOr<std::unique_ptr<ir::Graph>> g = ir::ParseGraph(text, "scan");
    ASSERT_TRUE(g.ok()) << g.status() << "\n" << text;
    Case c;
    c.graph = *std::move(g);
    c.specs.push_back(InputSpec{c.graph->node(0)->type()});
    c.seed = seed++;
    c.name = absl::StrCat(sp.op, "_", sp.type);
    cases.push_back(std::move(c));
  }
  KernelSet set;
  for (const Case& c : cases) {
    absl::Status st = cuda_testing::CollectKernels(c, &set);
    ASSERT_TRUE(st.ok()) << c.name << ": " << st;
  }
  // Split scans render a reduction before the loop; every scan kernel runs one thread per point.
  int carried = 0;
  for (const cg::RenderedKernel& r : set.rendered) {
    if (r.text.find("_acc = ") == std::string::npos || r.text.find("scan") == std::string::npos) {
      continue;
    }
    EXPECT_FALSE(r.team) << r.text;
    carried += r.text.find("reduce_sum") != std::string::npos ||
               r.text.find("reduce_max") != std::string::npos;
  }
  EXPECT_GT(carried, 0);
  absl::StatusOr<Emulation> emu = BuildEmulation(set, ::testing::TempDir() + "/ndjit_cuda_scans");
  ASSERT_TRUE(emu.ok()) << emu.status();
  for (LaunchLimits limits : {LaunchLimits{}, LaunchLimits{256, 1, true}}) {
    SCOPED_TRACE(limits.max_threads);
    int64_t launches = 0;
    const runtime::ExecuteOptions options = EmulatedOptions(set, *emu, limits, &launches);
    for (const Case& c : cases) {
      const std::string d = Differ(*c.graph, c.specs, c.seed, options);
      EXPECT_EQ(d, "") << c.name;
    }
    EXPECT_GE(launches, static_cast<int64_t>(cases.size()));
  }
}

}  // namespace
}  // namespace ndjit

// ---- On a device
// ---------------------------------------------------------------------------------

namespace ndjit {
namespace {

// The same corpus through the device backend (runtime/cuda/cuda_backend.h) on GPU 0, where one
// exists (scripts/gpu_test.sh runs it); CUDA's libm differs from glibc's by a few ulps, within
// the corpus's tolerances.
TEST(CudaDeviceTest, CorpusOnTheDeviceMatchesTheInterpreter) {
  absl::StatusOr<runtime::KernelBackend> backend = runtime::cuda::DeviceBackend(0);
  if (!backend.ok()) GTEST_SKIP() << "skipped: no CUDA device (" << backend.status() << ")";
  std::string error;
  const std::vector<runtime::testing::Case> cases = cuda_testing::EmulationCorpus(150, &error);
  ASSERT_EQ(error, "");
  runtime::ExecuteOptions options;
  options.backend = *backend;
  int failures = 0;
  for (const runtime::testing::Case& c : cases) {
    const std::string d = runtime::testing::Differ(*c.graph, c.specs, c.seed, options);
    if (d.empty()) continue;
    ADD_FAILURE() << c.name << ": " << d << "\n" << ir::PrintGraph(*c.graph);
    if (++failures >= 3) break;
  }
  EXPECT_GT(runtime::cuda::GetDeviceCounters().launches, 0);
}

// Without a driver (the development machines): gpu(i) explains, num_gpus() is 0.
TEST(CudaDeviceTest, WithoutADriverGpuThrowsAndNumGpusIsZero) {
  if (runtime::cuda::Driver::Get().ok()) GTEST_SKIP() << "a CUDA driver is present";
  EXPECT_EQ(num_gpus(), 0);
  try {
    gpu(0);
    FAIL() << "gpu(0) should throw without a driver";
  } catch (const NotSupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("gpu(0): no CUDA driver found"), std::string::npos)
        << e.what();
  }
  // Everything else works.
  EXPECT_EQ(nd::ones({3}).asnumpy().data<float>()[2], 1.0f);
}

}  // namespace
}  // namespace ndjit
