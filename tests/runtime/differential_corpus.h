// The differential corpus shared by the CPU JIT's tests (tests/runtime/jit_differential_test.cc)
// and the CUDA backend's CPU emulation (tests/cuda/): seeded random graphs, their inputs, the
// exactness rules, and the comparison with the interpreter. See jit_differential_test.cc for what
// the corpus covers.
#ifndef NDJIT_TESTS_RUNTIME_DIFFERENTIAL_CORPUS_H_
#define NDJIT_TESTS_RUNTIME_DIFFERENTIAL_CORPUS_H_

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ir/dtype.h"
#include "ir/elements.h"
#include "ir/graph.h"
#include "ir/interpreter.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "runtime/executor.h"

namespace ndjit::runtime::testing {

using ir::Graph;
using ir::HostTensor;
using ir::Node;
using ir::Op;
using ir::OpKind;
using ir::Shape;
using ir::TensorType;

// ---- Exactness: which values both paths compute bit for bit --------------------------------

inline bool OpIsExact(const Node& n) {
  const bool fl = IsFloat(n.dtype());
  switch (ir::GetOpKind(n.op())) {
    case OpKind::kLeaf:
      return !(n.op() == Op::kRandom && n.attrs().dist == ir::RandomDist::kNormal);
    case OpKind::kUnary:
      if (!fl) return true;
      switch (n.op()) {
        case Op::kNeg:
        case Op::kAbs:
        case Op::kSign:
        case Op::kFloor:
        case Op::kCeil:
        case Op::kRound:
        case Op::kTrunc:
        case Op::kSqrt:
          return true;
        default:
          return false;
      }
    case OpKind::kBinary:
      if (!fl) return true;
      switch (n.op()) {
        case Op::kAdd:
        case Op::kSub:
        case Op::kMul:
        case Op::kDiv:
        case Op::kMax:
        case Op::kMin:
        case Op::kMod:
        case Op::kFloorDiv:
          return true;
        default:
          return false;
      }
    case OpKind::kReduce:
      return !(IsFloat(n.operand(0)->dtype()) &&
               (n.op() == Op::kReduceSum || n.op() == Op::kReduceProd));
    case OpKind::kScan:
      return !(IsFloat(n.operand(0)->dtype()) &&
               (n.op() == Op::kScanSum || n.op() == Op::kScanProd));
    case OpKind::kMatmul:
      return !fl;
    default:
      return true;
  }
}

inline std::vector<bool> Exactness(const Graph& g) {
  std::vector<bool> exact(g.num_nodes());
  for (const auto& node : g.nodes()) {
    bool e = OpIsExact(*node);
    for (const Node* o : node->operands()) e = e && exact[o->id()];
    exact[node->id()] = e;
  }
  return exact;
}

// Ops that may take an inexact float operand (continuous, no domain edge, well conditioned).
// Not sin and cos: of a large inexact value (exp(112) is 4e48, one ulp 5e32) they are noise.
inline bool TakesInexact(Op op) {
  switch (op) {
    case Op::kNeg:
    case Op::kAbs:
    case Op::kExp:
    case Op::kExpm1:
    case Op::kExp2:
    case Op::kTanh:
    case Op::kAtan:
    case Op::kErf:
    case Op::kAsinh:
    case Op::kAdd:
    case Op::kSub:
    case Op::kMul:
    case Op::kMax:
    case Op::kMin:
    case Op::kHypot:
    case Op::kIsNan:
    case Op::kReduceSum:
    case Op::kReduceMax:
    case Op::kReduceMin:
    case Op::kScanSum:
    case Op::kScanMax:
    case Op::kScanMin:
    case Op::kMatmul:
    case Op::kSelect:
    case Op::kConcat:
    case Op::kGather:
    case Op::kReshape:
    case Op::kPermute:
    case Op::kBroadcast:
    case Op::kSlice:
    case Op::kPad:
    case Op::kFlip:
      return true;
    default:
      return false;
  }
}

// ---- Inputs ------------------------------------------------------------------------------------

struct InputSpec {
  TensorType type;
  int64_t lo = -3, hi = 3;  // integer range (inclusive) for integer inputs; floats use [-3, 3]
};

inline HostTensor MakeInput(const InputSpec& spec, uint64_t seed) {
  HostTensor t(spec.type);
  std::mt19937_64 rng(seed);
  const DType dt = spec.type.dtype;
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    if (IsFloat(dt)) {
      const int pick = static_cast<int>(rng() % 50);
      double v;
      if (pick == 0) {
        v = std::nan("");
      } else if (pick == 1) {
        v = (rng() & 1) ? INFINITY : -INFINITY;
      } else if (pick == 2) {
        v = -0.0;
      } else {
        v = std::uniform_real_distribution<double>(-3.0, 3.0)(rng);
        if (pick < 8) v = std::round(v * 2) / 2;  // some exact halves: ties for round, mod, ...
      }
      ir::StoreDouble(t, i, v);
    } else if (dt == DType::kBool) {
      ir::StoreInt(t, i, static_cast<int64_t>(rng() & 1));
    } else {
      const ir::IntRange r = ir::IntegerRange(dt);
      int64_t lo = spec.lo, hi = spec.hi;
      if (rng() % 8 == 0 && spec.lo == -3) {  // sometimes the dtype's full range
        lo = r.lo;
        hi = r.hi;
      }
      lo = std::max(lo, r.lo);
      hi = std::min(hi, r.hi);
      const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) + 1;
      const uint64_t off = span == 0 ? rng() : rng() % span;
      ir::StoreInt(t, i, static_cast<int64_t>(static_cast<uint64_t>(lo) + off));
    }
  }
  return t;
}

