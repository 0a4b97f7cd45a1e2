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

// The operands' broadcast shape: a reference to an operand's own shape when every array operand
// has it (the common case, which copies nothing), else to `*storage`, which holds the new shape.
const ir::Shape& BroadcastAll(const char* api, std::initializer_list<const Operand*> ops,
                              const SourceLocation& site, ir::Shape* storage) {
  // An empty array raises here, in the API's name, before its shape is read. (Fetching the value
  // would take the handle's lock, and record a leaf read of a variable under autograd.)
  for (const Operand* o : ops) {
    if (o->is_array() && o->array().is_none()) ValueOf(o->array(), api, site);
  }
  const ir::Shape* shape = nullptr;
  for (const Operand* o : ops) {
    if (!o->is_array()) continue;
    const ir::Shape& os = o->array().shape();
    if (shape == nullptr || *shape == os) {
      if (shape == nullptr) shape = &os;
      continue;
    }
    std::optional<ir::Shape> s = frontend::BroadcastShapes(*shape, os);
    if (!s) {
      // The message is built only on failure: recording an op must stay cheap.
      std::string shapes;
      for (const Operand* p : ops) {
        if (!p->is_array()) continue;
        absl::StrAppend(&shapes, shapes.empty() ? "" : " ",
                        ir::ShapeToNumpyString(p->array().shape()));
      }
      Fail<ShapeError>(
          api, absl::StrCat("operands could not be broadcast together with shapes ", shapes),
          DescribeAll(ops), site);
    }
    *storage = *std::move(s);
    shape = storage;
  }
  if (shape == nullptr) {  // scalars only (RequireArray rejects that first)
    storage->clear();
    return *storage;
  }
  absl::StatusOr<int64_t> n = ir::CheckedNumElements(*shape);
  if (!n.ok()) Fail<ShapeError>(api, std::string(n.status().message()), DescribeAll(ops), site);
  return *shape;
}

// An operand as a value of the given dtype and shape.
ValuePtr Lower(const Operand& o, DType dtype, const ir::Shape& shape, const SourceLocation& site) {
  if (!o.is_array()) {
    return frontend::Constant(frontend::ScalarForDType(o.scalar(), dtype),
                              ir::TensorType{dtype, shape}, site);
  }
  // Each step replaces the value only when it records a node: no reference-count traffic for
  // an operand that is already of the dtype and shape.
  ValuePtr v = o.array().value();
  if (v->type().dtype != dtype) v = frontend::CastTo(v, dtype, site);
  if (v->type().shape != shape) v = frontend::BroadcastTo(v, shape, site);
  return v;
}

void RequireArray(const char* api, std::initializer_list<const Operand*> ops,
                  const SourceLocation& site) {
  for (const Operand* o : ops) {
    if (o->is_array()) return;
  }
  Fail<ValueError>(api, "at least one operand must be an NDArray", DescribeAll(ops), site);
}

// How an op adjusts the promoted dtype of its operands.
enum class DTypeRule {
  kSame,        // the promoted dtype
  kTrueDivide,  // integers and bool -> float64
  kBoolToInt8,  // bool -> int8 (NumPy's remainder, floor_divide, power on bool)
  kFloat,       // the float dtype that holds the promoted one (arctan2, hypot)
};
// After the rule, the op's own dtype domain (ops.def) decides what is accepted.

// Where an operator was written: the first array operand's conversion site.
const SourceLocation& SiteOf(const Operand& a, const Operand& b) {
  return a.is_array() ? a.site() : b.site();
}

