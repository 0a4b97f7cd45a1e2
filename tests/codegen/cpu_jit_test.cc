// The CPU backend on its own (codegen/cpu/): compiles are independent of the thread that runs
// them, LoadObject's checks on the objects it links, and streaming stores.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "codegen/cpu/cpu_backend.h"
#include "codegen/lower.h"
#include "gtest/gtest.h"
#include "ir/parser.h"
#include "passes/fusion.h"

namespace ndjit {
namespace {

// Compiling on several threads at once gives the same object code as compiling one kernel at a
// time (each compile has its own LLVM context and target machine; nothing is shared but the
// final link), so a parallel cold start computes what a serial one does, bit for bit.
TEST(ParallelCompile, ObjectsAreBitIdenticalToSerialCompiles) {
  auto g = ir::ParseGraph(R"(graph @g {
      %0 = input[index=0] : f32[64,32]
      %1 = input[index=1] : f16[64,32]
      %2 = exp(%0) : f32[64,32]
      %3 = reduce_max[axes=[1]](%2) : f32[64]
      %4 = cast(%1) : f32[64,32]
      %5 = tanh(%4) : f32[64,32]
      %6 = reduce_sum[axes=[0]](%5) : f32[32]
      %7 = permute[perm=[1,0]](%0) : f32[32,64]
      %8 = matmul(%0, %7) : f32[64,64]
      %9 = scan_sum[axis=1](%4) : f32[64,32]
      return %3, %6, %8, %9 })");
  ASSERT_TRUE(g.ok()) << g.status();
  const passes::FusionPlan plan = passes::PlanFusion(**g, passes::FusionOptions{}, {});
  std::vector<ir::Kernel> kernels;
  for (int i = 0; i < static_cast<int>(plan.groups.size()); ++i) {
    absl::StatusOr<codegen::LoweredKernel> k = codegen::LowerGroup(**g, plan, i);
    ASSERT_TRUE(k.ok()) << k.status();
    kernels.push_back(k->kernel);
  }
  ASSERT_GE(kernels.size(), 4u);
  auto options = [](size_t i) {
    codegen::cpu::CompileOptions o;
    o.keep_object = true;
    o.symbol = "ndjit_parallel_compile_test_" + std::to_string(i);
    return o;
  };
  std::vector<std::string> serial, parallel(kernels.size());
  for (size_t i = 0; i < kernels.size(); ++i) {
    absl::StatusOr<codegen::cpu::CompiledKernel> c = codegen::cpu::Compile(kernels[i], options(i));
    ASSERT_TRUE(c.ok()) << c.status();
    serial.push_back(c->object);
  }
  std::vector<std::thread> threads;
  for (size_t i = 0; i < kernels.size(); ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<codegen::cpu::CompiledKernel> c =
          codegen::cpu::Compile(kernels[i], options(i));
      if (c.ok()) parallel[i] = c->object;
    });
  }
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < kernels.size(); ++i) {
    EXPECT_FALSE(serial[i].empty()) << kernels[i].name;
    EXPECT_TRUE(serial[i] == parallel[i]) << kernels[i].name;
  }
}

// LoadObject links only an object that defines the kernel's symbol and nothing else global.
TEST(LoadObject, TakesOnlyAnObjectThatDefinesItsSymbolAlone) {
  auto g = ir::ParseGraph(R"(graph @g {
      %0 = input[index=0] : f32[8]
      %1 = sqrt(%0) : f32[8]
      return %1 })");
  ASSERT_TRUE(g.ok()) << g.status();
  const passes::FusionPlan plan = passes::PlanFusion(**g, passes::FusionOptions{}, {});
  absl::StatusOr<codegen::LoweredKernel> k = codegen::LowerGroup(**g, plan, 0);
  ASSERT_TRUE(k.ok()) << k.status();
  codegen::cpu::CompileOptions options;
  options.keep_object = true;
  options.symbol = "ndjit_load_object_test";
  absl::StatusOr<codegen::cpu::CompiledKernel> c = codegen::cpu::Compile(k->kernel, options);
  ASSERT_TRUE(c.ok()) << c.status();
  // Its own symbol: the code linked already.
  absl::StatusOr<codegen::cpu::KernelFn> same = codegen::cpu::LoadObject(c->object, options.symbol);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(*same, c->fn);
  absl::StatusOr<codegen::cpu::KernelFn> other =
      codegen::cpu::LoadObject(c->object, "ndjit_some_other_kernel");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().message(), "an object that defines ndjit_load_object_test");
  absl::StatusOr<codegen::cpu::KernelFn> garbage = codegen::cpu::LoadObject(
      "\x7f"
      "ELF but not really",
      "ndjit_x");
  ASSERT_FALSE(garbage.ok());
  EXPECT_TRUE(absl::StartsWith(garbage.status().message(), "not an object file: "))
      << garbage.status();
}

}  // namespace
}  // namespace ndjit

