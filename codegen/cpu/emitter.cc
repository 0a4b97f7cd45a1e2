// Kernel IR -> LLVM IR for one kernel (see emitter.h).
#include "codegen/cpu/emitter.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "codegen/prelude_abi.h"
#include "ir/dtype.h"
#include "ir/elements.h"
#include "ir/host_tensor.h"
#include "ir/reduce.h"
#include "ir/status_macros.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

namespace ndjit::codegen::cpu {
namespace {

using ir::KInstr;
using ir::KOp;
using ndjit::DType;

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
    // LLVM vectorizes for 256-bit registers on AVX-512 hosts unless told otherwise. A kernel that
    // computes an expensive op (exp, tanh, a division: ops.def's cost column) is bound by
    // arithmetic and runs faster with the full width: W2 (gelu) in paired rounds, 0.043 against
    // 0.071 of the hand loop. Memory-bound kernels keep 256 bits, with which W1 and W4 measured
    // 0.74 and 0.67 against 0.80 and 0.77 at 512. Hosts without AVX-512 ignore the attribute.
    if (ComputeBound()) body_->addFnAttr("prefer-vector-width", "512");
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
             } else if (const int store = StreamedStore(); store >= 0) {
               if (st.ok()) st = EmitStreamedSegment(store, j0, j1, rank);
             } else {
               if (st.ok()) st = EmitSegment(j0, j1, rank);
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
    if (ComputeBound()) entry->addFnAttr("prefer-vector-width", "512");
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

  // The body at every point of the row segment [j0, j1).
  absl::Status EmitSegment(llvm::Value* j0, llvm::Value* j1, size_t rank) {
    absl::Status st;
    Loop(j0, j1, {}, false, [&](llvm::Value* j, std::vector<llvm::Value*>&) {
      vars_[rank - 1] = j;
      if (st.ok()) st = EmitBlock(1);
      return static_cast<llvm::Value*>(nullptr);
    });
    return st;
  }

  // ---- Streamed outputs -----------------------------------------------------------------------
  // The store of the first streamed output buffer (KBuffer::stream) when the body stores it once,
  // contiguously along the innermost domain var (index(j) = index(j0) + j - j0), else -1: such a
  // buffer is stored as any other.
  int StreamedStore() const {
    int buffer = -1, store = -1;
    for (size_t b = 0; b < k_.buffers.size() && buffer < 0; ++b) {
      if (k_.buffers[b].output && k_.buffers[b].stream) buffer = static_cast<int>(b);
    }
    if (buffer < 0 || k_.domain.empty()) return -1;
    for (const KInstr& in : k_.instrs) {
      if (in.kind != KOp::kStore || in.index != buffer) continue;
      if (store >= 0 || in.in_block != 1) return -1;
      store = static_cast<int>(&in - k_.instrs.data());
    }
    if (store < 0) return -1;
    const std::optional<int64_t> c = ir::IndexCoefficient(
        k_, k_.instrs[store].args[0], static_cast<int64_t>(k_.domain.size()) - 1);
    return c == 1 ? store : -1;
  }

  // The address of the streamed store's element at innermost var j (its index expression
  // emitted at j; the other vars are the segment's).
  absl::StatusOr<llvm::Value*> StreamedAddress(const KInstr& store, llvm::Value* j) {
    vars_[k_.domain.size() - 1] = j;
    RETURN_IF_ERROR(EmitIndexCone(store.args[0]));
    return b_.CreateGEP(StorageType(store.dtype), bufs_[store.index], val_[store.args[0]]);
  }

  // The row segment [j0, j1) split where the streamed store's address crosses 64-byte
  // boundaries. The two unaligned ends run as usual; in the aligned middle [ja, jb) the streamed
  // store addresses its element as (the element at ja) + (j - ja), the first through
  // llvm.ptrmask, which puts the alignment into the pointer (a no-op on its value), so the
  // vectorized stores have known alignment (LLVM's infer-alignment runs after the loop
  // vectorizer); the JIT makes the stores from that base that became full-width aligned vector
  // stores non-temporal (jit.cc, kStreamLineMask). Points are independent: any order is right.
  absl::Status EmitStreamedSegment(int store_id, llvm::Value* j0, llvm::Value* j1, size_t rank) {
    constexpr int64_t kLine = -kStreamLineMask;
    const KInstr& store = k_.instrs[store_id];
    const int64_t size = DTypeSize(store.dtype);
    llvm::Type* i64 = b_.getInt64Ty();
    ASSIGN_OR_RETURN(llvm::Value * at_j0, StreamedAddress(store, j0));
    // Elements to the next line boundary (buffers are aligned to their element size).
    llvm::Value* bytes_to_line =
        b_.CreateAnd(b_.CreateNeg(b_.CreatePtrToInt(at_j0, i64)), kLine - 1);
    llvm::Value* start = b_.CreateAdd(j0, b_.CreateUDiv(bytes_to_line, b_.getInt64(size)));
    llvm::Value* ja = b_.CreateSelect(b_.CreateICmpSLT(start, j1), start, j1, "ja");
    llvm::Value* whole = b_.CreateAnd(b_.CreateSub(j1, ja), b_.getInt64(-(kLine / size)));
    llvm::Value* jb = b_.CreateAdd(ja, whole, "jb");
    // The two unaligned ends, [j0, ja) then [jb, j1), in one loop over the pieces.
    absl::Status st;
    Loop(b_.getInt64(0), b_.getInt64(2), {}, false,
         [&](llvm::Value* piece, std::vector<llvm::Value*>&) {
           llvm::Value* head = b_.CreateICmpEQ(piece, b_.getInt64(0));
           st = EmitSegment(b_.CreateSelect(head, j0, jb), b_.CreateSelect(head, ja, j1), rank);
           return static_cast<llvm::Value*>(nullptr);
         });
    RETURN_IF_ERROR(st);
    llvm::BasicBlock* middle = NewBlock("stream");
    llvm::BasicBlock* done = NewBlock("stream_done");
    b_.CreateCondBr(b_.CreateICmpSLT(ja, jb), middle, done);
    b_.SetInsertPoint(middle);
    ASSIGN_OR_RETURN(llvm::Value * at_ja, StreamedAddress(store, ja));
    stream_base_ = b_.CreateIntrinsic(llvm::Intrinsic::ptrmask, {at_ja->getType(), i64},
                                      {at_ja, b_.getInt64(kStreamLineMask)});
    stream_start_ = ja;
    stream_store_ = store_id;
    st = EmitSegment(ja, jb, rank);
    stream_store_ = -1;
    RETURN_IF_ERROR(st);
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
    return absl::OkStatus();
  }

  // Emits index instruction `id` and the body's index instructions it depends on, at the
  // current vars (pure integer arithmetic: emitting it again is harmless).
  absl::Status EmitIndexCone(int id) {
    const KInstr& in = k_.instrs[id];
    if (in.in_block == 0) return absl::OkStatus();
    RET_CHECK(in.kind == KOp::kIndex || in.kind == KOp::kVar,
              "a streamed store's index depends on more than index arithmetic");
    for (int a : in.args) RETURN_IF_ERROR(EmitIndexCone(a));
    return EmitInstr(id);
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
        if (id == stream_store_) {
          // The same element, addressed from the aligned base (EmitStreamedSegment).
          llvm::Value* j = vars_[k_.domain.size() - 1];
          b_.CreateStore(arg(1), b_.CreateGEP(t, stream_base_, b_.CreateSub(j, stream_start_)));
          return absl::OkStatus();
        }
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

  // Whether some instruction computes an expensive op (ops.def's cost column).
  bool ComputeBound() const {
    for (const KInstr& in : k_.instrs) {
      if (in.kind == KOp::kOp && ir::OpRecomputeCost(in.op) == ir::RecomputeCost::kExpensive) {
        return true;
      }
    }
    return false;
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
    return Constant(in.acc, ir::ReduceIdentity(in.red, in.acc));
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
  // While the aligned middle of a streamed segment is emitted: the streamed store, which
  // addresses its element as stream_base_ + (j - stream_start_).
  int stream_store_ = -1;
  llvm::Value* stream_base_ = nullptr;
  llvm::Value* stream_start_ = nullptr;
};

}  // namespace

absl::Status EmitKernel(const ir::Kernel& kernel, llvm::Module& module, const std::string& symbol) {
  Emitter emitter(kernel, module);
  return emitter.Emit(symbol);
}

}  // namespace ndjit::codegen::cpu
