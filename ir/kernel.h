// Kernel IR: one fused loop nest, independent of the backend that renders it.
//
// A kernel reads and writes whole buffers (the realized values of the graph), takes int64 size
// parameters, and computes over a parallel iteration domain: a row-major box whose extents are
// values of the prologue. The body runs once per domain point; it is a scalar expression DAG of
// loads through index expressions (affine arithmetic plus div/mod from reshapes and masks from
// pads), graph primitives (`add`, `exp`, `select`, `cast`, ...), nested reduction loops, and
// stores. Backends render the same kernel: the CPU backend to LLVM IR, the CUDA backend to CUDA
// C++.
//
// Values are numbered instructions (`%n`) in blocks. Block 0 is the prologue (parameters, sizes,
// anything that depends on no loop variable); block 1 is the body. A `reduce` owns a nested block
// that runs once per point of its own box and yields the value it accumulates; a `loop` owns a
// nested block that runs once per point of its box for its stores (the inner loop of a row
// kernel, the loop along a scan's axis); its box is visited in row-major order, and a `scan` in
// its block carries a running sum, product, max or min from one iteration to the next. An
// instruction may use any value of its own block defined before it or of an enclosing block.
//
// Text form (the form of dumps; the canonical text is also the kernel cache's key):
//
//   kernel @mul_add(%b0: in f32, %b1: in f32, %b2: out f32) {
//     %0 = param 0
//     domain [%0]
//     body {
//       %1 = var 0
//       %2 = load %b0[%1] : f32
//       %3 = load %b1[%1] : f32
//       %4 = mul %2, %3 : f32
//       store %b2[%1], %4
//     }
//   }
#ifndef NDJIT_IR_KERNEL_H_
#define NDJIT_IR_KERNEL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "ir/attrs.h"
#include "ir/ops.h"
#include "ndjit/dtype.h"

