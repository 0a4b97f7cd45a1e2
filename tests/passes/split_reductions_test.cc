// Golden tests of split-reductions: each case states the rule it checks.
#include "passes/split_reductions.h"

#include "tests/passes/pass_test_util.h"

namespace ndjit::passes {
namespace {

using testing::ExpectGolden;
using testing::GoldenCase;

TEST(SplitReductionsTest, Golden) {
  const GoldenCase cases[] = {
      {"a full reduction of 2^20 elements becomes 64 parallel partial sums combined in float64",
       R"(graph @g {
            %0 = input[index=0] : f32[1048576]
            %1 = reduce_sum[axes=[0]](%0) : f32[]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : f32[1048576]
            %1 = reshape(%0) : f32[64,16384]
            %2 = reduce_sum[axes=[1]](%1) : f32[64]
            %3 = cast(%2) : f64[64]
            %4 = reduce_sum[axes=[0]](%3) : f64[]
            %5 = cast(%4) : f32[]
            return %5 })"},
      {"trailing axes are flattened; an uneven split pads with the identity (max: -inf)",
       R"(graph @g {
            %0 = input[index=0] : f32[2,1000,301]
            %1 = reduce_max[axes=[1,2]](%0) : f32[2]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : f32[2,1000,301]
            %1 = reshape(%0) : f32[2,301000]
            %2 = pad[high=[0,56], low=[0,0], value=-inf](%1) : f32[2,301056]
            %3 = reshape(%2) : f32[2,64,4704]
            %4 = reduce_max[axes=[2]](%3) : f32[2,64]
            %5 = reduce_max[axes=[1]](%4) : f32[2]
            return %5 })"},
      {"float16 sums keep float32 partials, combined in float64",
       R"(graph @g {
            %0 = input[index=0] : f16[262144]
            %1 = reduce_sum[axes=[0]](%0) : f16[]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : f16[262144]
            %1 = reshape(%0) : f16[64,4096]
            %2 = cast(%1) : f32[64,4096]
            %3 = reduce_sum[axes=[1]](%2) : f32[64]
            %4 = cast(%3) : f64[64]
            %5 = reduce_sum[axes=[0]](%4) : f64[]
            %6 = cast(%5) : f16[]
            return %6 })"},
      {"negative: a product of float32 is split without the float64 combine (it would change "
       "overflow to infinity into a finite result)",
       R"(graph @g {
            %0 = input[index=0] : f32[2,131072]
            %1 = reduce_prod[axes=[1]](%0) : f32[2]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : f32[2,131072]
            %1 = reshape(%0) : f32[2,32,4096]
            %2 = reduce_prod[axes=[2]](%1) : f32[2,32]
            %3 = reduce_prod[axes=[1]](%2) : f32[2]
            return %3 })"},
      {"negative: reduced axes that are not trailing are left alone",
       R"(graph @g {
            %0 = input[index=0] : f32[1048576,2]
            %1 = reduce_sum[axes=[0]](%0) : f32[2]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : f32[1048576,2]
            %1 = reduce_sum[axes=[0]](%0) : f32[2]
            return %1 })"},
      {"negative: many results already give the kernel parallel points",
       R"(graph @g {
            %0 = input[index=0] : f32[4096,1024]
            %1 = reduce_sum[axes=[1]](%0) : f32[4096]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : f32[4096,1024]
            %1 = reduce_sum[axes=[1]](%0) : f32[4096]
            return %1 })"},
      {"negative: argmax is not split (its partial results would need their positions)",
       R"(graph @g {
            %0 = input[index=0] : f32[1048576]
            %1 = argmax[axis=0](%0) : i64[]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : f32[1048576]
            %1 = argmax[axis=0](%0) : i64[]
            return %1 })"},
  };
  for (const GoldenCase& c : cases) ExpectGolden("split-reductions", c);
}

}  // namespace
}  // namespace ndjit::passes
