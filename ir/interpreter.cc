// The reference interpreter (see interpreter.h).
#include "ir/interpreter.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "ir/printer.h"
#include "ir/random.h"
#include "ir/scalar_rules.h"
#include "ir/status_macros.h"

namespace ndjit::ir {

namespace {

// ---- Scalar semantics ------------------------------------------------------------------------

// Comparisons on either representation; nullopt for ops that are not comparisons.
template <typename T>
std::optional<bool> Compare(Op op, T a, T b) {
  switch (op) {
    case Op::kEq:
      return a == b;
    case Op::kNe:
      return a != b;
    case Op::kLt:
      return a < b;
    case Op::kLe:
      return a <= b;
    case Op::kGt:
      return a > b;
    case Op::kGe:
      return a >= b;
    default:
      return std::nullopt;
  }
}

// The per-element rules below return nullopt for an op they have no rule for; the evaluator
// turns that into an error, so an op added to ops.def without a rule here fails loudly.
std::optional<double> UnaryFloat(Op op, double x) {
  switch (op) {
    case Op::kNeg:
      return -x;
    case Op::kAbs:
      return std::fabs(x);
    case Op::kSign:
      return SignOf(x);
    case Op::kExp:
      return std::exp(x);
    case Op::kExpm1:
      return std::expm1(x);
    case Op::kLog:
      return std::log(x);
    case Op::kLog1p:
      return std::log1p(x);
    case Op::kLog2:
      return std::log2(x);
    case Op::kLog10:
      return std::log10(x);
    case Op::kExp2:
      return std::exp2(x);
    case Op::kSqrt:
      return std::sqrt(x);
    case Op::kSin:
      return std::sin(x);
    case Op::kCos:
      return std::cos(x);
    case Op::kTan:
      return std::tan(x);
    case Op::kAsin:
      return std::asin(x);
    case Op::kAcos:
      return std::acos(x);
    case Op::kAtan:
      return std::atan(x);
    case Op::kSinh:
      return std::sinh(x);
    case Op::kCosh:
      return std::cosh(x);
    case Op::kTanh:
      return std::tanh(x);
    case Op::kAsinh:
      return std::asinh(x);
    case Op::kAcosh:
      return std::acosh(x);
    case Op::kAtanh:
      return std::atanh(x);
    case Op::kErf:
      return std::erf(x);
    case Op::kFloor:
      return std::floor(x);
    case Op::kCeil:
      return std::ceil(x);
    case Op::kRound:
      return std::nearbyint(x);
    case Op::kTrunc:
      return std::trunc(x);
    default:
      return std::nullopt;
  }
}

std::optional<int64_t> UnaryInt(Op op, int64_t x, DType dtype) {
  switch (op) {
    case Op::kNeg:
      return WrapSub(0, x);
    case Op::kAbs:
      return x < 0 ? WrapSub(0, x) : x;
    case Op::kSign:
      return x > 0 ? 1 : (x < 0 ? -1 : 0);
    case Op::kNot:
      return dtype == DType::kBool ? !x : ~x;
    default:
      return std::nullopt;
  }
}

std::optional<double> BinaryFloat(Op op, double a, double b) {
  if (std::optional<bool> c = Compare(op, a, b)) return *c ? 1.0 : 0.0;
  switch (op) {
    case Op::kAdd:
      return a + b;
    case Op::kSub:
      return a - b;
    case Op::kMul:
      return a * b;
    case Op::kDiv:
      return a / b;
    case Op::kMod:
      return FloatMod(a, b);
    case Op::kPow:
      return std::pow(a, b);
    case Op::kMax:
      return FloatMax(a, b);
    case Op::kMin:
      return FloatMin(a, b);
    case Op::kAtan2:
      return std::atan2(a, b);
    case Op::kHypot:
      return std::hypot(a, b);
    case Op::kFloorDiv:
      return FloatFloorDiv(a, b);
    default:
      return std::nullopt;
  }
}

std::optional<int64_t> BinaryInt(Op op, int64_t a, int64_t b, DType dtype) {
  if (std::optional<bool> c = Compare(op, a, b)) return *c ? 1 : 0;
  const bool is_bool = dtype == DType::kBool;
  switch (op) {
    case Op::kAdd:
      return is_bool ? (a | b) : WrapAdd(a, b);
    case Op::kSub:
      return WrapSub(a, b);
    case Op::kMul:
      return is_bool ? (a & b) : WrapMul(a, b);
    case Op::kDiv:
    case Op::kFloorDiv:
      return FloorDiv(a, b);
    case Op::kMod:
      return FloorMod(a, b);
    case Op::kPow:
      return IntPow(a, b);
    case Op::kMax:
      return std::max(a, b);
    case Op::kMin:
      return std::min(a, b);
    case Op::kAnd:
      return a & b;
    case Op::kOr:
      return a | b;
    case Op::kXor:
      return a ^ b;
    default:
      return std::nullopt;
  }
}

// ---- Index helpers ----------------------------------------------------------------------------

// Odometer over a shape: visits every multi-index in row-major order.
class IndexIter {
 public:
  explicit IndexIter(const Shape& shape) : shape_(shape), idx_(shape.size(), 0) {}
  const std::vector<int64_t>& idx() const { return idx_; }
  void Next() {
    for (size_t d = shape_.size(); d-- > 0;) {
      if (++idx_[d] < shape_[d]) return;
      idx_[d] = 0;
    }
  }

