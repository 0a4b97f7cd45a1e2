// The CUDA renderer: kernel IR -> CUDA C++ (see cuda_source.h). Program texts, their headers and
// compiling them are cuda_program.cc's; the device runtime the output includes is device/.
// Over 700 lines because of one class: Renderer's methods share one walk over a kernel's
// instructions (its emitted values, blocks, lanes and indentation), as the CPU emitter's do.
#include "codegen/cuda/cuda_source.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "codegen/prelude_abi.h"
#include "ir/dtype.h"
#include "ir/elements.h"
#include "ir/host_tensor.h"
#include "ir/reduce.h"
#include "ir/status_macros.h"

namespace ndjit::codegen::cuda {

namespace {

using ir::IndexOp;
using ir::KInstr;
using ir::KOp;
using ir::ReduceKind;

const char* CType(DType dt) {
  switch (dt) {
    case DType::kBool:
    case DType::kUInt8:
      return "uint8_t";
    case DType::kInt8:
      return "int8_t";
    case DType::kInt32:
      return "int32_t";
    case DType::kInt64:
      return "int64_t";
    case DType::kFloat16:
    case DType::kBFloat16:
      return "uint16_t";
    case DType::kFloat32:
      return "float";
    case DType::kFloat64:
      return "double";
  }
  return "void";
}

// An exact C++ literal of `v` as `dt` (hex floats; bit patterns for NaN and infinities).
std::string Literal(DType dt, const ir::Scalar& v) {
  switch (dt) {
    case DType::kFloat16:
    case DType::kBFloat16: {
      // The IR's single rounding from double (ir/elements.cc), as the CPU backend does.
      ir::HostTensor t(ir::TensorType{dt, {}});
      ir::StoreDouble(t, 0, v.AsDouble());
      return absl::StrFormat("uint16_t(0x%04x)", *t.data_as<uint16_t>());
    }
    case DType::kFloat32: {
      const float f = static_cast<float>(v.AsDouble());
      if (std::isfinite(f)) return absl::StrFormat("%af", f);
      uint32_t bits;
      std::memcpy(&bits, &f, sizeof bits);
      return absl::StrFormat("__builtin_bit_cast(float, 0x%08xu)", bits);
    }
    case DType::kFloat64: {
      const double d = v.AsDouble();
      if (std::isfinite(d)) return absl::StrFormat("%a", d);
      uint64_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      return absl::StrFormat("__builtin_bit_cast(double, 0x%016xull)", bits);
    }
    case DType::kBool:
      return (v.is_float() ? v.f != 0.0 : v.i != 0) ? "uint8_t(1)" : "uint8_t(0)";
    default: {
      const int64_t i = v.is_float() ? static_cast<int64_t>(v.f) : v.i;
      if (i == INT64_MIN) return absl::StrCat(CType(dt), "(-9223372036854775807ll - 1)");
      return absl::StrCat(CType(dt), "(", i, "ll)");
    }
  }
}

std::string AccIdentity(const KInstr& in) {
  return Literal(in.acc, ir::ReduceIdentity(in.red, in.acc));
}

// Folds partial results `a` and `b` of a sum, product, max or min: float sums and products with
// the plain operator in the accumulator's type (f32 or f64), the rest with the prelude's rule
// (wrapping integers, bool as or/and, NaN-propagating max/min).
std::string Combine(const KInstr& in, const std::string& a, const std::string& b) {
  const bool sum = in.red == ReduceKind::kSum;
  if (IsFloat(in.acc) && (sum || in.red == ReduceKind::kProd)) {
    return absl::StrCat(a, sum ? " + " : " * ", b);
  }
  const char* op = sum                           ? "add"
                   : in.red == ReduceKind::kProd ? "mul"
                   : in.red == ReduceKind::kMax  ? "max"
                                                 : "min";
  return absl::StrCat("ndj_", op, "_", ir::DTypeShortName(in.acc), "(", a, ", ", b, ")");
}

bool IsArg(const KInstr& in) {
  return in.red == ReduceKind::kArgMax || in.red == ReduceKind::kArgMin;
}

class Renderer {
 public:
  Renderer(const ir::Kernel& k, std::string entry) : k_(k), entry_(std::move(entry)) {}

