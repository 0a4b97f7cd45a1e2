// cse: common-subexpression elimination. Two nodes with the same op, type, attributes and
// operands compute the same values (every op is a pure function of those; `random` is
// counter-based), so later ones are replaced by the first. Input leaves are never merged.
//
//   before                                   after
//   %0 = input[index=0] : f32[4]             %0 = input[index=0] : f32[4]
//   %1 = exp(%0) : f32[4]                    %1 = exp(%0) : f32[4]
//   %2 = exp(%0) : f32[4]                    %2 = add(%1, %1) : f32[4]
//   %3 = add(%1, %2) : f32[4]                return %2
//   return %3
#ifndef NDJIT_PASSES_CSE_H_
#define NDJIT_PASSES_CSE_H_

#include "passes/pass.h"

namespace ndjit::passes {

class CommonSubexpressionElimination : public Pass {
 public:
  static constexpr std::string_view kName = "cse";
  struct Options {};
  explicit CommonSubexpressionElimination(Options options = {}) {}
  std::string_view name() const override { return kName; }
  absl::StatusOr<bool> Run(ir::Graph& graph) override;
};

}  // namespace ndjit::passes

#endif  // NDJIT_PASSES_CSE_H_