NDArray Binary(const char* api, ir::Op op, const Operand& a, const Operand& b, DTypeRule rule,
               const SourceLocation& site) {
  RequireArray(api, {&a, &b}, site);
  ir::Shape storage;
  const ir::Shape& shape = BroadcastAll(api, {&a, &b}, site, &storage);
  DType dtype = PromoteOperands({&a, &b});
  const bool compare = ir::GetOpKind(op) == ir::OpKind::kCompare;
  if (rule == DTypeRule::kTrueDivide && !IsFloat(dtype)) dtype = DType::kFloat64;
  if (rule == DTypeRule::kBoolToInt8 && dtype == DType::kBool) dtype = DType::kInt8;
  if (rule == DTypeRule::kFloat) dtype = frontend::FloatFor(dtype);
  if (!ir::OpAcceptsDType(op, dtype)) {
    std::string why;
    switch (ir::OpDTypeDomain(op)) {
      case ir::DTypeDomain::kNoFloat:
        why =
            absl::StrCat("not supported for ", DTypeName(dtype), " (integer and bool dtypes only)");
        break;
      case ir::DTypeDomain::kNoBool:
        why = op == ir::Op::kSub ? "boolean subtract is not supported (NumPy rejects it too); use "
                                   "logical_xor or cast to an integer dtype first"
                                 : "not supported for bool";
        break;
      case ir::DTypeDomain::kFloat:
        why = absl::StrCat("not supported for ", DTypeName(dtype), " (float dtypes only)");
        break;
      case ir::DTypeDomain::kAll:
        break;
    }
    Fail<DTypeError>(api, why, DescribeAll({&a, &b}), site);
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
  std::vector<ValuePtr> operands;
  operands.reserve(2);
  operands.push_back(Lower(a, dtype, shape, site));
  operands.push_back(Lower(b, dtype, shape, site));
  return frontend::Wrap(frontend::Record(op, std::move(operands), {}, std::nullopt, site));
}

// A float function applied to x: integer and bool inputs are cast to FloatFor(dtype) first.
NDArray FloatUnary(const char* api, ir::Op op, const NDArray& x, const SourceLocation& site) {
  const ValuePtr& v = ValueOf(x, api, site);
  ValuePtr in = frontend::CastTo(v, frontend::FloatFor(v->type().dtype), site);
  return frontend::Wrap(frontend::Record(op, {in}, {}, std::nullopt, site));
}

// An op on x's own dtype.
ValuePtr Unary(ir::Op op, const ValuePtr& x, const SourceLocation& site) {
  return frontend::Record(op, {x}, {}, std::nullopt, site);
}

ValuePtr Bin(ir::Op op, const ValuePtr& x, const ValuePtr& y, const SourceLocation& site) {
  return frontend::Record(op, {x, y}, {}, std::nullopt, site);
}

// A constant shaped and typed like `like`.
ValuePtr Const(double v, const ValuePtr& like, const SourceLocation& site) {
  return frontend::Constant(frontend::ScalarForDType(v, like->type().dtype), like->type(), site);
}

// x cast to the float dtype a float function computes in.
ValuePtr AsFloat(const NDArray& x, const char* api, const SourceLocation& site) {
  const ValuePtr& v = ValueOf(x, api, site);
  return frontend::CastTo(v, frontend::FloatFor(v->type().dtype), site);
}

}  // namespace

// The operators are their named functions (below) at the first array operand's site.
NDArray operator+(const Operand& a, const Operand& b) { return nd::add(a, b, SiteOf(a, b)); }
NDArray operator-(const Operand& a, const Operand& b) { return nd::subtract(a, b, SiteOf(a, b)); }
NDArray operator*(const Operand& a, const Operand& b) { return nd::multiply(a, b, SiteOf(a, b)); }
NDArray operator/(const Operand& a, const Operand& b) { return nd::divide(a, b, SiteOf(a, b)); }
NDArray operator%(const Operand& a, const Operand& b) {
  return Binary("remainder", ir::Op::kMod, a, b, DTypeRule::kBoolToInt8, SiteOf(a, b));
}
NDArray operator==(const Operand& a, const Operand& b) { return nd::equal(a, b, SiteOf(a, b)); }
NDArray operator!=(const Operand& a, const Operand& b) { return nd::not_equal(a, b, SiteOf(a, b)); }
NDArray operator<(const Operand& a, const Operand& b) { return nd::less(a, b, SiteOf(a, b)); }
NDArray operator<=(const Operand& a, const Operand& b) {
  return nd::less_equal(a, b, SiteOf(a, b));
}
NDArray operator>(const Operand& a, const Operand& b) { return nd::greater(a, b, SiteOf(a, b)); }
NDArray operator>=(const Operand& a, const Operand& b) {
  return nd::greater_equal(a, b, SiteOf(a, b));
}
NDArray operator-(const Operand& a) {
  if (!a.is_array()) {
    Fail<ValueError>("negative", "the operand must be an NDArray", DescribeAll({&a}), a.site());
  }
  return nd::negative(a.array(), a.site());
}