  absl::StatusOr<RenderedKernel> Render() {
    RenderedKernel out;
    out.entry = entry_;
    for (int id : k_.blocks[1].instrs) {
      const KOp kind = k_.instrs[id].kind;
      if (kind == KOp::kReduce || kind == KOp::kLoop) team_ = true;
    }
    // A scan's loop runs in order: one thread per point walks its chunk.
    for (const KInstr& in : k_.instrs) {
      if (in.kind == KOp::kScan) team_ = false;
    }
    out.team = team_;
    out.vectorized = Vectorizable();
    out.column = team_ && ColumnReduction();
    // Indices computed from data (a gather's) stay 64-bit, so a range check sees the true value.
    out.has_i32 = !DataDependentIndex();

    std::string& s = out.text;
    absl::StrAppend(&s, "// kernel ", k_.name, "\n");
    for (const std::string& note : k_.notes) absl::StrAppend(&s, "//   ", note, "\n");
    // The body, a template over the index type.
    absl::StrAppend(&s, "template <typename I>\n__device__ __forceinline__ void ", entry_, "_body(",
                    Signature(), ") {\n");
    body_.clear();
    RETURN_IF_ERROR(EmitPrologue());
    RETURN_IF_ERROR(team_ ? EmitTeamLoop() : out.vectorized ? EmitVectorLoop() : EmitFlatLoop());
    s += body_;
    s += "}\n";
    for (const char* index : {"i32", "i64"}) {
      if (std::string_view(index) == "i32" && !out.has_i32) continue;
      absl::StrAppend(&s, "extern \"C\" __global__ void __launch_bounds__(", kMaxBlockThreads, ") ",
                      entry_, "_", index, "(", Signature(), ") {\n  ", entry_, "_body<",
                      std::string_view(index) == "i32" ? "int32_t" : "int64_t", ">(", ArgNames(),
                      ");\n}\n");
    }
    return out;
  }

 private:
  std::string Signature() const {
    std::vector<std::string> args;
    for (size_t b = 0; b < k_.buffers.size(); ++b) {
      const KBuffer& buf = k_.buffers[b];
      args.push_back(
          absl::StrCat(buf.output ? "" : "const ", CType(buf.dtype), "* __restrict__ b", b));
    }
    for (int p = 0; p < k_.num_params; ++p) args.push_back(absl::StrCat("long long p", p));
    for (int q = 0; q < k_.num_values; ++q) args.push_back(absl::StrCat("long long q", q));
    args.push_back("long long* __restrict__ status");
    return absl::StrJoin(args, ", ");
  }
  std::string ArgNames() const {
    std::vector<std::string> args;
    for (size_t b = 0; b < k_.buffers.size(); ++b) args.push_back(absl::StrCat("b", b));
    for (int p = 0; p < k_.num_params; ++p) args.push_back(absl::StrCat("p", p));
    for (int q = 0; q < k_.num_values; ++q) args.push_back(absl::StrCat("q", q));
    args.push_back("status");
    return absl::StrJoin(args, ", ");
  }

  using KBuffer = ir::KBuffer;

  // Names of values and vars; while rendering lane `lane_` of a four-point vector step, body
  // values and the innermost domain var carry the lane.
  std::string V(int id) const {
    if (lane_ >= 0 && k_.instrs[id].in_block != 0) return absl::StrCat("v", id, "_l", lane_);
    return absl::StrCat("v", id);
  }
  std::string Var(int64_t n) const {
    if (lane_ > 0 && n == inner_var_) return absl::StrCat("i", n, "_l", lane_);
    return absl::StrCat("i", n);
  }
  void Line(int indent, const std::string& text) {
    body_.append(static_cast<size_t>(indent) * 2, ' ');
    body_ += text;
    body_ += '\n';
  }

  std::optional<int64_t> Coefficient(int id, int64_t var) const {
    return ir::IndexCoefficient(k_, id, var);
  }

