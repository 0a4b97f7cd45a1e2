#include "codegen/cpu/prefetch.h"

#include <cstdlib>
#include <vector>

#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Analysis/ScalarEvolution.h"
#include "llvm/Analysis/ScalarEvolutionExpressions.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/Module.h"
#include "llvm/Passes/PassBuilder.h"

namespace ndjit::codegen::cpu {
namespace {

constexpr int64_t kCacheLineBytes = 64;

// The constant step by which `load`'s address advances per iteration of `loop`, or 0 where it
// does not advance that way.
int64_t AddressStep(llvm::ScalarEvolution& se, const llvm::Loop& loop, llvm::LoadInst& load) {
  const auto* rec = llvm::dyn_cast<llvm::SCEVAddRecExpr>(se.getSCEV(load.getPointerOperand()));
  if (rec == nullptr || rec->getLoop() != &loop || !rec->isAffine()) return 0;
  const auto* step = llvm::dyn_cast<llvm::SCEVConstant>(rec->getStepRecurrence(se));
  if (step == nullptr || step->getAPInt().getSignificantBits() > 64) return 0;
  return step->getAPInt().getSExtValue();
}

int PrefetchLoop(llvm::ScalarEvolution& se, const llvm::Loop& loop, int64_t distance) {
  llvm::Module& m = *loop.getHeader()->getModule();
  std::vector<const llvm::SCEV*> fetched;
  int made = 0;
  for (llvm::BasicBlock* bb : loop.blocks()) {
    for (llvm::Instruction& inst : *bb) {
      auto* load = llvm::dyn_cast<llvm::LoadInst>(&inst);
      if (load == nullptr || load->isVolatile()) continue;
      // The stack (a tiled reduction's accumulators) is in the first-level cache already.
      if (llvm::isa<llvm::AllocaInst>(llvm::getUnderlyingObject(load->getPointerOperand()))) {
        continue;
      }
      const int64_t step = AddressStep(se, loop, *load);
      if (step < kMinPrefetchStepBytes || step > kMaxPrefetchStepBytes) continue;
      const llvm::SCEV* address = se.getSCEV(load->getPointerOperand());
      bool shared = false;
      for (const llvm::SCEV* other : fetched) {
        const auto* apart = llvm::dyn_cast<llvm::SCEVConstant>(se.getMinusSCEV(address, other));
        shared |= apart != nullptr && std::abs(apart->getAPInt().getSExtValue()) < kCacheLineBytes;
      }
      if (shared) continue;
      fetched.push_back(address);
      const int64_t ahead = (distance + step - 1) / step * step;
      llvm::IRBuilder<> b(load);
      // Not inbounds: the address may lie past the buffer's end, which a prefetch may name.
      llvm::Value* p = b.CreateGEP(b.getInt8Ty(), load->getPointerOperand(), b.getInt64(ahead));
      b.CreateCall(llvm::Intrinsic::getDeclaration(&m, llvm::Intrinsic::prefetch, {p->getType()}),
                   {p, b.getInt32(0), b.getInt32(3), b.getInt32(1)});
      ++made;
    }
  }
  return made;
}

}  // namespace

int InsertPrefetches(llvm::Module& module, int64_t distance_bytes) {
  if (distance_bytes <= 0) return 0;
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb;
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  int made = 0;
  for (llvm::Function& f : module) {
    if (f.isDeclaration()) continue;
    llvm::LoopInfo& loops = fam.getResult<llvm::LoopAnalysis>(f);
    llvm::ScalarEvolution& se = fam.getResult<llvm::ScalarEvolutionAnalysis>(f);
    for (llvm::Loop* loop : loops.getLoopsInPreorder()) {
      if (loop->isInnermost()) made += PrefetchLoop(se, *loop, distance_bytes);
    }
  }
  return made;
}

}  // namespace ndjit::codegen::cpu