namespace nd {

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
  // abs of bool is the identity (NumPy); still a new array, as a handle of x would see x's
  // in-place updates.
  if (v->type().dtype == DType::kBool) return frontend::Wrap(v);
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
  // max(0, x): at x == 0 the gradient goes to the constant (relu'(0) = 0, as MXNet's).
  return frontend::Wrap(frontend::Record(ir::Op::kMax, {zero, v}, {}, std::nullopt, site));
}

NDArray add(const Operand& a, const Operand& b, SourceLocation site) {
  return Binary("add", ir::Op::kAdd, a, b, DTypeRule::kSame, site);
}
NDArray subtract(const Operand& a, const Operand& b, SourceLocation site) {
  return Binary("subtract", ir::Op::kSub, a, b, DTypeRule::kSame, site);
}
NDArray multiply(const Operand& a, const Operand& b, SourceLocation site) {
  return Binary("multiply", ir::Op::kMul, a, b, DTypeRule::kSame, site);
}
NDArray divide(const Operand& a, const Operand& b, SourceLocation site) {
  return Binary("true_divide", ir::Op::kDiv, a, b, DTypeRule::kTrueDivide, site);
}
NDArray equal(const Operand& a, const Operand& b, SourceLocation site) {
  return Binary("equal", ir::Op::kEq, a, b, DTypeRule::kSame, site);
}
NDArray not_equal(const Operand& a, const Operand& b, SourceLocation site) {
  return Binary("not_equal", ir::Op::kNe, a, b, DTypeRule::kSame, site);
}
NDArray less(const Operand& a, const Operand& b, SourceLocation site) {
  return Binary("less", ir::Op::kLt, a, b, DTypeRule::kSame, site);
}
NDArray less_equal(const Operand& a, const Operand& b, SourceLocation site) {
  return Binary("less_equal", ir::Op::kLe, a, b, DTypeRule::kSame, site);
}
NDArray greater(const Operand& a, const Operand& b, SourceLocation site) {
  return Binary("greater", ir::Op::kGt, a, b, DTypeRule::kSame, site);
}
NDArray greater_equal(const Operand& a, const Operand& b, SourceLocation site) {
  return Binary("greater_equal", ir::Op::kGe, a, b, DTypeRule::kSame, site);
}
NDArray maximum(const Operand& a, const Operand& b) {
  return Binary("maximum", ir::Op::kMax, a, b, DTypeRule::kSame, SiteOf(a, b));
}
NDArray minimum(const Operand& a, const Operand& b) {
  return Binary("minimum", ir::Op::kMin, a, b, DTypeRule::kSame, SiteOf(a, b));
}