  // A team kernel whose top-level reductions read contiguously along the points (a column sum,
  // matmul's B operand) and not along their own box: one lane per point keeps loads coalesced.
  bool ColumnReduction() const {
    if (k_.domain.empty()) return false;
    const int64_t inner = static_cast<int64_t>(k_.domain.size()) - 1;
    bool column = false;
    for (int id : k_.blocks[1].instrs) {
      const KInstr& in = k_.instrs[id];
      if (in.kind == KOp::kLoop) return false;
      if (in.kind != KOp::kReduce) continue;
      const int64_t last = in.index + static_cast<int64_t>(in.args.size()) - 1;
      for (int bid : k_.blocks[in.block].instrs) {
        const KInstr& b = k_.instrs[bid];
        if (b.kind != KOp::kLoad) continue;
        const auto along_r = Coefficient(b.args[0], last);
        const auto along_j = Coefficient(b.args[0], inner);
        if (along_r && *along_r == 1) return false;
        if (along_j && *along_j == 1) column = true;
      }
    }
    return column;
  }

  bool IsIndexKind(const KInstr& in) const {
    return in.kind == KOp::kIndex || in.kind == KOp::kParam || in.kind == KOp::kVar ||
           (in.kind == KOp::kConst && !in.value.is_float());
  }
  bool DataDependentIndex() const {
    for (const KInstr& in : k_.instrs) {
      if (in.kind == KOp::kCheck) return true;
      if (in.kind != KOp::kIndex) continue;
      for (int a : in.args) {
        if (!IsIndexKind(k_.instrs[a])) return true;
      }
    }
    return false;
  }

  // The C type an instruction's value is declared with.
  std::string TypeOf(const KInstr& in) const {
    switch (in.kind) {
      case KOp::kParam:
      case KOp::kVar:
        return "I";
      case KOp::kIndex:
        return in.iop == IndexOp::kLt || in.iop == IndexOp::kGe || in.iop == IndexOp::kAnd
                   ? "uint8_t"
                   : "I";
      case KOp::kReduce:
        return IsArg(in) ? "int64_t" : CType(in.dtype);
      default:
        return CType(in.dtype);
    }
  }
  // An operand of index arithmetic, in the index type.
  std::string IndexArg(int id) const {
    const KInstr& in = k_.instrs[id];
    if (in.kind == KOp::kParam || in.kind == KOp::kVar ||
        (in.kind == KOp::kIndex && TypeOf(in) == "I")) {
      return V(id);
    }
    return absl::StrCat("I(", V(id), ")");
  }

  absl::Status EmitPrologue() {
    Line(1, "(void)status;");
    for (int id : k_.blocks[0].instrs) RETURN_IF_ERROR(EmitInstr(id, 1, Ctx::kPrologue));
    std::vector<std::string> ext;
    for (int e : k_.domain) ext.push_back(IndexArg(e));
    Line(1, absl::StrCat("const I ndj_points = ", ext.empty() ? "I(1)" : absl::StrJoin(ext, " * "),
                         ";"));
    return absl::OkStatus();
  }

  // Binds the domain vars of flat point `p` (row-major).
  void Delinearize(int indent, const std::string& p) {
    const size_t rank = k_.domain.size();
    if (rank == 0) return;
    if (rank == 1) {
      Line(indent, absl::StrCat("const I ", Var(0), " = ", p, ";"));
      return;
    }
    Line(indent, absl::StrCat("I ndj_rest = ", p, ";"));
    for (size_t d = rank; d-- > 0;) {
      if (d == 0) {
        Line(indent, absl::StrCat("const I ", Var(0), " = ndj_rest;"));
      } else {
        const std::string e = IndexArg(k_.domain[d]);
        Line(indent, absl::StrCat("const I ", Var(d), " = ndj_rest % ", e, ";"));
        Line(indent, absl::StrCat("ndj_rest /= ", e, ";"));
      }
    }
  }

  absl::Status EmitFlatLoop() {
    Line(1,
         "for (I ndj_p = I(blockIdx.x) * I(blockDim.x) + I(threadIdx.x); ndj_p < ndj_points; "
         "ndj_p += I(blockDim.x) * I(gridDim.x)) {");
    Delinearize(2, "ndj_p");
    for (int id : k_.blocks[1].instrs) RETURN_IF_ERROR(EmitInstr(id, 2, Ctx::kFlat));
    Line(1, "}");
    return absl::OkStatus();
  }

