// Lowering of a fusion group to kernel IR (see lower.h).
#include "codegen/lower.h"

#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "codegen/prelude_abi.h"
#include "ir/reduce.h"
#include "ir/status_macros.h"

namespace ndjit::codegen {

namespace {

using ir::IndexOp;
using ir::KernelBuilder;
using ir::Node;
using ir::Op;
using ir::OpKind;
using ir::Scalar;
using ir::Shape;
using ndjit::DType;

// A multi-index into a node's shape, with its row-major linear form; either is computed from
// the other on demand (and then shared by every use).
struct Idx {
  const Shape* shape = nullptr;
  std::optional<std::vector<int>> dims;
  int linear = -1;
};

// Whether a group computes an op whose float32 or 16-bit float rule has a glibc variant (only
// such kernels are marked glibc_math, so that every other kernel's text, and cache entry, is the
// same in both modes; float64 calls libm either way).
bool UsesGlibcVariant(const passes::FusionGroup& g) {
  for (const Node* m : g.members) {
    const DType dt = m->dtype();
    if (HasGlibcVariant(m->op()) &&
        (dt == DType::kFloat32 || dt == DType::kFloat16 || dt == DType::kBFloat16)) {
      return true;
    }
  }
  return false;
}

// How a reduction, argreduce or scan combines its elements (ops.def's `combine` column).
absl::StatusOr<ir::ReduceKind> CombinationOf(Op op) {
  if (std::optional<ir::ReduceKind> kind = ir::OpCombination(op)) return *kind;
  return absl::InternalError(
      absl::StrCat("lowering: ", ir::OpName(op), " is not a reduction or scan"));
}

class Lowerer {
 public:
  Lowerer(const ir::Graph& graph, const passes::FusionPlan& plan, int group,
          const LowerOptions& options)
      : graph_(graph), plan_(plan), group_(group), options_(options), b_(plan.groups[group].name) {}

