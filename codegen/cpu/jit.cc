// The CPU backend's JIT (see cpu_backend.h): the process-wide ORC LLJIT and target, the
// optimization pipeline, linking the prelude and libmvec, object files in and out. The LLVM IR of
// one kernel comes from emitter.cc.
#include <gnu/libc-version.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "codegen/cpu/cpu_backend.h"
#include "codegen/cpu/emitter.h"
#include "codegen/cpu/prefetch.h"
#include "codegen/cpu/prelude_bitcode.h"
#include "codegen/prelude_abi.h"
#include "ir/dtype.h"
#include "ir/elements.h"
#include "ir/host_tensor.h"
#include "ir/reduce.h"
#include "ir/status_macros.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/IntrinsicsX86.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Operator.h"
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

// Streaming stores, after the optimization pipeline: a store the emitter addressed from its
// aligned base (a ptrmask by kStreamLineMask) that became a vector store of 16 bytes or more,
// aligned to its full width, is made non-temporal
// (x86 has no unaligned streaming vector store; a scalar one, SSE4A's movntss, would be slower
// than a cached store). Each function that got one fences before it returns, so that the
// weakly ordered streaming stores are visible before the kernel's caller signals completion.
// Returns the number of stores made non-temporal.
int MakeStreamingStores(llvm::Module& m) {
  auto streamed = [](const llvm::StoreInst& store) {
    const llvm::Value* p = store.getPointerOperand();
    while (const auto* gep = llvm::dyn_cast<llvm::GEPOperator>(p)) p = gep->getPointerOperand();
    const auto* mask = llvm::dyn_cast<llvm::IntrinsicInst>(p);
    if (mask == nullptr || mask->getIntrinsicID() != llvm::Intrinsic::ptrmask) return false;
    const auto* bits = llvm::dyn_cast<llvm::ConstantInt>(mask->getArgOperand(1));
    return bits != nullptr && bits->getSExtValue() == kStreamLineMask;
  };
  const bool x86 = llvm::Triple(m.getTargetTriple()).isX86();
  const llvm::DataLayout& dl = m.getDataLayout();
  llvm::MDNode* nontemporal =
      llvm::MDNode::get(m.getContext(), llvm::ConstantAsMetadata::get(llvm::ConstantInt::get(
                                            llvm::Type::getInt32Ty(m.getContext()), 1)));
  int made = 0;
  for (llvm::Function& f : m) {
    std::vector<llvm::ReturnInst*> returns;
    int in_function = 0;
    for (llvm::BasicBlock& bb : f) {
      for (llvm::Instruction& inst : bb) {
        if (auto* ret = llvm::dyn_cast<llvm::ReturnInst>(&inst)) returns.push_back(ret);
        auto* store = llvm::dyn_cast<llvm::StoreInst>(&inst);
        if (store == nullptr || !streamed(*store)) continue;
        llvm::Type* type = store->getValueOperand()->getType();
        const uint64_t bytes = dl.getTypeStoreSize(type);
        if (!x86 || !type->isVectorTy() || bytes < 16 || store->getAlign().value() < bytes) {
          continue;
        }
        store->setMetadata(llvm::LLVMContext::MD_nontemporal, nontemporal);
        ++in_function;
      }
    }
    if (in_function == 0) continue;
    made += in_function;
    for (llvm::ReturnInst* ret : returns) {
      llvm::IRBuilder<> b(ret);
      b.CreateCall(llvm::Intrinsic::getDeclaration(&m, llvm::Intrinsic::x86_sse_sfence));
    }
  }
  return made;
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

int64_t LastLevelCacheBytes() {
  static const int64_t bytes = [] {
    // sysfs: the largest cache level of cpu0 ("32768K").
    int best_level = 0;
    int64_t best = 0;
    for (int index = 0; index < 8; ++index) {
      const std::string dir = absl::StrCat("/sys/devices/system/cpu/cpu0/cache/index", index);
      std::ifstream level_file(dir + "/level"), size_file(dir + "/size");
      int level = 0;
      std::string size;
      if (!(level_file >> level) || !(size_file >> size) || size.empty()) continue;
      int64_t scale = 1;
      if (size.back() == 'K') scale = int64_t{1} << 10;
      if (size.back() == 'M') scale = int64_t{1} << 20;
      if (scale != 1) size.pop_back();
      int64_t value = 0;
      if (!absl::SimpleAtoi(size, &value) || value <= 0) continue;
      if (level > best_level) {
        best_level = level;
        best = value * scale;
      }
    }
    if (best > 0) return best;
    const long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
    if (l3 > 0) return static_cast<int64_t>(l3);
    const long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
    if (l2 > 0) return static_cast<int64_t>(l2);
    return int64_t{32} << 20;
  }();
  return bytes;
}

void PrepareForExit() {
  std::string error;
  llvm::sys::DynamicLibrary::getPermanentLibrary(nullptr, &error);  // the process itself
}

int64_t StreamingStoreBytes() { return std::min(LastLevelCacheBytes(), kStreamingStoreCap); }

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

  absl::Status emitted = EmitKernel(kernel, *module, symbol);
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
  MakeStreamingStores(*module);
  if (kernel.prefetch) InsertPrefetches(*module, kPrefetchDistanceBytes);

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