  absl::Status EmitTeamLoop() {
    Line(1, "const I ndj_lane = I(threadIdx.x), ndj_lanes = I(blockDim.x);");
    Line(1, "const I ndj_teams = I(blockDim.y);");
    Line(1,
         "for (I ndj_base = I(blockIdx.x) * ndj_teams; ndj_base < ndj_points; "
         "ndj_base += I(gridDim.x) * ndj_teams) {");
    Line(2, "const I ndj_p0 = ndj_base + I(threadIdx.y);");
    Line(2, "const bool ndj_active = ndj_p0 < ndj_points;");
    Line(2, "const I ndj_p = ndj_active ? ndj_p0 : ndj_points - 1;");
    Delinearize(2, "ndj_p");
    for (int id : k_.blocks[1].instrs) RETURN_IF_ERROR(EmitInstr(id, 2, Ctx::kTeamTop));
    Line(1, "}");
    return absl::OkStatus();
  }

  // Where an instruction is rendered: the prologue, the flat loop, the top of a team kernel's
  // body (one value per team; stores by lane 0), or inside a block split over a team's lanes or
  // nested in one (stores by every active lane).
  enum class Ctx { kPrologue, kFlat, kTeamTop, kTeamLane };

  std::string Guard(Ctx ctx) const {
    switch (ctx) {
      case Ctx::kTeamTop:
        return "if (ndj_active && ndj_lane == 0) ";
      case Ctx::kTeamLane:
        return "if (ndj_active) ";
      default:
        return "";
    }
  }

  absl::Status EmitBlock(int block, int indent, Ctx ctx) {
    for (int id : k_.blocks[block].instrs) RETURN_IF_ERROR(EmitInstr(id, indent, ctx));
    return absl::OkStatus();
  }

  bool BlockStores(int block) const {
    for (int id : k_.blocks[block].instrs) {
      const KInstr& in = k_.instrs[id];
      if (in.kind == KOp::kStore) return true;
      if ((in.kind == KOp::kReduce || in.kind == KOp::kLoop) && BlockStores(in.block)) {
        return true;
      }
    }
    return false;
  }

