// The CPU backend (see cpu_backend.h). The only file with LLVM headers.
#include "codegen/cpu/cpu_backend.h"

#include <gnu/libc-version.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "codegen/cpu/prelude_bitcode.h"
#include "codegen/prelude_abi.h"
#include "ir/dtype.h"
#include "ir/elements.h"
#include "ir/host_tensor.h"
#include "ir/status_macros.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Linker/Linker.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/DynamicLibrary.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SmallVectorMemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"

namespace ndjit::codegen::cpu {

// The SHA-256 of the code generator's sources (generated at build time: cmake/hash_sources.cmake).
extern const char kCodegenSourceHash[];

// Kernels with more loads than this at indices not contiguous along the innermost domain var
// are compiled without the loop vectorizer, and kernels with any such load without the SLP
// vectorizer (see Compile).
constexpr int kMaxGatheredLoadsToVectorize = 4;

// Loads whose index is neither invariant nor contiguous along the innermost domain var: each
// becomes a gather when the loop over that var is vectorized.
int GatheredLoads(const ir::Kernel& k) {
  if (k.domain.empty()) return 0;
  const int64_t inner = static_cast<int64_t>(k.domain.size()) - 1;
  int gathered = 0;
  for (const ir::KInstr& in : k.instrs) {
    if (in.kind != ir::KOp::kLoad) continue;
    const std::optional<int64_t> c = ir::IndexCoefficient(k, in.args[0], inner);
    gathered += !c || (*c != 0 && *c != 1);
  }
  return gathered;
}

namespace {

using ir::KInstr;
using ir::KOp;
using ndjit::DType;

std::string ToString(llvm::Error err) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << err;
  return s;
}

// glibc libmvec functions: scalar name, arity. float versions append "f".
struct MathFn {
  const char* name;
  int arity;
};
constexpr MathFn kMathFns[] = {
    {"acos", 1},  {"acosh", 1}, {"asin", 1},  {"asinh", 1}, {"atan", 1},  {"atanh", 1}, {"cbrt", 1},
    {"cos", 1},   {"cosh", 1},  {"erf", 1},   {"erfc", 1},  {"exp10", 1}, {"exp2", 1},  {"exp", 1},
    {"expm1", 1}, {"log10", 1}, {"log1p", 1}, {"log2", 1},  {"log", 1},   {"sin", 1},   {"sinh", 1},
    {"tan", 1},   {"tanh", 1},  {"atan2", 2}, {"hypot", 2}, {"pow", 2},
};

// The process-wide JIT and target description.
class Jit {
 public:
  static Jit& Get() {
    static Jit* jit = new Jit();  // never destroyed: compiled code lives as long as the process
    return *jit;
  }

  absl::Status status() const { return status_; }
  llvm::orc::LLJIT& lljit() { return *lljit_; }
  llvm::orc::JITTargetMachineBuilder& jtmb() { return *jtmb_; }
  const std::string& description() const { return description_; }
  const std::string& identity() const { return identity_; }
  bool vector_math() const { return vector_math_; }
  bool has_feature(const std::string& f) const {
    auto it = features_.find(f);
    return it != features_.end() && it->second;
  }
  // Held while an object file is linked into the JIT; code generation runs outside it.
  std::mutex& link_mu() { return link_mu_; }
  // Kernel symbols linked so far (guarded by link_mu).
  absl::flat_hash_map<std::string, KernelFn>& linked() { return linked_; }
  int64_t NextId() { return next_id_.fetch_add(1, std::memory_order_relaxed); }

 private:
  Jit() {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
    // libmvec: loaded into the process so that the JIT's symbol lookup finds its functions.
    std::string err;
    vector_math_ = !llvm::sys::DynamicLibrary::LoadLibraryPermanently("libmvec.so.1", &err);
    auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
    if (!jtmb) {
      status_ = absl::InternalError(
          absl::StrCat("LLVM: no target for this host: ", ToString(jtmb.takeError())));
      return;
    }
    jtmb->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
    // Compile emits object files itself (see there), so they must be what the JIT's linker
    // places anywhere in the address space: position independent, small code model.
    jtmb->setRelocationModel(llvm::Reloc::PIC_);
    jtmb->setCodeModel(llvm::CodeModel::Small);
    features_ = llvm::sys::getHostCPUFeatures();
    jtmb_ = std::make_unique<llvm::orc::JITTargetMachineBuilder>(*jtmb);
    auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(*jtmb).create();
    if (!jit) {
      status_ = absl::InternalError(
          absl::StrCat("LLVM: creating the JIT failed: ", ToString(jit.takeError())));
      return;
    }
    lljit_ = std::move(*jit);
    auto gen = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
        lljit_->getDataLayout().getGlobalPrefix());
    if (!gen) {
      status_ = absl::InternalError(
          absl::StrCat("LLVM: process symbol lookup failed: ", ToString(gen.takeError())));
      return;
    }
    lljit_->getMainJITDylib().addGenerator(std::move(*gen));
    description_ = absl::StrCat(jtmb_->getTargetTriple().str(), " ", jtmb_->getCPU(), " ",
                                jtmb_->getFeatures().getString(), vector_math_ ? " libmvec" : "");
    // The prelude's bitcode as built (its compiler and flags included), glibc's version (which
    // libmvec functions exist decides which calls vectorize) and the code generator's sources.
    uint64_t prelude_hash = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < kPreludeBitcodeSize; ++i) {
      prelude_hash = (prelude_hash ^ kPreludeBitcode[i]) * 0x100000001b3ull;
    }
    identity_ = absl::StrCat("LLVM ", LLVM_VERSION_STRING, "\n", description_, "\nglibc ",
                             gnu_get_libc_version(), "\nprelude ",
                             absl::Hex(prelude_hash, absl::kZeroPad16), "\nndjit codegen ",
                             kCodegenSourceHash);
  }

  absl::Status status_;
  std::unique_ptr<llvm::orc::JITTargetMachineBuilder> jtmb_;
  std::unique_ptr<llvm::orc::LLJIT> lljit_;
  llvm::StringMap<bool> features_;
  std::string description_;
  std::string identity_;
  bool vector_math_ = false;
  std::mutex link_mu_;
  absl::flat_hash_map<std::string, KernelFn> linked_;
  std::atomic<int64_t> next_id_{0};
};