namespace ndjit::ir {

class Node;

enum class KOp : uint8_t {
  kConst,   // `value` as `dtype`
  kParam,   // int64 size parameter number `index`
  kValue,   // scalar value parameter number `index` (a graph constant's value), as `dtype`
  kVar,     // int64 loop variable number `index` (domain dims first, then each reduce's dims)
  kIndex,   // int64 index arithmetic `iop` on args (operands are non-negative where it matters)
  kLoad,    // element args[0] of buffer `index`, of the buffer's dtype
  kStore,   // element args[0] of output buffer `index` = args[1]
  kOp,      // the graph primitive `op` (elementwise, select or cast) on args; result `dtype`
  kRandom,  // the `random` leaf's value with seed args[0] (a value parameter) at flat counter
            // args[1] (`dist`), as `dtype`
  kReduce,  // folds the yield of block `block` over the box args (vars `index`...) with `red`
  kLoop,    // runs block `block` (which stores) over the box args (vars `index`...)
  kScan,    // in a loop's block: the running `red` of args[0] over the loop's iterations so
            // far, in order, accumulated in `acc` from args[1] (the carry) or from the
            // identity at each start of the loop; result `dtype`
  kCheck,   // run-time check: args[0] (bool) must hold, else error `index` with value args[1],
            // raised for graph node `value`
};

// Index arithmetic. div and mod are on non-negative operands with a positive divisor; lt/ge/and
// give bool (masks of pads, concat and range checks).
enum class IndexOp : uint8_t { kAdd, kSub, kMul, kDiv, kMod, kMin, kMax, kLt, kGe, kAnd };

// A kReduce folds with a ReduceKind (ir/ops.h) in `acc`: float16/bfloat16/float32 in float32
// lanes, float64 in float64, integers wrapping in their own width, bool as or/and; argmax and
// argmin run over a one-dim box.

// Run-time check codes (kCheck `index`).
enum class CheckCode : int64_t { kGatherIndexOutOfRange = 1 };

struct KInstr {
  KOp kind = KOp::kConst;
  DType dtype = DType::kInt64;
  Op op = Op::kInput;                 // kOp
  IndexOp iop = IndexOp::kAdd;        // kIndex
  ReduceKind red = ReduceKind::kSum;  // kReduce
  DType acc = DType::kInt64;          // kReduce: accumulator dtype
  int64_t index = 0;  // param, var, buffer number; first var of a reduce; check code
  Scalar value;       // kConst
  RandomDist dist = RandomDist::kUniform;
  std::vector<int> args;
  int block = -1;     // kReduce, kLoop: the nested block
  int yield = -1;     // kReduce: the value folded (an instruction of `block`)
  int in_block = -1;  // the block this instruction belongs to
};

struct KBlock {
  int parent = -1;
  std::vector<int> instrs;
};

struct KBuffer {
  DType dtype = DType::kFloat32;
  bool output = false;
  // An output that will not be read back soon (larger than the caches can keep; the lowering
  // decides, see codegen::LowerOptions::streaming_store_bytes), stored by the body at the flat
  // index of its domain point. A hint: a backend may write it with non-temporal (streaming)
  // stores, which bypass the caches. Printed as `out f32 stream`.
  bool stream = false;
};

struct Kernel {
  std::string name;
  std::vector<KBuffer> buffers;
  int num_params = 0;
  // Scalar value parameters (float constants and random seeds of the graph, see
  // IsValueParameter): passed after the size parameters, each as the bits of its value in its
  // dtype (ValueParameterBitsOf), so that one compiled kernel serves every value.
  int num_values = 0;
  int num_vars = 0;
  std::vector<KInstr> instrs;
  std::vector<KBlock> blocks;  // 0: prologue, 1: body, then reduce and loop blocks
  std::vector<int> domain;     // extents of the parallel box, prologue values; vars 0..rank-1
  // exp, expm1, log, tanh and erf call glibc's functions (vectorized by libmvec) instead of the CPU
  // prelude's own vector math (`--vector-math=glibc`; codegen/prelude.cc). Printed as
  // `math glibc` after the header's counts.
  bool glibc_math = false;
  // The CPU backend prefetches the data of the kernel's contiguous loads ahead of them
  // (codegen/cpu/prefetch.h; `--prefetch=0` turns it off). Printed as `prefetch off` after the
  // header's counts when off; the CUDA backend ignores it.
  bool prefetch = true;
  // One line per fused graph node ("%12 = exp at model.cc:41:7"); printed as comments, not
  // part of the canonical text.
  std::vector<std::string> notes;
};

// d(index)/d(var): the coefficient of loop variable `var` in index instruction `id` when the
// expression is affine in it with a constant coefficient (0 when it does not depend on it), else
// nullopt (a var scaled by a size parameter, div, mod, min, max, data). Backends use it to find
// contiguous accesses.
std::optional<int64_t> IndexCoefficient(const Kernel& kernel, int id, int64_t var);

// Whether a leaf's value is a kernel parameter (kValue) rather than part of the kernel's code:
// float constants are, so that a program that changes only a float scalar (a learning rate, a
// scale) reuses its kernels, and so are random leaves' seeds, so that a random call in a loop
// (each unseeded call draws a new seed) reuses its kernel. Integer and bool constants stay in the
// code, where division, remainder and index arithmetic by them compile to multiplies and shifts.
bool IsValueParameter(Op op, DType dtype);
// The attribute that holds such a leaf's parameter value (kAttrValue or kAttrSeed), 0 for others.
uint32_t ValueParameterField(Op op, DType dtype);
// The bits a value parameter of `dtype` is passed as (in the low bits of its int64 slot): the
// value rounded to `dtype` once, as the constant's literal would be.
int64_t ValueParameterBits(DType dtype, const Scalar& value);
// The bits `leaf` (IsValueParameter) passes: its constant's (ValueParameterBits), or its seed.
int64_t ValueParameterBitsOf(const Node& leaf);

// The canonical text (the cache key) or, with `notes`, the dump form with the call sites.
std::string PrintKernel(const Kernel& kernel, bool notes = false);
const char* IndexOpName(IndexOp op);
const char* ReduceKindName(ReduceKind kind);

// Builds a kernel block by block, interning identical pure instructions within a block and its
// enclosing blocks (so each distinct value is computed once).
class KernelBuilder {
 public:
  explicit KernelBuilder(std::string name);