namespace ndjit {
namespace {

// Lowers the single kernel of `text` with streaming stores from `stream_bytes` on (and
// prefetches unless `prefetch` is false), and compiles it keeping its optimized LLVM IR.
struct Streamed {
  codegen::LoweredKernel lowered;
  codegen::cpu::CompiledKernel compiled;
};
Streamed CompileStreamed(const std::string& text, int64_t stream_bytes, bool prefetch = true) {
  Streamed out;
  auto g = ir::ParseGraph(text);
  EXPECT_TRUE(g.ok()) << g.status();
  if (!g.ok()) return out;
  const passes::FusionPlan plan = passes::PlanFusion(**g, passes::FusionOptions{}, {});
  EXPECT_EQ(plan.groups.size(), 1u);
  codegen::LowerOptions lower;
  lower.streaming_store_bytes = stream_bytes;
  lower.prefetch = prefetch;
  absl::StatusOr<codegen::LoweredKernel> k = codegen::LowerGroup(**g, plan, 0, lower);
  EXPECT_TRUE(k.ok()) << k.status();
  if (!k.ok()) return out;
  out.lowered = *std::move(k);
  codegen::cpu::CompileOptions options;
  options.keep_llvm_ir = true;
  absl::StatusOr<codegen::cpu::CompiledKernel> c =
      codegen::cpu::Compile(out.lowered.kernel, options);
  EXPECT_TRUE(c.ok()) << c.status();
  if (c.ok()) out.compiled = *std::move(c);
  return out;
}

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A kernel that computes an expensive op asks to be vectorized for the widest registers (on
// AVX-512 hosts: 512 bits rather than LLVM's default 256); memory-bound kernels keep the default.
TEST(VectorWidth, KernelsWithAnExpensiveOpPreferTheFullWidth) {
  const Streamed heavy = CompileStreamed(R"(graph @g {
      %0 = input[index=0] : f32[4096]
      %1 = exp(%0) : f32[4096]
      return %1 })",
                                         0);
  EXPECT_GE(Count(heavy.compiled.llvm_ir, "\"prefer-vector-width\"=\"512\""), 1);
  const Streamed light = CompileStreamed(R"(graph @g {
      %0 = input[index=0] : f32[4096]
      %1 = input[index=1] : f32[4096]
      %2 = mul(%0, %1) : f32[4096]
      return %2 })",
                                         0);
  EXPECT_EQ(Count(light.compiled.llvm_ir, "prefer-vector-width"), 0);
}

// Loads that walk memory contiguously are prefetched 2 KiB ahead (codegen/cpu/prefetch.h), loads
// less than a cache line apart sharing one prefetch; a strided walk (a matrix's column, 2 KiB per
// step) is not, and `--prefetch=0` (LowerOptions::prefetch) marks the kernel and adds none.
TEST(Prefetch, ContiguousLoadsArePrefetchedAheadAndStridedOnesAreNot) {
  const std::string contiguous = R"(graph @g {
      %0 = input[index=0] : f32[65536]
      %1 = input[index=1] : f32[65536]
      %2 = mul(%0, %1) : f32[65536]
      return %2 })";
  const Streamed on = CompileStreamed(contiguous, 0);
  const int prefetches = Count(on.compiled.llvm_ir, "call void @llvm.prefetch");
  EXPECT_GE(prefetches, 2) << on.compiled.llvm_ir;
  // Of an address 2,048 bytes (a whole number of the loop's steps) past its load's; nothing
  // else in the kernel is 2,048 bytes away.
  EXPECT_GE(Count(on.compiled.llvm_ir, ", i64 2048"), 1);
  EXPECT_EQ(ir::PrintKernel(on.lowered.kernel).find("prefetch off"), std::string::npos);
  const Streamed off = CompileStreamed(contiguous, 0, /*prefetch=*/false);
  EXPECT_EQ(Count(off.compiled.llvm_ir, "@llvm.prefetch"), 0);
  EXPECT_EQ(Count(off.compiled.llvm_ir, ", i64 2048"), 0);
  EXPECT_NE(ir::PrintKernel(off.lowered.kernel).find("vars 1 prefetch off {"), std::string::npos)
      << ir::PrintKernel(off.lowered.kernel);
  const Streamed strided = CompileStreamed(R"(graph @g {
      %0 = input[index=0] : f32[4096,512]
      %1 = slice[starts=[0,0], steps=[1,512]](%0) : f32[4096,1]
      %2 = mul(%1, %1) : f32[4096,1]
      return %2 })",
                                           0);
  EXPECT_EQ(Count(strided.compiled.llvm_ir, "@llvm.prefetch"), 0) << strided.compiled.llvm_ir;
}