  absl::Status EmitInstr(int id, int indent, Ctx ctx) {
    const KInstr& in = k_.instrs[id];
    auto arg = [&](int i) { return V(in.args[i]); };
    const std::string decl = absl::StrCat("const ", TypeOf(in), " ", V(id), " = ");
    switch (in.kind) {
      case KOp::kConst:
        Line(indent, absl::StrCat(decl, Literal(in.dtype, in.value), ";"));
        return absl::OkStatus();
      case KOp::kParam:
        RET_CHECK(in.index >= 0 && in.index < k_.num_params, "param out of range");
        Line(indent, absl::StrCat(decl, "I(p", in.index, ");"));
        return absl::OkStatus();
      case KOp::kValue: {
        // The value's bits in its dtype, in the low bits (ir::ValueParameterBits).
        RET_CHECK(in.index >= 0 && in.index < k_.num_values, "value parameter out of range");
        const std::string bits = absl::StrCat("q", in.index);
        std::string value;
        switch (in.dtype) {
          case DType::kFloat32:
            value = absl::StrCat("__builtin_bit_cast(float, static_cast<uint32_t>(", bits, "))");
            break;
          case DType::kFloat64:
            value = absl::StrCat("__builtin_bit_cast(double, ", bits, ")");
            break;
          default:
            value = absl::StrCat(CType(in.dtype), "(", bits, ")");
            break;
        }
        Line(indent, absl::StrCat(decl, value, ";"));
        return absl::OkStatus();
      }
      case KOp::kVar:
        Line(indent, absl::StrCat(decl, Var(in.index), ";"));
        return absl::OkStatus();
      case KOp::kIndex: {
        const std::string x = IndexArg(in.args[0]), y = IndexArg(in.args[1]);
        std::string e;
        switch (in.iop) {
          case IndexOp::kAdd:
            e = absl::StrCat(x, " + ", y);
            break;
          case IndexOp::kSub:
            e = absl::StrCat(x, " - ", y);
            break;
          case IndexOp::kMul:
            e = absl::StrCat(x, " * ", y);
            break;
          case IndexOp::kDiv:
            e = absl::StrCat(x, " / ", y);
            break;
          case IndexOp::kMod:
            e = absl::StrCat(x, " % ", y);
            break;
          case IndexOp::kMin:
            e = absl::StrCat(x, " < ", y, " ? ", x, " : ", y);
            break;
          case IndexOp::kMax:
            e = absl::StrCat(x, " > ", y, " ? ", x, " : ", y);
            break;
          case IndexOp::kLt:
            e = absl::StrCat(x, " < ", y);
            break;
          case IndexOp::kGe:
            e = absl::StrCat(x, " >= ", y);
            break;
          case IndexOp::kAnd:
            e = absl::StrCat(arg(0), " & ", arg(1));
            break;
        }
        Line(indent, absl::StrCat(decl, TypeOf(in), "(", e, ");"));
        return absl::OkStatus();
      }
      case KOp::kLoad:
        Line(indent, absl::StrCat(decl, "b", in.index, "[", IndexArg(in.args[0]), "];"));
        return absl::OkStatus();
      case KOp::kStore:
        RET_CHECK(ctx != Ctx::kPrologue, "store in the prologue");
        Line(indent, absl::StrCat(Guard(ctx), "b", in.index, "[", IndexArg(in.args[0]),
                                  "] = ", arg(1), ";"));
        return absl::OkStatus();
      case KOp::kOp: {
        std::vector<std::string> args;
        for (int a : in.args) args.push_back(V(a));
        Line(indent, absl::StrCat(decl, PreludeOp(k_, in), "(", absl::StrJoin(args, ", "), ");"));
        return absl::OkStatus();
      }
      case KOp::kRandom:
        Line(indent, absl::StrCat(decl, PreludeRandom(in.dist, in.dtype), "(uint64_t(", arg(0),
                                  "), int64_t(", arg(1), "));"));
        return absl::OkStatus();
      case KOp::kCheck:
        Line(indent, absl::StrCat(Guard(ctx), "if (!", arg(0), ") ndj_fail(status, ", in.index,
                                  ", (long long)", arg(1), ", ", in.value.i, ");"));
        return absl::OkStatus();
      case KOp::kReduce:
        return ctx == Ctx::kTeamTop ? EmitTeamReduce(id, in, indent)
                                    : EmitSerialReduce(id, in, indent, ctx);
      case KOp::kLoop:
        return ctx == Ctx::kTeamTop ? EmitTeamLoopInstr(in, indent)
                                    : EmitSerialLoop(in, indent, ctx);
      case KOp::kScan: {
        RET_CHECK(ctx == Ctx::kFlat, "a scan runs in a serial loop");
        const std::string acc = V(id) + "_acc";
        Line(indent, absl::StrCat(acc, " = ", Combine(in, acc, arg(0)), ";"));
        Line(indent, absl::StrCat(decl,
                                  in.acc == in.dtype
                                      ? acc
                                      : absl::StrCat(PreludeCast(in.acc, in.dtype), "(", acc, ")"),
                                  ";"));
        return absl::OkStatus();
      }
    }
    return absl::InternalError("cuda renderer: unknown kernel instruction");
  }

  // Declares the accumulator(s) of reduce `id`.
  void DeclareAcc(int id, const KInstr& in, int indent) {
    Line(indent, absl::StrCat(CType(in.acc), " ", V(id), "_acc = ", AccIdentity(in), ";"));
    if (IsArg(in)) Line(indent, absl::StrCat("long long ", V(id), "_pos = -1;"));
  }
  // Folds the block's yield at the reduce's vars into the accumulator.
  void Fold(int id, const KInstr& in, int indent) {
    const std::string acc = V(id) + "_acc", y = V(in.yield);
    if (IsArg(in)) {
      Line(indent,
           absl::StrCat("if (ndj_arg_takes(", acc, ", ", V(id), "_pos, ", y, ", (long long)",
                        Var(in.index), ", ", in.red == ReduceKind::kArgMax ? "true" : "false",
                        ")) { ", acc, " = ", y, "; ", V(id), "_pos = ", Var(in.index), "; }"));
      return;
    }
    Line(indent, absl::StrCat(acc, " = ", Combine(in, acc, y), ";"));
  }
  void Result(int id, const KInstr& in, int indent) {
    std::string value = V(id) + "_acc";
    if (IsArg(in)) {
      value = absl::StrCat("int64_t(", V(id), "_pos)");
    } else if (in.acc != in.dtype) {
      value = absl::StrCat(PreludeCast(in.acc, in.dtype), "(", value, ")");
    }
    Line(indent, absl::StrCat("const ", TypeOf(in), " ", V(id), " = ", value, ";"));
  }

