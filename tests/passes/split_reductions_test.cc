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

TEST(SplitReductionsTest, ScanGolden) {
  const GoldenCase cases[] = {
      {"a long float32 cumsum: chunk totals in float64, each chunk's carry the sum of the totals "
       "before it (masked by position), then every chunk in parallel from its carry",
       R"(graph @g {
            %0 = input[index=0] : f32[16384]
            %1 = scan_sum[axis=0](%0) : f32[16384]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : f32[16384]
            %1 = reshape(%0) : f32[4,4096]
            %2 = cast(%1) : f64[4,4096]
            %3 = reduce_sum[axes=[1]](%2) : f64[4]
            %4 = reshape(%3) : f64[1,4]
            %5 = broadcast(%4) : f64[4,4]
            %6 = iota[axis=0] : i64[4,4]
            %7 = iota[axis=1] : i64[4,4]
            %8 = lt(%7, %6) : bool[4,4]
            %9 = constant[value=0.0] : f64[4,4]
            %10 = select(%8, %5, %9) : f64[4,4]
            %11 = reduce_sum[axes=[1]](%10) : f64[4]
            %12 = cast(%11) : f32[4]
            %13 = scan_sum[axis=0](%0, %12) : f32[16384]
            return %13 })"},
      {"an uneven axis pads the totals with the identity; chunks are ceil(n / chunks) long; an "
       "integer max keeps its dtype, the leading carry is the dtype's lowest value",
       R"(graph @g {
            %0 = input[index=0] : i32[2,20001]
            %1 = scan_max[axis=1](%0) : i32[2,20001]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : i32[2,20001]
            %1 = pad[high=[0,4], low=[0,0], value=-2147483648](%0) : i32[2,20005]
            %2 = reshape(%1) : i32[2,5,4001]
            %3 = reduce_max[axes=[2]](%2) : i32[2,5]
            %4 = reshape(%3) : i32[2,1,5]
            %5 = broadcast(%4) : i32[2,5,5]
            %6 = iota[axis=1] : i64[2,5,5]
            %7 = iota[axis=2] : i64[2,5,5]
            %8 = lt(%7, %6) : bool[2,5,5]
            %9 = constant[value=-2147483648] : i32[2,5,5]
            %10 = select(%8, %5, %9) : i32[2,5,5]
            %11 = reduce_max[axes=[2]](%10) : i32[2,5]
            %12 = scan_max[axis=1](%0, %11) : i32[2,20001]
            return %12 })"},
      {"a scan along a leading axis keeps the trailing axes in its chunks; a float64 product "
       "keeps its dtype",
       R"(graph @g {
            %0 = input[index=0] : f64[20000,3]
            %1 = scan_prod[axis=0](%0) : f64[20000,3]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : f64[20000,3]
            %1 = reshape(%0) : f64[5,4000,3]
            %2 = reduce_prod[axes=[1]](%1) : f64[5,3]
            %3 = reshape(%2) : f64[1,5,3]
            %4 = broadcast(%3) : f64[5,5,3]
            %5 = iota[axis=0] : i64[5,5,3]
            %6 = iota[axis=1] : i64[5,5,3]
            %7 = lt(%6, %5) : bool[5,5,3]
            %8 = constant[value=1.0] : f64[5,5,3]
            %9 = select(%7, %4, %8) : f64[5,5,3]
            %10 = reduce_prod[axes=[1]](%9) : f64[5,3]
            %11 = scan_prod[axis=0](%0, %10) : f64[20000,3]
            return %11 })"},
      {"beyond 2^24 elements the chunks grow instead of their number (at most 4096 chunks)",
       R"(graph @g {
            %0 = input[index=0] : i64[33554432]
            %1 = scan_sum[axis=0](%0) : i64[33554432]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : i64[33554432]
            %1 = reshape(%0) : i64[4096,8192]
            %2 = reduce_sum[axes=[1]](%1) : i64[4096]
            %3 = reshape(%2) : i64[1,4096]
            %4 = broadcast(%3) : i64[4096,4096]
            %5 = iota[axis=0] : i64[4096,4096]
            %6 = iota[axis=1] : i64[4096,4096]
            %7 = lt(%6, %5) : bool[4096,4096]
            %8 = constant[value=0] : i64[4096,4096]
            %9 = select(%7, %4, %8) : i64[4096,4096]
            %10 = reduce_sum[axes=[1]](%9) : i64[4096]
            %11 = scan_sum[axis=0](%0, %10) : i64[33554432]
            return %11 })"},
      {"negative: many rows already give the kernel parallel points",
       R"(graph @g {
            %0 = input[index=0] : f32[32,20000]
            %1 = scan_sum[axis=1](%0) : f32[32,20000]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : f32[32,20000]
            %1 = scan_sum[axis=1](%0) : f32[32,20000]
            return %1 })"},
      {"negative: a short scan is one kernel",
       R"(graph @g {
            %0 = input[index=0] : f32[8192]
            %1 = scan_sum[axis=0](%0) : f32[8192]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : f32[8192]
            %1 = scan_sum[axis=0](%0) : f32[8192]
            return %1 })"},
  };
  for (const GoldenCase& c : cases) ExpectGolden("split-reductions", c);
}

}  // namespace
}  // namespace ndjit::passes
