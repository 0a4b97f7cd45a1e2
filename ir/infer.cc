// Type rules of every op (see ops.def for the semantics beside each row).
#include "ir/infer.h"

#include <algorithm>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ir/dtype.h"
#include "ir/status_macros.h"

namespace ndjit::ir {
namespace {

absl::Status Bad(Op op, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(OpName(op), ": ", what));
}

std::string Types(absl::Span<const TensorType* const> ts) {
  return absl::StrJoin(ts, ", ", [](std::string* out, const TensorType* t) {
    absl::StrAppend(out, TypeToString(*t));
  });
}

absl::Status SameShapes(Op op, absl::Span<const TensorType* const> ts) {
  for (const TensorType* t : ts) {
    if (t->shape != ts[0]->shape) {
      return Bad(op, absl::StrCat("operand shapes differ: ", Types(ts)));
    }
  }
  return absl::OkStatus();
}

absl::Status SameDTypes(Op op, absl::Span<const TensorType* const> ts) {
  for (const TensorType* t : ts) {
    if (t->dtype != ts[0]->dtype) {
      return Bad(op, absl::StrCat("operand dtypes differ: ", Types(ts)));
    }
  }
  return absl::OkStatus();
}

absl::Status DTypeAllowed(Op op, DType d) {
  if (OpAcceptsDType(op, d)) return absl::OkStatus();
  return Bad(op, absl::StrCat("dtype ", DTypeName(d), " is not supported"));
}

// A scalar attribute must be an integer in the dtype's range for bool/integer dtypes and a float
// for float dtypes, so that the attribute is the exact value of every element.
absl::Status ScalarFits(Op op, const Scalar& v, DType d) {
  if (IsFloat(d)) {
    if (v.is_float()) return absl::OkStatus();
    return Bad(op,
               absl::StrCat("value ", ScalarToString(v), " must be a float for ", DTypeName(d)));
  }
  if (v.is_float()) {
    return Bad(op,
               absl::StrCat("value ", ScalarToString(v), " must be an integer for ", DTypeName(d)));
  }
  const IntRange range = IntegerRange(d);
  if (v.i < range.lo || v.i > range.hi) {
    return Bad(op, absl::StrCat("value ", v.i, " out of range for ", DTypeName(d)));
  }
  return absl::OkStatus();
}

// Axes must be sorted, unique and within [0, rank).
absl::Status CheckAxes(Op op, absl::Span<const int64_t> axes, size_t rank, bool sorted) {
  for (size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] < 0 || axes[i] >= static_cast<int64_t>(rank)) {
      return Bad(op, absl::StrCat("axis ", axes[i], " out of range for rank ", rank));
    }
    if (sorted && i > 0 && axes[i] <= axes[i - 1]) {
      return Bad(op, absl::StrCat("axes [", absl::StrJoin(axes, ","), "] not sorted and unique"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<TensorType> InferReduce(Op op, const TensorType& in, const Attrs& a) {
  RETURN_IF_ERROR(CheckAxes(op, a.axes, in.shape.size(), /*sorted=*/true));
  TensorType out{in.dtype, {}};
  for (size_t i = 0; i < in.shape.size(); ++i) {
    const bool reduced = std::binary_search(a.axes.begin(), a.axes.end(), int64_t(i));
    if (!reduced) out.shape.push_back(in.shape[i]);
    if (reduced && in.shape[i] == 0 && (op == Op::kReduceMax || op == Op::kReduceMin)) {
      return Bad(op, "zero-size reduction has no identity");
    }
  }
  return out;
}

absl::StatusOr<TensorType> InferView(Op op, const TensorType& in, const Attrs& a,
                                     const std::optional<TensorType>& declared) {
  const size_t rank = in.shape.size();
  switch (op) {
    case Op::kReshape: {
      if (!declared) return Bad(op, "needs a result type");
      if (NumElements(declared->shape) != NumElements(in.shape)) {
        return Bad(op, absl::StrCat("cannot reshape ", TypeToString(in), " to ",
                                    ShapeToString(declared->shape)));
      }
      return TensorType{in.dtype, declared->shape};
    }
    case Op::kPermute: {
      std::vector<int64_t> sorted = a.perm;
      std::sort(sorted.begin(), sorted.end());
      for (size_t i = 0; i < sorted.size(); ++i) {
        if (sorted[i] != static_cast<int64_t>(i)) sorted.clear();
      }
      if (a.perm.size() != rank || sorted.size() != rank) {
        return Bad(op, absl::StrCat("perm [", absl::StrJoin(a.perm, ","),
                                    "] is not a permutation of rank ", rank));
      }
      TensorType out{in.dtype, {}};
      for (int64_t p : a.perm) out.shape.push_back(in.shape[p]);
      return out;
    }
    case Op::kBroadcast: {
      if (!declared) return Bad(op, "needs a result type");
      const Shape& to = declared->shape;
      bool ok = to.size() >= rank;
      for (size_t i = 0; ok && i < rank; ++i) {
        const int64_t d = in.shape[rank - 1 - i];
        ok = d == 1 || d == to[to.size() - 1 - i];
      }
      if (!ok) {
        return Bad(op,
                   absl::StrCat("cannot broadcast ", TypeToString(in), " to ", ShapeToString(to)));
      }
      return TensorType{in.dtype, to};
    }
    case Op::kSlice: {
      if (!declared) return Bad(op, "needs a result type");
      const Shape& out = declared->shape;
      if (a.starts.size() != rank || a.steps.size() != rank || out.size() != rank) {
        return Bad(op, "starts, steps and result rank must equal the operand rank");
      }
      for (size_t i = 0; i < rank; ++i) {
        if (a.steps[i] == 0) return Bad(op, "step 0");
        if (out[i] == 0) continue;
        // First and last index read must be in range.
        int64_t offset = 0, last = 0;
        const bool overflow = __builtin_mul_overflow(out[i] - 1, a.steps[i], &offset) ||
                              __builtin_add_overflow(a.starts[i], offset, &last);
        if (overflow || a.starts[i] < 0 || a.starts[i] >= in.shape[i] || last < 0 ||
            last >= in.shape[i]) {
          return Bad(op, absl::StrCat("axis ", i, " reads outside [0, ", in.shape[i], ")"));
        }
      }
      return TensorType{in.dtype, out};
    }
    case Op::kPad: {
      if (a.low.size() != rank || a.high.size() != rank) {
        return Bad(op, "low and high must have one entry per axis");
      }
      RETURN_IF_ERROR(ScalarFits(op, a.value, in.dtype));
      TensorType out{in.dtype, in.shape};
      for (size_t i = 0; i < rank; ++i) {
        if (a.low[i] < 0 || a.high[i] < 0) return Bad(op, "negative padding");
        if (__builtin_add_overflow(out.shape[i], a.low[i], &out.shape[i]) ||
            __builtin_add_overflow(out.shape[i], a.high[i], &out.shape[i])) {
          return Bad(op, absl::StrCat("padded size of axis ", i, " overflows int64"));
        }
      }
      return out;
    }
    case Op::kFlip:
      RETURN_IF_ERROR(CheckAxes(op, a.axes, rank, /*sorted=*/true));
      return in;
    default:
      return Bad(op, "not a view");
  }
}

absl::StatusOr<TensorType> InferFromOperands(Op op, absl::Span<const TensorType* const> in,
                                             const Attrs& a,
                                             const std::optional<TensorType>& declared) {
  switch (GetOpKind(op)) {
    case OpKind::kLeaf: {
      if (!declared) return Bad(op, "needs a result type");
      if (op == Op::kIota) {
        RETURN_IF_ERROR(CheckAxes(op, {a.axis}, declared->shape.size(), false));
      }
      if (op == Op::kInput && a.index < 0) return Bad(op, "negative index");
      if (op == Op::kConstant) RETURN_IF_ERROR(ScalarFits(op, a.value, declared->dtype));
      return *declared;
    }
    case OpKind::kUnary:
      return *in[0];
    case OpKind::kUnaryPredicate:
      return TensorType{DType::kBool, in[0]->shape};
    case OpKind::kBinary:
    case OpKind::kCompare:
      RETURN_IF_ERROR(SameShapes(op, in));
      RETURN_IF_ERROR(SameDTypes(op, in));
      return TensorType{GetOpKind(op) == OpKind::kCompare ? DType::kBool : in[0]->dtype,
                        in[0]->shape};
    case OpKind::kSelect:
      RETURN_IF_ERROR(SameShapes(op, in));
      if (in[0]->dtype != DType::kBool) return Bad(op, "condition must be bool");
      RETURN_IF_ERROR(SameDTypes(op, in.subspan(1)));
      return *in[1];
    case OpKind::kCast:
      if (!declared) return Bad(op, "needs a result type");
      return TensorType{declared->dtype, in[0]->shape};
    case OpKind::kReduce:
      return InferReduce(op, *in[0], a);
    case OpKind::kArgReduce: {
      RETURN_IF_ERROR(CheckAxes(op, {a.axis}, in[0]->shape.size(), false));
      if (in[0]->shape[a.axis] == 0)
        return Bad(op, "attempt to get argmax/argmin of an empty axis");
      TensorType out{DType::kInt64, in[0]->shape};
      out.shape.erase(out.shape.begin() + a.axis);
      return out;
    }
    case OpKind::kScan: {
      RETURN_IF_ERROR(CheckAxes(op, {a.axis}, in[0]->shape.size(), false));
      if (in.size() > 2) {
        return Bad(op, absl::StrCat("expects an operand and an optional carry, got ", in.size(),
                                    " operands"));
      }
      if (in.size() == 2) {
        RETURN_IF_ERROR(SameDTypes(op, in));
        Shape expect = in[0]->shape;
        const int64_t chunks = in[1]->shape.size() == expect.size() ? in[1]->shape[a.axis] : 0;
        expect[a.axis] = std::max<int64_t>(chunks, 1);
        if (in[1]->shape != expect) {
          return Bad(op, absl::StrCat("carry ", TypeToString(*in[1]), " must have the operand's ",
                                      "shape with one or more chunks along axis ", a.axis,
                                      ": operand ", TypeToString(*in[0])));
        }
      }
      return *in[0];
    }
    case OpKind::kView:
      return InferView(op, *in[0], a, declared);
    case OpKind::kConcat: {
      RETURN_IF_ERROR(SameDTypes(op, in));
      const size_t rank = in[0]->shape.size();
      RETURN_IF_ERROR(CheckAxes(op, {a.axis}, rank, false));
      TensorType out = *in[0];
      for (size_t k = 1; k < in.size(); ++k) {
        bool ok = in[k]->shape.size() == rank;
        for (size_t i = 0; ok && i < rank; ++i) {
          ok = static_cast<int64_t>(i) == a.axis || in[k]->shape[i] == out.shape[i];
        }
        if (!ok) return Bad(op, absl::StrCat("operand shapes do not match: ", Types(in)));
        if (__builtin_add_overflow(out.shape[a.axis], in[k]->shape[a.axis], &out.shape[a.axis])) {
          return Bad(op, "concatenated size overflows int64");
        }
      }
      return out;
    }
    case OpKind::kGather: {
      RETURN_IF_ERROR(CheckAxes(op, {a.axis}, in[0]->shape.size(), false));
      if (!IsInteger(in[1]->dtype)) return Bad(op, "indices must have an integer dtype");
      TensorType out{in[0]->dtype, {}};
      out.shape.assign(in[0]->shape.begin(), in[0]->shape.begin() + a.axis);
      out.shape.insert(out.shape.end(), in[1]->shape.begin(), in[1]->shape.end());
      out.shape.insert(out.shape.end(), in[0]->shape.begin() + a.axis + 1, in[0]->shape.end());
      return out;
    }
    case OpKind::kMatmul: {
      RETURN_IF_ERROR(SameDTypes(op, in));
      const Shape& x = in[0]->shape;
      const Shape& y = in[1]->shape;
      const size_t r = x.size();
      if (r < 2 || y.size() != r || !std::equal(x.begin(), x.end() - 2, y.begin()) ||
          x[r - 1] != y[r - 2]) {
        return Bad(op, absl::StrCat("operands ", Types(in),
                                    " are not [B...,M,K] x [B...,K,N] with equal batch dims"));
      }
      TensorType out{in[0]->dtype, x};
      out.shape[r - 1] = y[r - 1];
      return out;
    }
  }
  return Bad(op, "unknown op kind");
}

}  // namespace

bool ResultTypeIsDeclared(Op op) {
  switch (op) {
    case Op::kInput:
    case Op::kConstant:
    case Op::kIota:
    case Op::kRandom:
    case Op::kCast:
    case Op::kReshape:
    case Op::kBroadcast:
    case Op::kSlice:
      return true;
    default:
      return false;
  }
}

absl::StatusOr<TensorType> InferType(Op op, absl::Span<const TensorType* const> operands,
                                     const Attrs& attrs,
                                     const std::optional<TensorType>& declared) {
  const int arity = OpArity(op);
  if (arity >= 0 && static_cast<int>(operands.size()) != arity) {
    return Bad(op, absl::StrCat("expects ", arity, " operands, got ", operands.size()));
  }
  if (arity < 0 && operands.empty()) return Bad(op, "expects at least one operand");
  if (declared) {
    absl::StatusOr<int64_t> n = CheckedNumElements(declared->shape);
    if (!n.ok()) return Bad(op, n.status().message());
  }
  ASSIGN_OR_RETURN(TensorType result, InferFromOperands(op, operands, attrs, declared));
  // Every node's element count fits in int64 (gather and matmul can multiply dims up).
  if (absl::StatusOr<int64_t> n = CheckedNumElements(result.shape); !n.ok()) {
    return Bad(op, n.status().message());
  }
  // Dtype rules apply to the operand for elementwise ops and to the result for leaves.
  RETURN_IF_ERROR(DTypeAllowed(op, operands.empty() ? result.dtype : operands.back()->dtype));
  if (declared && !(*declared == result)) {
    return Bad(op, absl::StrCat("declared type ", TypeToString(*declared),
                                " differs from inferred type ", TypeToString(result)));
  }
  return result;
}

absl::StatusOr<TensorType> InferType(Op op, absl::Span<const TensorType> operands,
                                     const Attrs& attrs,
                                     const std::optional<TensorType>& declared) {
  absl::InlinedVector<const TensorType*, 4> pointers;
  pointers.reserve(operands.size());
  for (const TensorType& t : operands) pointers.push_back(&t);
  return InferType(op, pointers, attrs, declared);
}

}  // namespace ndjit::ir
