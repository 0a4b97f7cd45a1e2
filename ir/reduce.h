// Rules about reductions that the passes, the lowering and both backends share, written once.
#ifndef NDJIT_IR_REDUCE_H_
#define NDJIT_IR_REDUCE_H_

#include "ir/attrs.h"
#include "ir/graph.h"
#include "ir/ops.h"
#include "ir/shape.h"
#include "ndjit/dtype.h"

namespace ndjit::ir {

// The dtype a sum or product of `dtype` elements accumulates in: float16 and bfloat16 in float32
// (as NumPy's pairwise sums do), every other dtype in itself. Max and min need no wider dtype.
DType AccumulatorDType(DType dtype);

// The element that leaves a combination unchanged, as a value of `dtype`: 0 for sum, 1 for
// prod; for max the lowest value (-inf for floats, false for bool, 0 for uint8) and for min the
// highest. argmax and argmin start their value accumulator at 0 (their first element replaces
// it), so that is their identity here. Every reduction's empty result and every padding of an
// uneven split comes from here.
Scalar ReduceIdentity(ReduceKind kind, DType dtype);

// Whether `n` is a row reduction of a kernel whose loop runs over `shape` = [O..., C]: a
// reduction over exactly the last axis, or an argreduction along it, of an operand shaped
// `shape`, giving one value per row O.
bool IsRowReduction(const Node& n, const Shape& shape);

}  // namespace ndjit::ir

#endif  // NDJIT_IR_REDUCE_H_