  absl::StatusOr<LoweredKernel> Run() {
    const passes::FusionGroup& g = plan_.groups[group_];
    const Shape& shape = g.roots.front()->shape();
    for (const Node* r : g.roots) {
      RET_CHECK(r->shape() == shape, "roots of one kernel differ in shape");
      const Node* in_place = options_.in_place_of;
      if (in_place != nullptr) {
        RET_CHECK(g.roots.size() == 1 && !g.row_kernel && in_place->type() == r->type(),
                  "an in-place kernel stores one root of its buffer's type");
      }
      out_.buffers.push_back(in_place != nullptr ? in_place : r);
      output_buffer_[r] = b_.AddBuffer(r->dtype(), /*output=*/true);
      if (in_place != nullptr) input_buffer_[in_place] = output_buffer_[r];
    }
    if (g.scan != nullptr) return RunScan(g, shape);
    // Domain: one var per dim of the roots' shape; a row kernel leaves the last dim to a loop
    // in the body, after the row's reductions.
    const size_t rank = g.row_kernel ? shape.size() - 1 : shape.size();
    std::vector<int> extents;
    for (size_t d = 0; d < rank; ++d) extents.push_back(Size(shape[d]));
    b_.SetDomain(extents);
    const int first = b_.NewVars(static_cast<int>(rank));
    Idx idx{&shape, std::vector<int>{}, -1};
    for (size_t d = 0; d < rank; ++d) idx.dims->push_back(b_.Var(first + d));
    out_.domain.assign(shape.begin(), shape.begin() + rank);
    out_.points = ir::NumElements(out_.domain);
    out_.work = ir::NumElements(shape);
    // Every index the kernel computes addresses an element of a member or of an operand.
    for (const Node* m : g.members) {
      out_.max_elements = std::max(out_.max_elements, ir::NumElements(m->shape()));
      for (const Node* o : m->operands()) {
        out_.max_elements = std::max(out_.max_elements, ir::NumElements(o->shape()));
      }
    }
    std::vector<int> loop_extent;
    int loop_var = -1;
    if (g.row_kernel) {
      outer_vars_ = *idx.dims;
      if (g.roots.size() == 1) scratch_root_ = g.roots[0];
      // The row's reductions first, at the index form the loop will ask for (a linear row
      // index, as a reshape gives it), so that values they compute can be kept for the loop.
      for (const Node* m : g.members) {
        if (!ir::IsRowReduction(*m, shape)) continue;
        Idx row = WithDims(m->shape(), outer_vars_);
        Idx linear{&m->shape(), std::nullopt, Linear(row)};
        RETURN_IF_ERROR(Emit(*m, linear).status());
      }
      loop_extent = {Size(shape.back())};
      std::vector<int> vars;
      loop_var = b_.BeginLoop(loop_extent, &vars);
      loop_block_ = b_.current_block();
      loop_var_instr_ = vars[0];
      idx.dims->push_back(vars[0]);
    }
    // A kernel with an expensive op (a library call, a division: ops.def's cost column) streams
    // only with the CPU backend's prefetches (codegen/cpu/prefetch.h): with them, gelu (W2) and
    // exp(x) * 0.5 took 0.87-0.95x the time of cached stores; without them, streaming made such
    // kernels up to 2x slower (too few loads in flight), so under --prefetch=0 they store through
    // the caches.
    bool compute_bound = false;
    for (const Node* m : g.members) {
      compute_bound |= ir::OpRecomputeCost(m->op()) == ir::RecomputeCost::kExpensive;
    }
    for (const Node* r : g.roots) {
      ASSIGN_OR_RETURN(int v, Emit(*r, idx, /*is_root=*/true));
      b_.Store(output_buffer_.at(r), Linear(idx), v);
      const int64_t bytes = ir::NumElements(r->shape()) * DTypeSize(r->dtype());
      if (!g.row_kernel && (!compute_bound || options_.prefetch) &&
          options_.streaming_store_bytes > 0 && bytes >= options_.streaming_store_bytes) {
        b_.SetStream(output_buffer_.at(r));
      }
    }
    if (g.row_kernel) b_.EndLoop(loop_extent, loop_var);
    return Finish(g);
  }

 private:
  absl::StatusOr<LoweredKernel> Finish(const passes::FusionGroup& g) {
    for (const Node* m : g.members) {
      b_.AddNote(absl::StrCat("%", m->id(), " = ", ir::OpName(m->op()), " : ",
                              ir::TypeToString(m->type()), " at ", m->loc().ToString()));
    }
    b_.set_num_params(static_cast<int>(out_.params.size()));
    b_.set_num_values(static_cast<int>(out_.values.size()));
    b_.set_glibc_math(options_.glibc_math && UsesGlibcVariant(g));
    b_.set_prefetch(options_.prefetch);
    out_.kernel = std::move(b_).Finish();
    return std::move(out_);
  }

