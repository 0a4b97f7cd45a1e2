// Shared reduction rules (see reduce.h).
#include "ir/reduce.h"

#include <limits>
#include <vector>

#include "ir/dtype.h"

namespace ndjit::ir {

DType AccumulatorDType(DType dtype) {
  return (dtype == DType::kFloat16 || dtype == DType::kBFloat16) ? DType::kFloat32 : dtype;
}

Scalar ReduceIdentity(ReduceKind kind, DType dtype) {
  const bool fl = IsFloat(dtype);
  constexpr double kInf = std::numeric_limits<double>::infinity();
  switch (kind) {
    case ReduceKind::kSum:
      return fl ? Scalar::Float(0.0) : Scalar::Int(0);
    case ReduceKind::kProd:
      return fl ? Scalar::Float(1.0) : Scalar::Int(1);
    case ReduceKind::kMax:
      return fl ? Scalar::Float(-kInf) : Scalar::Int(IntegerRange(dtype).lo);
    case ReduceKind::kMin:
      return fl ? Scalar::Float(kInf) : Scalar::Int(IntegerRange(dtype).hi);
    case ReduceKind::kArgMax:
    case ReduceKind::kArgMin:
      return fl ? Scalar::Float(0.0) : Scalar::Int(0);
  }
  return Scalar::Int(0);
}

bool IsRowReduction(const Node& n, const Shape& shape) {
  if (shape.empty() || n.operands().empty() || n.operand(0)->shape() != shape) return false;
  const int64_t last = static_cast<int64_t>(shape.size()) - 1;
  switch (GetOpKind(n.op())) {
    case OpKind::kReduce:
      return n.attrs().axes == std::vector<int64_t>{last};
    case OpKind::kArgReduce:
      return n.attrs().axis == last;
    default:
      return false;
  }
}

}  // namespace ndjit::ir
