// The CPU prelude's vector math (codegen/prelude.cc) against its accuracy contract
// (codegen/prelude_abi.h: VectorMathUlpBound): every float16 and bfloat16 input and 2^24 float32
// inputs with the special values, through kernels the CPU JIT compiles, for exp, expm1, log, tanh
// and erf; pow (glibc's powf, libmvec's in vector loops) on sampled pairs; and
// `--vector-math=glibc` (ir::Kernel::glibc_math), which calls glibc's functions.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "codegen/cpu/cpu_backend.h"
#include "codegen/lower.h"
#include "codegen/prelude_abi.h"
#include "gtest/gtest.h"
#include "ir/parser.h"
#include "ir/status_macros.h"
#include "passes/fusion.h"
#include "tests/codegen/vector_math_check.h"

namespace ndjit {
namespace {

using testing::CheckVectorMath;
using testing::VectorMathInputs;

struct Compiled {
  codegen::LoweredKernel lowered;
  codegen::cpu::CompiledKernel code;
};

// `op` over a 1-d input of `n` elements of `dtype`, compiled for the CPU.
absl::StatusOr<Compiled> CompileUnary(ir::Op op, DType dtype, int64_t n, bool glibc) {
  const std::string type = absl::StrCat(ir::DTypeShortName(dtype), "[", n, "]");
  absl::StatusOr<std::unique_ptr<ir::Graph>> g = ir::ParseGraph(
      absl::StrCat("graph @g {\n  %0 = input[index=0] : ", type, "\n  %1 = ", ir::OpName(op),
                   "(%0) : ", type, "\n  return %1\n}\n"));
  if (!g.ok()) return g.status();
  const passes::FusionPlan plan = passes::PlanFusion(**g, passes::FusionOptions{}, {});
  codegen::LowerOptions lower;
  lower.glibc_math = glibc;
  Compiled out;
  ASSIGN_OR_RETURN(out.lowered, codegen::LowerGroup(**g, plan, 0, lower));
  codegen::cpu::CompileOptions options;
  options.keep_llvm_ir = true;
  ASSIGN_OR_RETURN(out.code, codegen::cpu::Compile(out.lowered.kernel, options));
  return out;
}

// Whether some line of `llvm_ir` calls a function of libmvec's vector ABI on a vector.
bool CallsVectorFunction(const std::string& llvm_ir) {
  for (const absl::string_view line : absl::StrSplit(llvm_ir, '\n')) {
    if (absl::StrContains(line, "call <") && absl::StrContains(line, "@_ZGV")) return true;
  }
  return false;
}

// pow(x, y) over two 1-d inputs of `n` elements of `dtype`, compiled for the CPU.
absl::StatusOr<Compiled> CompilePow(DType dtype, int64_t n) {
  const std::string type = absl::StrCat(ir::DTypeShortName(dtype), "[", n, "]");
  absl::StatusOr<std::unique_ptr<ir::Graph>> g = ir::ParseGraph(
      absl::StrCat("graph @g {\n  %0 = input[index=0] : ", type, "\n  %1 = input[index=1] : ", type,
                   "\n  %2 = pow(%0, %1) : ", type, "\n  return %2\n}\n"));
  if (!g.ok()) return g.status();
  const passes::FusionPlan plan = passes::PlanFusion(**g, passes::FusionOptions{}, {});
  Compiled out;
  ASSIGN_OR_RETURN(out.lowered, codegen::LowerGroup(**g, plan, 0, codegen::LowerOptions{}));
  codegen::cpu::CompileOptions options;
  options.keep_llvm_ir = true;
  ASSIGN_OR_RETURN(out.code, codegen::cpu::Compile(out.lowered.kernel, options));
  return out;
}

// Runs the kernel over `inputs` (bit patterns of `dtype`) and returns the results' patterns.
std::vector<uint32_t> RunKernel(const Compiled& k, DType dtype,
                                const std::vector<uint32_t>& inputs) {
  const size_t n = inputs.size();
  std::vector<uint32_t> got(n);
  int64_t status[3] = {0, 0, 0};
  if (dtype == DType::kFloat32) {
    std::vector<uint32_t> out(n);
    void* buffers[] = {out.data(), const_cast<uint32_t*>(inputs.data())};
    k.code.fn(buffers, k.lowered.params.data(), status, 0, static_cast<int64_t>(n));
    return out;
  }
  std::vector<uint16_t> in16(inputs.begin(), inputs.end()), out16(n);
  void* buffers[] = {out16.data(), in16.data()};
  k.code.fn(buffers, k.lowered.params.data(), status, 0, static_cast<int64_t>(n));
  return std::vector<uint32_t>(out16.begin(), out16.end());
}

// Runs pow's kernel over the pairs of `in` (bit patterns of `dtype`); the results' patterns.
std::vector<uint32_t> RunPow(const Compiled& k, DType dtype, const testing::PowInputs& in) {
  const size_t n = in.x.size();
  int64_t status[3] = {0, 0, 0};
  if (dtype == DType::kFloat32) {
    std::vector<uint32_t> out(n);
    void* buffers[] = {out.data(), const_cast<uint32_t*>(in.x.data()),
                       const_cast<uint32_t*>(in.y.data())};
    k.code.fn(buffers, k.lowered.params.data(), status, 0, static_cast<int64_t>(n));
    return out;
  }
  std::vector<uint16_t> x16(in.x.begin(), in.x.end()), y16(in.y.begin(), in.y.end()), out16(n);
  void* buffers[] = {out16.data(), x16.data(), y16.data()};
  k.code.fn(buffers, k.lowered.params.data(), status, 0, static_cast<int64_t>(n));
  return std::vector<uint32_t>(out16.begin(), out16.end());
}

TEST(VectorMath, EveryResultIsWithinItsBound) {
  for (const DType dtype : testing::kVectorMathDTypes) {
    const std::vector<uint32_t> inputs = VectorMathInputs(dtype);
    for (const ir::Op op : testing::kVectorMathOps) {
      absl::StatusOr<Compiled> k =
          CompileUnary(op, dtype, static_cast<int64_t>(inputs.size()), false);
      ASSERT_TRUE(k.ok()) << k.status();
      // The prelude's own code: no libm or libmvec call is left.
      EXPECT_FALSE(absl::StrContains(k->code.llvm_ir, absl::StrCat("@", ir::OpName(op), "f(")))
          << ir::OpName(op);
      EXPECT_FALSE(absl::StrContains(k->code.llvm_ir, "_ZGV")) << ir::OpName(op);
      const std::vector<uint32_t> got = RunKernel(*k, dtype, inputs);
      double max_error = 0;
      EXPECT_EQ(CheckVectorMath(op, dtype, inputs, got, codegen::VectorMathUlpBound(op, dtype),
                                &max_error),
                "");
      std::printf("%-6s %-9s %zu inputs: max error %.3f ulp (bound %.2f)\n", ir::OpName(op),
                  DTypeName(dtype), inputs.size(), max_error,
                  codegen::VectorMathUlpBound(op, dtype));
    }
  }
}

// pow is glibc's (libmvec's powf in vector loops): checked against its documented bound on
// float32 pairs, and, for the 16-bit floats, every x with 64 exponents each (every pair of
// bit patterns: a large test below).
TEST(VectorMath, PowIsWithinItsBound) {
  for (const DType dtype : testing::kVectorMathDTypes) {
    const testing::PowInputs in = testing::MakePowInputs(dtype);
    absl::StatusOr<Compiled> k = CompilePow(dtype, static_cast<int64_t>(in.x.size()));
    ASSERT_TRUE(k.ok()) << k.status();
    // Vectorized: a call of libmvec's powf on a vector (x86-64 vector ABI names start with _ZGV;
    // the declarations alone are in every kernel's module).
    EXPECT_TRUE(CallsVectorFunction(k->code.llvm_ir)) << DTypeName(dtype);
    const double bound = codegen::VectorMathUlpBound(ir::Op::kPow, dtype);
    double max_error = 0;
    EXPECT_EQ(testing::CheckPow(dtype, in, RunPow(*k, dtype, in), bound, &max_error), "");
    std::printf("pow    %-9s %zu pairs: max error %.3f ulp (bound %.2f)\n", DTypeName(dtype),
                in.x.size(), max_error, bound);
  }
}

// Every pair of float16 and of bfloat16 bit patterns (2^32 each), in chunks of 256 x values
// with every y. A large test: it runs only with NDJIT_LARGE_TESTS=1.
TEST(VectorMath, PowOverEvery16BitPairIsWithinItsBound) {
  const char* large = std::getenv("NDJIT_LARGE_TESTS");
  if (large == nullptr || std::string(large) != "1") {
    GTEST_SKIP() << "a large test: set NDJIT_LARGE_TESTS=1 to run it";
  }
  constexpr uint32_t kXsPerChunk = 256;
  // Each thread holds about 290 MiB of pairs and results.
  const int threads = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 8u));
  for (const DType dtype : {DType::kFloat16, DType::kBFloat16}) {
    absl::StatusOr<Compiled> k = CompilePow(dtype, int64_t{kXsPerChunk} * 65536);
    ASSERT_TRUE(k.ok()) << k.status();
    const double bound = codegen::VectorMathUlpBound(ir::Op::kPow, dtype);
    std::vector<double> worst(threads, 0.0);
    std::vector<std::string> failure(threads);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        testing::PowInputs in;
        in.x.resize(kXsPerChunk * 65536);
        in.y.resize(kXsPerChunk * 65536);
        for (uint32_t first = t * kXsPerChunk; first < 65536; first += threads * kXsPerChunk) {
          for (uint32_t i = 0; i < kXsPerChunk * 65536; ++i) {
            in.x[i] = first + i / 65536;
            in.y[i] = i % 65536;
          }
          double max_error = 0;
          const std::string d =
              testing::CheckPow(dtype, in, RunPow(*k, dtype, in), bound, &max_error);
          if (!d.empty() && failure[t].empty()) failure[t] = d;
          worst[t] = std::max(worst[t], max_error);
        }
      });
    }
    for (std::thread& t : pool) t.join();
    for (const std::string& f : failure) EXPECT_EQ(f, "");
    std::printf("pow    %-9s all 2^32 pairs: max error %.3f ulp (bound %.2f)\n", DTypeName(dtype),
                *std::max_element(worst.begin(), worst.end()), bound);
    std::fflush(stdout);
  }
}