  // A scan kernel: the domain is the roots' shape with the scan's axis replaced by its chunks;
  // each point runs a loop along its chunk, in order, in which every member is computed (the
  // scans carry their running values from one iteration to the next) and the roots stored. The
  // chunk length is a size parameter like the dims, so one kernel serves every length.
  absl::StatusOr<LoweredKernel> RunScan(const passes::FusionGroup& g, const Shape& shape) {
    RET_CHECK(!g.row_kernel && g.scan->shape() == shape, "a scan kernel's roots are its shape");
    const int64_t axis = g.scan->attrs().axis;
    const int64_t len = shape[axis];
    const bool carried = g.scan->operands().size() > 1;
    const int64_t chunks = carried ? g.scan->operand(1)->shape()[axis] : 1;
    const int64_t chunk = (len + chunks - 1) / chunks;
    std::vector<int> extents;
    out_.domain = shape;
    out_.domain[axis] = chunks;
    for (int64_t d : out_.domain) extents.push_back(Size(d));
    b_.SetDomain(extents);
    const int first = b_.NewVars(static_cast<int>(shape.size()));
    std::vector<int> outer;
    for (size_t d = 0; d < shape.size(); ++d) outer.push_back(b_.Var(first + d));
    out_.points = ir::NumElements(out_.domain);
    out_.work = ir::NumElements(shape);
    for (const Node* m : g.members) {
      out_.max_elements = std::max(out_.max_elements, ir::NumElements(m->shape()));
      for (const Node* o : m->operands()) {
        out_.max_elements = std::max(out_.max_elements, ir::NumElements(o->shape()));
      }
    }
    // Chunk k covers [k * chunk, min((k + 1) * chunk, len)); trailing chunks may be empty.
    int start = C(0);
    int extent = Size(len);
    if (carried) {
      start = Mul(outer[axis], Size(chunk));
      extent = b_.Index(IndexOp::kMin, Size(chunk), Sub(Size(len), start));
    }
    std::vector<int> vars;
    const int loop_var = b_.BeginLoop({extent}, &vars);
    scan_loop_block_ = b_.current_block();
    scan_outer_ = outer;
    std::vector<int> dims = outer;
    dims[axis] = Add(start, vars[0]);
    scan_dims_ = dims;
    for (const Node* r : g.roots) {
      Idx idx = WithDims(shape, dims);
      ASSIGN_OR_RETURN(int v, Emit(*r, idx, /*is_root=*/true));
      b_.Store(output_buffer_.at(r), Linear(idx), v);
    }
    b_.EndLoop({extent}, loop_var);
    return Finish(g);
  }

  // A scan inside its kernel's loop: the operand at the same index, then the running value; a
  // chunk's carry is read once per point, before the loop.
  absl::StatusOr<int> EmitScan(const Node& n, Idx& idx) {
    RET_CHECK(
        scan_loop_block_ >= 0 && b_.current_block() == scan_loop_block_ && Dims(idx) == scan_dims_,
        "a scan is computed only in its kernel's loop, at the loop's index");
    const Node& in = *n.operand(0);
    ASSIGN_OR_RETURN(int v, Emit(in, idx));
    const DType acc = ir::AccumulatorDType(n.dtype());
    if (acc != n.dtype()) v = b_.Apply(Op::kCast, acc, {v});
    int carry = -1;
    if (n.operands().size() > 1) {
      Idx at = WithDims(n.operand(1)->shape(), scan_outer_);
      ASSIGN_OR_RETURN(carry, Emit(*n.operand(1), at));
      if (acc != n.dtype()) carry = b_.Apply(Op::kCast, acc, {carry});
    }
    ASSIGN_OR_RETURN(const ir::ReduceKind kind, CombinationOf(n.op()));
    return b_.Scan(kind, n.dtype(), acc, v, carry);
  }

  // A dim extent: 0 and 1 are structural constants, larger sizes are parameters. (A parameter
  // 1 would put a 64-bit division by it into every index that decomposes a linear position,
  // and a dim of 1 is common: keepdims results, broadcast operands. A length-1 array costs one
  // compile of its own per structure instead; an empty one none, see codegen::CompileGraph.)
  int Size(int64_t v) {
    if (v <= 1) return b_.ConstIndex(v);
    auto [it, inserted] = param_of_.try_emplace(v, static_cast<int>(out_.params.size()));
    if (inserted) out_.params.push_back(v);
    return b_.Param(it->second);
  }
  int C(int64_t v) { return b_.ConstIndex(v); }
  int Add(int a, int c) { return b_.Index(IndexOp::kAdd, a, c); }
  int Sub(int a, int c) { return b_.Index(IndexOp::kSub, a, c); }
  int Mul(int a, int c) { return b_.Index(IndexOp::kMul, a, c); }

  int Linear(Idx& idx) {
    if (idx.linear >= 0) return idx.linear;
    const Shape& s = *idx.shape;
    int lin = C(0);
    for (size_t d = 0; d < s.size(); ++d) {
      lin = Add(Mul(lin, Size(s[d])), (*idx.dims)[d]);
    }
    idx.linear = lin;
    return lin;
  }