  // Nested loops over the box of `in` (a reduce or loop), outermost first.
  void OpenNest(const KInstr& in, int indent) {
    for (size_t d = 0; d < in.args.size(); ++d) {
      const std::string v = Var(in.index + static_cast<int64_t>(d));
      Line(indent + static_cast<int>(d),
           absl::StrCat("for (I ", v, " = 0; ", v, " < ", IndexArg(in.args[d]), "; ++", v, ") {"));
    }
  }
  void CloseNest(const KInstr& in, int indent) {
    for (size_t d = in.args.size(); d-- > 0;) Line(indent + static_cast<int>(d), "}");
  }

  absl::Status EmitSerialReduce(int id, const KInstr& in, int indent, Ctx ctx) {
    DeclareAcc(id, in, indent);
    OpenNest(in, indent);
    const int inner = indent + static_cast<int>(in.args.size());
    RETURN_IF_ERROR(EmitBlock(in.block, inner, ctx == Ctx::kFlat ? Ctx::kFlat : NestedCtx(ctx)));
    Fold(id, in, inner);
    CloseNest(in, indent);
    Result(id, in, indent);
    return absl::OkStatus();
  }
  absl::Status EmitSerialLoop(const KInstr& in, int indent, Ctx ctx) {
    // Each scan's running value lives across the loop's iterations.
    for (int id : k_.blocks[in.block].instrs) {
      const KInstr& scan = k_.instrs[id];
      if (scan.kind != KOp::kScan) continue;
      Line(indent, absl::StrCat(CType(scan.acc), " ", V(id), "_acc = ",
                                scan.args.size() > 1 ? V(scan.args[1]) : AccIdentity(scan), ";"));
    }
    OpenNest(in, indent);
    RETURN_IF_ERROR(EmitBlock(in.block, indent + static_cast<int>(in.args.size()),
                              ctx == Ctx::kFlat ? Ctx::kFlat : NestedCtx(ctx)));
    CloseNest(in, indent);
    return absl::OkStatus();
  }
  static Ctx NestedCtx(Ctx ctx) { return ctx == Ctx::kPrologue ? Ctx::kPrologue : Ctx::kTeamLane; }

  // The box of `in` split over the team's lanes: flat box index f = lane, lane + lanes, ...
  void OpenTeamBox(const KInstr& in, int indent, const std::string& f) {
    std::vector<std::string> ext;
    for (int e : in.args) ext.push_back(IndexArg(e));
    Line(indent, absl::StrCat("for (I ", f, " = ndj_lane; ", f, " < ",
                              ext.empty() ? "I(1)" : absl::StrJoin(ext, " * "), "; ", f,
                              " += ndj_lanes) {"));
    const size_t dims = in.args.size();
    if (dims == 1) {
      Line(indent + 1, absl::StrCat("const I ", Var(in.index), " = ", f, ";"));
      return;
    }
    Line(indent + 1, absl::StrCat("I ", f, "_rest = ", f, ";"));
    for (size_t d = dims; d-- > 0;) {
      const std::string v = Var(in.index + static_cast<int64_t>(d));
      if (d == 0) {
        Line(indent + 1, absl::StrCat("const I ", v, " = ", f, "_rest;"));
      } else {
        Line(indent + 1, absl::StrCat("const I ", v, " = ", f, "_rest % ", ext[d], ";"));
        Line(indent + 1, absl::StrCat(f, "_rest /= ", ext[d], ";"));
      }
    }
  }

