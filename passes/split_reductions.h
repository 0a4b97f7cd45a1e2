// split-reductions: gives a large reduction with few results a parallel first stage.
//
// A sum, prod, max or min over trailing axes whose result has at most `max_outputs` elements and
// reduces at least `min_reduced` elements per result is computed in two stages: the reduced
// elements are viewed as [parts, chunk] (padded with the reduction's identity when they do not
// divide evenly), each part is reduced on its own (the `parts` partial results are computed in
// parallel, one kernel point each), and the partials are reduced again. The split depends only on
// the sizes, never on the thread count, so results are the same on any number of threads.
// float16/bfloat16 sums and products keep float32 partials; float32 and 16-bit sums combine their
// partials in float64. It is a codegen strategy, run by the compiled backend before fusion
// planning, not part of the default pipeline.
//
//   before                                      after
//   %1 = reduce_sum[axes=[0]](%0) : f32[]       %1 = reshape(%0) : f32[64,262144]
//     (%0 : f32[16777216])                      %2 = reduce_sum[axes=[1]](%1) : f32[64]
//                                               %3 = cast(%2) : f64[64]
//                                               %4 = reduce_sum[axes=[0]](%3) : f64[]
//                                               %5 = cast(%4) : f32[]
#ifndef NDJIT_PASSES_SPLIT_REDUCTIONS_H_
#define NDJIT_PASSES_SPLIT_REDUCTIONS_H_

#include <cstdint>

#include "passes/pass.h"

namespace ndjit::passes {

struct SplitReductionsOptions {
  int64_t max_outputs = 4;                 // results of the reduction, at most
  int64_t min_reduced = int64_t{1} << 17;  // elements reduced per result, at least
  int64_t parts = 64;                      // first-stage partial results per result
  int64_t min_chunk = int64_t{1} << 12;    // elements per part, at least (fewer parts if needed)
};

class SplitReductions : public Pass {
 public:
  static constexpr std::string_view kName = "split-reductions";
  using Options = SplitReductionsOptions;
  explicit SplitReductions(Options options = {}) : options_(options) {}
  std::string_view name() const override { return kName; }
  absl::StatusOr<bool> Run(ir::Graph& graph) override;
  // Whether Run would change `graph` (cheap; no copy).
  static bool Applies(const ir::Graph& graph, const Options& options = {});

 private:
  static bool Splits(const ir::Node& n, const Options& options);
  Options options_;
};

}  // namespace ndjit::passes

#endif  // NDJIT_PASSES_SPLIT_REDUCTIONS_H_