  std::vector<int>& Dims(Idx& idx) {
    if (idx.dims) return *idx.dims;
    const Shape& s = *idx.shape;
    std::vector<int> dims(s.size());
    int rem = idx.linear;
    for (size_t d = s.size(); d-- > 1;) {
      dims[d] = b_.Index(IndexOp::kMod, rem, Size(s[d]));
      rem = b_.Index(IndexOp::kDiv, rem, Size(s[d]));
    }
    if (!s.empty()) dims[0] = rem;
    idx.dims = std::move(dims);
    return *idx.dims;
  }

  static Idx WithDims(const Shape& shape, std::vector<int> dims) {
    return Idx{&shape, std::move(dims), -1};
  }

  int BufferFor(const Node& n) {
    auto [it, inserted] = input_buffer_.try_emplace(&n, -1);
    if (inserted) {
      it->second = b_.AddBuffer(n.dtype(), /*output=*/false);
      out_.buffers.push_back(&n);
    }
    return it->second;
  }

  std::string MemoKey(const Node& n, const Idx& idx) const {
    if (idx.dims) return absl::StrCat(n.id(), "d", absl::StrJoin(*idx.dims, ","));
    return absl::StrCat(n.id(), "l", idx.linear);
  }

  absl::StatusOr<int> Emit(const Node& n, Idx& idx, bool is_root = false) {
    // A node this kernel stores (another of its roots) is computed here, not read back.
    const int stored_by = plan_.stored_by[n.id()];
    const bool stored = n.op() == Op::kInput || (!is_root && stored_by >= 0 && stored_by != group_);
    if (stored) {
      if (ir::NumElements(n.shape()) == 0) return b_.Const(n.dtype(), Zero(n.dtype()));
      return b_.Load(BufferFor(n), Linear(idx));
    }
    const std::string key = MemoKey(n, idx);
    if (auto it = memo_.find(key); it != memo_.end()) return it->second;
    // Row kernels: an expensive value computed in a row reduction and needed again in the loop
    // over the row (exp(x - max) in softmax) is kept, not recomputed: the reduction also stores
    // it into the output row, which the loop reads back before overwriting it. The output row
    // holds one element per point, so it keeps one such value: the first the loop asks for, which
    // is the outermost (the loop emits a value before its operands). Any other is recomputed.
    const bool scratchable = ScratchCandidate(n);
    if (scratchable && b_.current_block() == loop_block_ && RowIndexed(idx, loop_var_id()) &&
        (scratch_owner_ == nullptr || scratch_owner_ == &n)) {
      if (auto it = scratch_.find(&n); it != scratch_.end()) {
        scratch_owner_ = &n;
        const int out = output_buffer_.at(scratch_root_);
        if (!it->second.stored) {
          b_.StoreInBlock(it->second.block, out, it->second.offset, it->second.value);
          it->second.stored = true;
        }
        const int v = b_.Load(out, Linear(idx));
        memo_[key] = v;
        return v;
      }
    }
    ASSIGN_OR_RETURN(int v, EmitOp(n, idx));
    if (scratchable && row_reduce_block_ >= 0 && b_.current_block() == row_reduce_block_ &&
        RowIndexed(idx, row_reduce_var_)) {
      scratch_.try_emplace(&n, Scratch{row_reduce_block_, Linear(idx), v, false});
    }
    memo_[key] = v;
    return v;
  }

  // An elementwise value shaped and typed like the row kernel's single root whose fused
  // expression is expensive to recompute.
  bool ScratchCandidate(const Node& n) {
    return scratch_root_ != nullptr && n.shape() == scratch_root_->shape() &&
           n.dtype() == scratch_root_->dtype() && ir::IsElementwise(n.op()) && Costly(n);
  }