NDArray where(const Operand& cond, const Operand& x, const Operand& y) {
  const SourceLocation& site = cond.site();
  if (!cond.is_array()) {
    Fail<ValueError>("where", "the condition must be an NDArray", DescribeAll({&cond, &x, &y}),
                     site);
  }
  ir::Shape storage;
  const ir::Shape& shape = BroadcastAll("where", {&cond, &x, &y}, site, &storage);
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

namespace ndjit::nd {

#define NDJIT_FLOAT_FUNCTION(name, op) \
  NDArray name(const NDArray& x, SourceLocation site) { return FloatUnary(#name, op, x, site); }
NDJIT_FLOAT_FUNCTION(exp, ir::Op::kExp)
NDJIT_FLOAT_FUNCTION(log, ir::Op::kLog)
NDJIT_FLOAT_FUNCTION(sqrt, ir::Op::kSqrt)
NDJIT_FLOAT_FUNCTION(tanh, ir::Op::kTanh)
NDJIT_FLOAT_FUNCTION(log1p, ir::Op::kLog1p)
NDJIT_FLOAT_FUNCTION(expm1, ir::Op::kExpm1)
NDJIT_FLOAT_FUNCTION(log2, ir::Op::kLog2)
NDJIT_FLOAT_FUNCTION(log10, ir::Op::kLog10)
NDJIT_FLOAT_FUNCTION(exp2, ir::Op::kExp2)
NDJIT_FLOAT_FUNCTION(sin, ir::Op::kSin)
NDJIT_FLOAT_FUNCTION(cos, ir::Op::kCos)
NDJIT_FLOAT_FUNCTION(tan, ir::Op::kTan)
NDJIT_FLOAT_FUNCTION(arcsin, ir::Op::kAsin)
NDJIT_FLOAT_FUNCTION(arccos, ir::Op::kAcos)
NDJIT_FLOAT_FUNCTION(arctan, ir::Op::kAtan)
NDJIT_FLOAT_FUNCTION(sinh, ir::Op::kSinh)
NDJIT_FLOAT_FUNCTION(cosh, ir::Op::kCosh)
NDJIT_FLOAT_FUNCTION(arcsinh, ir::Op::kAsinh)
NDJIT_FLOAT_FUNCTION(arccosh, ir::Op::kAcosh)
NDJIT_FLOAT_FUNCTION(arctanh, ir::Op::kAtanh)
NDJIT_FLOAT_FUNCTION(erf, ir::Op::kErf)
#undef NDJIT_FLOAT_FUNCTION

NDArray rsqrt(const NDArray& x, SourceLocation site) {
  ValuePtr v = AsFloat(x, "rsqrt", site);
  return frontend::Wrap(
      Bin(ir::Op::kDiv, Const(1.0, v, site), Unary(ir::Op::kSqrt, v, site), site));
}

NDArray softplus(const NDArray& x, SourceLocation site) {
  // max(x, 0) + log1p(exp(-|x|)): exact for large |x| in both directions, no overflow.
  ValuePtr v = AsFloat(x, "softplus", site);
  ValuePtr pos = Bin(ir::Op::kMax, v, Const(0.0, v, site), site);
  ValuePtr tail = Unary(
      ir::Op::kLog1p,
      Unary(ir::Op::kExp, Unary(ir::Op::kNeg, Unary(ir::Op::kAbs, v, site), site), site), site);
  return frontend::Wrap(Bin(ir::Op::kAdd, pos, tail, site));
}

NDArray gelu(const NDArray& x, bool approximate, SourceLocation site) {
  ValuePtr v = AsFloat(x, "gelu", site);
  ValuePtr inner;
  if (approximate) {
    // sqrt(2 / pi) * (x + 0.044715 x^3)
    ValuePtr cube = Bin(ir::Op::kMul, Bin(ir::Op::kMul, v, v, site), v, site);
    ValuePtr poly =
        Bin(ir::Op::kAdd, v, Bin(ir::Op::kMul, Const(0.044715, v, site), cube, site), site);
    inner = Unary(ir::Op::kTanh, Bin(ir::Op::kMul, Const(0.7978845608028654, v, site), poly, site),
                  site);
  } else {
    inner =
        Unary(ir::Op::kErf, Bin(ir::Op::kMul, v, Const(0.7071067811865476, v, site), site), site);
  }
  ValuePtr half_x = Bin(ir::Op::kMul, Const(0.5, v, site), v, site);
  return frontend::Wrap(
      Bin(ir::Op::kMul, half_x, Bin(ir::Op::kAdd, Const(1.0, v, site), inner, site), site));
}

namespace {
// floor/ceil/trunc/round: floats round; integers and bool are already integral (a new node, so
// the result is a distinct array).
NDArray Rounding(const char* api, ir::Op op, const NDArray& x, const SourceLocation& site) {
  const ValuePtr& v = ValueOf(x, api, site);
  if (!IsFloat(v->type().dtype)) {
    return frontend::Wrap(frontend::Record(ir::Op::kCast, {v}, {}, v->type(), site));
  }
  return frontend::Wrap(Unary(op, v, site));
}

NDArray Predicate(const char* api, ir::Op op, const NDArray& x, const SourceLocation& site) {
  return frontend::Wrap(Unary(op, ValueOf(x, api, site), site));
}

// Operands as bool arrays of their broadcast shape, for logical ops.
NDArray Logical(const char* api, ir::Op op, const Operand& a, const Operand& b) {
  const SourceLocation& site = SiteOf(a, b);
  RequireArray(api, {&a, &b}, site);
  ir::Shape storage;
  const ir::Shape& shape = BroadcastAll(api, {&a, &b}, site, &storage);
  ValuePtr x = Lower(a, DType::kBool, shape, site);
  ValuePtr y = Lower(b, DType::kBool, shape, site);
  return frontend::Wrap(Bin(op, x, y, site));
}
}  // namespace

NDArray floor(const NDArray& x, SourceLocation site) {
  return Rounding("floor", ir::Op::kFloor, x, site);
}
NDArray ceil(const NDArray& x, SourceLocation site) {
  return Rounding("ceil", ir::Op::kCeil, x, site);
}
NDArray trunc(const NDArray& x, SourceLocation site) {
  return Rounding("trunc", ir::Op::kTrunc, x, site);
}
NDArray round(const NDArray& x, SourceLocation site) {
  return Rounding("round", ir::Op::kRound, x, site);
}

NDArray sign(const NDArray& x, SourceLocation site) {
  const ValuePtr& v = ValueOf(x, "sign", site);
  if (v->type().dtype == DType::kBool) {
    Fail<DTypeError>("sign", "not supported for bool (NumPy rejects it too)", {Describe(x)}, site);
  }
  return frontend::Wrap(Unary(ir::Op::kSign, v, site));
}

NDArray square(const NDArray& x, SourceLocation site) {
  const ValuePtr& v = ValueOf(x, "square", site);
  ValuePtr in =
      frontend::CastTo(v, v->type().dtype == DType::kBool ? DType::kInt8 : v->type().dtype, site);
  return frontend::Wrap(Bin(ir::Op::kMul, in, in, site));
}

NDArray reciprocal(const NDArray& x, SourceLocation site) {
  const ValuePtr& v = ValueOf(x, "reciprocal", site);
  const DType dt = v->type().dtype;
  if (IsFloat(dt)) return frontend::Wrap(Bin(ir::Op::kDiv, Const(1.0, v, site), v, site));
  // Integers: C's truncating 1 / x, as NumPy computes it: 1 for 1, -1 for -1, 0 otherwise
  // (NumPy's 1 / 0 is undefined behaviour in C; ndjit defines it as 0).
  ValuePtr in = frontend::CastTo(v, dt == DType::kBool ? DType::kInt8 : dt, site);
  ValuePtr one = Const(1, in, site), minus_one = Const(-1, in, site), zero = Const(0, in, site);
  ValuePtr is_one = Bin(ir::Op::kEq, in, one, site);
  ValuePtr is_minus_one = Bin(ir::Op::kEq, in, minus_one, site);
  return frontend::Wrap(frontend::Record(
      ir::Op::kSelect,
      {is_one, one,
       frontend::Record(ir::Op::kSelect, {is_minus_one, minus_one, zero}, {}, std::nullopt, site)},
      {}, std::nullopt, site));
}

NDArray isnan(const NDArray& x, SourceLocation site) {
  return Predicate("isnan", ir::Op::kIsNan, x, site);
}
NDArray isinf(const NDArray& x, SourceLocation site) {
  return Predicate("isinf", ir::Op::kIsInf, x, site);
}
NDArray isfinite(const NDArray& x, SourceLocation site) {
  return Predicate("isfinite", ir::Op::kIsFinite, x, site);
}

NDArray logical_and(const Operand& a, const Operand& b) {
  return Logical("logical_and", ir::Op::kAnd, a, b);
}
NDArray logical_or(const Operand& a, const Operand& b) {
  return Logical("logical_or", ir::Op::kOr, a, b);
}
NDArray logical_xor(const Operand& a, const Operand& b) {
  return Logical("logical_xor", ir::Op::kXor, a, b);
}
NDArray logical_not(const NDArray& x, SourceLocation site) {
  ValuePtr v = frontend::CastTo(ValueOf(x, "logical_not", site), DType::kBool, site);
  return frontend::Wrap(Unary(ir::Op::kNot, v, site));
}

NDArray bitwise_and(const Operand& a, const Operand& b) {
  return Binary("bitwise_and", ir::Op::kAnd, a, b, DTypeRule::kSame, SiteOf(a, b));
}
NDArray bitwise_or(const Operand& a, const Operand& b) {
  return Binary("bitwise_or", ir::Op::kOr, a, b, DTypeRule::kSame, SiteOf(a, b));
}
NDArray bitwise_xor(const Operand& a, const Operand& b) {
  return Binary("bitwise_xor", ir::Op::kXor, a, b, DTypeRule::kSame, SiteOf(a, b));
}
NDArray bitwise_not(const NDArray& x, SourceLocation site) {
  const ValuePtr& v = ValueOf(x, "bitwise_not", site);
  if (IsFloat(v->type().dtype)) {
    Fail<DTypeError>("bitwise_not",
                     absl::StrCat("not supported for ", DTypeName(v->type().dtype),
                                  " (integer and bool dtypes only)"),
                     {Describe(x)}, site);
  }
  return frontend::Wrap(Unary(ir::Op::kNot, v, site));
}
NDArray invert(const NDArray& x, SourceLocation site) { return bitwise_not(x, site); }

NDArray power(const Operand& a, const Operand& b) {
  const SourceLocation& site = SiteOf(a, b);
  if (a.is_array() && !b.is_array() && b.scalar().kind() == Scalar::Kind::kInt &&
      b.scalar().as_int() < 0 && !IsFloat(a.array().dtype())) {
    Fail<ValueError>("power", "integers to negative integer powers are not allowed",
                     DescribeAll({&a, &b}), site);
  }
  return Binary("power", ir::Op::kPow, a, b, DTypeRule::kBoolToInt8, site);
}

NDArray mod(const Operand& a, const Operand& b) {
  return Binary("remainder", ir::Op::kMod, a, b, DTypeRule::kBoolToInt8, SiteOf(a, b));
}
NDArray remainder(const Operand& a, const Operand& b) { return mod(a, b); }

NDArray floor_divide(const Operand& a, const Operand& b) {
  return Binary("floor_divide", ir::Op::kFloorDiv, a, b, DTypeRule::kBoolToInt8, SiteOf(a, b));
}

NDArray arctan2(const Operand& y, const Operand& x) {
  return Binary("arctan2", ir::Op::kAtan2, y, x, DTypeRule::kFloat, SiteOf(y, x));
}
NDArray hypot(const Operand& a, const Operand& b) {
  return Binary("hypot", ir::Op::kHypot, a, b, DTypeRule::kFloat, SiteOf(a, b));
}

NDArray clip(const NDArray& x, std::optional<Operand> a_min, std::optional<Operand> a_max,
             SourceLocation site) {
  ValueOf(x, "clip", site);
  if (!a_min && !a_max) {
    Fail<ValueError>("clip", "one of a_min and a_max must be given", {Describe(x)}, site);
  }
  NDArray r = x;
  if (a_min) r = Binary("clip", ir::Op::kMax, Operand(r, site), *a_min, DTypeRule::kSame, site);
  if (a_max) r = Binary("clip", ir::Op::kMin, Operand(r, site), *a_max, DTypeRule::kSame, site);
  return r;
}

}  // namespace ndjit::nd