// Emits one kernel into a module.
class Emitter {
 public:
  Emitter(const ir::Kernel& k, llvm::Module& m)
      : k_(k),
        m_(m),
        ctx_(m.getContext()),
        b_(ctx_),
        val_(k.instrs.size(), nullptr),
        vars_(k.num_vars, nullptr) {}

  absl::Status Emit(const std::string& symbol) {
    llvm::Type* ptr = b_.getPtrTy();
    llvm::Type* i64 = b_.getInt64Ty();
    // The body takes each buffer as a noalias pointer; the entry point unpacks the array.
    std::vector<llvm::Type*> body_args(k_.buffers.size(), ptr);
    body_args.insert(body_args.end(), {ptr, ptr, i64, i64});
    auto* body_ty = llvm::FunctionType::get(b_.getVoidTy(), body_args, false);
    body_ = llvm::Function::Create(body_ty, llvm::Function::InternalLinkage, symbol + ".body", m_);
    body_->addFnAttr(llvm::Attribute::AlwaysInline);
    body_->addFnAttr(llvm::Attribute::NoUnwind);
    for (size_t i = 0; i < k_.buffers.size(); ++i) {
      body_->addParamAttr(i, llvm::Attribute::NoAlias);
      if (!k_.buffers[i].output) body_->addParamAttr(i, llvm::Attribute::ReadOnly);
    }
    const size_t nb = k_.buffers.size();
    params_ = body_->getArg(nb);
    status_ = body_->getArg(nb + 1);
    llvm::Value* begin = body_->getArg(nb + 2);
    llvm::Value* end = body_->getArg(nb + 3);
    for (size_t i = 0; i < nb; ++i) bufs_.push_back(body_->getArg(i));

    b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", body_));
    RETURN_IF_ERROR(EmitBlock(0));
    const size_t rank = k_.domain.size();
    if (rank == 0) {
      llvm::BasicBlock* run = NewBlock("point");
      llvm::BasicBlock* done = NewBlock("done");
      b_.CreateCondBr(b_.CreateICmpSLT(begin, end), run, done);
      b_.SetInsertPoint(run);
      RETURN_IF_ERROR(EmitBlock(1));
      b_.CreateBr(done);
      b_.SetInsertPoint(done);
    } else {
      std::vector<llvm::Value*> ext;
      for (int e : k_.domain) ext.push_back(val_[e]);
      llvm::Value* inner = ext.back();
      absl::Status st;
      const bool tiled = UseTiledReductions();
      if (tiled) AllocateAccumulators();
      // while (i < end): one row segment [j0, j1) per trip.
      Loop(begin, end, {}, /*step_by_body=*/true,
           [&](llvm::Value* i, std::vector<llvm::Value*>&) -> llvm::Value* {
             llvm::Value* row = b_.CreateUDiv(i, inner, "row");
             llvm::Value* j0 = b_.CreateSub(i, b_.CreateMul(row, inner), "j0");
             llvm::Value* avail = b_.CreateAdd(j0, b_.CreateSub(end, i));
             llvm::Value* j1 = b_.CreateSelect(b_.CreateICmpSLT(avail, inner), avail, inner, "j1");
             llvm::Value* r = row;
             for (size_t d = rank - 1; d-- > 0;) {
               if (d == 0) {
                 vars_[0] = r;
               } else {
                 vars_[d] = b_.CreateURem(r, ext[d]);
                 r = b_.CreateUDiv(r, ext[d]);
               }
             }
             if (tiled) {
               if (st.ok()) st = EmitTiled(j0, j1, rank);
             } else {
               Loop(j0, j1, {}, false, [&](llvm::Value* j, std::vector<llvm::Value*>&) {
                 vars_[rank - 1] = j;
                 if (st.ok()) st = EmitBlock(1);
                 return static_cast<llvm::Value*>(nullptr);
               });
             }
             return b_.CreateAdd(i, b_.CreateSub(j1, j0));
           });
      RETURN_IF_ERROR(st);
    }
    b_.CreateRetVoid();

    // Entry point: unpack the buffer array and call the body (inlined).
    auto* entry_ty = llvm::FunctionType::get(b_.getVoidTy(), {ptr, ptr, ptr, i64, i64}, false);
    llvm::Function* entry =
        llvm::Function::Create(entry_ty, llvm::Function::ExternalLinkage, symbol, m_);
    entry->addFnAttr(llvm::Attribute::NoUnwind);
    b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", entry));
    std::vector<llvm::Value*> args;
    for (size_t i = 0; i < nb; ++i) {
      llvm::Value* slot = b_.CreateConstGEP1_64(ptr, entry->getArg(0), i);
      args.push_back(b_.CreateLoad(ptr, slot));
    }
    for (int a = 1; a < 5; ++a) args.push_back(entry->getArg(a));
    b_.CreateCall(body_, args);
    b_.CreateRetVoid();
    return absl::OkStatus();
  }

 private:
  llvm::BasicBlock* NewBlock(const char* name) {
    return llvm::BasicBlock::Create(ctx_, name, body_);
  }

  llvm::Type* StorageType(DType dt) {
    switch (dt) {
      case DType::kBool:
      case DType::kInt8:
      case DType::kUInt8:
        return b_.getInt8Ty();
      case DType::kInt32:
        return b_.getInt32Ty();
      case DType::kInt64:
        return b_.getInt64Ty();
      case DType::kFloat16:
      case DType::kBFloat16:
        return b_.getInt16Ty();
      case DType::kFloat32:
        return b_.getFloatTy();
      case DType::kFloat64:
        return b_.getDoubleTy();
    }
    return nullptr;
  }

  llvm::Value* CallPrelude(const std::string& name, DType ret, std::vector<llvm::Value*> args) {
    std::vector<llvm::Type*> types;
    for (llvm::Value* a : args) types.push_back(a->getType());
    auto* fty = llvm::FunctionType::get(StorageType(ret), types, false);
    llvm::FunctionCallee f = m_.getOrInsertFunction(name, fty);
    return b_.CreateCall(f, args);
  }