 private:
  const Shape& shape_;
  std::vector<int64_t> idx_;
};

absl::Status NodeError(const Node& node, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(OpName(node.op()), ": ", AbslView(what),
                                                 " (node %", node.id(), " created at ",
                                                 node.loc().ToString(), ")"));
}

// An op that reached the interpreter without a rule for its dtype: the verifier and the rules
// here disagree, which is a bug in ndjit, never a value.
absl::Status NoRule(const Node& node, DType dtype) {
  return absl::InternalError(absl::StrCat("interpreter: no rule for ", OpName(node.op()), " on ",
                                          DTypeName(dtype), " (node %", node.id(), ")"));
}

// ---- Evaluation of one node -------------------------------------------------------------------

class Evaluator {
 public:
  absl::StatusOr<HostTensor> Eval(const Node& node, absl::Span<const HostTensor* const> in) {
    HostTensor out(node.type());
    const int64_t n = out.num_elements();
    const DType dt = node.dtype();
    switch (GetOpKind(node.op())) {
      case OpKind::kLeaf:
        return EvalLeaf(node, out);
      case OpKind::kUnary:
        for (int64_t i = 0; i < n; ++i) {
          if (IsFloat(dt)) {
            const std::optional<double> r = UnaryFloat(node.op(), LoadAsDouble(*in[0], i));
            if (!r) return NoRule(node, dt);
            StoreDouble(out, i, *r);
          } else {
            const std::optional<int64_t> r = UnaryInt(node.op(), LoadAsInt(*in[0], i), dt);
            if (!r) return NoRule(node, dt);
            StoreInt(out, i, *r);
          }
        }
        return out;
      case OpKind::kUnaryPredicate: {
        bool (*predicate)(double) = nullptr;
        switch (node.op()) {
          case Op::kIsNan:
            predicate = [](double x) { return std::isnan(x); };
            break;
          case Op::kIsInf:
            predicate = [](double x) { return std::isinf(x); };
            break;
          case Op::kIsFinite:
            predicate = [](double x) { return std::isfinite(x); };
            break;
          default:
            return NoRule(node, in[0]->dtype());
        }
        for (int64_t i = 0; i < n; ++i) {
          const double x = IsFloat(in[0]->dtype()) ? LoadAsDouble(*in[0], i) : 0.0;
          StoreInt(out, i, predicate(x));
        }
        return out;
      }
      case OpKind::kBinary:
      case OpKind::kCompare: {
        const DType operand_dtype = in[0]->dtype();
        for (int64_t i = 0; i < n; ++i) {
          if (IsFloat(operand_dtype)) {
            const std::optional<double> r =
                BinaryFloat(node.op(), LoadAsDouble(*in[0], i), LoadAsDouble(*in[1], i));
            if (!r) return NoRule(node, operand_dtype);
            StoreDouble(out, i, *r);
          } else {
            const std::optional<int64_t> r =
                BinaryInt(node.op(), LoadAsInt(*in[0], i), LoadAsInt(*in[1], i), operand_dtype);
            if (!r) return NoRule(node, operand_dtype);
            StoreInt(out, i, *r);
          }
        }
        return out;
      }
      case OpKind::kSelect:
        for (int64_t i = 0; i < n; ++i)
          CopyElement(*(LoadAsInt(*in[0], i) ? in[1] : in[2]), i, out, i);
        return out;
      case OpKind::kCast:
        for (int64_t i = 0; i < n; ++i) {
          if (IsFloat(in[0]->dtype())) {
            StoreDouble(out, i, LoadAsDouble(*in[0], i));
          } else {
            StoreInt(out, i, LoadAsInt(*in[0], i));
          }
        }
        return out;
      case OpKind::kReduce:
        return EvalReduce(node, *in[0], out);
      case OpKind::kArgReduce:
        return EvalArgReduce(node, *in[0], out);
      case OpKind::kScan:
        return EvalScan(node, *in[0], in.size() > 1 ? in[1] : nullptr, out);
      case OpKind::kView:
        return EvalView(node, *in[0], out);
      case OpKind::kConcat:
        return EvalConcat(node, in, out);
      case OpKind::kGather:
        return EvalGather(node, *in[0], *in[1], out);
      case OpKind::kMatmul:
        return EvalMatmul(*in[0], *in[1], out);
    }
    return NodeError(node, "unknown op kind");
  }