// Every one of the 2^32 float32 inputs, in chunks of 2^24: the measured maxima in ir/ops.def's
// header come from this test. A large test (about eight minutes on 2 cores, most of it computing
// the exact results in double): it runs only with NDJIT_LARGE_TESTS=1.
TEST(VectorMath, EveryFloat32InputIsWithinItsBound) {
  const char* large = std::getenv("NDJIT_LARGE_TESTS");
  if (large == nullptr || std::string(large) != "1") {
    GTEST_SKIP() << "a large test: set NDJIT_LARGE_TESTS=1 to run it";
  }
  constexpr int64_t kChunk = int64_t{1} << 24;
  constexpr int kChunks = 256;  // 2^32 inputs
  const int threads = std::max(1u, std::thread::hardware_concurrency());
  // NDJIT_VECTOR_MATH_OP=NAME (e.g. erf) checks that op alone.
  const char* only = std::getenv("NDJIT_VECTOR_MATH_OP");
  for (const ir::Op op : testing::kVectorMathOps) {
    if (only != nullptr && *only != '\0' && std::string(only) != ir::OpName(op)) continue;
    absl::StatusOr<Compiled> k = CompileUnary(op, DType::kFloat32, kChunk, false);
    ASSERT_TRUE(k.ok()) << k.status();
    const double bound = codegen::VectorMathUlpBound(op, DType::kFloat32);
    // Chunks are shared out among threads; each keeps its worst error and first failure.
    std::vector<double> worst(threads, 0.0);
    std::vector<std::string> failure(threads);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        std::vector<uint32_t> inputs(kChunk);
        for (int c = t; c < kChunks; c += threads) {
          const uint64_t start = static_cast<uint64_t>(c) * kChunk;
          for (int64_t i = 0; i < kChunk; ++i) inputs[i] = static_cast<uint32_t>(start + i);
          double max_error = 0;
          const std::string d =
              CheckVectorMath(op, DType::kFloat32, inputs, RunKernel(*k, DType::kFloat32, inputs),
                              bound, &max_error);
          if (!d.empty() && failure[t].empty()) failure[t] = d;
          worst[t] = std::max(worst[t], max_error);
        }
      });
    }
    for (std::thread& t : pool) t.join();
    for (const std::string& f : failure) EXPECT_EQ(f, "");
    std::printf("%-6s float32 all 2^32 inputs: max error %.3f ulp (bound %.2f)\n", ir::OpName(op),
                *std::max_element(worst.begin(), worst.end()), bound);
    std::fflush(stdout);
  }
}