  // for (v = start; v < end; ...) with loop-carried values. The body returns the next value of
  // v when `step_by_body`, otherwise v + 1 is used.
  std::vector<llvm::Value*> Loop(
      llvm::Value* start, llvm::Value* end, std::vector<llvm::Value*> init, bool step_by_body,
      const std::function<llvm::Value*(llvm::Value*, std::vector<llvm::Value*>&)>& body) {
    llvm::BasicBlock* pre = b_.GetInsertBlock();
    llvm::BasicBlock* header = NewBlock("loop");
    llvm::BasicBlock* inside = NewBlock("body");
    llvm::BasicBlock* exit = NewBlock("exit");
    b_.CreateBr(header);
    b_.SetInsertPoint(header);
    llvm::PHINode* v = b_.CreatePHI(start->getType(), 2, "v");
    v->addIncoming(start, pre);
    std::vector<llvm::PHINode*> phis;
    std::vector<llvm::Value*> carried;
    for (llvm::Value* x : init) {
      llvm::PHINode* p = b_.CreatePHI(x->getType(), 2);
      p->addIncoming(x, pre);
      phis.push_back(p);
      carried.push_back(p);
    }
    b_.CreateCondBr(b_.CreateICmpSLT(v, end), inside, exit);
    b_.SetInsertPoint(inside);
    llvm::Value* next = body(v, carried);
    if (!step_by_body) next = b_.CreateAdd(v, b_.getInt64(1), "", /*HasNUW=*/true, true);
    llvm::BasicBlock* latch = b_.GetInsertBlock();
    v->addIncoming(next, latch);
    for (size_t i = 0; i < phis.size(); ++i) phis[i]->addIncoming(carried[i], latch);
    b_.CreateBr(header);
    b_.SetInsertPoint(exit);
    return std::vector<llvm::Value*>(phis.begin(), phis.end());
  }

  absl::Status EmitBlock(int block) {
    for (int id : k_.blocks[block].instrs) RETURN_IF_ERROR(EmitInstr(id));
    return absl::OkStatus();
  }

  llvm::Value* Constant(DType dt, const ir::Scalar& v) {
    switch (dt) {
      case DType::kFloat16:
      case DType::kBFloat16: {
        // The IR's own single rounding from double (ir/elements.cc), not double -> float -> half.
        ir::HostTensor t(ir::TensorType{dt, {}});
        ir::StoreDouble(t, 0, v.AsDouble());
        return b_.getInt16(*t.data_as<uint16_t>());
      }
      case DType::kFloat32:
        return llvm::ConstantFP::get(b_.getFloatTy(), static_cast<float>(v.AsDouble()));
      case DType::kFloat64:
        return llvm::ConstantFP::get(b_.getDoubleTy(), v.AsDouble());
      case DType::kBool:
        return b_.getInt8(v.is_float() ? v.f != 0.0 : v.i != 0);
      default: {
        const int64_t i = v.is_float() ? static_cast<int64_t>(v.f) : v.i;
        return llvm::ConstantInt::get(StorageType(dt), static_cast<uint64_t>(i), true);
      }
    }
  }

  absl::Status EmitInstr(int id) {
    const KInstr& in = k_.instrs[id];
    auto arg = [&](int i) { return val_[in.args[i]]; };
    switch (in.kind) {
      case KOp::kConst:
        val_[id] = Constant(in.dtype, in.value);
        return absl::OkStatus();
      case KOp::kParam: {
        llvm::Value* slot = b_.CreateConstGEP1_64(b_.getInt64Ty(), params_, in.index);
        val_[id] = b_.CreateLoad(b_.getInt64Ty(), slot, absl::StrCat("p", in.index));
        return absl::OkStatus();
      }
      case KOp::kValue: {
        // After the size parameters: the value's bits in its dtype, in the low bits.
        RET_CHECK(in.index >= 0 && in.index < k_.num_values, "value parameter out of range");
        llvm::Value* slot =
            b_.CreateConstGEP1_64(b_.getInt64Ty(), params_, k_.num_params + in.index);
        llvm::Value* bits = b_.CreateLoad(b_.getInt64Ty(), slot, absl::StrCat("v", in.index));
        llvm::Type* type = StorageType(in.dtype);
        const unsigned width = type->getPrimitiveSizeInBits();
        if (width < 64) bits = b_.CreateTrunc(bits, b_.getIntNTy(width));
        val_[id] = type->isFloatingPointTy() ? b_.CreateBitCast(bits, type) : bits;
        return absl::OkStatus();
      }
      case KOp::kVar:
        RET_CHECK(vars_[in.index] != nullptr, "var used outside its loop");
        val_[id] = vars_[in.index];
        return absl::OkStatus();
      case KOp::kIndex: {
        llvm::Value* x = arg(0);
        llvm::Value* y = arg(1);
        switch (in.iop) {
          case ir::IndexOp::kAdd:
            val_[id] = b_.CreateAdd(x, y);
            break;
          case ir::IndexOp::kSub:
            val_[id] = b_.CreateSub(x, y);
            break;
          case ir::IndexOp::kMul:
            val_[id] = b_.CreateMul(x, y);
            break;
          case ir::IndexOp::kDiv:
            val_[id] = b_.CreateUDiv(x, y);
            break;
          case ir::IndexOp::kMod:
            val_[id] = b_.CreateURem(x, y);
            break;
          case ir::IndexOp::kMin:
            val_[id] = b_.CreateSelect(b_.CreateICmpSLT(x, y), x, y);
            break;
          case ir::IndexOp::kMax:
            val_[id] = b_.CreateSelect(b_.CreateICmpSGT(x, y), x, y);
            break;
          case ir::IndexOp::kLt:
            val_[id] = b_.CreateZExt(b_.CreateICmpSLT(x, y), b_.getInt8Ty());
            break;
          case ir::IndexOp::kGe:
            val_[id] = b_.CreateZExt(b_.CreateICmpSGE(x, y), b_.getInt8Ty());
            break;
          case ir::IndexOp::kAnd:
            val_[id] = b_.CreateAnd(x, y);
            break;
        }
        return absl::OkStatus();
      }
      case KOp::kLoad: {
        llvm::Type* t = StorageType(in.dtype);
        val_[id] = b_.CreateLoad(t, b_.CreateGEP(t, bufs_[in.index], arg(0)));
        return absl::OkStatus();
      }
      case KOp::kStore: {
        llvm::Type* t = StorageType(in.dtype);
        b_.CreateStore(arg(1), b_.CreateGEP(t, bufs_[in.index], arg(0)));
        return absl::OkStatus();
      }
      case KOp::kOp: {
        std::vector<llvm::Value*> args;
        for (int a : in.args) args.push_back(val_[a]);
        val_[id] = CallPrelude(PreludeOp(k_, in), in.dtype, std::move(args));
        return absl::OkStatus();
      }
      case KOp::kRandom: {
        val_[id] = CallPrelude(PreludeRandom(in.dist, in.dtype), in.dtype, {arg(0), arg(1)});
        return absl::OkStatus();
      }
      case KOp::kCheck: {
        llvm::BasicBlock* fail = NewBlock("check_failed");
        llvm::BasicBlock* cont = NewBlock("check_ok");
        b_.CreateCondBr(b_.CreateICmpNE(arg(0), b_.getInt8(0)), cont, fail);
        b_.SetInsertPoint(fail);
        auto* first = b_.CreateAtomicCmpXchg(status_, b_.getInt64(0), b_.getInt64(in.index),
                                             llvm::MaybeAlign(8), llvm::AtomicOrdering::Monotonic,
                                             llvm::AtomicOrdering::Monotonic);
        llvm::BasicBlock* record = NewBlock("check_record");
        b_.CreateCondBr(b_.CreateExtractValue(first, 1), record, cont);
        b_.SetInsertPoint(record);
        for (auto [index, value] :
             {std::pair<int, llvm::Value*>{1, arg(1)}, {2, b_.getInt64(in.value.i)}}) {
          llvm::Value* slot = b_.CreateConstGEP1_64(b_.getInt64Ty(), status_, index);
          auto* store = b_.CreateStore(value, slot);
          store->setAtomic(llvm::AtomicOrdering::Monotonic);
          store->setAlignment(llvm::Align(8));
        }
        b_.CreateBr(cont);
        b_.SetInsertPoint(cont);
        return absl::OkStatus();
      }
      case KOp::kReduce:
        return EmitReduce(id, in);
      case KOp::kLoop:
        return EmitLoop(in);
      case KOp::kScan: {
        // In order along the loop: acc = acc (op) x, never reassociated.
        llvm::Value* slot = scan_slot_.at(id);
        llvm::Type* t = StorageType(in.acc);
        llvm::Value* acc = Combine(in, b_.CreateLoad(t, slot), arg(0), /*reassociate=*/false);
        b_.CreateStore(acc, slot);
        val_[id] =
            in.acc == in.dtype ? acc : CallPrelude(PreludeCast(in.acc, in.dtype), in.dtype, {acc});
        return absl::OkStatus();
      }
    }
    return absl::InternalError("cpu backend: unknown kernel instruction");
  }

