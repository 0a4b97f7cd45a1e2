// Tests of canonicalize-views: golden cases (each states the rule it checks) and a randomized
// differential test of view chains against the reference interpreter.
#include "passes/canonicalize_views.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "ir/elements.h"
#include "ir/interpreter.h"
#include "ir/printer.h"
#include "tests/passes/pass_test_util.h"

namespace ndjit::passes {
namespace {

using testing::ExpectGolden;
using testing::GoldenCase;

void ExpectAll(absl::Span<const GoldenCase> cases) {
  for (const GoldenCase& c : cases) ExpectGolden(CanonicalizeViews::kName, c);
}

TEST(CanonicalizeViewsTest, Reshape) {
  const GoldenCase cases[] = {
      {"reshape(reshape(x)) is one reshape of x to the outer type, with the outer loc; the inner "
       "reshape stays for dce",
       R"(graph @g {
            %0 = input[index=0] : f32[2,6]
            %1 = reshape(%0) : f32[3,4] loc("a.cc":1:1)
            %2 = reshape(%1) : f32[12] loc("a.cc":2:1)
            return %2 })",
       R"(graph @g {
            %0 = input[index=0] : f32[2,6]
            %1 = reshape(%0) : f32[3,4] loc("a.cc":1:1)
            %2 = reshape(%0) : f32[12] loc("a.cc":2:1)
            return %2 })"},
      {"a chain of three reshapes folds in one run",
       R"(graph @g {
            %0 = input[index=0] : f32[2,6]
            %1 = reshape(%0) : f32[3,4]
            %2 = reshape(%1) : f32[12]
            %3 = reshape(%2) : f32[6,2]
            return %3 })",
       R"(graph @g {
            %0 = input[index=0] : f32[2,6]
            %1 = reshape(%0) : f32[3,4]
            %2 = reshape(%0) : f32[12]
            %3 = reshape(%0) : f32[6,2]
            return %3 })"},
      {"reshape to the operand's own type is the operand",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3]
            %1 = reshape(%0) : f32[2,3]
            %2 = exp(%1) : f32[2,3]
            return %2 })",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3]
            %1 = exp(%0) : f32[2,3]
            return %1 })"},
      {"reshape(reshape(x)) back to x's own type is x",
       R"(graph @g {
            %0 = input[index=0] : i32[2,3]
            %1 = reshape(%0) : i32[6]
            %2 = reshape(%1) : i32[2,3]
            return %2 })",
       R"(graph @g {
            %0 = input[index=0] : i32[2,3]
            %1 = reshape(%0) : i32[6]
            return %0 })"},
      {"negative: reshape of a permute is not one view (the permute reorders elements)",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3]
            %1 = permute[perm=[1,0]](%0) : f32[3,2]
            %2 = reshape(%1) : f32[6]
            return %2 })",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3]
            %1 = permute[perm=[1,0]](%0) : f32[3,2]
            %2 = reshape(%1) : f32[6]
            return %2 })"},
      {"negative: a reshape that only adds a size-1 dim stays a reshape (no other op is chosen)",
       R"(graph @g {
            %0 = input[index=0] : f32[3]
            %1 = reshape(%0) : f32[1,3]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : f32[3]
            %1 = reshape(%0) : f32[1,3]
            return %1 })"},
  };
  ExpectAll(cases);
}

TEST(CanonicalizeViewsTest, Permute) {
  const GoldenCase cases[] = {
      {"permute(permute(x, p), q) is permute(x, c) with c[i] = p[q[i]]",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3,4]
            %1 = permute[perm=[1,2,0]](%0) : f32[3,4,2]
            %2 = permute[perm=[0,2,1]](%1) : f32[3,2,4] loc("a.cc":7:3)
            return %2 })",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3,4]
            %1 = permute[perm=[1,2,0]](%0) : f32[3,4,2]
            %2 = permute[perm=[1,0,2]](%0) : f32[3,2,4] loc("a.cc":7:3)
            return %2 })"},
      {"permute(permute(x)) that composes to the identity is x",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3,4]
            %1 = permute[perm=[1,2,0]](%0) : f32[3,4,2]
            %2 = permute[perm=[2,0,1]](%1) : f32[2,3,4]
            return %2 })",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3,4]
            %1 = permute[perm=[1,2,0]](%0) : f32[3,4,2]
            return %0 })"},
      {"the identity permutation is x",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3]
            %1 = permute[perm=[0,1]](%0) : f32[2,3]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3]
            return %0 })"},
      {"the empty permutation of a scalar is x",
       R"(graph @g {
            %0 = input[index=0] : f32[]
            %1 = permute[perm=[]](%0) : f32[]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : f32[]
            return %0 })"},
      {"negative: a non-identity permute stays, even when its type equals the operand's",
       R"(graph @g {
            %0 = input[index=0] : f32[2,2]
            %1 = permute[perm=[1,0]](%0) : f32[2,2]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : f32[2,2]
            %1 = permute[perm=[1,0]](%0) : f32[2,2]
            return %1 })"},
  };
  ExpectAll(cases);
}

