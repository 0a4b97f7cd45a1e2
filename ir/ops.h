// The IR's op enum and its static properties, generated from ops.def.
#ifndef NDJIT_IR_OPS_H_
#define NDJIT_IR_OPS_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "ir/attrs.h"
#include "ndjit/dtype.h"

namespace ndjit::ir {

// The family of an op: what shape/dtype rule it follows and how backends treat it.
enum class OpKind : uint8_t {
  kLeaf,            // no operands
  kUnary,           // elementwise, result dtype = operand dtype
  kUnaryPredicate,  // elementwise, bool result
  kBinary,          // elementwise, result dtype = operand dtype
  kCompare,         // elementwise, bool result
  kSelect,          // select(cond, x, y)
  kCast,            // elementwise conversion to the node's dtype
  kReduce,          // reduction over `axes`
  kArgReduce,       // index of max/min along `axis`
  kScan,            // inclusive scan along `axis` (optionally chunked, with carries)
  kView,            // index arithmetic on one operand
  kConcat,          // concatenation
  kGather,          // indexed read
  kMatmul,          // batched matrix product
};

// What evaluating one element of an op again costs (ops.def's `cost` column).
enum class RecomputeCost : uint8_t {
  kFree,       // a load or an immediate
  kCheap,      // index arithmetic or about one instruction: fusion may evaluate it twice
  kExpensive,  // fusion stores it rather than evaluate it at two indices
};

// The dtypes an op accepts (ops.def's `dtypes` column).
enum class DTypeDomain : uint8_t { kAll, kNoBool, kFloat, kNoFloat };

// How a reduction, argreduce or scan combines elements (ops.def's `combine` column), and the
// kernel IR's fold. sum and prod accumulate in AccumulatorDType (16-bit floats in float32),
// integers wrap in their own width, bool is or/and; max and min propagate NaN; argmax and argmin
// give the int64 position of the first extreme (the first NaN wins).
enum class ReduceKind : uint8_t { kSum, kProd, kMax, kMin, kArgMax, kArgMin };

enum class Op : uint8_t {
#define NDJIT_OP(Enum, mnemonic, arity, kind, attrs, cost, dtypes, combine) Enum,
#include "ir/ops.def"
#undef NDJIT_OP
};

inline constexpr int kNumOps = 0
#define NDJIT_OP(Enum, mnemonic, arity, kind, attrs, cost, dtypes, combine) +1
#include "ir/ops.def"
#undef NDJIT_OP
    ;

const char* OpName(Op op);
std::optional<Op> ParseOpName(std::string_view name);
// Number of operands, or -1 for "one or more".
int OpArity(Op op);
OpKind GetOpKind(Op op);
// Bit set of AttrField: the attributes the op carries.
uint32_t OpAttrFields(Op op);
RecomputeCost OpRecomputeCost(Op op);
DTypeDomain OpDTypeDomain(Op op);
bool DTypeInDomain(DTypeDomain domain, DType dtype);
inline bool OpAcceptsDType(Op op, DType dtype) { return DTypeInDomain(OpDTypeDomain(op), dtype); }
// The combination of a reduction, argreduce or scan; nullopt for every other op.
std::optional<ReduceKind> OpCombination(Op op);

inline bool IsElementwise(Op op) {
  switch (GetOpKind(op)) {
    case OpKind::kUnary:
    case OpKind::kUnaryPredicate:
    case OpKind::kBinary:
    case OpKind::kCompare:
    case OpKind::kSelect:
    case OpKind::kCast:
      return true;
    default:
      return false;
  }
}

}  // namespace ndjit::ir

#endif  // NDJIT_IR_OPS_H_