  // ---- Tiled reductions -------------------------------------------------------------------
  // A reduction over outer axes (a column sum: the reduced elements are strided, the domain's
  // innermost dim is contiguous) runs badly as one strided reduction loop per point. Instead
  // each tile of up to kTile points of a row segment keeps its accumulators in an array: the
  // reduction loops go outside and a contiguous, vectorizable loop over the tile inside; then a
  // final loop over the tile evaluates the rest of the body with the accumulated values.
  static constexpr int64_t kTile = 64;

  std::optional<int64_t> Coefficient(int id, int64_t var) const {
    return ir::IndexCoefficient(k_, id, var);
  }

  bool UseTiledReductions() {
    const size_t rank = k_.domain.size();
    if (rank == 0) return false;
    const int64_t inner_var = static_cast<int64_t>(rank) - 1;
    bool has_reduce = false, column = false;
    for (int id : k_.blocks[1].instrs) {
      const KInstr& in = k_.instrs[id];
      if (in.kind == KOp::kLoop) return false;
      if (in.kind != KOp::kReduce) continue;
      has_reduce = true;
      const int64_t last_rvar = in.index + static_cast<int64_t>(in.args.size()) - 1;
      for (int bid : k_.blocks[in.block].instrs) {
        const KInstr& b = k_.instrs[bid];
        if (b.kind == KOp::kReduce || b.kind == KOp::kLoop || b.kind == KOp::kCheck) return false;
        if (b.kind != KOp::kLoad) continue;
        const auto along_r = Coefficient(b.args[0], last_rvar);
        const auto along_j = Coefficient(b.args[0], inner_var);
        // Contiguous along the points and not along the reduction: a column reduction (or the
        // B operand of a matmul, where A's element is then the same across the tile).
        if (along_j && *along_j == 1 && !(along_r && *along_r == 1)) column = true;
      }
    }
    return has_reduce && column;
  }

  void AllocateAccumulators() {
    llvm::IRBuilderBase::InsertPointGuard guard(b_);
    llvm::BasicBlock& entry = body_->getEntryBlock();
    b_.SetInsertPoint(&entry, entry.getFirstInsertionPt());
    for (int id : k_.blocks[1].instrs) {
      const KInstr& in = k_.instrs[id];
      if (in.kind != KOp::kReduce) continue;
      auto* arr_ty = llvm::ArrayType::get(StorageType(in.acc), kTile);
      Acc a;
      a.value = b_.CreateAlloca(arr_ty);
      if (in.red == ir::ReduceKind::kArgMax || in.red == ir::ReduceKind::kArgMin) {
        a.index = b_.CreateAlloca(llvm::ArrayType::get(b_.getInt64Ty(), kTile));
      }
      acc_[id] = a;
    }
  }

  llvm::Value* AccSlot(llvm::Value* arr, llvm::Type* elem, llvm::Value* t) {
    return b_.CreateGEP(llvm::ArrayType::get(elem, kTile), arr, {b_.getInt64(0), t});
  }

  // The value of reduce `id` at tile position `t` (after its phase has run).
  void LoadAccumulated(int id, llvm::Value* t) {
    const KInstr& in = k_.instrs[id];
    const Acc& a = acc_.at(id);
    if (a.index) {
      val_[id] = b_.CreateLoad(b_.getInt64Ty(), AccSlot(a.index, b_.getInt64Ty(), t));
      return;
    }
    llvm::Type* at = StorageType(in.acc);
    llvm::Value* v = b_.CreateLoad(at, AccSlot(a.value, at, t));
    if (in.acc != in.dtype) {
      v = CallPrelude(PreludeCast(in.acc, in.dtype), in.dtype, {v});
    }
    val_[id] = v;
  }

  // Block-1 instructions before position `upto` (stores and checks skipped; earlier reductions
  // read from their accumulators), at tile position `t`.
  absl::Status EmitPrefix(size_t upto, llvm::Value* t) {
    const std::vector<int>& body = k_.blocks[1].instrs;
    for (size_t p = 0; p < upto; ++p) {
      const KInstr& in = k_.instrs[body[p]];
      if (in.kind == KOp::kStore || in.kind == KOp::kCheck) continue;
      if (in.kind == KOp::kReduce) {
        LoadAccumulated(body[p], t);
        continue;
      }
      RETURN_IF_ERROR(EmitInstr(body[p]));
    }
    return absl::OkStatus();
  }

