// simplify: algebraic simplification with rewrites that are exact for every input, NaN, +-inf,
// signed zeros and integer wraparound included (checked against ops.def and the interpreter).
//
// A constant operand is a `constant` seen through broadcast and reshape (the frontend records a
// scalar as a constant of the full shape; other producers broadcast a smaller one). A node
// replaced by an existing value just maps its uses to it; a node replaced by a new node (a zero,
// a neg, an abs) gives the new node its `loc`. Operands left unused stay for dce.
//
// Rules (c is a constant; "ints" includes bool where the op allows it, as or/and/xor):
//   x * 1, 1 * x -> x            x * 0, 0 * x -> 0 (ints)        x / 1, x // 1 (ints) -> x
//   x + -0.0, -0.0 + x -> x      x + 0, 0 + x -> x (ints)        pow(x, 1) -> x
//   x - 0.0 -> x                 x - 0 -> x (ints)               pow(x, +-0) -> 1
//   -0.0 - x -> neg(x)           0 - x -> neg(x) (ints)          x - x -> 0 (ints)
//   neg(neg(x)) -> x             not(not(x)) -> x                abs(abs(x)) -> abs(x)
//   abs(neg(x)) -> abs(x) (floats, signed ints)                  select(c, x, x) -> x
//   max/min/and/or(x, x) -> x    xor(x, x) -> 0 (ints)           x & 0, 0 & x -> 0 (ints)
//   eq/le/ge(x, x) -> true, ne/lt/gt(x, x) -> false (ints)       cast(x) to x's dtype -> x
//   cast(cast(x)) -> x when the inner cast widens to a dtype that holds every value of x's
//   (bool -> any; i8, u8 -> i32, i64, f16, bf16, f32, f64; i32 -> i64, f64; f16, bf16 -> f32,
//   f64; f32 -> f64) and the outer one returns to x's dtype.
// Skipped, with an input that breaks each:
//   x + 0.0 -> x (floats): -0.0 + 0.0 == +0.0.      x - (-0.0) -> x: -0.0 - -0.0 == +0.0.
//   0.0 - x -> neg(x): 0.0 - 0.0 == +0.0, neg gives -0.0.
//   x * 0 -> 0 (floats): NaN, inf give NaN; -1 * 0 == -0.0.   x - x -> 0 (floats): inf - inf.
//   x / x -> 1: 0 / 0 is NaN (ints: 0 // 0 == 0).   exp(log(x)) -> x: log(-1) is NaN, rounding.
//   x // 1 -> x (floats): 2.5 // 1 == 2.0.   eq(x, x) -> true (floats): NaN != NaN.
//   abs(neg(x)) -> abs(x) on u8: abs(neg(5)) == 251, abs(5) == 5.
//   cast(cast(x)) through a narrower or lossy dtype: i32 -> f32 -> i32 loses 2^24 + 1; i64 ->
//   f64 likewise; f16 <-> bf16 differ in range and precision; i8 -> u8 -> i8 is exact by
//   wraparound but not a widening, so it is left alone.
//
//   before                                   after
//   %0 = input[index=0] : f32[4]             %0 = input[index=0] : f32[4]
//   %1 = constant[value=1.0] : f32[4]        %1 = constant[value=1.0] : f32[4]
//   %2 = mul(%0, %1) : f32[4]                %2 = neg(%0) : f32[4]
//   %3 = neg(%2) : f32[4]                    return %2
//   return %3
#ifndef NDJIT_PASSES_SIMPLIFY_H_
#define NDJIT_PASSES_SIMPLIFY_H_

#include "passes/pass.h"

namespace ndjit::passes {

class AlgebraicSimplifier : public Pass {
 public:
  static constexpr std::string_view kName = "simplify";
  struct Options {};
  explicit AlgebraicSimplifier(Options options = {}) {}
  std::string_view name() const override { return kName; }
  absl::StatusOr<bool> Run(ir::Graph& graph) override;
};

}  // namespace ndjit::passes

#endif  // NDJIT_PASSES_SIMPLIFY_H_