// A column sum runs tiled, its accumulators in an array on the stack: the input's rows are
// prefetched, the accumulator array (already in the first-level cache) is not.
TEST(Prefetch, TheStackIsNotPrefetched) {
  auto g = ir::ParseGraph(R"(graph @g {
      %0 = input[index=0] : f32[4096,512]
      %1 = reduce_sum[axes=[0]](%0) : f32[512]
      return %1 })");
  ASSERT_TRUE(g.ok()) << g.status();
  const passes::FusionPlan plan = passes::PlanFusion(**g, passes::FusionOptions{}, {});
  absl::StatusOr<codegen::LoweredKernel> k = codegen::LowerGroup(**g, plan, 0, {});
  ASSERT_TRUE(k.ok()) << k.status();
  codegen::cpu::CompileOptions options;
  options.keep_assembly = true;
  absl::StatusOr<codegen::cpu::CompiledKernel> c = codegen::cpu::Compile(k->kernel, options);
  ASSERT_TRUE(c.ok()) << c.status();
  int prefetches = 0;
  for (const absl::string_view line : absl::StrSplit(c->assembly, '\n')) {
    if (!absl::StrContains(line, "prefetch")) continue;
    ++prefetches;
    EXPECT_FALSE(absl::StrContains(line, "%rsp")) << line;
  }
  EXPECT_GE(prefetches, 1) << c->assembly;
}

