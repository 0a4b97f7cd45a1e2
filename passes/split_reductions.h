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
//
// A long scan with few independent rows (the cumsum of one long vector) is split the same way:
// its axis is cut into chunks of about `scan_chunk` elements (at most `max_scan_chunks`), each
// chunk is totalled (a parallel reduction), and the scan's carry form (ops.def) runs every chunk
// in parallel from its carry, the combination of the totals before it: a reduction of the
// totals masked by position, which fusion computes in the scan's kernel once per chunk. The
// chunks depend only on the sizes. Float sums total and carry in float64 (16-bit float products
// in float32). Two kernels, which read the operand twice and write the result once.
//
//   %1 = scan_sum[axis=0](%0) : f32[16384]      %1 = reshape(%0) : f32[4,4096]
//                                               %2 = cast(%1) : f64[4,4096]
//                                               %3 = reduce_sum[axes=[1]](%2) : f64[4]
//                                               %4 = reshape(%3) : f64[1,4]
//                                               %5 = broadcast(%4) : f64[4,4]     [j, k]
//                                               %6, %7 = iota j, k; %8 = lt(%7, %6)
//                                               %9 = constant 0.0; %10 = select(%8, %5, %9)
//                                               %11 = reduce_sum[axes=[1]](%10) : f64[4]
//                                               %12 = cast(%11) : f32[4]
//                                               %13 = scan_sum[axis=0](%0, %12) : f32[16384]
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
  // Scans along at least `min_scanned` elements in at most `max_scan_rows` independent rows are
  // cut into chunks of about `scan_chunk` elements (0: scans are never split), at most
  // `max_scan_chunks` of them (longer chunks beyond 2^24 elements).
  int64_t min_scanned = int64_t{1} << 14;
  int64_t max_scan_rows = 16;
  int64_t scan_chunk = int64_t{1} << 12;
  int64_t max_scan_chunks = int64_t{1} << 12;
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
  absl::StatusOr<ir::Node*> SplitScan(const ir::Node& n, GraphRewriter& rewriter) const;
  Options options_;
};

}  // namespace ndjit::passes

#endif  // NDJIT_PASSES_SPLIT_REDUCTIONS_H_