TEST(CanonicalizeViewsTest, Broadcast) {
  const GoldenCase cases[] = {
      {"broadcast(broadcast(x)) is one broadcast of x to the outer type",
       R"(graph @g {
            %0 = input[index=0] : f32[3,1]
            %1 = broadcast(%0) : f32[2,3,1]
            %2 = broadcast(%1) : f32[4,2,3,5]
            return %2 })",
       R"(graph @g {
            %0 = input[index=0] : f32[3,1]
            %1 = broadcast(%0) : f32[2,3,1]
            %2 = broadcast(%0) : f32[4,2,3,5]
            return %2 })"},
      {"broadcast to the operand's own type is x",
       R"(graph @g {
            %0 = input[index=0] : f32[1,3]
            %1 = broadcast(%0) : f32[1,3]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : f32[1,3]
            return %0 })"},
      {"negative: a broadcast that expands a size-1 dim stays",
       R"(graph @g {
            %0 = input[index=0] : f32[1,3]
            %1 = broadcast(%0) : f32[2,3]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : f32[1,3]
            %1 = broadcast(%0) : f32[2,3]
            return %1 })"},
      {"negative: a broadcast that only adds a leading 1 stays (its type differs from x's)",
       R"(graph @g {
            %0 = input[index=0] : f32[3]
            %1 = broadcast(%0) : f32[1,3]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : f32[3]
            %1 = broadcast(%0) : f32[1,3]
            return %1 })"},
  };
  ExpectAll(cases);
}

TEST(CanonicalizeViewsTest, Slice) {
  const GoldenCase cases[] = {
      {"slice(slice(x)) composes per axis: starts s1 + s2 * st1, steps st1 * st2",
       R"(graph @g {
            %0 = input[index=0] : f32[4,6]
            %1 = slice[starts=[3,0], steps=[-1,2]](%0) : f32[4,3]
            %2 = slice[starts=[1,2], steps=[1,-1]](%1) : f32[2,3] loc("a.cc":3:9)
            return %2 })",
       R"(graph @g {
            %0 = input[index=0] : f32[4,6]
            %1 = slice[starts=[3,0], steps=[-1,2]](%0) : f32[4,3]
            %2 = slice[starts=[2,4], steps=[-1,-2]](%0) : f32[2,3] loc("a.cc":3:9)
            return %2 })"},
      {"two reversing slices compose to start 0, step 1 over the whole axis, which is x",
       R"(graph @g {
            %0 = input[index=0] : f32[3]
            %1 = slice[starts=[2], steps=[-1]](%0) : f32[3]
            %2 = slice[starts=[2], steps=[-1]](%1) : f32[3]
            return %2 })",
       R"(graph @g {
            %0 = input[index=0] : f32[3]
            %1 = slice[starts=[2], steps=[-1]](%0) : f32[3]
            return %0 })"},
      {"a slice with starts 0 and steps 1 over the whole shape is x",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3]
            %1 = slice[starts=[0,0], steps=[1,1]](%0) : f32[2,3]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3]
            return %0 })"},
      {"any step reads a size-1 axis whole, and a size-0 axis reads nothing: still x",
       R"(graph @g {
            %0 = input[index=0] : f32[1,0,3]
            %1 = slice[starts=[0,5,0], steps=[7,-1,1]](%0) : f32[1,0,3]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : f32[1,0,3]
            return %0 })"},
      {"negative: step -1 over a whole axis is a flip, but it is left as a slice",
       R"(graph @g {
            %0 = input[index=0] : f32[3]
            %1 = slice[starts=[2], steps=[-1]](%0) : f32[3]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : f32[3]
            %1 = slice[starts=[2], steps=[-1]](%0) : f32[3]
            return %1 })"},
      {"negative: a slice that drops elements stays",
       R"(graph @g {
            %0 = input[index=0] : f32[4]
            %1 = slice[starts=[1], steps=[1]](%0) : f32[3]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : f32[4]
            %1 = slice[starts=[1], steps=[1]](%0) : f32[3]
            return %1 })"},
  };
  ExpectAll(cases);
}