  absl::Status EmitTeamReduce(int id, const KInstr& in, int indent) {
    DeclareAcc(id, in, indent);
    const std::string f = absl::StrCat("ndj_f", id);
    OpenTeamBox(in, indent, f);
    RETURN_IF_ERROR(EmitBlock(in.block, indent + 1, Ctx::kTeamLane));
    Fold(id, in, indent + 1);
    Line(indent, "}");
    const std::string acc = V(id) + "_acc";
    if (IsArg(in)) {
      Line(indent, absl::StrCat("ndj_team_fold_arg(", acc, ", ", V(id), "_pos, ",
                                in.red == ReduceKind::kArgMax ? "true" : "false", ");"));
    } else {
      const std::string t = CType(in.acc);
      Line(indent, absl::StrCat(acc, " = ndj_team_fold(", acc, ", [](", t, " a, ", t,
                                " b) { return ", t, "(", Combine(in, "a", "b"), "); });"));
    }
    // Lanes read what other lanes stored in the box (the row kernel's scratch) only after this.
    if (BlockStores(in.block)) Line(indent, "__syncthreads();");
    Result(id, in, indent);
    return absl::OkStatus();
  }

  absl::Status EmitTeamLoopInstr(const KInstr& in, int indent) {
    const std::string f = absl::StrCat("ndj_f", in.block, "_loop");
    OpenTeamBox(in, indent, f);
    RETURN_IF_ERROR(EmitBlock(in.block, indent + 1, Ctx::kTeamLane));
    Line(indent, "}");
    // The next point's team may read what this loop stored only after every lane is done.
    Line(indent, "__syncthreads();");
    return absl::OkStatus();
  }

  // ---- Four points per thread (elementwise kernels) ----------------------------------------
  // An elementwise kernel whose every access is contiguous (store or load) or invariant (load)
  // along the innermost domain dim, without run-time checks, also gets a vector path: a thread
  // takes four consecutive points of a row (the innermost extent a multiple of four) and moves
  // each contiguous access as one vector when its address is aligned, else runs the four points
  // one by one.
  bool Vectorizable() const {
    if (team_ || k_.domain.empty() || DataDependentIndex()) return false;
    const int64_t inner = static_cast<int64_t>(k_.domain.size()) - 1;
    for (const KInstr& in : k_.instrs) {
      if (in.kind == KOp::kCheck || in.kind == KOp::kLoop) return false;
    }
    for (int id : k_.blocks[1].instrs) {
      const KInstr& in = k_.instrs[id];
      if (in.kind != KOp::kLoad && in.kind != KOp::kStore) continue;
      const auto c = Coefficient(in.args[0], inner);
      if (!c || (*c != 0 && *c != 1) || (in.kind == KOp::kStore && *c != 1)) return false;
    }
    return true;
  }
  bool Contiguous(const KInstr& in) const {
    const auto c = Coefficient(in.args[0], inner_var_);
    return c && *c == 1;
  }

