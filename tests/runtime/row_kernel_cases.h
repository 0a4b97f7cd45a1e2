// Directed row-kernel cases shared by the CPU JIT's tests (tests/runtime/row_kernels_test.cc) and
// the CUDA backend's CPU emulation (tests/cuda/): rows whose reduction and loop share one, two or
// three expensive values (`x - mean(x, -1)` and `x / max(x, -1)` with `x = exp(a) + exp(b)` and
// the like), the forms next to them that were right (softmax, the reduction alone, x stored), in
// every float dtype and at row lengths below, at and above the CPU's vector width and the CUDA
// team widths. Each case is an IR graph compared with the interpreter by Differ().
#ifndef NDJIT_TESTS_RUNTIME_ROW_KERNEL_CASES_H_
#define NDJIT_TESTS_RUNTIME_ROW_KERNEL_CASES_H_

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ir/parser.h"
#include "tests/runtime/differential_corpus.h"

namespace ndjit::runtime::testing {

// How `x` is built from `count` expensive values (the rows of the issue's table).
enum class RowFamily {
  kExpAdd,      // exp(a) + exp(b) + exp(c)
  kExpMul,      // exp(a) * exp(b) * exp(c)
  kSqrtAbsAdd,  // sqrt(abs(a)) + sqrt(abs(b)) + sqrt(abs(c))
  kTanhExp,     // tanh(a) + tanh(a / 2) + exp(b)
};

// What is computed from `x`.
enum class RowForm {
  kSubMean,  // x - mean(x, -1): a reduction, then elementwise
  kDivMax,   // x / max(x, -1): a reduction, then a division
  kSoftmax,  // exp(x - max(x)) / sum(exp(x - max(x)))
  kSumOnly,  // sum(x, -1) alone
  kStoredX,  // x - mean(x, -1) with x also an output
};

inline const char* RowFamilyName(RowFamily f) {
  switch (f) {
    case RowFamily::kExpAdd:
      return "exp_add";
    case RowFamily::kExpMul:
      return "exp_mul";
    case RowFamily::kSqrtAbsAdd:
      return "sqrt_abs_add";
    case RowFamily::kTanhExp:
      return "tanh_exp";
  }
  return "?";
}

inline const char* RowFormName(RowForm f) {
  switch (f) {
    case RowForm::kSubMean:
      return "sub_mean";
    case RowForm::kDivMax:
      return "div_max";
    case RowForm::kSoftmax:
      return "softmax";
    case RowForm::kSumOnly:
      return "sum_only";
    case RowForm::kStoredX:
      return "stored_x";
  }
  return "?";
}

// Writes IR text one value at a time.
class RowGraphText {
 public:
  RowGraphText(std::string dtype, int64_t rows, int64_t cols)
      : dt_(std::move(dtype)),
        full_(absl::StrCat(dt_, "[", rows, ",", cols, "]")),
        row_(absl::StrCat(dt_, "[", rows, "]")),
        keep_(absl::StrCat(dt_, "[", rows, ",1]")) {}

  std::string Input(int index) { return Value(absl::StrCat("input[index=", index, "]"), full_); }
  std::string Unary(const char* op, const std::string& a) {
    return Value(absl::StrCat(op, "(", a, ")"), full_);
  }
  std::string Binary(const char* op, const std::string& a, const std::string& b) {
    return Value(absl::StrCat(op, "(", a, ", ", b, ")"), full_);
  }
  // A constant broadcast to the full shape.
  std::string Full(double value) {
    std::string v = Fmt(value);
    if (v.find_first_of(".e") == std::string::npos) v += ".0";
    const std::string c = Value(absl::StrCat("constant[value=", v, "]"), dt_ + "[]");
    return Value(absl::StrCat("broadcast(", c, ")"), full_);
  }
  // reduce_<op> over the last axis, broadcast back along it.
  std::string RowReduceBack(const char* op, const std::string& x) {
    return Back(Value(absl::StrCat("reduce_", op, "[axes=[1]](", x, ")"), row_));
  }
  std::string Back(const std::string& row) {
    const std::string k = Value(absl::StrCat("reshape(", row, ")"), keep_);
    return Value(absl::StrCat("broadcast(", k, ")"), full_);
  }
  std::string RowSum(const std::string& x) {
    return Value(absl::StrCat("reduce_sum[axes=[1]](", x, ")"), row_);
  }
  std::string Text(const std::string& name, const std::vector<std::string>& outputs) const {
    std::string out = absl::StrCat("graph @", name, " {\n", body_, "  return ");
    for (size_t i = 0; i < outputs.size(); ++i) absl::StrAppend(&out, i ? ", " : "", outputs[i]);
    return out + "\n}\n";
  }

