// canonicalize-views: folds a view of a view of the same op into one view and drops views that
// leave their operand as it is.
//
// Views only move elements, so every rewrite is exact. Chains of the same op compose:
// reshape(reshape(x)) and broadcast(broadcast(x)) keep the outer result type, permute(permute(x))
// composes the perms, slice(slice(x)) the starts and steps, flip(flip(x)) the axes (an axis
// flipped twice cancels). A reshape or broadcast to the operand's own type, an identity perm, a
// slice reading every element in order, a flip over axes of size 0 or 1 only, and a pad of zero
// width are replaced by their operand. A composed view has the outer node's type and loc; the
// inner view stays in the graph (another user may need it; dce removes it otherwise). Views of
// different ops (reshape of a permute, flip of a slice, pad of a pad) are left alone.
//
//   before                                        after
//   %0 = input[index=0] : f32[2,3]                %0 = input[index=0] : f32[2,3]
//   %1 = permute[perm=[1,0]](%0) : f32[3,2]       %1 = permute[perm=[1,0]](%0) : f32[3,2]
//   %2 = permute[perm=[1,0]](%1) : f32[2,3]       %2 = exp(%0) : f32[2,3]
//   %3 = exp(%2) : f32[2,3]                       return %2
//   return %3
#ifndef NDJIT_PASSES_CANONICALIZE_VIEWS_H_
#define NDJIT_PASSES_CANONICALIZE_VIEWS_H_

#include "passes/pass.h"

namespace ndjit::passes {

class CanonicalizeViews : public Pass {
 public:
  static constexpr std::string_view kName = "canonicalize-views";
  struct Options {};
  explicit CanonicalizeViews(Options options = {}) {}
  std::string_view name() const override { return kName; }
  absl::StatusOr<bool> Run(ir::Graph& graph) override;
};

}  // namespace ndjit::passes

#endif  // NDJIT_PASSES_CANONICALIZE_VIEWS_H_
