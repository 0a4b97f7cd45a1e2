// Kernel IR printing and building (see kernel.h).
#include "ir/kernel.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ir/dtype.h"
#include "ir/elements.h"
#include "ir/graph.h"
#include "ir/host_tensor.h"

namespace ndjit::ir {

const char* IndexOpName(IndexOp op) {
  switch (op) {
    case IndexOp::kAdd:
      return "iadd";
    case IndexOp::kSub:
      return "isub";
    case IndexOp::kMul:
      return "imul";
    case IndexOp::kDiv:
      return "idiv";
    case IndexOp::kMod:
      return "imod";
    case IndexOp::kMin:
      return "imin";
    case IndexOp::kMax:
      return "imax";
    case IndexOp::kLt:
      return "ilt";
    case IndexOp::kGe:
      return "ige";
    case IndexOp::kAnd:
      return "band";
  }
  return "?";
}

const char* ReduceKindName(ReduceKind kind) {
  switch (kind) {
    case ReduceKind::kSum:
      return "sum";
    case ReduceKind::kProd:
      return "prod";
    case ReduceKind::kMax:
      return "max";
    case ReduceKind::kMin:
      return "min";
    case ReduceKind::kArgMax:
      return "argmax";
    case ReduceKind::kArgMin:
      return "argmin";
  }
  return "?";
}

namespace {

std::string Args(const std::vector<int>& args) {
  return absl::StrJoin(args, ", ", [](std::string* out, int a) { absl::StrAppend(out, "%", a); });
}

void PrintBlock(const Kernel& k, int block, int indent, std::string& out) {
  const std::string pad(indent, ' ');
  for (int id : k.blocks[block].instrs) {
    const KInstr& in = k.instrs[id];
    absl::StrAppend(&out, pad);
    switch (in.kind) {
      case KOp::kConst:
        absl::StrAppend(&out, "%", id, " = const ", ScalarToString(in.value), " : ",
                        DTypeShortName(in.dtype), "\n");
        break;
      case KOp::kParam:
        absl::StrAppend(&out, "%", id, " = param ", in.index, "\n");
        break;
      case KOp::kValue:
        absl::StrAppend(&out, "%", id, " = value ", in.index, " : ", DTypeShortName(in.dtype),
                        "\n");
        break;
      case KOp::kVar:
        absl::StrAppend(&out, "%", id, " = var ", in.index, "\n");
        break;
      case KOp::kIndex:
        absl::StrAppend(&out, "%", id, " = ", IndexOpName(in.iop), " ", Args(in.args), "\n");
        break;
      case KOp::kLoad:
        absl::StrAppend(&out, "%", id, " = load %b", in.index, "[%", in.args[0],
                        "] : ", DTypeShortName(in.dtype), "\n");
        break;
      case KOp::kStore:
        absl::StrAppend(&out, "store %b", in.index, "[%", in.args[0], "], %", in.args[1], "\n");
        break;
      case KOp::kOp:
        absl::StrAppend(&out, "%", id, " = ", OpName(in.op), " ", Args(in.args), " : ",
                        DTypeShortName(in.dtype), "\n");
        break;
      case KOp::kRandom:
        absl::StrAppend(&out, "%", id, " = random[dist=", RandomDistName(in.dist), "] ",
                        Args(in.args), " : ", DTypeShortName(in.dtype), "\n");
        break;
      case KOp::kCheck:
        absl::StrAppend(&out, "check ", in.index, " node ", in.value.i, " %", in.args[0], ", %",
                        in.args[1], "\n");
        break;
      case KOp::kLoop: {
        std::vector<std::string> vars;
        for (size_t i = 0; i < in.args.size(); ++i) vars.push_back(absl::StrCat(in.index + i));
        absl::StrAppend(&out, "loop [", Args(in.args), "] vars(", absl::StrJoin(vars, ", "),
                        ") {\n");
        PrintBlock(k, in.block, indent + 2, out);
        absl::StrAppend(&out, pad, "}\n");
        break;
      }
      case KOp::kScan:
        absl::StrAppend(&out, "%", id, " = scan.", ReduceKindName(in.red), " ", Args(in.args),
                        " acc ", DTypeShortName(in.acc), " : ", DTypeShortName(in.dtype), "\n");
        break;
      case KOp::kReduce: {
        std::vector<std::string> vars;
        for (size_t i = 0; i < in.args.size(); ++i) vars.push_back(absl::StrCat(in.index + i));
        absl::StrAppend(&out, "%", id, " = reduce.", ReduceKindName(in.red), " [", Args(in.args),
                        "] vars(", absl::StrJoin(vars, ", "), ") acc ", DTypeShortName(in.acc),
                        " : ", DTypeShortName(in.dtype), " {\n");
        PrintBlock(k, in.block, indent + 2, out);
        absl::StrAppend(&out, pad, "  yield %", in.yield, "\n", pad, "}\n");
        break;
      }
    }
  }
}

}  // namespace

bool IsValueParameter(Op op, DType dtype) { return ValueParameterField(op, dtype) != 0; }

uint32_t ValueParameterField(Op op, DType dtype) {
  if (op == Op::kConstant && IsFloat(dtype)) return kAttrValue;
  if (op == Op::kRandom) return kAttrSeed;
  return 0;
}

int64_t ValueParameterBitsOf(const Node& leaf) {
  if (leaf.op() == Op::kRandom) return static_cast<int64_t>(leaf.attrs().seed);
  return ValueParameterBits(leaf.dtype(), leaf.attrs().value);
}

int64_t ValueParameterBits(DType dtype, const Scalar& value) {
  switch (dtype) {
    case DType::kFloat16:
    case DType::kBFloat16: {
      // The IR's single rounding from double (ir/elements.cc), as the backends' literals.
      HostTensor t(TensorType{dtype, {}});
      StoreDouble(t, 0, value.AsDouble());
      return *t.data_as<uint16_t>();
    }
    case DType::kFloat32: {
      const float f = static_cast<float>(value.AsDouble());
      uint32_t bits;
      std::memcpy(&bits, &f, sizeof bits);
      return bits;
    }
    case DType::kFloat64: {
      const double d = value.AsDouble();
      int64_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      return bits;
    }
    case DType::kBool:
      return (value.is_float() ? value.f != 0.0 : value.i != 0) ? 1 : 0;
    default:
      return value.is_float() ? static_cast<int64_t>(value.f) : value.i;
  }
}

std::string PrintKernel(const Kernel& k, bool notes) {
  std::string out;
  if (notes) {
    for (const std::string& n : k.notes) absl::StrAppend(&out, "// ", n, "\n");
  }
  absl::StrAppend(&out, "kernel @", k.name, "(");
  for (size_t i = 0; i < k.buffers.size(); ++i) {
    absl::StrAppend(&out, i ? ", " : "", "%b", i, ": ", k.buffers[i].output ? "out " : "in ",
                    DTypeShortName(k.buffers[i].dtype), k.buffers[i].stream ? " stream" : "");
  }
  absl::StrAppend(&out, ") params ", k.num_params, k.num_values > 0 ? " values " : "",
                  k.num_values > 0 ? absl::StrCat(k.num_values) : "", " vars ", k.num_vars,
                  k.glibc_math ? " math glibc" : "", k.prefetch ? "" : " prefetch off", " {\n");
  PrintBlock(k, 0, 2, out);
  absl::StrAppend(&out, "  domain [", Args(k.domain), "]\n  body {\n");
  PrintBlock(k, 1, 4, out);
  absl::StrAppend(&out, "  }\n}\n");
  return out;
}

KernelBuilder::KernelBuilder(std::string name) {
  kernel_.name = std::move(name);
  kernel_.blocks.push_back(KBlock{-1, {}});  // prologue
  kernel_.blocks.push_back(KBlock{0, {}});   // body
}

int KernelBuilder::AddBuffer(DType dtype, bool output) {
  kernel_.buffers.push_back(KBuffer{dtype, output});
  return static_cast<int>(kernel_.buffers.size()) - 1;
}

int KernelBuilder::HomeBlock(const KInstr& instr) const {
  // Blocks nest as a chain along the current path, so the deepest block is the one with the
  // largest nesting depth; block numbers grow with depth along any one path.
  int home = 0;
  for (int a : instr.args) home = std::max(home, kernel_.instrs[a].in_block);
  return home;
}

std::string KernelBuilder::Key(const KInstr& in) const {
  std::string key = absl::StrCat(static_cast<int>(in.kind), ":", static_cast<int>(in.dtype), ":",
                                 static_cast<int>(in.op), ":", static_cast<int>(in.iop), ":",
                                 in.index, ":", static_cast<int>(in.dist), ":");
  if (in.kind == KOp::kConst) absl::StrAppend(&key, ScalarToString(in.value), ":");
  for (int a : in.args) absl::StrAppend(&key, a, ",");
  absl::StrAppend(&key, "@", in.in_block);
  return key;
}

int KernelBuilder::Add(KInstr instr, bool pure) {
  if (instr.in_block < 0) instr.in_block = HomeBlock(instr);
  if (pure) {
    std::string key = Key(instr);
    auto [it, inserted] = interned_.try_emplace(std::move(key), -1);
    if (!inserted) return it->second;
    it->second = static_cast<int>(kernel_.instrs.size());
  }
  const int id = static_cast<int>(kernel_.instrs.size());
  kernel_.blocks[instr.in_block].instrs.push_back(id);
  kernel_.instrs.push_back(std::move(instr));
  return id;
}

int KernelBuilder::Param(int64_t number) {
  KInstr in;
  in.kind = KOp::kParam;
  in.index = number;
  in.in_block = 0;
  return Add(std::move(in), true);
}

int KernelBuilder::Value(DType dtype, int64_t number) {
  KInstr in;
  in.kind = KOp::kValue;
  in.dtype = dtype;
  in.index = number;
  in.in_block = 0;
  return Add(std::move(in), true);
}

int KernelBuilder::ConstIndex(int64_t v) { return Const(DType::kInt64, Scalar::Int(v)); }

int KernelBuilder::Const(DType dtype, Scalar value) {
  KInstr in;
  in.kind = KOp::kConst;
  in.dtype = dtype;
  in.value = value;
  in.in_block = 0;
  return Add(std::move(in), true);
}

int KernelBuilder::Var(int64_t number) {
  KInstr in;
  in.kind = KOp::kVar;
  in.index = number;
  in.in_block = current_;
  return Add(std::move(in), true);
}

int KernelBuilder::Index(IndexOp op, int a, int b) {
  const KInstr& x = kernel_.instrs[a];
  const KInstr& y = kernel_.instrs[b];
  const bool xc = x.kind == KOp::kConst && !x.value.is_float();
  const bool yc = y.kind == KOp::kConst && !y.value.is_float();
  // Folding that keeps index expressions small (and affine where they are).
  if (xc && yc && op != IndexOp::kLt && op != IndexOp::kGe && op != IndexOp::kAnd) {
    const int64_t p = x.value.i, q = y.value.i;
    switch (op) {
      case IndexOp::kAdd:
        return ConstIndex(p + q);
      case IndexOp::kSub:
        return ConstIndex(p - q);
      case IndexOp::kMul:
        return ConstIndex(p * q);
      case IndexOp::kDiv:
        return ConstIndex(p / q);
      case IndexOp::kMod:
        return ConstIndex(p % q);
      case IndexOp::kMin:
        return ConstIndex(std::min(p, q));
      case IndexOp::kMax:
        return ConstIndex(std::max(p, q));
      default:
        break;
    }
  }
  switch (op) {
    case IndexOp::kAdd:
      if (xc && x.value.i == 0) return b;
      if (yc && y.value.i == 0) return a;
      break;
    case IndexOp::kSub:
      if (yc && y.value.i == 0) return a;
      break;
    case IndexOp::kMul:
      if ((xc && x.value.i == 0) || (yc && y.value.i == 0)) return ConstIndex(0);
      if (xc && x.value.i == 1) return b;
      if (yc && y.value.i == 1) return a;
      break;
    case IndexOp::kDiv:
      if (yc && y.value.i == 1) return a;
      break;
    case IndexOp::kMod:
      if (yc && y.value.i == 1) return ConstIndex(0);
      break;
    default:
      break;
  }
  KInstr in;
  in.kind = KOp::kIndex;
  in.dtype = (op == IndexOp::kLt || op == IndexOp::kGe || op == IndexOp::kAnd) ? DType::kBool
                                                                               : DType::kInt64;
  in.iop = op;
  in.args = {a, b};
  return Add(std::move(in), true);
}

int KernelBuilder::Load(int buffer, int offset) {
  KInstr in;
  in.kind = KOp::kLoad;
  in.dtype = kernel_.buffers[buffer].dtype;
  in.index = buffer;
  in.args = {offset};
  // Never in the prologue: it runs even when the domain is empty.
  in.in_block = std::max(1, HomeBlock(in));
  return Add(std::move(in), true);
}

void KernelBuilder::Store(int buffer, int offset, int value) {
  KInstr in;
  in.kind = KOp::kStore;
  in.dtype = kernel_.buffers[buffer].dtype;
  in.index = buffer;
  in.args = {offset, value};
  in.in_block = current_;
  Add(std::move(in), false);
}

void KernelBuilder::StoreInBlock(int block, int buffer, int offset, int value) {
  KInstr in;
  in.kind = KOp::kStore;
  in.dtype = kernel_.buffers[buffer].dtype;
  in.index = buffer;
  in.args = {offset, value};
  in.in_block = block;
  Add(std::move(in), false);
}

int KernelBuilder::Apply(Op op, DType dtype, std::vector<int> args) {
  KInstr in;
  in.kind = KOp::kOp;
  in.op = op;
  in.dtype = dtype;
  in.args = std::move(args);
  in.in_block = std::max(1, HomeBlock(in));
  return Add(std::move(in), true);
}

int KernelBuilder::Random(DType dtype, int seed, RandomDist dist, int counter) {
  KInstr in;
  in.kind = KOp::kRandom;
  in.dtype = dtype;
  in.dist = dist;
  in.args = {seed, counter};
  in.in_block = std::max(1, HomeBlock(in));
  return Add(std::move(in), true);
}

void KernelBuilder::Check(CheckCode code, int ok, int value, int node) {
  KInstr in;
  in.kind = KOp::kCheck;
  in.index = static_cast<int64_t>(code);
  in.value = Scalar::Int(node);
  in.args = {ok, value};
  in.in_block = current_;
  Add(std::move(in), false);
}

int KernelBuilder::NewVars(int count) {
  const int first = kernel_.num_vars;
  kernel_.num_vars += count;
  return first;
}

int KernelBuilder::DeepestBlock(absl::Span<const int> values, int floor) const {
  int deepest = floor;
  for (int v : values) deepest = std::max(deepest, kernel_.instrs[v].in_block);
  return deepest;
}

int KernelBuilder::BeginReduce(absl::Span<const int> extents, int home, std::vector<int>* vars) {
  const int block = static_cast<int>(kernel_.blocks.size());
  kernel_.blocks.push_back(KBlock{home, {}});
  saved_.push_back(current_);
  current_ = block;
  const int first = NewVars(static_cast<int>(extents.size()));
  vars->clear();
  for (size_t i = 0; i < extents.size(); ++i) vars->push_back(Var(first + i));
  return first;
}

int KernelBuilder::EndReduce(ReduceKind kind, DType dtype, DType acc, int yield,
                             absl::Span<const int> extents, int first_var) {
  const int block = current_;
  const int home = kernel_.blocks[block].parent;
  current_ = saved_.back();
  saved_.pop_back();
  KInstr in;
  in.kind = KOp::kReduce;
  in.red = kind;
  in.dtype = dtype;
  in.acc = acc;
  in.index = first_var;
  in.args.assign(extents.begin(), extents.end());
  in.block = block;
  in.yield = yield;
  in.in_block = home;
  return Add(std::move(in), false);
}

int KernelBuilder::Scan(ReduceKind kind, DType dtype, DType acc, int value, int carry) {
  KInstr in;
  in.kind = KOp::kScan;
  in.red = kind;
  in.dtype = dtype;
  in.acc = acc;
  in.args = {value};
  if (carry >= 0) in.args.push_back(carry);
  in.in_block = current_;
  return Add(std::move(in), false);
}

int KernelBuilder::BeginLoop(absl::Span<const int> extents, std::vector<int>* vars) {
  return BeginReduce(extents, current_, vars);
}

void KernelBuilder::EndLoop(absl::Span<const int> extents, int first_var) {
  const int block = current_;
  const int home = kernel_.blocks[block].parent;
  current_ = saved_.back();
  saved_.pop_back();
  KInstr in;
  in.kind = KOp::kLoop;
  in.index = first_var;
  in.args.assign(extents.begin(), extents.end());
  in.block = block;
  in.in_block = home;
  Add(std::move(in), false);
}

void KernelBuilder::SetDomain(std::vector<int> extents) { kernel_.domain = std::move(extents); }

Kernel KernelBuilder::Finish() && { return std::move(kernel_); }

std::optional<int64_t> IndexCoefficient(const Kernel& kernel, int id, int64_t var) {
  // Index expressions are shallow; the depth bound keeps a pathological one from recursing far.
  struct Walk {
    const Kernel& k;
    int64_t var;
    std::optional<int64_t> Of(int id, int depth) const {
      const KInstr& in = k.instrs[id];
      if (depth > 64) return std::nullopt;
      switch (in.kind) {
        case KOp::kConst:
        case KOp::kParam:
        case KOp::kValue:
          return 0;
        case KOp::kVar:
          return in.index == var ? 1 : 0;
        case KOp::kIndex: {
          const auto a = Of(in.args[0], depth + 1);
          const auto b = Of(in.args[1], depth + 1);
          if (!a || !b) return std::nullopt;
          switch (in.iop) {
            case IndexOp::kAdd:
              return *a + *b;
            case IndexOp::kSub:
              return *a - *b;
            case IndexOp::kMul: {
              if (*a == 0 && *b == 0) return 0;
              const KInstr& x = k.instrs[in.args[0]];
              const KInstr& y = k.instrs[in.args[1]];
              if (*a == 0 && x.kind == KOp::kConst) return x.value.i * *b;
              if (*b == 0 && y.kind == KOp::kConst) return y.value.i * *a;
              return std::nullopt;  // scaled by a size parameter: strided
            }
            default:
              return (*a == 0 && *b == 0) ? std::optional<int64_t>(0) : std::nullopt;
          }
        }
        default:
          return std::nullopt;
      }
    }
  };
  return Walk{kernel, var}.Of(id, 0);
}

}  // namespace ndjit::ir