inline std::vector<HostTensor> MakeInputs(const std::vector<InputSpec>& specs, uint64_t seed) {
  std::vector<HostTensor> out;
  for (size_t i = 0; i < specs.size(); ++i) out.push_back(MakeInput(specs[i], seed * 1000 + i));
  return out;
}

inline ExecuteOptions DefaultOptions() {
  ExecuteOptions options;
  options.num_threads = 2;
  return options;
}

// ---- Comparison --------------------------------------------------------------------------------

inline double Tolerance(DType dt) {
  switch (dt) {
    case DType::kFloat64:
      return 1e-9;
    case DType::kFloat32:
      return 2e-4;
    case DType::kFloat16:
      return 1e-2;
    case DType::kBFloat16:
      return 6e-2;
    default:
      return 0;
  }
}

inline std::string Fmt(double v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

// The tolerance each node's value inherits: the loosest of the inexact ops it depends on (a
// float32 sum cast to float64 is as precise as the float32 sum).
inline std::vector<double> InheritedTolerance(const Graph& g) {
  std::vector<double> tol(g.num_nodes(), 0.0);
  for (const auto& node : g.nodes()) {
    double t = OpIsExact(*node) ? 0.0 : Tolerance(node->dtype());
    for (const Node* o : node->operands()) t = std::max(t, tol[o->id()]);
    tol[node->id()] = t;
  }
  return tol;
}

// Empty when equal, else a description of the first difference.
inline std::string Compare(const HostTensor& want, const HostTensor& got, bool exact,
                           double inherited = 0.0) {
  if (!(want.type() == got.type())) {
    return absl::StrCat("type ", ir::TypeToString(got.type()),
                        " != ", ir::TypeToString(want.type()));
  }
  const DType dt = want.dtype();
  double scale = 1;
  if (IsFloat(dt)) {
    for (int64_t i = 0; i < want.num_elements(); ++i) {
      const double w = ir::LoadAsDouble(want, i);
      if (std::isfinite(w)) scale = std::max(scale, std::fabs(w));
    }
  }
  for (int64_t i = 0; i < want.num_elements(); ++i) {
    if (!IsFloat(dt)) {
      if (ir::LoadAsInt(want, i) != ir::LoadAsInt(got, i)) {
        return absl::StrCat("element ", i, ": got ", ir::LoadAsInt(got, i), ", want ",
                            ir::LoadAsInt(want, i));
      }
      continue;
    }
    const double w = ir::LoadAsDouble(want, i), g = ir::LoadAsDouble(got, i);
    if (std::isnan(w) || std::isnan(g)) {
      if (std::isnan(w) != std::isnan(g)) {
        return absl::StrCat("element ", i, ": got ", g, ", want ", w, " (NaN positions differ)");
      }
      continue;
    }
    if (w == g) continue;  // includes -0 == +0 and equal infinities
    if (exact || std::isinf(w) || std::isinf(g)) {
      return absl::StrCat("element ", i, ": got ", Fmt(g), ", want ", Fmt(w),
                          exact ? " (exact value)" : "");
    }
    const double tol = std::max(Tolerance(dt), inherited);
    if (std::fabs(w - g) > tol * scale) {
      return absl::StrCat("element ", i, ": got ", Fmt(g), ", want ", Fmt(w), " (tolerance ", tol,
                          " x ", scale, ")");
    }
  }
  return "";
}

// Runs both paths (the compiled one with `options`, two threads by default); empty when they
// agree.
inline std::string Differ(const Graph& g, const std::vector<InputSpec>& specs, uint64_t seed,
                          ExecuteOptions options = DefaultOptions()) {
  const std::vector<HostTensor> inputs = MakeInputs(specs, seed);
  absl::StatusOr<std::vector<HostTensor>> want = ir::Interpret(g, inputs);
  absl::StatusOr<std::vector<HostTensor>> got = ExecuteCompiled(g, inputs, options);
  if (!want.ok() || !got.ok()) {
    if (want.ok() != got.ok()) {
      return absl::StrCat("interpreter: ", want.status().ToString(),
                          "; jit: ", got.status().ToString());
    }
    return "";  // both rejected the inputs (an index out of range)
  }
  const std::vector<bool> exact = Exactness(g);
  const std::vector<double> tol = InheritedTolerance(g);
  for (size_t o = 0; o < want->size(); ++o) {
    const int id = g.outputs()[o]->id();
    const std::string d = Compare((*want)[o], (*got)[o], exact[id], tol[id]);
    if (!d.empty()) return absl::StrCat("output ", o, " (%", g.outputs()[o]->id(), "): ", d);
  }
  return "";
}

// ---- Generator -----------------------------------------------------------------------------

// How the generator weighs its steps. The defaults are CI's corpus; the sweep
// (tests/runtime/jit_sweep.cc) leans toward row kernels and multi-output kernels.
struct GeneratorProfile {
  // Extra weight of the two row steps (softmax-like patterns, and rows whose reduction and loop
  // share expensive values) among the 20 kinds of step (each unit adds two).
  int row_weight = 0;
  // Outputs besides the last node, at most (each makes a stored value and, over a shared input,
  // a sibling of a multi-output kernel).
  int extra_outputs = 2;
  // Long chains of shifts (pad, then slice back) as a step. Off for the CUDA backend's corpus:
  // NVRTC 13 takes minutes on a kernel of seven nested pad clamps (59 kernel instructions) that
  // LLVM 19 compiles for the CPU in milliseconds.
  bool shift_chains = true;
  // Rows that share expensive values, wide concatenations and scan primitives, as steps.
  bool shared_expensive_rows = true;
  bool wide_concats = true;
  bool scans = true;
};

class Generator {
 public:
  static constexpr int kSteps = 20;  // kinds of step (see Step)

  Generator(uint64_t seed, Graph& g, std::vector<InputSpec>& specs,
            GeneratorProfile profile = GeneratorProfile())
      : rng_(seed), g_(g), specs_(specs), profile_(profile) {}

  void Build(int max_ops) {
    const int inputs = 1 + Rand(3);
    for (int i = 0; i < inputs; ++i) NewInput(RandomDType(), RandomShape());
    int ops = 0, attempts = 0;
    while (ops < max_ops && attempts++ < 400) {
      const int before = g_.num_nodes();
      Step();
      for (int id = before; id < g_.num_nodes(); ++id) {
        if (ir::GetOpKind(g_.node(id)->op()) != OpKind::kLeaf) ++ops;
      }
    }
    // Outputs: the last node and up to `extra_outputs` others.
    std::vector<Node*> outs = {g_.node(g_.num_nodes() - 1)};
    for (int k = 0; k < profile_.extra_outputs; ++k) {
      Node* n = g_.node(Rand(g_.num_nodes()));
      if (n->op() != Op::kInput && std::find(outs.begin(), outs.end(), n) == outs.end()) {
        outs.push_back(n);
      }
    }
    g_.SetOutputs(outs);
  }

 private:
  int Rand(int n) { return static_cast<int>(rng_() % static_cast<uint64_t>(n)); }
  bool Coin(int one_in) { return Rand(one_in) == 0; }

  DType RandomDType() {
    static const DType kAll[] = {
        DType::kBool,    DType::kInt8,     DType::kUInt8,   DType::kInt32,   DType::kInt64,
        DType::kFloat16, DType::kBFloat16, DType::kFloat32, DType::kFloat32, DType::kFloat64};
    return kAll[Rand(10)];
  }
  Shape RandomShape() {
    Shape s(Rand(4));
    for (int64_t& d : s) d = 1 + Rand(5);
    return s;
  }

  Node* NewInput(DType dt, Shape shape, int64_t lo = -3, int64_t hi = 3) {
    TensorType t{dt, std::move(shape)};
    specs_.push_back(InputSpec{t, lo, hi});
    return g_.AddInput(t);
  }

  Node* Add(Op op, std::vector<Node*> operands, ir::Attrs attrs = {},
            std::optional<TensorType> type = std::nullopt) {
    absl::StatusOr<Node*> n = g_.AddNode(op, std::move(operands), std::move(attrs), type);
    return n.ok() ? *n : nullptr;
  }

  Node* Pick() {
    // Favour recent values so that chains grow.
    const int n = g_.num_nodes();
    const int back = std::min(n, 4);
    return Coin(2) ? g_.node(n - 1 - Rand(back)) : g_.node(Rand(n));
  }
  bool Exact(const Node* n) { return Exactness(g_)[n->id()]; }

  Node* Cast(Node* v, DType dt) {
    if (v->dtype() == dt) return v;
    if (IsFloat(v->dtype()) && !IsFloat(dt) && !Exact(v)) return nullptr;
    return Add(Op::kCast, {v}, {}, TensorType{dt, v->shape()});
  }
  Node* BroadcastTo(Node* v, const Shape& s) {
    if (v->shape() == s) return v;
    return Add(Op::kBroadcast, {v}, {}, TensorType{v->dtype(), s});
  }
  static std::optional<Shape> BroadcastShape(const Shape& a, const Shape& b) {
    const size_t r = std::max(a.size(), b.size());
    Shape out(r);
    for (size_t i = 0; i < r; ++i) {
      const int64_t x = i < r - a.size() ? 1 : a[i - (r - a.size())];
      const int64_t y = i < r - b.size() ? 1 : b[i - (r - b.size())];
      if (x != y && x != 1 && y != 1) return std::nullopt;
      out[i] = std::max(x, y);
    }
    return out;
  }
  // A second operand for `v`: same dtype, broadcast-compatible.
  std::pair<Node*, Node*> Pair(Node* v) {
    Node* w = Pick();
    std::optional<Shape> s = BroadcastShape(v->shape(), w->shape());
    if (!s || ir::NumElements(*s) > 256) w = v, s = v->shape();
    Node* wc = Cast(w, v->dtype());
    if (!wc) wc = v;
    Node* a = BroadcastTo(v, *s);
    Node* b = BroadcastTo(wc, *s);
    return {a, b};
  }

  void Step() {
    Node* v = Pick();
    const bool exact = Exact(v);
    const bool fl = IsFloat(v->dtype());
    auto allowed = [&](Op op) { return !fl || exact || TakesInexact(op); };
    int step = Rand(kSteps + 2 * profile_.row_weight);
    if (step >= kSteps) step = 14 + (step - kSteps) % 2;  // the row steps, weighted
    switch (step) {
      case 0:
      case 1: {  // unary
        const Op op = static_cast<Op>(static_cast<int>(Op::kNeg) + Rand(32));
        if (ir::GetOpKind(op) != OpKind::kUnary && ir::GetOpKind(op) != OpKind::kUnaryPredicate)
          return;
        if (allowed(op)) Add(op, {v});
        return;
      }
      case 2:
      case 3: {  // binary or compare
        const Op op = static_cast<Op>(static_cast<int>(Op::kAdd) + Rand(20));
        const OpKind k = ir::GetOpKind(op);
        if (k != OpKind::kBinary && k != OpKind::kCompare) return;
        auto [a, b] = Pair(v);
        if (!a || !b) return;
        if (fl && !(Exact(a) && Exact(b)) && (k == OpKind::kCompare || !TakesInexact(op))) return;
        Add(op, {a, b});
        return;
      }
      case 4: {  // select
        auto [a, b] = Pair(v);
        if (!a || !b) return;
        Node* c = Pick();
        if (c->dtype() != DType::kBool) {
          if (IsFloat(c->dtype()) && !Exact(c)) return;
          c = Cast(c, DType::kBool);
        }
        if (!c) return;
        std::optional<Shape> s = BroadcastShape(c->shape(), a->shape());
        if (!s || *s != a->shape()) return;
        c = BroadcastTo(c, a->shape());
        if (c) Add(Op::kSelect, {c, a, b});
        return;
      }
      case 5:
        Cast(v, RandomDType());
        return;
      case 6: {  // reduce
        if (v->shape().empty()) return;
        static const Op kReds[] = {Op::kReduceSum, Op::kReduceProd, Op::kReduceMax, Op::kReduceMin};
        const Op op = kReds[Rand(4)];
        if (!allowed(op)) return;
        ir::Attrs a;
        for (size_t d = 0; d < v->shape().size(); ++d) {
          if (Coin(2)) a.axes.push_back(static_cast<int64_t>(d));
        }
        if (a.axes.empty()) a.axes.push_back(Rand(static_cast<int>(v->shape().size())));
        Add(op, {v}, a);
        return;
      }
      case 7: {  // argmax / argmin
        if (v->shape().empty() || (fl && !exact)) return;
        ir::Attrs a;
        a.axis = Rand(static_cast<int>(v->shape().size()));
        Add(Coin(2) ? Op::kArgMax : Op::kArgMin, {v}, a);
        return;
      }
      case 8:
      case 9:
        View(v);
        return;
      case 10: {  // concat with a flipped copy of itself along an axis
        if (v->shape().empty()) return;
        ir::Attrs a;
        a.axis = Rand(static_cast<int>(v->shape().size()));
        ir::Attrs f;
        f.axes = {a.axis};
        Node* flipped = Add(Op::kFlip, {v}, f, v->type());
        if (flipped) Add(Op::kConcat, {v, flipped, v}, a);
        return;
      }
      case 11: {  // gather with an index input in range
        if (v->shape().empty()) return;
        ir::Attrs a;
        a.axis = Rand(static_cast<int>(v->shape().size()));
        const int64_t n = v->shape()[a.axis];
        Shape is(Rand(3));
        for (int64_t& d : is) d = 1 + Rand(3);
        Node* idx = NewInput(Coin(2) ? DType::kInt32 : DType::kInt64, is, -n, n - 1);
        Add(Op::kGather, {v, idx}, a);
        return;
      }
      case 12: {  // matmul of v and its transpose
        if (v->shape().size() < 2) return;
        const size_t r = v->shape().size();
        ir::Attrs p;
        for (size_t d = 0; d < r; ++d) p.perm.push_back(static_cast<int64_t>(d));
        std::swap(p.perm[r - 1], p.perm[r - 2]);
        Shape ts = v->shape();
        std::swap(ts[r - 1], ts[r - 2]);
        Node* t = Add(Op::kPermute, {v}, p, TensorType{v->dtype(), ts});
        if (t) Add(Op::kMatmul, {v, t});
        return;
      }
      case 14:  // a row pattern: reduce the last axis, broadcast it back, combine (softmax-like)
        RowPattern(v);
        return;
      case 15:  // the same over a sum or product of expensive values that the row shares
        if (profile_.shared_expensive_rows) SharedExpensiveRow(v);
        return;
      case 16:  // an inclusive scan as the frontend's composite (pad, slice, combine), maybe twice
        if (Scan(v) != nullptr && Coin(3)) Scan(g_.node(g_.num_nodes() - 1));
        return;
      case 17:  // a long chain of shifts (pad then slice back) added to the value
        if (profile_.shift_chains) ShiftChain(v);
        return;
      case 18:  // a wide concatenation of new inputs, as a tree of 8-part concats
        if (profile_.wide_concats) WideConcat(v);
        return;
      case 19:  // the scan primitive, sometimes in chunks with carries, sometimes of a scan
        if (profile_.scans) ScanPrimitive(v);
        return;
      case 13: {  // a leaf
        switch (Rand(4)) {
          case 0:
            NewInput(RandomDType(), RandomShape());
            return;
          case 1: {
            ir::Attrs a;
            const DType dt = RandomDType();
            a.value = IsFloat(dt) ? ir::Scalar::Float(Rand(9) * 0.5 - 2)
                                  : ir::Scalar::Int(dt == DType::kBool
                                                        ? Rand(2)
                                                        : Rand(7) - (dt == DType::kUInt8 ? 0 : 3));
            Add(Op::kConstant, {}, a, TensorType{dt, RandomShape()});
            return;
          }
          case 2: {
            Shape s = RandomShape();
            if (s.empty()) return;
            ir::Attrs a;
            a.axis = Rand(static_cast<int>(s.size()));
            Add(Op::kIota, {}, a, TensorType{Coin(2) ? DType::kInt32 : DType::kFloat32, s});
            return;
          }
          default: {
            ir::Attrs a;
            a.seed = rng_();
            a.dist = Coin(3) ? ir::RandomDist::kNormal : ir::RandomDist::kUniform;
            static const DType kF[] = {DType::kFloat16, DType::kBFloat16, DType::kFloat32,
                                       DType::kFloat64};
            Add(Op::kRandom, {}, a, TensorType{kF[Rand(4)], RandomShape()});
            return;
          }
        }
      }
    }
  }

  // comb(v, broadcast(reduce(v, last axis))): with v fused, one row kernel (softmax-like).
  Node* RowPattern(Node* v) {
    const bool fl = IsFloat(v->dtype());
    const bool exact = Exact(v);
    auto allowed = [&](Op op) { return !fl || exact || TakesInexact(op); };
    if (v->shape().empty()) return nullptr;
    const Shape& s = v->shape();
    const int64_t last = static_cast<int64_t>(s.size()) - 1;
    static const Op kReds[] = {Op::kReduceMax, Op::kReduceSum, Op::kReduceMin, Op::kArgMax};
    const Op rop = kReds[Rand(4)];
    if (!allowed(rop) || (rop == Op::kArgMax && fl && !exact)) return nullptr;
    ir::Attrs ra;
    if (rop == Op::kArgMax) {
      ra.axis = last;
    } else {
      ra.axes = {last};
    }
    Node* r = Add(rop, {v}, ra);
    if (!r) return nullptr;
    Shape keep(s.begin(), s.end() - 1);
    keep.push_back(1);
    Node* k = Add(Op::kReshape, {r}, {}, TensorType{r->dtype(), keep});
    if (!k) return nullptr;
    Node* b = Add(Op::kBroadcast, {k}, {}, TensorType{r->dtype(), s});
    if (!b) return nullptr;
    Node* bc = Cast(b, v->dtype());
    if (!bc) return nullptr;
    const Op comb = std::array<Op, 3>{Op::kSub, Op::kAdd, Op::kMax}[Rand(3)];
    if (fl && !(Exact(v) && Exact(bc)) && !TakesInexact(comb)) return nullptr;
    return Add(comb, {v, bc});
  }

  // A row kernel whose reduction and loop share one to three expensive values: x is a sum or
  // product of expensive unary ops over v and partners of v's shape, then RowPattern(x). Each
  // value is computed by the reduction and needed again by the loop over the row.
  void SharedExpensiveRow(Node* v) {
    if (v->shape().empty()) return;
    static const DType kF[] = {DType::kFloat16, DType::kBFloat16, DType::kFloat32, DType::kFloat64};
    Node* base = IsFloat(v->dtype()) ? v : Cast(v, kF[Rand(4)]);
    if (base == nullptr) return;
    std::vector<Op> ops = {Op::kExp, Op::kTanh, Op::kAtan, Op::kErf, Op::kExpm1, Op::kAsinh};
    std::shuffle(ops.begin(), ops.end(), rng_);
    const Op join = Coin(2) ? Op::kAdd : Op::kMul;
    const int count = 1 + Rand(3);
    Node* x = nullptr;
    for (int i = 0; i < count && base != nullptr; ++i) {
      Node* operand = i == 0 ? base : Partner(base);
      Node* e = operand ? Add(ops[i], {operand}) : nullptr;
      if (e == nullptr) return;
      x = x == nullptr ? e : Add(join, {x, e});
      if (x == nullptr) return;
    }
    RowPattern(x);
  }

  // y = y (op) shift(y, 2^k) along a random axis for k = 0, 1, ... while 2^k < n: the scan
  // composite of nd::cumsum and nd::cumprod (with max and min too), over v as it is.
  Node* Scan(Node* v) {
    if (v->shape().empty() || v->dtype() == DType::kBool) return nullptr;
    const bool fl = IsFloat(v->dtype());
    static const Op kOps[] = {Op::kAdd, Op::kMul, Op::kMax, Op::kMin};
    const Op op = kOps[Rand(4)];
    if (fl && !Exact(v) && !TakesInexact(op)) return nullptr;
    const size_t axis = Rand(static_cast<int>(v->shape().size()));
    const ir::IntRange range = fl ? ir::IntRange{} : ir::IntegerRange(v->dtype());
    ir::Scalar identity;
    switch (op) {
      case Op::kAdd:
        identity = fl ? ir::Scalar::Float(0.0) : ir::Scalar::Int(0);
        break;
      case Op::kMul:
        identity = fl ? ir::Scalar::Float(1.0) : ir::Scalar::Int(1);
        break;
      case Op::kMax:
        identity = fl ? ir::Scalar::Float(-INFINITY) : ir::Scalar::Int(range.lo);
        break;
      default:
        identity = fl ? ir::Scalar::Float(INFINITY) : ir::Scalar::Int(range.hi);
        break;
    }
    Node* y = v;
    for (int64_t step = 1; step < v->shape()[axis] && y != nullptr; step *= 2) {
      Node* shifted = Shift(y, axis, step, identity);
      y = shifted == nullptr ? nullptr : Add(op, {y, shifted});
    }
    return y;
  }

  // scan_sum, scan_prod, scan_max or scan_min of v along a random axis; a third of them in the
  // carry form (a new input carries each of one to four chunks), a third scanned again.
  void ScanPrimitive(Node* v) {
    if (v->shape().empty()) return;
    static const Op kOps[] = {Op::kScanSum, Op::kScanProd, Op::kScanMax, Op::kScanMin};
    const Op op = kOps[Rand(4)];
    if (IsFloat(v->dtype()) && !Exact(v) && !TakesInexact(op)) return;
    ir::Attrs a;
    a.axis = Rand(static_cast<int>(v->shape().size()));
    std::vector<Node*> operands = {v};
    if (Coin(3)) {
      Shape carry = v->shape();
      carry[a.axis] = 1 + Rand(4);
      operands.push_back(NewInput(v->dtype(), carry));
    }
    Node* y = Add(op, operands, a);
    if (y != nullptr && Coin(3) && (!IsFloat(y->dtype()) || Exact(y) || TakesInexact(op))) {
      Add(op, {y}, a);
    }
  }

  // y shifted by `step` along `axis` (pad `fill` in front, drop the tail).
  Node* Shift(Node* y, size_t axis, int64_t step, ir::Scalar fill) {
    const Shape& s = y->shape();
    ir::Attrs pad;
    pad.low.assign(s.size(), 0);
    pad.high.assign(s.size(), 0);
    pad.low[axis] = step;
    pad.value = fill;
    Shape padded = s;
    padded[axis] += step;
    Node* p = Add(Op::kPad, {y}, pad, TensorType{y->dtype(), padded});
    if (p == nullptr) return nullptr;
    ir::Attrs cut;
    cut.starts.assign(s.size(), 0);
    cut.steps.assign(s.size(), 1);
    return Add(Op::kSlice, {p}, cut, y->type());
  }

  // v + shift(shift(...shift(v))) with four to twelve shifts of one along an axis.
  void ShiftChain(Node* v) {
    if (v->shape().empty() || v->dtype() == DType::kBool) return;
    const size_t axis = Rand(static_cast<int>(v->shape().size()));
    const ir::Scalar zero = IsFloat(v->dtype()) ? ir::Scalar::Float(0.0) : ir::Scalar::Int(0);
    Node* y = v;
    for (int k = 4 + Rand(9); k > 0 && y != nullptr; --k) y = Shift(y, axis, 1, zero);
    if (y != nullptr) Add(Op::kAdd, {v, y});
  }

  // concat of 9 to 48 new inputs shaped like v along a random axis, in concats of at most 8
  // parts, as nd::concatenate builds it (so that the planner can split it under its caps).
  void WideConcat(Node* v) {
    if (v->shape().empty()) return;
    ir::Attrs a;
    a.axis = Rand(static_cast<int>(v->shape().size()));
    std::vector<Node*> parts = {v};
    for (int k = 8 + Rand(40); k > 0; --k) parts.push_back(NewInput(v->dtype(), v->shape()));
    while (parts.size() > 1) {
      std::vector<Node*> level;
      for (size_t i = 0; i < parts.size(); i += 8) {
        std::vector<Node*> group(parts.begin() + i, parts.begin() + std::min(parts.size(), i + 8));
        level.push_back(group.size() == 1 ? group[0] : Add(Op::kConcat, group, a));
        if (level.back() == nullptr) return;
      }
      parts = std::move(level);
    }
  }

  // Another value of v's shape and dtype (a picked node broadcast and cast to it), or v itself.
  Node* Partner(Node* v) {
    Node* w = Pick();
    std::optional<Shape> s = BroadcastShape(v->shape(), w->shape());
    if (!s || *s != v->shape()) return v;
    Node* wc = Cast(w, v->dtype());
    return wc == nullptr ? v : BroadcastTo(wc, v->shape());
  }

  void View(Node* v) {
    const Shape& s = v->shape();
    const size_t r = s.size();
    ir::Attrs a;
    switch (Rand(6)) {
      case 0: {  // reshape: flatten, split or add a unit dim
        Shape t;
        const int64_t n = ir::NumElements(s);
        switch (Rand(3)) {
          case 0:
            t = {n};
            break;
          case 1:
            t = s;
            t.insert(t.begin() + Rand(static_cast<int>(r) + 1), 1);
            break;
          default:
            if (n % 2 == 0 && n > 2) {
              t = {2, n / 2};
            } else {
              t = {n, 1};
            }
        }
        Add(Op::kReshape, {v}, {}, TensorType{v->dtype(), t});
        return;
      }
      case 1: {  // permute
        if (r < 2) return;
        for (size_t d = 0; d < r; ++d) a.perm.push_back(static_cast<int64_t>(d));
        std::shuffle(a.perm.begin(), a.perm.end(), rng_);
        Shape t(r);
        for (size_t d = 0; d < r; ++d) t[d] = s[a.perm[d]];
        Add(Op::kPermute, {v}, a, TensorType{v->dtype(), t});
        return;
      }
      case 2: {  // broadcast: a new leading dim and unit dims expanded
        Shape t = s;
        for (int64_t& d : t) {
          if (d == 1 && Coin(2)) d = 2 + Rand(2);
        }
        if (Coin(2) || t == s) t.insert(t.begin(), 2 + Rand(2));
        if (ir::NumElements(t) > 256) return;
        Add(Op::kBroadcast, {v}, {}, TensorType{v->dtype(), t});
        return;
      }
      case 3: {  // slice with steps, possibly backwards
        if (r == 0) return;
        Shape t(r);
        for (size_t d = 0; d < r; ++d) {
          const int64_t step = std::array<int64_t, 4>{1, 1, 2, -1}[Rand(4)];
          const int64_t start =
              step > 0 ? Rand(static_cast<int>(s[d])) : s[d] - 1 - Rand(static_cast<int>(s[d]));
          const int64_t remaining = step > 0 ? s[d] - start : start + 1;
          const int64_t count =
              1 + Rand(static_cast<int>((remaining + std::abs(step) - 1) / std::abs(step)));
          a.starts.push_back(start);
          a.steps.push_back(step);
          t[d] = count;
        }
        Add(Op::kSlice, {v}, a, TensorType{v->dtype(), t});
        return;
      }
      case 4: {  // pad
        if (r == 0) return;
        Shape t = s;
        for (size_t d = 0; d < r; ++d) {
          a.low.push_back(Rand(3));
          a.high.push_back(Rand(2));
          t[d] += a.low[d] + a.high[d];
        }
        a.value = IsFloat(v->dtype()) ? ir::Scalar::Float(1.5) : ir::Scalar::Int(1);
        Add(Op::kPad, {v}, a, TensorType{v->dtype(), t});
        return;
      }
      default: {  // flip
        if (r == 0) return;
        a.axes.push_back(Rand(static_cast<int>(r)));
        Add(Op::kFlip, {v}, a, v->type());
        return;
      }
    }
  }

  std::mt19937_64 rng_;
  Graph& g_;
  std::vector<InputSpec>& specs_;
  GeneratorProfile profile_;
};

struct Case {
  std::unique_ptr<Graph> graph;
  std::vector<InputSpec> specs;
  uint64_t seed = 1;
  std::string name;
};

// Random graph number `seed` of the corpus (at most `max_ops` ops).
inline Case RandomCase(uint64_t seed, int max_ops = 16,
                       GeneratorProfile profile = GeneratorProfile()) {
  Case c;
  c.graph = std::make_unique<Graph>(absl::StrCat("random", seed));
  Generator(seed, *c.graph, c.specs, profile).Build(max_ops);
  c.seed = seed;
  c.name = absl::StrCat("random", seed);
  return c;
}

// The saved regression cases (tests/data/jit_regressions/*.ir with their seed and input ranges).
inline std::vector<Case> SavedCases(std::string* error) {
  std::vector<Case> out;
  const std::filesystem::path dir = std::filesystem::path(NDJIT_TEST_DATA_DIR) / "jit_regressions";
  if (!std::filesystem::exists(dir)) return out;
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".ir") paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  for (const std::filesystem::path& path : paths) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<std::unique_ptr<Graph>> g = ir::ParseGraph(text.str(), path.string());
    if (!g.ok()) {
      *error = g.status().ToString();
      return {};
    }
    Case c;
    c.graph = std::move(*g);
    c.name = path.filename().string();
    for (const Node* in_node : c.graph->inputs()) c.specs.push_back(InputSpec{in_node->type()});
    for (absl::string_view line : absl::StrSplit(text.str(), '\n')) {
      std::vector<std::string> w = absl::StrSplit(line, ' ', absl::SkipEmpty());
      bool ok = true;
      if (w.size() == 3 && w[0] == "//" && w[1] == "seed") ok = absl::SimpleAtoi(w[2], &c.seed);
      if (w.size() == 6 && w[0] == "//" && w[1] == "input" && w[3] == "range") {
        size_t i;
        ok = absl::SimpleAtoi(w[2], &i) && i < c.specs.size() &&
             absl::SimpleAtoi(w[4], &c.specs[i].lo) && absl::SimpleAtoi(w[5], &c.specs[i].hi);
      }
      if (!ok) {
        *error = absl::StrCat(path.string(), ": bad line: ", line);
        return {};
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

// ---- Shrinking -----------------------------------------------------------------------------

// A copy of `c` where node `replace` (if >= 0) becomes a new input and only `outputs` (indices
// into the old output list) are kept; unreachable nodes are dropped.
inline Case Rebuild(const Case& c, int replace, const std::vector<int>& outputs) {
  const Graph& g = *c.graph;
  std::vector<bool> live(g.num_nodes(), false);
  for (int o : outputs) live[g.outputs()[o]->id()] = true;
  for (int id = g.num_nodes() - 1; id >= 0; --id) {
    if (!live[id] || id == replace) continue;
    for (const Node* op : g.node(id)->operands()) live[op->id()] = true;
  }
  Case out;
  out.graph = std::make_unique<Graph>(g.name());
  std::vector<Node*> map(g.num_nodes(), nullptr);
  for (const auto& node : g.nodes()) {
    const int id = node->id();
    if (!live[id]) continue;
    if (node->op() == Op::kInput || id == replace) {
      InputSpec spec{node->type()};
      if (node->op() == Op::kInput) spec = c.specs[node->attrs().index];
      out.specs.push_back(spec);
      map[id] = out.graph->AddInput(node->type(), node->loc());
      continue;
    }
    std::vector<Node*> ops;
    for (const Node* o : node->operands()) ops.push_back(map[o->id()]);
    map[id] = *out.graph->AddNode(node->op(), ops, node->attrs(), node->type(), node->loc());
  }
  for (int o : outputs) out.graph->AddOutput(map[g.outputs()[o]->id()]);
  return out;
}

inline Case Shrink(Case c, uint64_t seed) {
  bool progress = true;
  while (progress) {
    progress = false;
    const int n_out = static_cast<int>(c.graph->outputs().size());
    for (int drop = 0; drop < n_out && n_out > 1; ++drop) {
      std::vector<int> keep;
      for (int o = 0; o < n_out; ++o) {
        if (o != drop) keep.push_back(o);
      }
      Case t = Rebuild(c, -1, keep);
      if (!Differ(*t.graph, t.specs, seed).empty()) {
        c = std::move(t);
        progress = true;
        break;
      }
    }
    if (progress) continue;
    std::vector<int> all(c.graph->outputs().size());
    for (size_t o = 0; o < all.size(); ++o) all[o] = static_cast<int>(o);
    for (int id = 0; id < c.graph->num_nodes(); ++id) {
      if (c.graph->node(id)->op() == Op::kInput) continue;
      Case t = Rebuild(c, id, all);
      if (!Differ(*t.graph, t.specs, seed).empty()) {
        c = std::move(t);
        progress = true;
        break;
      }
    }
  }
  return c;
}

inline std::string RegressionText(const Case& c, uint64_t seed) {
  std::string out = absl::StrCat("// seed ", seed, "\n");
  for (size_t i = 0; i < c.specs.size(); ++i) {
    if (!IsFloat(c.specs[i].type.dtype) && c.specs[i].type.dtype != DType::kBool) {
      absl::StrAppend(&out, "// input ", i, " range ", c.specs[i].lo, " ", c.specs[i].hi, "\n");
    }
  }
  absl::StrAppend(&out, ir::PrintGraph(*c.graph));
  return out;
}

}  // namespace ndjit::runtime::testing

#endif  // NDJIT_TESTS_RUNTIME_DIFFERENTIAL_CORPUS_H_