  absl::Status EmitTiled(llvm::Value* j0, llvm::Value* j1, size_t rank) {
    absl::Status st;
    Loop(j0, j1, {}, /*step_by_body=*/true,
         [&](llvm::Value* t0, std::vector<llvm::Value*>&) -> llvm::Value* {
           llvm::Value* left = b_.CreateSub(j1, t0);
           llvm::Value* n = b_.CreateSelect(b_.CreateICmpSLT(left, b_.getInt64(kTile)), left,
                                            b_.getInt64(kTile), "tile");
           // A full tile has a constant trip count, so its loops unroll into whole vectors and
           // the accumulators live in registers across the reduction (a register-blocked
           // kernel); the last, partial tile takes the general path.
           llvm::BasicBlock* full = NewBlock("full_tile");
           llvm::BasicBlock* part = NewBlock("partial_tile");
           llvm::BasicBlock* next = NewBlock("next_tile");
           b_.CreateCondBr(b_.CreateICmpEQ(n, b_.getInt64(kTile)), full, part);
           b_.SetInsertPoint(full);
           if (st.ok()) st = EmitTileBody(t0, b_.getInt64(kTile), rank);
           b_.CreateBr(next);
           b_.SetInsertPoint(part);
           if (st.ok()) st = EmitTileBody(t0, n, rank);
           b_.CreateBr(next);
           b_.SetInsertPoint(next);
           return b_.CreateAdd(t0, n);
         });
    return st;
  }

  // One tile of `n` points starting at domain index t0 of the innermost dim.
  absl::Status EmitTileBody(llvm::Value* t0, llvm::Value* n, size_t rank) {
    absl::Status st;
    const std::vector<int>& body = k_.blocks[1].instrs;
    for (size_t p = 0; p < body.size(); ++p) {
      const int id = body[p];
      const KInstr& in = k_.instrs[id];
      if (in.kind != KOp::kReduce) continue;
      const Acc& a = acc_.at(id);
      llvm::Type* at = StorageType(in.acc);
      // Initialize the tile's accumulators.
      Loop(b_.getInt64(0), n, {}, false, [&](llvm::Value* t, std::vector<llvm::Value*>&) {
        b_.CreateStore(Identity(in), AccSlot(a.value, at, t));
        if (a.index) b_.CreateStore(b_.getInt64(-1), AccSlot(a.index, b_.getInt64Ty(), t));
        return static_cast<llvm::Value*>(nullptr);
      });
      // Reduction loops outside, the tile inside.
      LoopNest(in, [&] {
        Loop(b_.getInt64(0), n, {}, false,
             [&](llvm::Value* t, std::vector<llvm::Value*>&) -> llvm::Value* {
               vars_[rank - 1] = b_.CreateAdd(t0, t);
               if (st.ok()) st = EmitPrefix(p, t);
               if (st.ok()) st = EmitBlock(in.block);
               if (!st.ok()) return nullptr;
               llvm::Value* x = val_[in.yield];
               llvm::Value* slot = AccSlot(a.value, at, t);
               llvm::Value* cur = b_.CreateLoad(at, slot);
               if (!a.index) {
                 b_.CreateStore(Combine(in, cur, x, /*reassociate=*/false), slot);
                 return nullptr;
               }
               llvm::Value* islot = AccSlot(a.index, b_.getInt64Ty(), t);
               llvm::Value* cur_i = b_.CreateLoad(b_.getInt64Ty(), islot);
               auto [v, i] = CombineArg(in, cur, cur_i, x);
               b_.CreateStore(v, slot);
               b_.CreateStore(i, islot);
               return nullptr;
             });
      });
    }
    // The rest of the body, point by point, with the accumulated values.
    Loop(b_.getInt64(0), n, {}, false,
         [&](llvm::Value* t, std::vector<llvm::Value*>&) -> llvm::Value* {
           vars_[rank - 1] = b_.CreateAdd(t0, t);
           for (int id : body) {
             if (!st.ok()) break;
             if (k_.instrs[id].kind == KOp::kReduce) {
               LoadAccumulated(id, t);
             } else {
               st = EmitInstr(id);
             }
           }
           return nullptr;
         });
    return st;
  }

  llvm::Value* Identity(const KInstr& in) {
    const DType acc = in.acc;
    const bool fl = IsFloat(acc);
    llvm::Type* t = StorageType(acc);
    switch (in.red) {
      case ir::ReduceKind::kSum:
        return fl ? llvm::ConstantFP::get(t, 0.0) : llvm::ConstantInt::get(t, 0);
      case ir::ReduceKind::kProd:
        return fl ? llvm::ConstantFP::get(t, 1.0) : llvm::ConstantInt::get(t, 1);
      case ir::ReduceKind::kMax:
        if (fl) return llvm::ConstantFP::getInfinity(t, /*Negative=*/true);
        if (acc == DType::kBool || acc == DType::kUInt8) return llvm::ConstantInt::get(t, 0);
        return llvm::ConstantInt::get(t, llvm::APInt::getSignedMinValue(t->getIntegerBitWidth()));
      case ir::ReduceKind::kMin:
        if (fl) return llvm::ConstantFP::getInfinity(t, /*Negative=*/false);
        if (acc == DType::kBool) return llvm::ConstantInt::get(t, 1);
        if (acc == DType::kUInt8) return llvm::ConstantInt::get(t, 255);
        return llvm::ConstantInt::get(t, llvm::APInt::getSignedMaxValue(t->getIntegerBitWidth()));
      case ir::ReduceKind::kArgMax:
      case ir::ReduceKind::kArgMin:
        return fl ? llvm::ConstantFP::get(t, 0.0) : llvm::ConstantInt::get(t, 0);
    }
    return nullptr;
  }