// --vector-math=glibc: the kernel is marked, calls glibc's functions (vectorized by libmvec
// where it is present), and its results are glibc's: within libmvec's documented 4 ulps.
TEST(VectorMath, GlibcModeCallsGlibc) {
  const std::vector<uint32_t> inputs = VectorMathInputs(DType::kFloat32, 1 << 20);
  for (const ir::Op op : testing::kVectorMathOps) {
    absl::StatusOr<Compiled> k =
        CompileUnary(op, DType::kFloat32, static_cast<int64_t>(inputs.size()), true);
    ASSERT_TRUE(k.ok()) << k.status();
    EXPECT_TRUE(k->lowered.kernel.glibc_math);
    EXPECT_TRUE(absl::StrContains(ir::PrintKernel(k->lowered.kernel), " math glibc {"));
    const std::string scalar = absl::StrCat("@", ir::OpName(op), "f(");
    EXPECT_TRUE(absl::StrContains(k->code.llvm_ir, scalar) ||
                absl::StrContains(k->code.llvm_ir, absl::StrCat("_", ir::OpName(op), "f(")))
        << ir::OpName(op);
    double max_error = 0;
    EXPECT_EQ(CheckVectorMath(op, DType::kFloat32, inputs, RunKernel(*k, DType::kFloat32, inputs),
                              4.0, &max_error),
              "");
  }
  // Kernels without these ops are not marked: their text (the cache key) is the same in both
  // modes.
  absl::StatusOr<Compiled> sqrt = CompileUnary(ir::Op::kSqrt, DType::kFloat32, 16, true);
  ASSERT_TRUE(sqrt.ok()) << sqrt.status();
  EXPECT_FALSE(sqrt->lowered.kernel.glibc_math);
}

}  // namespace
}  // namespace ndjit