 private:
  static void CopyElement(const HostTensor& from, int64_t i, HostTensor& to, int64_t j) {
    const int size = DTypeSize(from.dtype());
    std::memcpy(static_cast<char*>(to.data()) + j * size,
                static_cast<const char*>(from.data()) + i * size, size);
  }

  static void StoreScalar(HostTensor& out, int64_t i, const Scalar& v) {
    if (v.is_float()) {
      StoreDouble(out, i, v.f);
    } else {
      StoreInt(out, i, v.i);
    }
  }

  absl::StatusOr<HostTensor> EvalLeaf(const Node& node, HostTensor& out) {
    const int64_t n = out.num_elements();
    const Attrs& a = node.attrs();
    switch (node.op()) {
      case Op::kConstant:
        for (int64_t i = 0; i < n; ++i) StoreScalar(out, i, a.value);
        return out;
      case Op::kIota: {
        IndexIter it(out.shape());
        for (int64_t i = 0; i < n; ++i, it.Next()) StoreInt(out, i, it.idx()[a.axis]);
        return out;
      }
      case Op::kRandom: {
        const int bits = UniformBits(out.dtype());
        for (int64_t i = 0; i < n; ++i) {
          const double v = a.dist == RandomDist::kUniform
                               ? UniformFromBits(RandomBits(a.seed, i), bits)
                               : NormalAt(a.seed, i);
          StoreDouble(out, i, v);
        }
        return out;
      }
      default:
        return NodeError(node, "input leaves are bound, not evaluated");
    }
  }

  absl::StatusOr<HostTensor> EvalReduce(const Node& node, const HostTensor& in, HostTensor& out) {
    const std::vector<int64_t>& axes = node.attrs().axes;
    const int64_t n_out = out.num_elements();
    const bool fl = IsFloat(in.dtype());
    const Op op = node.op();
    switch (op) {
      case Op::kReduceSum:
      case Op::kReduceProd:
      case Op::kReduceMax:
      case Op::kReduceMin:
        break;
      default:
        return NoRule(node, in.dtype());
    }
    std::vector<double> accf(n_out, op == Op::kReduceProd ? 1.0 : 0.0);
    std::vector<int64_t> acci(n_out, op == Op::kReduceProd ? 1 : 0);
    std::vector<bool> seen(n_out, false);
    // Output strides for the kept axes of the input.
    const std::vector<int64_t> out_strides = RowMajorStrides(out.shape());
    std::vector<int64_t> in_to_out(in.shape().size(), 0);
    for (size_t d = 0, k = 0; d < in.shape().size(); ++d) {
      if (!std::binary_search(axes.begin(), axes.end(), int64_t(d)))
        in_to_out[d] = out_strides[k++];
    }
    IndexIter it(in.shape());
    for (int64_t i = 0; i < in.num_elements(); ++i, it.Next()) {
      int64_t o = 0;
      for (size_t d = 0; d < in_to_out.size(); ++d) o += it.idx()[d] * in_to_out[d];
      if (fl) {
        const double x = LoadAsDouble(in, i);
        double& acc = accf[o];
        switch (op) {
          case Op::kReduceSum:
            acc += x;
            break;
          case Op::kReduceProd:
            acc *= x;
            break;
          case Op::kReduceMax:
            acc = seen[o] ? FloatMax(acc, x) : x;
            break;
          case Op::kReduceMin:
            acc = seen[o] ? FloatMin(acc, x) : x;
            break;
          default:  // excluded above
            break;
        }
      } else {
        const int64_t x = LoadAsInt(in, i);
        int64_t& acc = acci[o];
        const bool is_bool = in.dtype() == DType::kBool;
        switch (op) {
          case Op::kReduceSum:
            acc = is_bool ? (acc | x) : WrapAdd(acc, x);
            break;
          case Op::kReduceProd:
            acc = is_bool ? (acc & x) : WrapMul(acc, x);
            break;
          case Op::kReduceMax:
            acc = seen[o] ? std::max(acc, x) : x;
            break;
          case Op::kReduceMin:
            acc = seen[o] ? std::min(acc, x) : x;
            break;
          default:  // excluded above
            break;
        }
      }
      seen[o] = true;
    }
    for (int64_t o = 0; o < n_out; ++o) {
      if (fl) {
        StoreDouble(out, o, accf[o]);
      } else {
        StoreInt(out, o, acci[o]);
      }
    }
    return out;
  }