  // Whether recomputing `n` evaluates an expensive elementwise op (exp, tanh, div, ...) of this
  // kernel: `n` itself or an inlined operand, through views. Stored values are loads and
  // reductions are computed once per row, so neither makes a value costly.
  bool Costly(const Node& n) {
    if (auto it = costly_.find(&n); it != costly_.end()) return it->second;
    bool costly = false;
    const OpKind kind = ir::GetOpKind(n.op());
    const bool stored = n.op() == Op::kInput || plan_.stored_by[n.id()] >= 0;
    if (!stored && kind != OpKind::kReduce && kind != OpKind::kArgReduce &&
        kind != OpKind::kMatmul && kind != OpKind::kScan) {
      costly = ir::IsElementwise(n.op()) && !passes::IsCheapOp(n.op());
      for (const Node* o : n.operands()) costly = costly || Costly(*o);
    }
    costly_[&n] = costly;
    return costly;
  }

  // Whether `idx` is (the row's outer vars..., var `last`).
  bool RowIndexed(Idx& idx, int last) {
    if (last < 0 || outer_vars_.size() + 1 != idx.shape->size()) return false;
    const std::vector<int>& d = Dims(idx);
    for (size_t k = 0; k < outer_vars_.size(); ++k) {
      if (d[k] != outer_vars_[k]) return false;
    }
    return d.back() == last;
  }
  int loop_var_id() const { return loop_var_instr_; }

  static Scalar Zero(DType dt) { return IsFloat(dt) ? Scalar::Float(0.0) : Scalar::Int(0); }

  // The value parameter `leaf` (ir::IsValueParameter) is bound to.
  int ValueIndex(const Node& leaf) {
    auto [it, inserted] = value_of_.try_emplace(&leaf, static_cast<int>(out_.values.size()));
    if (inserted) out_.values.push_back(&leaf);
    return it->second;
  }

  absl::StatusOr<int> EmitOp(const Node& n, Idx& idx) {
    const ir::Attrs& a = n.attrs();
    switch (ir::GetOpKind(n.op())) {
      case OpKind::kLeaf:
        switch (n.op()) {
          case Op::kConstant: {
            if (!ir::IsValueParameter(n.op(), n.dtype())) return b_.Const(n.dtype(), a.value);
            return b_.Value(n.dtype(), ValueIndex(n));
          }
          case Op::kIota:
            return b_.Apply(Op::kCast, n.dtype(), {Dims(idx)[a.axis]});
          case Op::kRandom:
            // The seed is a value parameter: a new seed runs the same kernel.
            return b_.Random(n.dtype(), b_.Value(DType::kInt64, ValueIndex(n)), a.dist,
                             Linear(idx));
          default:
            return absl::InternalError("lowering: input leaves are loads");
        }
      case OpKind::kUnary:
      case OpKind::kUnaryPredicate:
      case OpKind::kBinary:
      case OpKind::kCompare:
      case OpKind::kSelect:
      case OpKind::kCast: {
        std::vector<int> args;
        for (const Node* o : n.operands()) {
          ASSIGN_OR_RETURN(int v, Emit(*o, idx));
          args.push_back(v);
        }
        return b_.Apply(n.op(), n.dtype(), std::move(args));
      }
      case OpKind::kView:
        return EmitView(n, idx);
      case OpKind::kReduce:
      case OpKind::kArgReduce:
        return EmitReduce(n, idx);
      case OpKind::kMatmul:
        return EmitMatmul(n, idx);
      case OpKind::kScan:
        return EmitScan(n, idx);
      case OpKind::kConcat:
        return EmitConcat(n, idx);
      case OpKind::kGather:
        return EmitGather(n, idx);
    }
    return absl::InternalError("lowering: unknown op kind");
  }