TEST(CanonicalizeViewsTest, Flip) {
  const GoldenCase cases[] = {
      {"flip(flip(x, A), B) is flip(x, A xor B): axes in both cancel",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3,4]
            %1 = flip[axes=[0,1]](%0) : f32[2,3,4]
            %2 = flip[axes=[1,2]](%1) : f32[2,3,4] loc("a.cc":4:2)
            return %2 })",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3,4]
            %1 = flip[axes=[0,1]](%0) : f32[2,3,4]
            %2 = flip[axes=[0,2]](%0) : f32[2,3,4] loc("a.cc":4:2)
            return %2 })"},
      {"flip(flip(x, A), A) is x",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3]
            %1 = flip[axes=[1]](%0) : f32[2,3]
            %2 = flip[axes=[1]](%1) : f32[2,3]
            return %2 })",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3]
            %1 = flip[axes=[1]](%0) : f32[2,3]
            return %0 })"},
      {"a flip over axes of size 1 only is x",
       R"(graph @g {
            %0 = input[index=0] : f32[1,3,1]
            %1 = flip[axes=[0,2]](%0) : f32[1,3,1]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : f32[1,3,1]
            return %0 })"},
      {"a flip with no axes (the verifier allows it) is x",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3]
            %1 = flip[axes=[]](%0) : f32[2,3]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3]
            return %0 })"},
      {"negative: a flip over an axis longer than 1 stays (a size-1 axis beside it is kept)",
       R"(graph @g {
            %0 = input[index=0] : f32[1,3]
            %1 = flip[axes=[0,1]](%0) : f32[1,3]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : f32[1,3]
            %1 = flip[axes=[0,1]](%0) : f32[1,3]
            return %1 })"},
  };
  ExpectAll(cases);
}

TEST(CanonicalizeViewsTest, Pad) {
  const GoldenCase cases[] = {
      {"a pad with all-zero low and high is x",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3]
            %1 = pad[high=[0,0], low=[0,0], value=1.5](%0) : f32[2,3]
            return %1 })",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3]
            return %0 })"},
      {"negative: a pad of a pad is not composed (the two values may differ)",
       R"(graph @g {
            %0 = input[index=0] : f32[2]
            %1 = pad[high=[0], low=[1], value=0.0](%0) : f32[3]
            %2 = pad[high=[1], low=[0], value=0.0](%1) : f32[4]
            return %2 })",
       R"(graph @g {
            %0 = input[index=0] : f32[2]
            %1 = pad[high=[0], low=[1], value=0.0](%0) : f32[3]
            %2 = pad[high=[1], low=[0], value=0.0](%1) : f32[4]
            return %2 })"},
  };
  ExpectAll(cases);
}

