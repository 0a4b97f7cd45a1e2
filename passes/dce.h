// dce: dead-code elimination. Removes every node that no output needs. Input leaves stay (they
// are bound by index), so the graph's inputs never change.
//
//   before                                   after
//   %0 = input[index=0] : f32[4]             %0 = input[index=0] : f32[4]
//   %1 = exp(%0) : f32[4]                    %1 = log(%0) : f32[4]
//   %2 = log(%0) : f32[4]                    return %1
//   return %2
#ifndef NDJIT_PASSES_DCE_H_
#define NDJIT_PASSES_DCE_H_

#include "passes/pass.h"

namespace ndjit::passes {

class DeadCodeElimination : public Pass {
 public:
  static constexpr std::string_view kName = "dce";
  struct Options {};
  explicit DeadCodeElimination(Options options = {}) {}
  std::string_view name() const override { return kName; }
  absl::StatusOr<bool> Run(ir::Graph& graph) override;
};

}  // namespace ndjit::passes

#endif  // NDJIT_PASSES_DCE_H_