  absl::StatusOr<int> EmitView(const Node& n, Idx& idx) {
    const Node& in = *n.operand(0);
    const Shape& is = in.shape();
    const ir::Attrs& a = n.attrs();
    switch (n.op()) {
      case Op::kReshape: {
        Idx sub{&is, std::nullopt, Linear(idx)};
        return Emit(in, sub);
      }
      case Op::kPermute: {
        std::vector<int>& d = Dims(idx);
        std::vector<int> dims(is.size());
        for (size_t i = 0; i < a.perm.size(); ++i) dims[a.perm[i]] = d[i];
        Idx sub = WithDims(is, std::move(dims));
        return Emit(in, sub);
      }
      case Op::kBroadcast: {
        if (ir::NumElements(is) == 1) {
          Idx sub{&is, std::nullopt, C(0)};
          return Emit(in, sub);
        }
        std::vector<int>& d = Dims(idx);
        const size_t lead = n.shape().size() - is.size();
        std::vector<int> dims(is.size());
        for (size_t k = 0; k < is.size(); ++k) dims[k] = is[k] == 1 ? C(0) : d[k + lead];
        Idx sub = WithDims(is, std::move(dims));
        return Emit(in, sub);
      }
      case Op::kSlice: {
        std::vector<int>& d = Dims(idx);
        std::vector<int> dims(is.size());
        for (size_t k = 0; k < is.size(); ++k) {
          dims[k] = Add(C(a.starts[k]), Mul(d[k], C(a.steps[k])));
        }
        Idx sub = WithDims(is, std::move(dims));
        return Emit(in, sub);
      }
      case Op::kFlip: {
        std::vector<int> dims = Dims(idx);
        for (int64_t axis : a.axes) dims[axis] = Sub(Sub(Size(is[axis]), C(1)), dims[axis]);
        Idx sub = WithDims(is, std::move(dims));
        return Emit(in, sub);
      }
      case Op::kPad: {
        const int pad_value = b_.Const(n.dtype(), a.value);
        if (ir::NumElements(is) == 0) return pad_value;
        std::vector<int>& d = Dims(idx);
        std::vector<int> dims(is.size());
        int mask = -1;
        for (size_t k = 0; k < is.size(); ++k) {
          if (a.low[k] == 0 && a.high[k] == 0) {
            dims[k] = d[k];
            continue;
          }
          const int shifted = Sub(d[k], C(a.low[k]));
          const int extent = Size(is[k]);
          const int inside = b_.Index(IndexOp::kAnd, b_.Index(IndexOp::kGe, shifted, C(0)),
                                      b_.Index(IndexOp::kLt, shifted, extent));
          mask = mask < 0 ? inside : b_.Index(IndexOp::kAnd, mask, inside);
          dims[k] =
              b_.Index(IndexOp::kMin, b_.Index(IndexOp::kMax, shifted, C(0)), Sub(extent, C(1)));
        }
        Idx sub = WithDims(is, std::move(dims));
        ASSIGN_OR_RETURN(int v, Emit(in, sub));
        if (mask < 0) return v;
        return b_.Apply(Op::kSelect, n.dtype(), {mask, v, pad_value});
      }
      default:
        return absl::InternalError(absl::StrCat("lowering: no rule for view ", ir::OpName(n.op())));
    }
  }