  // Folds x into acc. `reassociate` lets a float sum or product be vectorized along its own
  // reduction loop; tiled reductions vectorize across points instead and keep each point's
  // order sequential.
  llvm::Value* Combine(const KInstr& in, llvm::Value* acc, llvm::Value* x,
                       bool reassociate = true) {
    const DType dt = in.acc;
    const bool fl = IsFloat(dt);
    const bool boolean = dt == DType::kBool;
    const bool is_unsigned = dt == DType::kUInt8;
    llvm::Type* t = StorageType(dt);
    switch (in.red) {
      case ir::ReduceKind::kSum: {
        if (boolean) return b_.CreateOr(acc, x);
        if (!fl) return b_.CreateAdd(acc, x);
        auto* r = llvm::cast<llvm::Instruction>(b_.CreateFAdd(acc, x));
        if (reassociate) {
          llvm::FastMathFlags fmf;
          fmf.setAllowReassoc();
          r->setFastMathFlags(fmf);
        }
        return r;
      }
      case ir::ReduceKind::kProd: {
        if (boolean) return b_.CreateAnd(acc, x);
        if (!fl) return b_.CreateMul(acc, x);
        auto* r = llvm::cast<llvm::Instruction>(b_.CreateFMul(acc, x));
        if (reassociate) {
          llvm::FastMathFlags fmf;
          fmf.setAllowReassoc();
          r->setFastMathFlags(fmf);
        }
        return r;
      }
      case ir::ReduceKind::kMax:
        if (boolean) return b_.CreateOr(acc, x);
        if (fl) return b_.CreateBinaryIntrinsic(llvm::Intrinsic::maximum, acc, x);
        return b_.CreateBinaryIntrinsic(is_unsigned ? llvm::Intrinsic::umax : llvm::Intrinsic::smax,
                                        acc, x);
      case ir::ReduceKind::kMin:
        if (boolean) return b_.CreateAnd(acc, x);
        if (fl) return b_.CreateBinaryIntrinsic(llvm::Intrinsic::minimum, acc, x);
        return b_.CreateBinaryIntrinsic(is_unsigned ? llvm::Intrinsic::umin : llvm::Intrinsic::smin,
                                        acc, x);
      default:
        (void)t;
        return nullptr;
    }
  }

  // argmax/argmin: the best value and position so far, and the candidate at the reduce's var.
  std::pair<llvm::Value*, llvm::Value*> CombineArg(const KInstr& in, llvm::Value* best,
                                                   llvm::Value* best_i, llvm::Value* x) {
    llvm::Value* first = b_.CreateICmpSLT(best_i, b_.getInt64(0));
    llvm::Value* better;
    const bool is_max = in.red == ir::ReduceKind::kArgMax;
    if (IsFloat(in.acc)) {
      llvm::Value* best_nan = b_.CreateFCmpUNO(best, best);
      llvm::Value* x_nan = b_.CreateFCmpUNO(x, x);
      llvm::Value* cmp = is_max ? b_.CreateFCmpOGT(x, best) : b_.CreateFCmpOLT(x, best);
      better = b_.CreateAnd(b_.CreateNot(best_nan), b_.CreateOr(x_nan, cmp));
    } else if (in.acc == DType::kUInt8 || in.acc == DType::kBool) {
      better = is_max ? b_.CreateICmpUGT(x, best) : b_.CreateICmpULT(x, best);
    } else {
      better = is_max ? b_.CreateICmpSGT(x, best) : b_.CreateICmpSLT(x, best);
    }
    llvm::Value* take = b_.CreateOr(first, better);
    return {b_.CreateSelect(take, x, best), b_.CreateSelect(take, vars_[in.index], best_i)};
  }

  // One loop per extent of `in` (a reduce or loop instruction), outermost first, binding the
  // loop variables it declares; `innermost` emits the body.
  void LoopNest(const KInstr& in, const std::function<void()>& innermost) {
    std::function<void(size_t)> nest = [&](size_t d) {
      if (d == in.args.size()) {
        innermost();
        return;
      }
      Loop(b_.getInt64(0), val_[in.args[d]], {}, false,
           [&](llvm::Value* v, std::vector<llvm::Value*>&) -> llvm::Value* {
             vars_[in.index + d] = v;
             nest(d + 1);
             return nullptr;
           });
    };
    nest(0);
  }

  absl::Status EmitLoop(const KInstr& in) {
    // Each scan of the loop keeps its running value in a slot of the entry block (promoted to a
    // register), set to its carry or identity before the loop starts.
    for (int id : k_.blocks[in.block].instrs) {
      const KInstr& scan = k_.instrs[id];
      if (scan.kind != KOp::kScan) continue;
      llvm::IRBuilder<> entry(&body_->getEntryBlock(), body_->getEntryBlock().begin());
      llvm::Value* slot = entry.CreateAlloca(StorageType(scan.acc), nullptr, "scan");
      scan_slot_[id] = slot;
      b_.CreateStore(scan.args.size() > 1 ? val_[scan.args[1]] : Identity(scan), slot);
    }
    absl::Status st;
    LoopNest(in, [&] {
      if (st.ok()) st = EmitBlock(in.block);
    });
    return st;
  }

  absl::Status EmitReduce(int id, const KInstr& in) {
    const bool arg = in.red == ir::ReduceKind::kArgMax || in.red == ir::ReduceKind::kArgMin;
    std::vector<llvm::Value*> init = {Identity(in)};
    if (arg) init.push_back(b_.getInt64(-1));
    absl::Status st;
    const size_t dims = in.args.size();
    // Nested loops over the box; the innermost evaluates the block and folds its yield.
    std::function<void(size_t, std::vector<llvm::Value*>&)> nest =
        [&](size_t d, std::vector<llvm::Value*>& carried) {
          if (d == dims) {
            if (st.ok()) st = EmitBlock(in.block);
            if (!st.ok()) return;
            llvm::Value* x = val_[in.yield];
            if (!arg) {
              carried[0] = Combine(in, carried[0], x);
              return;
            }
            auto [v, i] = CombineArg(in, carried[0], carried[1], x);
            carried[0] = v;
            carried[1] = i;
            return;
          }
          std::vector<llvm::Value*> out =
              Loop(b_.getInt64(0), val_[in.args[d]], carried, false,
                   [&](llvm::Value* v, std::vector<llvm::Value*>& inner) -> llvm::Value* {
                     vars_[in.index + d] = v;
                     nest(d + 1, inner);
                     return nullptr;
                   });
          carried = out;
        };
    std::vector<llvm::Value*> acc = init;
    nest(0, acc);
    RETURN_IF_ERROR(st);
    if (arg) {
      val_[id] = acc[1];
    } else if (in.acc != in.dtype) {
      val_[id] = CallPrelude(PreludeCast(in.acc, in.dtype), in.dtype, {acc[0]});
    } else {
      val_[id] = acc[0];
    }
    return absl::OkStatus();
  }

