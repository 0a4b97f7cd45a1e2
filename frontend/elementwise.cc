// Elementwise ops: operators, float functions, maximum/minimum, where, astype.
//
// Each op resolves the result dtype with NumPy 2 promotion (weak C++ scalars), broadcasts the
// operands' shapes, and records cast/broadcast/constant nodes so that the IR op sees operands of
// one shape and dtype.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "frontend/builder.h"
#include "ir/dtype.h"
#include "ndjit/nd.h"

namespace ndjit {
namespace {

using frontend::Describe;
using frontend::Fail;
using frontend::ValueOf;
using frontend::ValuePtr;

std::string DescribeOperand(const Operand& o) {
  if (o.is_array()) return Describe(o.array());
  if (o.scalar().is_float()) return absl::StrCat("scalar ", o.scalar().as_double());
  return absl::StrCat("scalar ", o.scalar().as_int());
}

std::vector<std::string> DescribeAll(std::initializer_list<const Operand*> ops) {
  std::vector<std::string> out;
  for (const Operand* o : ops) out.push_back(DescribeOperand(*o));
  return out;
}

// Result dtype of combining operands (NumPy 2: arrays promote; scalars are weak).
DType PromoteOperands(std::initializer_list<const Operand*> ops) {
  std::optional<DType> array_dtype;
  for (const Operand* o : ops) {
    if (o->is_array()) {
      const DType d = o->array().dtype();
      array_dtype = array_dtype ? ir::PromoteTypes(*array_dtype, d) : d;
    }
  }
  if (!array_dtype) {
    // Only scalars: their own dtypes promote (float -> float32, double -> float64, int -> int64).
    DType d = (*ops.begin())->scalar().natural_dtype();
    for (const Operand* o : ops) d = ir::PromoteTypes(d, o->scalar().natural_dtype());
    return d;
  }
  DType d = *array_dtype;
  for (const Operand* o : ops) {
    if (!o->is_array()) d = ir::PromoteWithScalar(d, frontend::KindOf(o->scalar()));
  }
  return d;
}

ir::Shape BroadcastAll(const char* api, std::initializer_list<const Operand*> ops,
                       const SourceLocation& site) {
  ir::Shape shape;
  std::string shapes;
  for (const Operand* o : ops) {
    if (!o->is_array()) continue;
    ValueOf(o->array(), api, site);
    absl::StrAppend(&shapes, shapes.empty() ? "" : " ", ir::ShapeToNumpyString(o->array().shape()));
  }
  for (const Operand* o : ops) {
    if (!o->is_array()) continue;
    std::optional<ir::Shape> s = frontend::BroadcastShapes(shape, o->array().shape());
    if (!s) {
      Fail<ShapeError>(
          api, absl::StrCat("operands could not be broadcast together with shapes ", shapes),
          DescribeAll(ops), site);
    }
    shape = *s;
  }
  absl::StatusOr<int64_t> n = ir::CheckedNumElements(shape);
  if (!n.ok()) Fail<ShapeError>(api, std::string(n.status().message()), DescribeAll(ops), site);
  return shape;
}

// An operand as a value of the given dtype and shape.
ValuePtr Lower(const Operand& o, DType dtype, const ir::Shape& shape, const SourceLocation& site) {
  if (!o.is_array()) {
    return frontend::Constant(frontend::ScalarForDType(o.scalar(), dtype),
                              ir::TensorType{dtype, shape}, site);
  }
  ValuePtr v = frontend::CastTo(o.array().value(), dtype, site);
  return frontend::BroadcastTo(v, shape, site);
}

void RequireArray(const char* api, std::initializer_list<const Operand*> ops,
                  const SourceLocation& site) {
  for (const Operand* o : ops) {
    if (o->is_array()) return;
  }
  Fail<ValueError>(api, "at least one operand must be an NDArray", DescribeAll(ops), site);
}

enum class DTypeRule { kSame, kTrueDivide, kRemainder };

NDArray Binary(const char* api, ir::Op op, const Operand& a, const Operand& b, DTypeRule rule) {
  const SourceLocation& site = a.is_array() ? a.site() : b.site();
  RequireArray(api, {&a, &b}, site);
  const ir::Shape shape = BroadcastAll(api, {&a, &b}, site);
  DType dtype = PromoteOperands({&a, &b});
  const bool compare = ir::GetOpKind(op) == ir::OpKind::kCompare;
  if (rule == DTypeRule::kTrueDivide && !IsFloat(dtype)) dtype = DType::kFloat64;
  if (rule == DTypeRule::kRemainder && dtype == DType::kBool) dtype = DType::kInt8;
  if (dtype == DType::kBool && (op == ir::Op::kSub)) {
    Fail<DTypeError>(api,
                     "boolean subtract is not supported (NumPy rejects it too); use "
                     "logical_xor or cast to an integer dtype first",
                     DescribeAll({&a, &b}), site);
  }
  for (const Operand* o : {&a, &b}) {
    if (!o->is_array() && IsInteger(dtype) && !frontend::IntScalarFits(o->scalar(), dtype)) {
      if (compare) {
        dtype = DType::kInt64;  // compare exactly in a dtype that holds both (NumPy 2 does too)
      } else {
        Fail<ValueError>(api,
                         absl::StrCat("integer scalar ", o->scalar().as_int(),
                                      " is out of bounds for ", DTypeName(dtype)),
                         DescribeAll({&a, &b}), site);
      }
    }
  }
  ValuePtr x = Lower(a, dtype, shape, site);
  ValuePtr y = Lower(b, dtype, shape, site);
  return frontend::Wrap(frontend::Record(op, {x, y}, {}, std::nullopt, site));
}

// A float function applied to x: integer and bool inputs are cast to FloatFor(dtype) first.
NDArray FloatUnary(const char* api, ir::Op op, const NDArray& x, const SourceLocation& site) {
  const ValuePtr& v = ValueOf(x, api, site);
  ValuePtr in = frontend::CastTo(v, frontend::FloatFor(v->type().dtype), site);
  return frontend::Wrap(frontend::Record(op, {in}, {}, std::nullopt, site));
}

}  // namespace

NDArray operator+(const Operand& a, const Operand& b) {
  return Binary("add", ir::Op::kAdd, a, b, DTypeRule::kSame);
}
NDArray operator-(const Operand& a, const Operand& b) {
  return Binary("subtract", ir::Op::kSub, a, b, DTypeRule::kSame);
}
NDArray operator*(const Operand& a, const Operand& b) {
  return Binary("multiply", ir::Op::kMul, a, b, DTypeRule::kSame);
}
NDArray operator/(const Operand& a, const Operand& b) {
  return Binary("true_divide", ir::Op::kDiv, a, b, DTypeRule::kTrueDivide);
}
NDArray operator%(const Operand& a, const Operand& b) {
  return Binary("remainder", ir::Op::kMod, a, b, DTypeRule::kRemainder);
}
NDArray operator==(const Operand& a, const Operand& b) {
  return Binary("equal", ir::Op::kEq, a, b, DTypeRule::kSame);
}
NDArray operator!=(const Operand& a, const Operand& b) {
  return Binary("not_equal", ir::Op::kNe, a, b, DTypeRule::kSame);
}
NDArray operator<(const Operand& a, const Operand& b) {
  return Binary("less", ir::Op::kLt, a, b, DTypeRule::kSame);
}
NDArray operator<=(const Operand& a, const Operand& b) {
  return Binary("less_equal", ir::Op::kLe, a, b, DTypeRule::kSame);
}
NDArray operator>(const Operand& a, const Operand& b) {
  return Binary("greater", ir::Op::kGt, a, b, DTypeRule::kSame);
}
NDArray operator>=(const Operand& a, const Operand& b) {
  return Binary("greater_equal", ir::Op::kGe, a, b, DTypeRule::kSame);
}
NDArray operator-(const Operand& a) {
  if (!a.is_array()) {
    Fail<ValueError>("negative", "the operand must be an NDArray", DescribeAll({&a}), a.site());
  }
  return nd::negative(a.array(), a.site());
}

namespace nd {

NDArray exp(const NDArray& x, SourceLocation site) {
  return FloatUnary("exp", ir::Op::kExp, x, site);
}
NDArray log(const NDArray& x, SourceLocation site) {
  return FloatUnary("log", ir::Op::kLog, x, site);
}
NDArray sqrt(const NDArray& x, SourceLocation site) {
  return FloatUnary("sqrt", ir::Op::kSqrt, x, site);
}
NDArray tanh(const NDArray& x, SourceLocation site) {
  return FloatUnary("tanh", ir::Op::kTanh, x, site);
}

NDArray sigmoid(const NDArray& x, SourceLocation site) {
  // 1 / (1 + exp(-x)): exact limits at both ends (exp overflow gives 1/inf = 0).
  const ValuePtr& v = ValueOf(x, "sigmoid", site);
  const DType dt = frontend::FloatFor(v->type().dtype);
  const ir::TensorType t{dt, v->type().shape};
  ValuePtr in = frontend::CastTo(v, dt, site);
  ValuePtr e =
      frontend::Record(ir::Op::kExp, {frontend::Record(ir::Op::kNeg, {in}, {}, std::nullopt, site)},
                       {}, std::nullopt, site);
  ValuePtr one = frontend::Constant(ir::Scalar::Float(1.0), t, site);
  ValuePtr denom = frontend::Record(ir::Op::kAdd, {one, e}, {}, std::nullopt, site);
  return frontend::Wrap(frontend::Record(ir::Op::kDiv, {one, denom}, {}, std::nullopt, site));
}

NDArray abs(const NDArray& x, SourceLocation site) {
  const ValuePtr& v = ValueOf(x, "absolute", site);
  if (v->type().dtype == DType::kBool) return x;  // abs of bool is the identity (NumPy)
  return frontend::Wrap(frontend::Record(ir::Op::kAbs, {v}, {}, std::nullopt, site));
}

NDArray negative(const NDArray& x, SourceLocation site) {
  const ValuePtr& v = ValueOf(x, "negative", site);
  if (v->type().dtype == DType::kBool) {
    Fail<DTypeError>("negative",
                     "boolean negative is not supported (NumPy rejects it too); use logical_not",
                     {Describe(x)}, site);
  }
  return frontend::Wrap(frontend::Record(ir::Op::kNeg, {v}, {}, std::nullopt, site));
}

NDArray relu(const NDArray& x, SourceLocation site) {
  const ValuePtr& v = ValueOf(x, "relu", site);
  ValuePtr zero =
      frontend::Constant(frontend::ScalarForDType(Scalar(0), v->type().dtype), v->type(), site);
  return frontend::Wrap(frontend::Record(ir::Op::kMax, {v, zero}, {}, std::nullopt, site));
}

NDArray maximum(const Operand& a, const Operand& b) {
  return Binary("maximum", ir::Op::kMax, a, b, DTypeRule::kSame);
}
NDArray minimum(const Operand& a, const Operand& b) {
  return Binary("minimum", ir::Op::kMin, a, b, DTypeRule::kSame);
}

NDArray where(const Operand& cond, const Operand& x, const Operand& y) {
  const SourceLocation& site = cond.site();
  if (!cond.is_array()) {
    Fail<ValueError>("where", "the condition must be an NDArray", DescribeAll({&cond, &x, &y}),
                     site);
  }
  const ir::Shape shape = BroadcastAll("where", {&cond, &x, &y}, site);
  const DType dtype = PromoteOperands({&x, &y});
  for (const Operand* o : {&x, &y}) {
    if (!o->is_array() && IsInteger(dtype) && !frontend::IntScalarFits(o->scalar(), dtype)) {
      Fail<ValueError>("where",
                       absl::StrCat("integer scalar ", o->scalar().as_int(),
                                    " is out of bounds for ", DTypeName(dtype)),
                       DescribeAll({&cond, &x, &y}), site);
    }
  }
  ValuePtr c = Lower(cond, DType::kBool, shape, site);
  ValuePtr vx = Lower(x, dtype, shape, site);
  ValuePtr vy = Lower(y, dtype, shape, site);
  return frontend::Wrap(frontend::Record(ir::Op::kSelect, {c, vx, vy}, {}, std::nullopt, site));
}

NDArray astype(const NDArray& x, DType dtype, SourceLocation site) {
  const ValuePtr& v = ValueOf(x, "astype", site);
  frontend::CheckDType("astype", dtype, site);
  // Always a new node, so that the result is a distinct array even for the same dtype.
  return frontend::Wrap(
      frontend::Record(ir::Op::kCast, {v}, {}, ir::TensorType{dtype, v->type().shape}, site));
}

}  // namespace nd
}  // namespace ndjit