  absl::StatusOr<int> EmitReduce(const Node& n, Idx& idx) {
    const Node& in = *n.operand(0);
    const Shape& is = in.shape();
    std::vector<int64_t> axes;
    if (ir::GetOpKind(n.op()) == OpKind::kArgReduce) {
      axes = {n.attrs().axis};
    } else {
      axes = n.attrs().axes;
    }
    std::vector<int> extents;
    int64_t box = 1;
    for (int64_t ax : axes) {
      extents.push_back(Size(is[ax]));
      box *= is[ax];
    }
    out_.work =
        std::max<int64_t>(out_.work, ir::NumElements(n.shape()) * std::max<int64_t>(box, 1));
    std::vector<int>& d = Dims(idx);
    const int saved_block = b_.current_block();
    std::vector<int> vars;
    // The reduce lives in the deepest block its index depends on: in a row kernel, the body
    // (once per row) rather than the loop over the row.
    const int first = b_.BeginReduce(extents, b_.DeepestBlock(d), &vars);
    std::vector<int> dims(is.size());
    for (size_t k = 0, kept = 0, r = 0; k < is.size(); ++k) {
      if (r < axes.size() && axes[r] == static_cast<int64_t>(k)) {
        dims[k] = vars[r++];
      } else {
        dims[k] = d[kept++];
      }
    }
    Idx sub = WithDims(is, std::move(dims));
    // A reduction over the row of a row kernel: its operand may be kept for the loop.
    const int saved_reduce_block = row_reduce_block_, saved_reduce_var = row_reduce_var_;
    const bool row_reduction = scratch_root_ != nullptr && axes.size() == 1 &&
                               axes[0] == static_cast<int64_t>(is.size()) - 1 &&
                               is == scratch_root_->shape();
    row_reduce_block_ = row_reduction ? b_.current_block() : -1;
    row_reduce_var_ = row_reduction ? vars[0] : -1;
    absl::StatusOr<int> emitted = Emit(in, sub);
    row_reduce_block_ = saved_reduce_block;
    row_reduce_var_ = saved_reduce_var;
    ASSIGN_OR_RETURN(int v, std::move(emitted));
    ASSIGN_OR_RETURN(const ir::ReduceKind kind, CombinationOf(n.op()));
    DType acc = ir::AccumulatorDType(in.dtype());
    if (acc != in.dtype()) v = b_.Apply(Op::kCast, acc, {v});
    const int r = b_.EndReduce(kind, n.dtype(), acc, v, extents, first);
    RET_CHECK(b_.current_block() == saved_block);
    return r;
  }

  absl::StatusOr<int> EmitMatmul(const Node& n, Idx& idx) {
    const Node& x = *n.operand(0);
    const Node& y = *n.operand(1);
    const size_t r = n.shape().size();
    const int64_t k_extent = x.shape()[r - 1];
    const DType acc = ir::AccumulatorDType(n.dtype());
    std::vector<int>& d = Dims(idx);
    std::vector<int> vars;
    const int extent = Size(k_extent);
    out_.work =
        std::max<int64_t>(out_.work, ir::NumElements(n.shape()) * std::max<int64_t>(k_extent, 1));
    const int first = b_.BeginReduce({extent}, b_.DeepestBlock(d), &vars);
    std::vector<int> xd(d.begin(), d.end()), yd(d.begin(), d.end());
    xd[r - 1] = vars[0];
    yd[r - 2] = vars[0];
    Idx xi = WithDims(x.shape(), std::move(xd));
    Idx yi = WithDims(y.shape(), std::move(yd));
    ASSIGN_OR_RETURN(int xv, Emit(x, xi));
    ASSIGN_OR_RETURN(int yv, Emit(y, yi));
    if (acc != n.dtype()) {
      xv = b_.Apply(Op::kCast, acc, {xv});
      yv = b_.Apply(Op::kCast, acc, {yv});
    }
    const int prod = b_.Apply(Op::kMul, acc, {xv, yv});
    return b_.EndReduce(ir::ReduceKind::kSum, n.dtype(), acc, prod, {extent}, first);
  }

  absl::StatusOr<int> EmitConcat(const Node& n, Idx& idx) {
    const int64_t axis = n.attrs().axis;
    std::vector<int>& d = Dims(idx);
    struct Part {
      const Node* node;
      int64_t offset;
    };
    std::vector<Part> parts;
    int64_t offset = 0;
    for (const Node* o : n.operands()) {
      if (o->shape()[axis] > 0) parts.push_back({o, offset});
      offset += o->shape()[axis];
    }
    if (parts.empty()) return b_.Const(n.dtype(), Zero(n.dtype()));
    int result = -1;
    for (size_t p = parts.size(); p-- > 0;) {
      const Node& o = *parts[p].node;
      std::vector<int> dims = d;
      const int shifted = Sub(d[axis], C(parts[p].offset));
      dims[axis] = b_.Index(IndexOp::kMin, b_.Index(IndexOp::kMax, shifted, C(0)),
                            Sub(Size(o.shape()[axis]), C(1)));
      Idx sub = WithDims(o.shape(), std::move(dims));
      ASSIGN_OR_RETURN(int v, Emit(o, sub));
      if (result < 0) {
        result = v;
      } else {
        const int end = C(parts[p].offset + o.shape()[axis]);
        result =
            b_.Apply(Op::kSelect, n.dtype(), {b_.Index(IndexOp::kLt, d[axis], end), v, result});
      }
    }
    return result;
  }