 private:
  std::string Value(const std::string& rhs, const std::string& type) {
    const std::string v = absl::StrCat("%", next_++);
    absl::StrAppend(&body_, "  ", v, " = ", rhs, " : ", type, "\n");
    return v;
  }

  std::string dt_, full_, row_, keep_;
  std::string body_;
  int next_ = 0;
};

// x for `family` with `count` (1 to 3) expensive values over inputs 0, 1 and 2.
inline std::string RowX(RowGraphText& t, RowFamily family, int count) {
  std::vector<std::string> in;
  for (int i = 0; i < 3; ++i) in.push_back(t.Input(i));
  std::vector<std::string> terms;
  const char* combine = family == RowFamily::kExpMul ? "mul" : "add";
  for (int i = 0; i < count; ++i) {
    switch (family) {
      case RowFamily::kExpAdd:
      case RowFamily::kExpMul:
        terms.push_back(t.Unary("exp", in[i]));
        break;
      case RowFamily::kSqrtAbsAdd:
        terms.push_back(t.Unary("sqrt", t.Unary("abs", in[i])));
        break;
      case RowFamily::kTanhExp:
        if (i == 0) terms.push_back(t.Unary("tanh", in[0]));
        if (i == 1) terms.push_back(t.Unary("tanh", t.Binary("div", in[0], t.Full(2.0))));
        if (i == 2) terms.push_back(t.Unary("exp", in[1]));
        break;
    }
  }
  std::string x = terms[0];
  for (size_t i = 1; i < terms.size(); ++i) x = t.Binary(combine, x, terms[i]);
  return x;
}

// One case: `rows` x `cols` in `dtype` ("f64", "f32", "f16", "bf16").
inline absl::StatusOr<Case> RowCase(RowFamily family, int count, RowForm form,
                                    const std::string& dtype, int64_t rows, int64_t cols,
                                    uint64_t seed) {
  RowGraphText t(dtype, rows, cols);
  const std::string x = RowX(t, family, count);
  std::vector<std::string> outputs;
  switch (form) {
    case RowForm::kSubMean:
    case RowForm::kStoredX: {
      const std::string mean = t.Binary("mul", t.RowReduceBack("sum", x), t.Full(1.0 / cols));
      outputs.push_back(t.Binary("sub", x, mean));
      if (form == RowForm::kStoredX) outputs.push_back(x);
      break;
    }
    case RowForm::kDivMax:
      outputs.push_back(t.Binary("div", x, t.RowReduceBack("max", x)));
      break;
    case RowForm::kSoftmax: {
      const std::string e = t.Unary("exp", t.Binary("sub", x, t.RowReduceBack("max", x)));
      outputs.push_back(t.Binary("div", e, t.RowReduceBack("sum", e)));
      break;
    }
    case RowForm::kSumOnly:
      outputs.push_back(t.RowSum(x));
      break;
  }
  const std::string name = absl::StrCat(RowFamilyName(family), count, "_", RowFormName(form), "_",
                                        dtype, "_", rows, "x", cols);
  absl::StatusOr<std::unique_ptr<Graph>> g = ir::ParseGraph(t.Text(name, outputs), name);
  if (!g.ok()) return g.status();
  Case c;
  c.graph = std::move(*g);
  for (const Node* in : c.graph->inputs()) c.specs.push_back(InputSpec{in->type()});
  c.seed = seed;
  c.name = name;
  return c;
}

// Row lengths below, at and above the vector widths (4, 8 and 16 lanes) and the CUDA team
// widths (32 to 256 lanes).
inline const std::vector<int64_t>& RowLengths() {
  static const std::vector<int64_t> kLengths = {1,  3,  4,  7,  8,  9,   15,  16,  17, 31,
                                                32, 33, 63, 64, 65, 255, 256, 257, 300};
  return kLengths;
}

inline const std::vector<std::string>& RowDTypes() {
  static const std::vector<std::string> kDTypes = {"f64", "f32", "f16", "bf16"};
  return kDTypes;
}

}  // namespace ndjit::runtime::testing

#endif  // NDJIT_TESTS_RUNTIME_ROW_KERNEL_CASES_H_