  int AddBuffer(DType dtype, bool output);
  void SetStream(int buffer) { kernel_.buffers[buffer].stream = true; }
  // Block 0 or 1 at the start; EnterReduce opens a new block.
  int current_block() const { return current_; }
  void SetBlock(int block) { current_ = block; }

  int Param(int64_t number);               // in the prologue
  int Value(DType dtype, int64_t number);  // in the prologue
  int ConstIndex(int64_t v);               // int64 constant in the prologue
  int Const(DType dtype, Scalar value);
  int Var(int64_t number);
  int Index(IndexOp op, int a, int b);
  int Load(int buffer, int offset);
  void Store(int buffer, int offset, int value);
  // A store appended to `block` (one already built: the row kernel's scratch write).
  void StoreInBlock(int block, int buffer, int offset, int value);
  int Apply(Op op, DType dtype, std::vector<int> args);
  // `seed`: an i64 instruction (the random node's seed, a value parameter).
  int Random(DType dtype, int seed, RandomDist dist, int counter);
  void Check(CheckCode code, int ok, int value, int node);
  // Opens a reduce over `extents` (prologue values) in block `home` (an enclosing block of the
  // current one: the deepest block the reduce's result depends on) and returns its first var
  // number; the body is built in the new block, then EndReduce closes it, returns to the block
  // that was current, and returns the reduce's value.
  int BeginReduce(absl::Span<const int> extents, int home, std::vector<int>* vars);
  int EndReduce(ReduceKind kind, DType dtype, DType acc, int yield, absl::Span<const int> extents,
                int first_var);
  // A running `kind` of `value` in the current block, which must be a loop's: accumulated in
  // `acc`, started from `carry` (an enclosing block's value, or -1 for the identity) at each
  // start of the loop. Never interned.
  int Scan(ReduceKind kind, DType dtype, DType acc, int value, int carry);
  // The same for a loop (in the current block); EndLoop closes it.
  int BeginLoop(absl::Span<const int> extents, std::vector<int>* vars);
  void EndLoop(absl::Span<const int> extents, int first_var);
  // The deepest block among `values` (at least `floor`).
  int DeepestBlock(absl::Span<const int> values, int floor = 1) const;
  void SetDomain(std::vector<int> extents);
  int NewVars(int count);  // reserves loop variable numbers
  void set_num_params(int n) { kernel_.num_params = n; }
  void set_num_values(int n) { kernel_.num_values = n; }
  void set_glibc_math(bool on) { kernel_.glibc_math = on; }
  void set_prefetch(bool on) { kernel_.prefetch = on; }
  void AddNote(std::string note) { kernel_.notes.push_back(std::move(note)); }

  // True when `value` (an instruction) does not depend on any var (a prologue value).
  bool IsInvariant(int value) const { return kernel_.instrs[value].in_block == 0; }
  const KInstr& instr(int id) const { return kernel_.instrs[id]; }
  Kernel Finish() &&;

 private:
  int Add(KInstr instr, bool pure);
  // The innermost block `instr` may live in: the deepest block among its args', or the prologue.
  int HomeBlock(const KInstr& instr) const;
  std::string Key(const KInstr& instr) const;

  Kernel kernel_;
  int current_ = 1;
  std::vector<int> saved_;  // the block that was current when each open reduce or loop began
  absl::flat_hash_map<std::string, int> interned_;  // key incl. block -> instruction
};

}  // namespace ndjit::ir

#endif  // NDJIT_IR_KERNEL_H_