  absl::StatusOr<int> EmitGather(const Node& n, Idx& idx) {
    const Node& data = *n.operand(0);
    const Node& indices = *n.operand(1);
    const int64_t axis = n.attrs().axis;
    const size_t ir = indices.shape().size();
    std::vector<int>& d = Dims(idx);
    Idx ii = WithDims(indices.shape(), std::vector<int>(d.begin() + axis, d.begin() + axis + ir));
    ASSIGN_OR_RETURN(int raw, Emit(indices, ii));
    const int iv =
        indices.dtype() == DType::kInt64 ? raw : b_.Apply(Op::kCast, DType::kInt64, {raw});
    const int64_t n_axis = data.shape()[axis];
    const int extent = Size(n_axis);
    const int negative = b_.Index(IndexOp::kLt, iv, C(0));
    const int j = b_.Apply(Op::kSelect, DType::kInt64, {negative, Add(iv, extent), iv});
    const int ok =
        b_.Index(IndexOp::kAnd, b_.Index(IndexOp::kGe, j, C(0)), b_.Index(IndexOp::kLt, j, extent));
    b_.Check(ir::CheckCode::kGatherIndexOutOfRange, ok, iv, n.id());
    if (n_axis == 0 || ir::NumElements(data.shape()) == 0)
      return b_.Const(n.dtype(), Zero(n.dtype()));
    std::vector<int> dims(d.begin(), d.begin() + axis);
    dims.push_back(b_.Index(IndexOp::kMin, b_.Index(IndexOp::kMax, j, C(0)), Sub(extent, C(1))));
    dims.insert(dims.end(), d.begin() + axis + ir, d.end());
    Idx di = WithDims(data.shape(), std::move(dims));
    return Emit(data, di);
  }

  const ir::Graph& graph_;
  const passes::FusionPlan& plan_;
  const int group_;
  const LowerOptions options_;
  KernelBuilder b_;
  LoweredKernel out_;
  absl::flat_hash_map<int64_t, int> param_of_;
  absl::flat_hash_map<const Node*, int> value_of_;  // constant -> value parameter
  absl::flat_hash_map<const Node*, int> output_buffer_;
  absl::flat_hash_map<const Node*, int> input_buffer_;
  absl::flat_hash_map<std::string, int> memo_;
  // Row kernels (see Emit).
  struct Scratch {
    int block;   // the row reduction's block
    int offset;  // the element's offset, computed in that block
    int value;
    bool stored;
  };
  const Node* scratch_root_ = nullptr;
  std::vector<int> outer_vars_;
  int loop_block_ = -1;
  int loop_var_instr_ = -1;
  int row_reduce_block_ = -1;
  int row_reduce_var_ = -1;
  absl::flat_hash_map<const Node*, Scratch> scratch_;
  const Node* scratch_owner_ = nullptr;  // the value the output row keeps, once the loop asks
  absl::flat_hash_map<const Node*, bool> costly_;
  // Scan kernels (see RunScan): the loop's block, the domain vars and the loop's index.
  int scan_loop_block_ = -1;
  std::vector<int> scan_outer_;
  std::vector<int> scan_dims_;
};

}  // namespace

absl::StatusOr<LoweredKernel> LowerGroup(const ir::Graph& graph, const passes::FusionPlan& plan,
                                         int group, const LowerOptions& options) {
  return Lowerer(graph, plan, group, options).Run();
}

}  // namespace ndjit::codegen