  absl::StatusOr<HostTensor> EvalArgReduce(const Node& node, const HostTensor& in,
                                           HostTensor& out) {
    const int64_t axis = node.attrs().axis;
    const int64_t len = in.shape()[axis];
    const std::vector<int64_t> strides = RowMajorStrides(in.shape());
    const int64_t outer = NumElements(absl::MakeSpan(in.shape()).subspan(0, axis));
    const int64_t inner = strides[axis];
    const bool is_max = node.op() == Op::kArgMax;
    const bool fl = IsFloat(in.dtype());
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t r = 0; r < inner; ++r) {
        const int64_t base = o * len * inner + r;
        int64_t best = 0;
        for (int64_t k = 1; k < len; ++k) {
          const int64_t i = base + k * inner, b = base + best * inner;
          bool better;
          if (fl) {
            const double x = LoadAsDouble(in, i), y = LoadAsDouble(in, b);
            if (std::isnan(y)) break;  // the first NaN wins
            better = std::isnan(x) || (is_max ? x > y : x < y);
          } else {
            const int64_t x = LoadAsInt(in, i), y = LoadAsInt(in, b);
            better = is_max ? x > y : x < y;
          }
          if (better) best = k;
        }
        if (fl && len > 0 && std::isnan(LoadAsDouble(in, base))) best = 0;
        StoreInt(out, o * inner + r, best);
      }
    }
    return out;
  }

  // Floats accumulate in double and round each result once; integers wrap; bool is or/and.
  absl::StatusOr<HostTensor> EvalScan(const Node& node, const HostTensor& in,
                                      const HostTensor* carry, HostTensor& out) {
    const int64_t axis = node.attrs().axis;
    const int64_t len = in.shape()[axis];
    const std::vector<int64_t> strides = RowMajorStrides(in.shape());
    const int64_t outer = NumElements(absl::MakeSpan(in.shape()).subspan(0, axis));
    const int64_t inner = strides[axis];
    const int64_t chunks = carry != nullptr ? carry->shape()[axis] : 1;
    const int64_t chunk = chunks > 0 ? (len + chunks - 1) / chunks : len;
    const Op op = node.op();
    const bool fl = IsFloat(in.dtype());
    const bool is_bool = in.dtype() == DType::kBool;
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t r = 0; r < inner; ++r) {
        double accf = 0.0;
        int64_t acci = 0;
        bool seen = false;
        for (int64_t k = 0; k < len; ++k) {
          if (chunk > 0 && k % chunk == 0) {
            seen = carry != nullptr;  // a carry starts the chunk; without one, its first element
            if (seen) {
              const int64_t c = (o * chunks + k / chunk) * inner + r;
              accf = fl ? LoadAsDouble(*carry, c) : 0.0;
              acci = fl ? 0 : LoadAsInt(*carry, c);
            }
          }
          const int64_t i = (o * len + k) * inner + r;
          if (fl) {
            const double x = LoadAsDouble(in, i);
            switch (op) {
              case Op::kScanSum:
                accf = seen ? accf + x : x;
                break;
              case Op::kScanProd:
                accf = seen ? accf * x : x;
                break;
              case Op::kScanMax:
                accf = seen ? FloatMax(accf, x) : x;
                break;
              case Op::kScanMin:
                accf = seen ? FloatMin(accf, x) : x;
                break;
              default:
                return NoRule(node, in.dtype());
            }
            StoreDouble(out, i, accf);
          } else {
            const int64_t x = LoadAsInt(in, i);
            switch (op) {
              case Op::kScanSum:
                acci = !seen ? x : is_bool ? (acci | x) : WrapAdd(acci, x);
                break;
              case Op::kScanProd:
                acci = !seen ? x : is_bool ? (acci & x) : WrapMul(acci, x);
                break;
              case Op::kScanMax:
                acci = seen ? std::max(acci, x) : x;
                break;
              case Op::kScanMin:
                acci = seen ? std::min(acci, x) : x;
                break;
              default:
                return NoRule(node, in.dtype());
            }
            StoreInt(out, i, acci);
          }
          seen = true;
        }
      }
    }
    return out;
  }

  absl::StatusOr<HostTensor> EvalView(const Node& node, const HostTensor& in, HostTensor& out) {
    const Attrs& a = node.attrs();
    const Shape& is = in.shape();
    const size_t in_rank = is.size();
    const std::vector<int64_t> in_strides = RowMajorStrides(is);
    if (node.op() == Op::kReshape) {
      if (in.size_bytes() > 0) std::memcpy(out.data(), in.data(), in.size_bytes());
      return out;
    }
    IndexIter it(out.shape());
    const size_t out_rank = out.shape().size();
    for (int64_t i = 0; i < out.num_elements(); ++i, it.Next()) {
      const std::vector<int64_t>& idx = it.idx();
      int64_t src = 0;
      bool padded = false;
      switch (node.op()) {
        case Op::kPermute:
          for (size_t d = 0; d < out_rank; ++d) src += idx[d] * in_strides[a.perm[d]];
          break;
        case Op::kBroadcast:
          for (size_t d = 0; d < in_rank; ++d) {
            if (is[d] != 1) src += idx[d + out_rank - in_rank] * in_strides[d];
          }
          break;
        case Op::kSlice:
          for (size_t d = 0; d < in_rank; ++d)
            src += (a.starts[d] + idx[d] * a.steps[d]) * in_strides[d];
          break;
        case Op::kPad:
          for (size_t d = 0; d < in_rank; ++d) {
            const int64_t j = idx[d] - a.low[d];
            if (j < 0 || j >= is[d]) padded = true;
            src += j * in_strides[d];
          }
          break;
        case Op::kFlip:
          for (size_t d = 0; d < in_rank; ++d) {
            const bool flip = std::binary_search(a.axes.begin(), a.axes.end(), int64_t(d));
            src += (flip ? is[d] - 1 - idx[d] : idx[d]) * in_strides[d];
          }
          break;
        default:
          return NodeError(node, "not a view");
      }
      if (padded) {
        StoreScalar(out, i, a.value);
      } else {
        CopyElement(in, src, out, i);
      }
    }
    return out;
  }

  absl::StatusOr<HostTensor> EvalConcat(const Node& node, absl::Span<const HostTensor* const> in,
                                        HostTensor& out) {
    const int64_t axis = node.attrs().axis;
    IndexIter it(out.shape());
    for (int64_t i = 0; i < out.num_elements(); ++i, it.Next()) {
      int64_t pos = it.idx()[axis];
      size_t k = 0;
      while (pos >= in[k]->shape()[axis]) pos -= in[k++]->shape()[axis];
      const std::vector<int64_t> strides = RowMajorStrides(in[k]->shape());
      int64_t src = 0;
      for (size_t d = 0; d < strides.size(); ++d) {
        src += (static_cast<int64_t>(d) == axis ? pos : it.idx()[d]) * strides[d];
      }
      CopyElement(*in[k], src, out, i);
    }
    return out;
  }

  absl::StatusOr<HostTensor> EvalGather(const Node& node, const HostTensor& data,
                                        const HostTensor& indices, HostTensor& out) {
    const int64_t axis = node.attrs().axis;
    const int64_t dim = data.shape()[axis];
    const std::vector<int64_t> strides = RowMajorStrides(data.shape());
    const int64_t inner = strides[axis];
    const int64_t n_idx = indices.num_elements();
    const int64_t outer = NumElements(absl::MakeSpan(data.shape()).subspan(0, axis));
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t k = 0; k < n_idx; ++k) {
        int64_t j = LoadAsInt(indices, k);
        if (j < -dim || j >= dim) {
          return NodeError(node, absl::StrCat("index ", j, " is out of bounds for axis ", axis,
                                              " with size ", dim));
        }
        if (j < 0) j += dim;
        for (int64_t r = 0; r < inner; ++r) {
          CopyElement(data, (o * dim + j) * inner + r, out, (o * n_idx + k) * inner + r);
        }
      }
    }
    return out;
  }

  absl::StatusOr<HostTensor> EvalMatmul(const HostTensor& x, const HostTensor& y, HostTensor& out) {
    const Shape& xs = x.shape();
    const size_t r = xs.size();
    const int64_t m = xs[r - 2], k = xs[r - 1], n = y.shape()[r - 1];
    const int64_t batch = NumElements(absl::MakeSpan(xs).subspan(0, r - 2));
    const bool fl = IsFloat(x.dtype());
    const bool is_bool = x.dtype() == DType::kBool;
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) {
          double accf = 0;
          int64_t acci = 0;
          for (int64_t p = 0; p < k; ++p) {
            const int64_t xi = (b * m + i) * k + p, yi = (b * k + p) * n + j;
            if (fl) {
              accf += LoadAsDouble(x, xi) * LoadAsDouble(y, yi);
            } else if (is_bool) {
              acci |= LoadAsInt(x, xi) & LoadAsInt(y, yi);
            } else {
              acci = WrapAdd(acci, WrapMul(LoadAsInt(x, xi), LoadAsInt(y, yi)));
            }
          }
          const int64_t o = (b * m + i) * n + j;
          if (fl) {
            StoreDouble(out, o, accf);
          } else {
            StoreInt(out, o, acci);
          }
        }
      }
    }
    return out;
  }
};

}  // namespace

