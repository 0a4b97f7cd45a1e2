// The row type of the op table and the macro that builds one row from an ops.def line. Only
// ir/ops.cc and the op table's build tests include this; everyone else asks ir/ops.h.
#ifndef NDJIT_IR_OP_INFO_H_
#define NDJIT_IR_OP_INFO_H_

#include <cstdint>
#include <optional>

#include "ir/ops.h"

namespace ndjit::ir {

struct OpInfo {
  const char* name;
  int arity;
  OpKind kind;
  uint32_t attrs;
  RecomputeCost cost;
  DTypeDomain dtypes;
  std::optional<ReduceKind> combine;
};

// The values ops.def's `combine` column names: kNone or a ReduceKind.
namespace combine_column {
inline constexpr std::optional<ReduceKind> kNone = std::nullopt;
inline constexpr std::optional<ReduceKind> kSum = ReduceKind::kSum;
inline constexpr std::optional<ReduceKind> kProd = ReduceKind::kProd;
inline constexpr std::optional<ReduceKind> kMax = ReduceKind::kMax;
inline constexpr std::optional<ReduceKind> kMin = ReduceKind::kMin;
inline constexpr std::optional<ReduceKind> kArgMax = ReduceKind::kArgMax;
inline constexpr std::optional<ReduceKind> kArgMin = ReduceKind::kArgMin;
}  // namespace combine_column

// Whether a row's columns agree with its kind: reductions, argreductions and scans name their
// combination (argreductions kArgMax or kArgMin, the others one of sum, prod, max and min) and
// no other op names one.
constexpr bool ColumnsAgree(const OpInfo& info) {
  switch (info.kind) {
    case OpKind::kReduce:
    case OpKind::kScan:
      return info.combine.has_value() && *info.combine != ReduceKind::kArgMax &&
             *info.combine != ReduceKind::kArgMin;
    case OpKind::kArgReduce:
      return info.combine == ReduceKind::kArgMax || info.combine == ReduceKind::kArgMin;
    case OpKind::kLeaf:
    case OpKind::kUnary:
    case OpKind::kUnaryPredicate:
    case OpKind::kBinary:
    case OpKind::kCompare:
    case OpKind::kSelect:
    case OpKind::kCast:
    case OpKind::kView:
    case OpKind::kConcat:
    case OpKind::kGather:
    case OpKind::kMatmul:
      return !info.combine.has_value();
  }
  return false;
}

}  // namespace ndjit::ir

// One OpInfo from one ops.def row: every column is required, so a row without one fails here.
#define NDJIT_OP_INFO_ROW(Enum, mnemonic, arity, kind, attrs, cost, dtypes, combine)       \
  ::ndjit::ir::OpInfo {                                                                    \
    mnemonic, arity, ::ndjit::ir::OpKind::kind, (attrs), ::ndjit::ir::RecomputeCost::cost, \
        ::ndjit::ir::DTypeDomain::dtypes, ::ndjit::ir::combine_column::combine             \
  }

#endif  // NDJIT_IR_OP_INFO_H_
