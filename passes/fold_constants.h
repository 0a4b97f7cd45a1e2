// fold-constants: replaces a node whose operands are all constants by one constant when its
// result is a splat, with exactly the value the reference interpreter computes.
//
// A `constant` is a splat (every element equals its `value`), so an elementwise op of constants
// is a splat too: it is folded by interpreting the op once on 1-element constants of the same
// dtypes, which reproduces every rule of ops.def (integer wraparound, x // 0, NaN, signed zeros,
// float16/bfloat16 rounding, saturating casts) without a second copy of the arithmetic. Other
// kinds fold when the result is provably a splat:
//  * views (reshape, permute, broadcast, slice, flip) keep the value; pad keeps it when its pad
//    value is the same (Scalar ==, so 0.0 and -0.0 differ) or nothing of the operand is left;
//    concat folds when every non-empty operand has the same value;
//  * reduce_max/min keep the value; integer and bool reduce_sum/prod are value * count and
//    value ** count, wrapping (bool: or / and); every empty reduction is 0 (sum) or 1 (prod);
//  * float reduce_sum/prod fold only where the interpreter's float64 accumulation has a closed
//    form: a sum when every partial sum count' * value is an exact double (value's odd
//    significand times count is at most 2^53) or the value is inf/NaN; a product when the count
//    is 0 or 1 or the value is 0, 1, inf or NaN (either sign). Anything else (0.1 summed a
//    million times) would need the interpreter's loop of `count` roundings, so it stays;
//  * argmax/argmin of a constant is 0 (the first index; a NaN splat also gives 0);
//  * gather folds only when the constant index is in [-n, n): an out-of-range index is a
//    run-time error, and folding must never turn an error into a value.
// Not folded: matmul (a K-term dot product per element, the same float-rounding problem as a
// float sum, and rare on constants), iota and random (not splats), input. The folded constant
// keeps the replaced node's `loc`; operands left unused stay for dce. NaN results are written as
// the quiet NaN the text form reads back: a constant NaN carries no sign, so a folded neg(nan)
// is +nan where the unfolded kernel computes -nan (both NaN; only np.signbit tells them apart).
//
//   before                                   after
//   %0 = constant[value=127] : i8[4]         %0 = constant[value=127] : i8[4]
//   %1 = constant[value=1] : i8[4]           %1 = constant[value=1] : i8[4]
//   %2 = add(%0, %1) : i8[4]                 %2 = constant[value=-128] : i8[4]
//   return %2                                return %2
#ifndef NDJIT_PASSES_FOLD_CONSTANTS_H_
#define NDJIT_PASSES_FOLD_CONSTANTS_H_

#include "passes/pass.h"

namespace ndjit::passes {

class FoldConstants : public Pass {
 public:
  static constexpr std::string_view kName = "fold-constants";
  struct Options {};
  explicit FoldConstants(Options options = {}) {}
  std::string_view name() const override { return kName; }
  absl::StatusOr<bool> Run(ir::Graph& graph) override;
};

}  // namespace ndjit::passes

#endif  // NDJIT_PASSES_FOLD_CONSTANTS_H_
