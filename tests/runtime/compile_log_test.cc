// Compile reasons at the executor: the op-by-op rerun of a graph whose fused kernels failed. The
// other reasons, and the warning, are tested through the public API in
// tests/frontend/compile_reasons_test.cc.
#include "runtime/compile_log.h"

#include "gtest/gtest.h"
#include "ir/host_tensor.h"
#include "ir/parser.h"
#include "runtime/executor.h"

namespace ndjit::runtime {
namespace {

TEST(CompileLog, TheOpByOpRerunOfAFailedFusedGraphIsItsReason) {
  ForgetCompileHistoryForTesting();
  auto g = ir::ParseGraph(R"(graph @g {
      %0 = input[index=0] : f32[16]
      %1 = log1p(%0) : f32[16]
      %2 = expm1(%1) : f32[16]
      return %2 })");
  ASSERT_TRUE(g.ok()) << g.status();
  ir::HostTensor x(ir::TensorType{DType::kFloat32, {16}});
  for (int i = 0; i < 16; ++i) x.data_as<float>()[i] = static_cast<float>(i);
  ExecuteOptions options;
  options.fail_fused_kernels_for_testing = true;
  ASSERT_TRUE(ExecuteCompiled(**g, {x}, options).ok());
  const std::vector<CompileRecord> records = CompileRecords();
  ASSERT_EQ(records.size(), 2u);  // log1p and expm1, one kernel each
  for (const CompileRecord& r : records) {
    EXPECT_EQ(r.reason, CompileReason::kUnfusedRetry) << r.kernel;
    EXPECT_EQ(r.detail, "the fused kernels of its graph failed to compile");
    EXPECT_EQ(r.site, "unknown");
  }
  // The same graph fused: a new structure (the fused kernel was never compiled).
  ASSERT_TRUE(ExecuteCompiled(**g, {x}, ExecuteOptions{}).ok());
  ASSERT_EQ(CompileRecords().size(), 3u);
  EXPECT_EQ(CompileRecords()[2].reason, CompileReason::kNewStructure);
}

}  // namespace
}  // namespace ndjit::runtime