TEST(CanonicalizeViewsTest, Chains) {
  const GoldenCase cases[] = {
      {"the outer view is rewritten even when the inner one has another user; the inner stays",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3]
            %1 = permute[perm=[1,0]](%0) : f32[3,2]
            %2 = permute[perm=[1,0]](%1) : f32[2,3]
            %3 = exp(%1) : f32[3,2]
            return %2, %3 })",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3]
            %1 = permute[perm=[1,0]](%0) : f32[3,2]
            %2 = exp(%1) : f32[3,2]
            return %0, %2 })"},
      {"an identity view inside a chain vanishes and the views around it compose",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3]
            %1 = reshape(%0) : f32[6]
            %2 = flip[axes=[]](%1) : f32[6]
            %3 = reshape(%2) : f32[3,2]
            return %3 })",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3]
            %1 = reshape(%0) : f32[6]
            %2 = reshape(%0) : f32[3,2]
            return %2 })"},
      {"negative: views of different ops do not compose (a slice of a flip stays two views)",
       R"(graph @g {
            %0 = input[index=0] : f32[4]
            %1 = flip[axes=[0]](%0) : f32[4]
            %2 = slice[starts=[0], steps=[2]](%1) : f32[2]
            return %2 })",
       R"(graph @g {
            %0 = input[index=0] : f32[4]
            %1 = flip[axes=[0]](%0) : f32[4]
            %2 = slice[starts=[0], steps=[2]](%1) : f32[2]
            return %2 })"},
      {"negative: a view of a non-view is left alone",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3]
            %1 = exp(%0) : f32[2,3]
            %2 = permute[perm=[1,0]](%1) : f32[3,2]
            return %2 })",
       R"(graph @g {
            %0 = input[index=0] : f32[2,3]
            %1 = exp(%0) : f32[2,3]
            %2 = permute[perm=[1,0]](%1) : f32[3,2]
            return %2 })"},
  };
  ExpectAll(cases);
}

// ---- Randomized differential test -------------------------------------------------------------

// Builds random chains of 2-4 views over one f32 input and checks, with the interpreter, that
// the pass leaves every output bit-identical and that a second run changes nothing.
class RandomViews {
 public:
  explicit RandomViews(uint32_t seed) : rng_(seed) {}

  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(int percent) { return Uniform(1, 100) <= percent; }

  // Some shapes have equal dims, so that a wrongly composed perm or flip still type-checks
  // and only the values tell.
  ir::Shape RandomShape() {
    ir::Shape s(Uniform(1, 3));
    const int64_t all = Chance(30) ? Uniform(2, 4) : 0;
    for (int64_t& d : s) d = all > 0 ? all : Uniform(1, 4);
    return s;
  }

  // A view chosen at random applied to `x`; `last` is the previous view's op, repeated half the
  // time so that chains of the same op (the ones the pass composes) are common.
  ir::Node* AddView(ir::Graph& g, ir::Node* x, ir::Op last) {
    static constexpr ir::Op kViews[] = {ir::Op::kReshape, ir::Op::kPermute, ir::Op::kBroadcast,
                                        ir::Op::kSlice,   ir::Op::kFlip,    ir::Op::kPad};
    const ir::Op op = last != ir::Op::kInput && Chance(50) ? last : kViews[Uniform(0, 5)];
    const ir::Shape& s = x->shape();
    const int rank = static_cast<int>(s.size());
    ir::Attrs a;
    ir::TensorType type{x->dtype(), {}};
    if (op == ir::Op::kReshape) {
      type.shape = ReshapeTarget(ir::NumElements(s));
    } else if (op == ir::Op::kPermute) {
      for (int i = 0; i < rank; ++i) a.perm.push_back(i);
      std::shuffle(a.perm.begin(), a.perm.end(), rng_);
      for (int64_t p : a.perm) type.shape.push_back(s[p]);
    } else if (op == ir::Op::kBroadcast) {
      // New leading dims (rank 4 at most) and some size-1 dims expanded.
      for (int lead = Uniform(0, 2); lead > 0 && rank + lead <= 4; --lead) {
        type.shape.push_back(Uniform(1, 3));
      }
      for (int64_t d : s) type.shape.push_back(d == 1 && Chance(50) ? Uniform(1, 3) : d);
    } else if (op == ir::Op::kSlice) {
      for (int64_t d : s) {
        int64_t start = 0, step = 1, count = d;  // a quarter of the axes are read whole
        if (!Chance(25)) {
          static constexpr int64_t kSteps[] = {1, 2, 3, -1, -2, -3};
          step = kSteps[Uniform(0, 5)];
          start = Uniform(0, static_cast<int>(d) - 1);
          const int64_t most = step > 0 ? (d - 1 - start) / step + 1 : start / -step + 1;
          count = Uniform(1, static_cast<int>(most));
        }
        a.starts.push_back(start);
        a.steps.push_back(step);
        type.shape.push_back(count);
      }
    } else if (op == ir::Op::kFlip) {
      for (int i = 0; i < rank; ++i) {
        if (Chance(50)) a.axes.push_back(i);
      }
      type.shape = s;
    } else {  // pad
      const bool none = Chance(30);
      for (int64_t d : s) {
        a.low.push_back(none ? 0 : Uniform(0, 2));
        a.high.push_back(none ? 0 : Uniform(0, 2));
        type.shape.push_back(d + a.low.back() + a.high.back());
      }
      // Distinct from the input's values (1, 2, ...).
      a.value = ir::Scalar::Float(-1.0 - Uniform(0, 1000));
    }
    absl::StatusOr<ir::Node*> node = g.AddNode(op, {x}, a, type);
    EXPECT_TRUE(node.ok()) << node.status();
    return node.ok() ? *node : x;
  }