  const ir::Kernel& k_;
  llvm::Module& m_;
  llvm::LLVMContext& ctx_;
  llvm::IRBuilder<> b_;
  llvm::Function* body_ = nullptr;
  llvm::Value* params_ = nullptr;
  llvm::Value* status_ = nullptr;
  std::vector<llvm::Value*> bufs_;
  std::vector<llvm::Value*> val_;
  std::vector<llvm::Value*> vars_;
  std::map<int, llvm::Value*> scan_slot_;  // kScan instruction -> its running value
  struct Acc {
    llvm::Value* value = nullptr;  // [kTile x acc]
    llvm::Value* index = nullptr;  // [kTile x i64], argmax/argmin only
  };
  std::map<int, Acc> acc_;  // tiled mode: accumulators of the body's reductions
};

// Marks libm calls pure and tells the loop vectorizer about their libmvec versions.
void AddVectorMath(llvm::Module& m, Jit& jit) {
  std::vector<std::pair<char, int>> isas = {{'b', 16}};  // SSE2: 128-bit
  if (jit.has_feature("avx2")) isas.push_back({'d', 32});
  if (jit.has_feature("avx512f")) isas.push_back({'e', 64});
  std::vector<llvm::GlobalValue*> used;
  for (const MathFn& fn : kMathFns) {
    for (bool single : {true, false}) {
      const std::string scalar = absl::StrCat(fn.name, single ? "f" : "");
      llvm::Function* f = m.getFunction(scalar);
      if (!f || !f->isDeclaration()) continue;
      f->setDoesNotAccessMemory();
      f->setDoesNotThrow();
      f->setWillReturn();
      for (llvm::User* u : f->users()) {
        if (auto* call = llvm::dyn_cast<llvm::CallBase>(u)) call->setDoesNotAccessMemory();
      }
      if (!jit.vector_math()) continue;
      std::vector<std::string> variants;
      llvm::Type* elem = f->getReturnType();
      for (const auto& [isa, bytes] : isas) {
        const int lanes = bytes / (single ? 4 : 8);
        const std::string params(fn.arity, 'v');
        const std::string vname =
            absl::StrCat("_ZGV", std::string(1, isa), "N", lanes, params, "_", scalar);
        // Advertise only what this glibc has (older ones lack some functions).
        if (!llvm::sys::DynamicLibrary::SearchForAddressOfSymbol(vname)) continue;
        auto* vty = llvm::FixedVectorType::get(elem, lanes);
        std::vector<llvm::Type*> args(fn.arity, vty);
        llvm::FunctionCallee decl =
            m.getOrInsertFunction(vname, llvm::FunctionType::get(vty, args, false));
        auto* vf = llvm::cast<llvm::Function>(decl.getCallee());
        vf->setDoesNotAccessMemory();
        vf->setDoesNotThrow();
        used.push_back(vf);
        variants.push_back(absl::StrCat(vname, "(", vname, ")"));
      }
      f->addFnAttr("vector-function-abi-variant", absl::StrJoin(variants, ","));
    }
  }
  if (!used.empty()) llvm::appendToCompilerUsed(m, used);
}

// Links `object` into the JIT and returns its `symbol`, or the code already linked under that
// name. A failure removes whatever the object added.
absl::StatusOr<KernelFn> Link(Jit& jit, llvm::SmallVector<char, 0> object,
                              const std::string& symbol) {
  std::lock_guard<std::mutex> lock(jit.link_mu());
  if (auto it = jit.linked().find(symbol); it != jit.linked().end()) return it->second;
  llvm::orc::ResourceTrackerSP tracker = jit.lljit().getMainJITDylib().createResourceTracker();
  auto remove = [&tracker](llvm::Error err) {
    const std::string message = ToString(std::move(err));
    llvm::consumeError(tracker->remove());
    return absl::InternalError(message);
  };
  if (llvm::Error err = jit.lljit().addObjectFile(
          tracker, std::make_unique<llvm::SmallVectorMemoryBuffer>(
                       std::move(object), symbol, /*RequiresNullTerminator=*/false))) {
    return remove(std::move(err));
  }
  auto addr = jit.lljit().lookup(symbol);
  if (!addr) return remove(addr.takeError());
  const KernelFn fn = addr->toPtr<KernelFn>();
  jit.linked().emplace(symbol, fn);
  return fn;
}

}  // namespace

const std::string& TargetDescription() { return Jit::Get().description(); }

const std::string& CodeIdentity() { return Jit::Get().identity(); }

absl::StatusOr<KernelFn> LoadObject(std::string_view object, const std::string& symbol) {
  Jit& jit = Jit::Get();
  RETURN_IF_ERROR(jit.status());
  // Only an object for this target that defines `symbol` reaches the linker.
  auto file = llvm::object::ObjectFile::createObjectFile(
      llvm::MemoryBufferRef(llvm::StringRef(object.data(), object.size()), symbol));
  if (!file) {
    return absl::DataLossError(absl::StrCat("not an object file: ", ToString(file.takeError())));
  }
  if ((*file)->makeTriple().getArch() != jit.jtmb().getTargetTriple().getArch()) {
    return absl::DataLossError(absl::StrCat("an object for ", (*file)->makeTriple().str()));
  }
  // It defines `symbol` and no other global: an object that defined, say, memcpy would take
  // that name over for every kernel linked after it.
  bool defines = false;
  for (const llvm::object::SymbolRef& sym : (*file)->symbols()) {
    llvm::Expected<llvm::StringRef> name = sym.getName();
    llvm::Expected<uint32_t> flags = sym.getFlags();
    if (!name || !flags) {
      llvm::consumeError(name.takeError());
      llvm::consumeError(flags.takeError());
      return absl::DataLossError("an object whose symbol table cannot be read");
    }
    if ((*flags & llvm::object::SymbolRef::SF_Undefined) ||
        !(*flags & llvm::object::SymbolRef::SF_Global)) {
      continue;
    }
    if (*name != symbol) {
      return absl::DataLossError(absl::StrCat("an object that defines ", name->str()));
    }
    defines = true;
  }
  if (!defines) return absl::DataLossError(absl::StrCat("an object without ", symbol));
  llvm::SmallVector<char, 0> bytes(object.begin(), object.end());
  return Link(jit, std::move(bytes), symbol);
}

bool HasVectorMath() { return Jit::Get().vector_math(); }

