// The CPU backend on its own (codegen/cpu/): compiles are independent of the thread that runs
// them, and LoadObject's checks on the objects it links.
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
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