  absl::Status EmitVectorLoop() {
    inner_var_ = static_cast<int64_t>(k_.domain.size()) - 1;
    // The scalar body, for the other points.
    Line(1, "auto ndj_point = [&](I ndj_p) {");
    Delinearize(2, "ndj_p");
    for (int id : k_.blocks[1].instrs) RETURN_IF_ERROR(EmitInstr(id, 2, Ctx::kFlat));
    Line(1, "};");
    std::vector<std::string> bases;
    std::vector<bool> vector_buffer(k_.buffers.size(), false);
    for (int id : k_.blocks[1].instrs) {
      const KInstr& in = k_.instrs[id];
      if ((in.kind == KOp::kLoad || in.kind == KOp::kStore) && Contiguous(in)) {
        vector_buffer[static_cast<size_t>(in.index)] = true;
      }
    }
    for (size_t b = 0; b < k_.buffers.size(); ++b) {
      if (!vector_buffer[b]) continue;
      bases.push_back(absl::StrCat("reinterpret_cast<unsigned long long>(b", b,
                                   ") % (4 * sizeof(*b", b, ")) == 0"));
    }
    Line(1, absl::StrCat("const bool ndj_vector = ", IndexArg(k_.domain.back()), " % 4 == 0",
                         bases.empty() ? "" : " && ", absl::StrJoin(bases, " && "), ";"));
    Line(1, "const I ndj_tid = I(blockIdx.x) * I(blockDim.x) + I(threadIdx.x);");
    Line(1, "const I ndj_stride = I(blockDim.x) * I(gridDim.x);");
    Line(1, "if (ndj_vector) {");
    Line(2, "for (I ndj_q = ndj_tid; ndj_q < ndj_points / 4; ndj_q += ndj_stride) {");
    Line(3, "const I ndj_p = ndj_q * 4;");
    Delinearize(3, "ndj_p");
    // Lane 0's index values decide whether the contiguous accesses are aligned.
    lane_ = 0;
    std::vector<std::string> offsets;
    for (int id : k_.blocks[1].instrs) {
      const KInstr& in = k_.instrs[id];
      if (in.kind == KOp::kVar || in.kind == KOp::kIndex)
        RETURN_IF_ERROR(EmitInstr(id, 3, Ctx::kFlat));
      if ((in.kind == KOp::kLoad || in.kind == KOp::kStore) && Contiguous(in)) {
        offsets.push_back(IndexArg(in.args[0]));
      }
    }
    Line(3, absl::StrCat("if (((", offsets.empty() ? "I(0)" : absl::StrJoin(offsets, " | "),
                         ") & 3) == 0) {"));
    for (lane_ = 1; lane_ < 4; ++lane_) {
      Line(4, absl::StrCat("const I ", Var(inner_var_), " = i", inner_var_, " + ", lane_, ";"));
    }
    for (int id : k_.blocks[1].instrs) {
      const KInstr& in = k_.instrs[id];
      const bool index = in.kind == KOp::kVar || in.kind == KOp::kIndex;
      if ((in.kind == KOp::kLoad || in.kind == KOp::kStore) && Contiguous(in)) {
        lane_ = 0;
        const std::string t = CType(in.dtype);
        const std::string at = absl::StrCat("b", in.index, " + ", IndexArg(in.args[0]));
        if (in.kind == KOp::kLoad) {
          const std::string vec = absl::StrCat("v", id, "_vec");
          Line(4, absl::StrCat("const ndj_vec4<", t, "> ", vec,
                               " = *reinterpret_cast<const ndj_vec4<", t, ">*>(", at, ");"));
          for (lane_ = 0; lane_ < 4; ++lane_) {
            Line(4, absl::StrCat("const ", t, " ", V(id), " = ", vec, ".v[", lane_, "];"));
          }
        } else {
          std::vector<std::string> lanes;
          for (lane_ = 0; lane_ < 4; ++lane_) {
            lanes.push_back(absl::StrCat(t, "(", V(in.args[1]), ")"));
          }
          lane_ = 0;
          Line(4, absl::StrCat("*reinterpret_cast<ndj_vec4<", t, ">*>(", at, ") = ndj_vec4<", t,
                               ">{{", absl::StrJoin(lanes, ", "), "}};"));
        }
        continue;
      }
      for (lane_ = index ? 1 : 0; lane_ < 4; ++lane_) RETURN_IF_ERROR(EmitInstr(id, 4, Ctx::kFlat));
    }
    lane_ = -1;
    Line(3, "} else {");
    Line(4, "for (int ndj_j = 0; ndj_j < 4; ++ndj_j) ndj_point(ndj_p + I(ndj_j));");
    Line(3, "}");
    Line(2, "}");
    Line(1, "} else {");
    Line(2, "for (I ndj_p = ndj_tid; ndj_p < ndj_points; ndj_p += ndj_stride) ndj_point(ndj_p);");
    Line(1, "}");
    return absl::OkStatus();
  }

  const ir::Kernel& k_;
  std::string entry_;
  bool team_ = false;
  std::string body_;
  int lane_ = -1;
  int64_t inner_var_ = -1;
};

}  // namespace

const char* CudaCType(DType dtype) { return CType(dtype); }

std::string EntryName(const std::string& kernel_name) {
  std::string out = "ndj_";
  for (char c : kernel_name) {
    out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  }
  return out;
}

absl::StatusOr<RenderedKernel> RenderKernel(const ir::Kernel& kernel, const std::string& entry) {
  if (kernel.blocks.size() < 2) {
    return absl::InvalidArgumentError(absl::StrCat("kernel @", kernel.name, " has no body block"));
  }
  // glibc's functions exist only in the CPU prelude (a device uses CUDA's): the executor clears
  // the switch for GPU tasks, so a kernel that has it was lowered for the CPU.
  if (kernel.glibc_math) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kernel @", kernel.name, " was lowered with --vector-math=glibc, a CPU-only switch"));
  }
  Renderer r(kernel, entry);
  return r.Render();
}

}  // namespace ndjit::codegen::cuda
