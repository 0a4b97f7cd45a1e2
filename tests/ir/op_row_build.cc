// Build test of ops.def's columns (not a gtest: ctest compiles this file, once per variant, and
// checks that the compiler accepts the complete row and rejects each incomplete one with the
// expected message). Each variant is one fake op row as it would be written in ops.def.
#include "ir/op_info.h"

#ifndef NDJIT_FAKE_ROW_VARIANT
#error "define NDJIT_FAKE_ROW_VARIANT"
#endif

#if NDJIT_FAKE_ROW_VARIANT == 0
// Complete: every column present and consistent with the kind.
#define NDJIT_FAKE_ROW(X) X(kFakeTwice, "fake_twice", 1, kUnary, 0, kCheap, kAll, kNone)
#elif NDJIT_FAKE_ROW_VARIANT == 1
// The combine column left out.
#define NDJIT_FAKE_ROW(X) X(kFakeTwice, "fake_twice", 1, kUnary, 0, kCheap, kAll)
#elif NDJIT_FAKE_ROW_VARIANT == 2
// A reduction whose combination is kNone.
#define NDJIT_FAKE_ROW(X) X(kFakeSum, "fake_sum", 1, kReduce, kAttrAxes, kExpensive, kAll, kNone)
#elif NDJIT_FAKE_ROW_VARIANT == 3
// A cost the column does not know.
#define NDJIT_FAKE_ROW(X) X(kFakeTwice, "fake_twice", 1, kUnary, 0, kCheep, kAll, kNone)
#elif NDJIT_FAKE_ROW_VARIANT == 4
// A dtype domain the column does not know.
#define NDJIT_FAKE_ROW(X) X(kFakeTwice, "fake_twice", 1, kUnary, 0, kCheap, kInts, kNone)
#endif

// In the IR's namespace, as in ir/ops.cc, where the attribute column's names resolve.
namespace ndjit::ir {
namespace {
constexpr OpInfo kFakeRow = NDJIT_FAKE_ROW(NDJIT_OP_INFO_ROW);
static_assert(ColumnsAgree(kFakeRow), "fake op row: columns disagree with its kind");
}  // namespace
}  // namespace ndjit::ir