  // A shape of rank 1-3 (or 0 for one element) with `n` elements: n's prime factors dealt out
  // to the dims at random.
  ir::Shape ReshapeTarget(int64_t n) {
    const int rank = n == 1 && Chance(25) ? 0 : Uniform(1, 3);
    ir::Shape s(rank, 1);
    for (int64_t f = 2; n > 1;) {
      if (n % f != 0) {
        ++f;
        continue;
      }
      s[Uniform(0, rank - 1)] *= f;
      n /= f;
    }
    return s;
  }

  std::unique_ptr<ir::Graph> Build() {
    auto g = std::make_unique<ir::Graph>("random_views");
    ir::Node* x = g->AddInput(ir::TensorType{DType::kFloat32, RandomShape()});
    ir::Op last = ir::Op::kInput;
    const int length = Uniform(2, 4);
    for (int i = 0; i < length; ++i) {
      x = AddView(*g, x, last);
      last = x->op();
      // Some intermediates are outputs too: the pass must keep them for that user.
      if (i + 1 < length && Chance(15)) g->AddOutput(x);
    }
    g->AddOutput(x);
    return g;
  }

 private:
  std::mt19937 rng_;
};

std::vector<ir::HostTensor> Evaluate(const ir::Graph& g, const ir::HostTensor& input) {
  absl::StatusOr<std::vector<ir::HostTensor>> out = ir::Interpret(g, {input});
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *std::move(out) : std::vector<ir::HostTensor>{};
}

// Runs the pass alone with verify-each and the honest-change check; returns whether it changed.
bool RunPass(ir::Graph& g) {
  PipelineOptions options;
  options.verify_each = true;
  options.check_unchanged = true;
  Pipeline pipeline(options);
  pipeline.Add(std::make_unique<CanonicalizeViews>());
  absl::Status s = pipeline.Run(g);
  EXPECT_TRUE(s.ok()) << s;
  return s.ok() && pipeline.runs()[0].changed;
}

TEST(CanonicalizeViewsTest, RandomChainsAreBitIdenticalAndIdempotent) {
  RandomViews random(20240611);
  int changed = 0;
  constexpr int kGraphs = 400;
  for (int i = 0; i < kGraphs; ++i) {
    std::unique_ptr<ir::Graph> g = random.Build();
    const std::string before = ir::PrintGraph(*g);
    SCOPED_TRACE(before);
    const ir::Node& input = *g->inputs()[0];
    ir::HostTensor x(input.type());
    for (int64_t e = 0; e < x.num_elements(); ++e) ir::StoreDouble(x, e, 1.0 + e);
    const std::vector<ir::HostTensor> expected = Evaluate(*g, x);
    if (RunPass(*g)) ++changed;
    SCOPED_TRACE(ir::PrintGraph(*g));
    const std::vector<ir::HostTensor> actual = Evaluate(*g, x);
    ASSERT_EQ(actual.size(), expected.size());
    for (size_t o = 0; o < actual.size(); ++o) {
      ASSERT_EQ(actual[o].type(), expected[o].type()) << "output " << o;
      EXPECT_EQ(std::memcmp(actual[o].data(), expected[o].data(), actual[o].size_bytes()), 0)
          << "output " << o;
    }
    EXPECT_FALSE(RunPass(*g)) << "a second run changed the graph";
  }
  // The generator repeats ops often enough that most graphs have something to fold.
  EXPECT_GT(changed, kGraphs / 3);
}

}  // namespace
}  // namespace ndjit::passes