absl::StatusOr<std::vector<HostTensor>> Interpret(const Graph& graph,
                                                  absl::Span<const HostTensor> inputs,
                                                  InterpretStats* stats) {
  const int n = graph.num_nodes();
  // Which nodes the outputs need, and the last user of each (to free buffers early).
  std::vector<bool> live(n, false);
  std::vector<int> last_use(n, -1);
  for (const Node* out : graph.outputs()) {
    live[out->id()] = true;
    last_use[out->id()] = n;  // outputs are kept to the end
  }
  for (int id = n - 1; id >= 0; --id) {
    if (!live[id]) continue;
    for (const Node* operand : graph.node(id)->operands()) {
      live[operand->id()] = true;
      last_use[operand->id()] = std::max(last_use[operand->id()], id);
    }
  }
  std::vector<HostTensor> values(n);
  Evaluator evaluator;
  for (int id = 0; id < n; ++id) {
    if (!live[id]) continue;
    const Node& node = *graph.node(id);
    if (node.op() == Op::kInput) {
      const int64_t index = node.attrs().index;
      if (index < 0 || index >= static_cast<int64_t>(inputs.size())) {
        return NodeError(node, absl::StrCat("no buffer bound for input ", index));
      }
      if (inputs[index].type() != node.type()) {
        return NodeError(node,
                         absl::StrCat("bound buffer has type ", TypeToString(inputs[index].type()),
                                      ", expected ", TypeToString(node.type())));
      }
      values[id] = inputs[index];
      continue;
    }
    std::vector<const HostTensor*> operands;
    for (const Node* operand : node.operands()) operands.push_back(&values[operand->id()]);
    ASSIGN_OR_RETURN(values[id], evaluator.Eval(node, operands));
    if (stats != nullptr) ++stats->nodes_evaluated;
    for (const Node* operand : node.operands()) {
      if (last_use[operand->id()] == id) values[operand->id()] = HostTensor();
    }
  }
  std::vector<HostTensor> results;
  for (const Node* out : graph.outputs()) results.push_back(values[out->id()]);
  return results;
}

}  // namespace ndjit::ir