absl::StatusOr<CompiledKernel> Compile(const ir::Kernel& kernel, const CompileOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  Jit& jit = Jit::Get();
  RETURN_IF_ERROR(jit.status());
  // Named symbols end in "_h<hex>" (runtime/executor.cc), unnamed ones in a decimal serial.
  const std::string symbol = options.symbol.empty()
                                 ? absl::StrCat("ndjit_", kernel.name, "_", jit.NextId())
                                 : options.symbol;
  if (!options.symbol.empty() && !options.keep_llvm_ir && !options.keep_assembly &&
      !options.keep_object) {
    std::lock_guard<std::mutex> lock(jit.link_mu());
    if (auto it = jit.linked().find(symbol); it != jit.linked().end()) {
      CompiledKernel out;
      out.fn = it->second;
      out.symbol = symbol;
      return out;
    }
  }

  auto ctx = std::make_unique<llvm::LLVMContext>();
  auto module = std::make_unique<llvm::Module>(symbol, *ctx);
  auto tm = jit.jtmb().createTargetMachine();
  if (!tm) return absl::InternalError(ToString(tm.takeError()));
  module->setDataLayout((*tm)->createDataLayout());
  module->setTargetTriple((*tm)->getTargetTriple().str());

  Emitter emitter(kernel, *module);
  absl::Status emitted = emitter.Emit(symbol);
  if (!emitted.ok()) {
    return absl::InternalError(absl::StrCat("emitting LLVM IR for kernel @", kernel.name, ": ",
                                            emitted.message(), "\n",
                                            ir::PrintKernel(kernel, true)));
  }

  // Link the prelude functions the kernel calls.
  auto buffer = llvm::MemoryBuffer::getMemBuffer(
      llvm::StringRef(reinterpret_cast<const char*>(kPreludeBitcode), kPreludeBitcodeSize),
      "prelude", /*RequiresNullTerminator=*/false);
  auto prelude = llvm::getLazyBitcodeModule(buffer->getMemBufferRef(), *ctx);
  if (!prelude) return absl::InternalError(ToString(prelude.takeError()));
  (*prelude)->setDataLayout(module->getDataLayout());
  (*prelude)->setTargetTriple(module->getTargetTriple());
  if (llvm::Linker::linkModules(*module, std::move(*prelude), llvm::Linker::LinkOnlyNeeded)) {
    return absl::InternalError(absl::StrCat("linking the prelude into kernel @", kernel.name));
  }
  const std::string cpu = (*tm)->getTargetCPU().str();
  const std::string features = (*tm)->getTargetFeatureString().str();
  for (llvm::Function& f : *module) {
    if (f.isDeclaration()) continue;
    if (f.getName() != symbol) f.setLinkage(llvm::GlobalValue::InternalLinkage);
    f.removeFnAttr("target-cpu");
    f.removeFnAttr("target-features");
    f.removeFnAttr("tune-cpu");
    f.addFnAttr("target-cpu", cpu);
    f.addFnAttr("target-features", features);
    // The caller's stack is 16-byte aligned; vector registers kept across a vector math call
    // are spilled in 32/64-byte slots. Realigning the frame makes those spills aligned moves
    // (one straddling cache lines cost the softmax kernel 25%, depending on the caller's stack).
    f.addFnAttr("stackrealign");
  }
  AddVectorMath(*module, jit);

  std::string verify_errors;
  llvm::raw_string_ostream verify_os(verify_errors);
  if (llvm::verifyModule(*module, &verify_os)) {
    return absl::InternalError(absl::StrCat("LLVM verifier rejected kernel @", kernel.name, ": ",
                                            verify_errors, "\n", ir::PrintKernel(kernel, true)));
  }

  {
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PipelineTuningOptions pto;
    // Vectorizers only where they pay: a kernel with many loads at indices that are not
    // contiguous along the innermost loop (concat parts and pads at clamped indices, gathers)
    // becomes vectors of gathers, which the vectorizers make very large: over the first 300
    // graphs of the differential corpus (bench Compile/worst), a concat of 32 parts compiled in
    // 1.08 s (0.6 s in the SLP vectorizer, most of the rest in code generation) and a float16
    // scan composite with 7 clamped loads in 0.3 s (0.25 s in code generation). Without the
    // loop vectorizer for kernels of more than 4 such loads, the slowest compile was 0.17-0.23 s
    // (Concat/512x64's cold run 51 ms instead of 445 ms; its warm run did not change, 1.05 ms);
    // the slowest left then spent 80 of its 143 ms in the SLP vectorizer over 4 gathered loads,
    // so SLP runs only where no load is gathered (the slowest compile: 0.17 s, all code
    // generation; W1-W5 ran as before).
    const int gathered = GatheredLoads(kernel);
    pto.LoopVectorization = gathered <= kMaxGatheredLoadsToVectorize;
    pto.SLPVectorization = gathered == 0;
    llvm::PassBuilder pb(tm->get(), pto);
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
    mpm.run(*module, mam);
  }

  CompiledKernel out;
  if (options.keep_llvm_ir) {
    llvm::raw_string_ostream os(out.llvm_ir);
    module->print(os, nullptr);
  }
  if (options.keep_assembly) {
    llvm::SmallString<0> text;
    llvm::raw_svector_ostream os(text);
    llvm::legacy::PassManager pm;
    auto clone_tm = jit.jtmb().createTargetMachine();
    if (clone_tm &&
        !(*clone_tm)->addPassesToEmitFile(pm, os, nullptr, llvm::CodeGenFileType::AssemblyFile)) {
      auto copy = llvm::CloneModule(*module);
      pm.run(*copy);
      out.assembly = std::string(text.str());
    }
  }

  // Code generation into an object file, on this thread and without a lock, so that kernels
  // compile in parallel (each has its own context and target machine); the JIT only links.
  llvm::SmallVector<char, 0> object;
  {
    llvm::raw_svector_ostream os(object);
    llvm::legacy::PassManager pm;
    if ((*tm)->addPassesToEmitFile(pm, os, nullptr, llvm::CodeGenFileType::ObjectFile)) {
      return absl::InternalError(
          absl::StrCat("LLVM cannot emit an object file for kernel @", kernel.name));
    }
    pm.run(*module);
  }
  out.symbol = symbol;
  if (options.keep_object) out.object.assign(object.begin(), object.end());
  absl::StatusOr<KernelFn> fn = Link(jit, std::move(object), symbol);
  if (!fn.ok()) {
    return absl::InternalError(absl::StrCat("compiling kernel @", kernel.name, ": ",
                                            fn.status().message(), "\n",
                                            ir::PrintKernel(kernel, true)));
  }
  out.fn = *fn;
  out.compile_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace ndjit::codegen::cpu