// The choice is the lowering's, by output size; the code shows it: a large output's kernel
// stores through non-temporal vector stores and fences, a small one's has neither.
TEST(StreamingStores, LargeOutputsStreamAndSmallOnesDoNot) {
  const std::string large = R"(graph @g {
      %0 = input[index=0] : f32[1048576]
      %1 = input[index=1] : f32[1048576]
      %2 = mul(%0, %1) : f32[1048576]
      %3 = add(%2, %1) : f32[1048576]
      return %3 })";
  const std::string small = R"(graph @g {
      %0 = input[index=0] : f32[1000]
      %1 = input[index=1] : f32[1000]
      %2 = mul(%0, %1) : f32[1000]
      %3 = add(%2, %1) : f32[1000]
      return %3 })";
  const int64_t threshold = 1 << 20;  // bytes: the large output is 4 MiB, the small one 4,000
  const Streamed big = CompileStreamed(large, threshold);
  ASSERT_FALSE(big.lowered.kernel.buffers.empty());
  EXPECT_TRUE(big.lowered.kernel.buffers[0].stream);
  EXPECT_TRUE(absl::StrContains(ir::PrintKernel(big.lowered.kernel), "out f32 stream"));
  EXPECT_GE(Count(big.compiled.llvm_ir, "!nontemporal"), 1) << big.compiled.llvm_ir;
  EXPECT_GE(Count(big.compiled.llvm_ir, "@llvm.x86.sse.sfence()"), 1);
  const Streamed little = CompileStreamed(small, threshold);
  ASSERT_FALSE(little.lowered.kernel.buffers.empty());
  EXPECT_FALSE(little.lowered.kernel.buffers[0].stream);
  EXPECT_EQ(Count(little.compiled.llvm_ir, "!nontemporal"), 0);
  EXPECT_EQ(Count(little.compiled.llvm_ir, "sfence"), 0);
  // Off (0), nothing streams at any size.
  const Streamed off = CompileStreamed(large, 0);
  ASSERT_FALSE(off.lowered.kernel.buffers.empty());
  EXPECT_FALSE(off.lowered.kernel.buffers[0].stream);
  EXPECT_EQ(Count(off.compiled.llvm_ir, "!nontemporal"), 0);
  // A kernel that computes an expensive op (here exp) streams too, but only with the prefetches
  // of codegen/cpu/prefetch.h (without them it ran slower streamed).
  const std::string exp = R"(graph @g {
      %0 = input[index=0] : f32[1048576]
      %1 = exp(%0) : f32[1048576]
      return %1 })";
  const Streamed heavy = CompileStreamed(exp, threshold);
  ASSERT_FALSE(heavy.lowered.kernel.buffers.empty());
  EXPECT_TRUE(heavy.lowered.kernel.buffers[0].stream);
  EXPECT_GE(Count(heavy.compiled.llvm_ir, "!nontemporal"), 1);
  const Streamed heavy_unprefetched = CompileStreamed(exp, threshold, /*prefetch=*/false);
  ASSERT_FALSE(heavy_unprefetched.lowered.kernel.buffers.empty());
  EXPECT_FALSE(heavy_unprefetched.lowered.kernel.buffers[0].stream);
  EXPECT_EQ(Count(heavy_unprefetched.compiled.llvm_ir, "!nontemporal"), 0);
  // A memory-bound kernel streams either way.
  const Streamed light_unprefetched = CompileStreamed(large, threshold, /*prefetch=*/false);
  ASSERT_FALSE(light_unprefetched.lowered.kernel.buffers.empty());
  EXPECT_TRUE(light_unprefetched.lowered.kernel.buffers[0].stream);
  // A row kernel (softmax) stores from its row loop and is not marked.
  const Streamed row = CompileStreamed(R"(graph @g {
      %0 = input[index=0] : f32[512,512]
      %1 = reduce_max[axes=[1]](%0) : f32[512]
      %2 = reshape(%1) : f32[512,1]
      %3 = broadcast(%2) : f32[512,512]
      %4 = sub(%0, %3) : f32[512,512]
      return %4 })",
                                       1);
  ASSERT_FALSE(row.lowered.kernel.buffers.empty());
  EXPECT_FALSE(row.lowered.kernel.buffers[0].stream) << ir::PrintKernel(row.lowered.kernel);
}

// Every point is computed once whatever the output's alignment, the row length and the range a
// thread gets: the aligned middle and the two unaligned ends of each row segment cover it. The
// output buffer is placed at every element offset from a 64-byte line.
TEST(StreamingStores, EveryPointIsStoredAtEveryAlignmentAndRange) {
  struct Shape {
    int64_t rows, cols;
  };
  for (const Shape s : {Shape{1, 100003}, Shape{7, 1037}, Shape{33, 16}, Shape{5, 3}}) {
    const std::string dims = s.rows == 1 ? absl::StrCat(s.cols) : absl::StrCat(s.rows, ",", s.cols);
    const Streamed k = CompileStreamed(absl::StrCat(R"(graph @g {
        %0 = input[index=0] : f32[)",
                                                    dims, R"(]
        %1 = input[index=1] : f32[)",
                                                    dims, R"(]
        %2 = mul(%0, %1) : f32[)",
                                                    dims, R"(]
        return %2 })"),
                                       1);
    ASSERT_NE(k.compiled.fn, nullptr);
    ASSERT_TRUE(k.lowered.kernel.buffers[0].stream);
    const int64_t n = s.rows * s.cols;
    std::vector<float> a(n), b(n);
    for (int64_t i = 0; i < n; ++i) {
      a[i] = static_cast<float>(i % 97) * 0.5f;
      b[i] = static_cast<float>(i % 13) - 6.0f;
    }
    std::vector<float> storage(n + 64 + 16);
    float* aligned = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(storage.data()) + 63) &
                                              ~uintptr_t{63});
    for (int offset = 0; offset < 16; ++offset) {
      float* out = aligned + offset;
      std::fill(storage.begin(), storage.end(), -1.0f);
      void* buffers[] = {out, a.data(), b.data()};
      int64_t status[3] = {0, 0, 0};
      // Three ranges of uneven length, as threads would get them.
      const int64_t cut1 = n / 3 + 1, cut2 = std::min(n, 2 * n / 3 + 5);
      for (auto [begin, end] : {std::pair<int64_t, int64_t>{0, cut1}, {cut1, cut2}, {cut2, n}}) {
        k.compiled.fn(buffers, k.lowered.params.data(), status, begin, end);
      }
      EXPECT_EQ(status[0], 0);
      int64_t wrong = 0;
      for (int64_t i = 0; i < n; ++i) wrong += out[i] != a[i] * b[i];
      EXPECT_EQ(wrong, 0) << s.rows << "x" << s.cols << " at offset " << offset;
      // Nothing outside the output was written.
      for (float* p = storage.data(); p < out; ++p) ASSERT_EQ(*p, -1.0f);
      for (float* p = out + n; p < storage.data() + storage.size(); ++p) ASSERT_EQ(*p, -1.0f);
    }
  }
}

// The same for elements of 8, 2 and 1 bytes (a line holds 8, 32 or 64 of them): neg of float64,
// float16 (the sign bit) and int8 (wrapping), over every output offset within a line.
TEST(StreamingStores, EveryElementWidthIsStoredAtEveryAlignment) {
  struct Case {
    const char* dtype;
    int size;
  };
  for (const Case c : {Case{"f64", 8}, Case{"f16", 2}, Case{"i8", 1}}) {
    const int64_t n = 10007;
    const Streamed k = CompileStreamed(
        absl::StrCat("graph @g {\n  %0 = input[index=0] : ", c.dtype, "[", n,
                     "]\n  %1 = neg(%0) : ", c.dtype, "[", n, "]\n  return %1\n}\n"),
        1);
    ASSERT_NE(k.compiled.fn, nullptr) << c.dtype;
    ASSERT_TRUE(k.lowered.kernel.buffers[0].stream) << c.dtype;
    EXPECT_GE(Count(k.compiled.llvm_ir, "!nontemporal"), 1) << c.dtype;
    std::vector<unsigned char> in(n * c.size);
    for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<unsigned char>(i * 37 + 11);
    // No float16 NaN (a signaling one comes back quieted, not just negated): clear the top
    // exponent bit.
    if (c.size == 2) {
      for (size_t i = 1; i < in.size(); i += 2) in[i] &= 0xBF;
    }
    // neg of element i, byte by byte in memory order (little-endian).
    auto expected = [&](int64_t i, unsigned char* out) {
      std::memcpy(out, &in[i * c.size], c.size);
      if (c.size == 1) {
        out[0] = static_cast<unsigned char>(-static_cast<signed char>(out[0]));
      } else if (c.size == 2) {
        out[1] ^= 0x80;  // the float16 sign bit
      } else {
        double v;
        std::memcpy(&v, out, 8);
        v = -v;
        std::memcpy(out, &v, 8);
      }
    };
    std::vector<unsigned char> storage(n * c.size + 128);
    unsigned char* aligned = reinterpret_cast<unsigned char*>(
        (reinterpret_cast<uintptr_t>(storage.data()) + 63) & ~uintptr_t{63});
    for (int offset = 0; offset < 64; offset += c.size) {
      unsigned char* out = aligned + offset;
      std::fill(storage.begin(), storage.end(), 0xAB);
      void* buffers[] = {out, in.data()};
      int64_t status[3] = {0, 0, 0};
      for (auto [begin, end] : {std::pair<int64_t, int64_t>{0, 4001}, {4001, 4002}, {4002, n}}) {
        k.compiled.fn(buffers, k.lowered.params.data(), status, begin, end);
      }
      int64_t wrong = 0;
      unsigned char want[8];
      for (int64_t i = 0; i < n; ++i) {
        expected(i, want);
        wrong += std::memcmp(out + i * c.size, want, c.size) != 0;
      }
      EXPECT_EQ(wrong, 0) << c.dtype << " at byte offset " << offset;
      for (unsigned char* p = storage.data(); p < out; ++p) ASSERT_EQ(*p, 0xAB);
      for (unsigned char* p = out + n * c.size; p < storage.data() + storage.size(); ++p) {
        ASSERT_EQ(*p, 0xAB);
      }
    }
  }
}

}  // namespace
}  // namespace ndjit
