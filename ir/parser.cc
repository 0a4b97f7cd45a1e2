// Recursive-descent parser of the graph text.
#include "ir/parser.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "ir/dtype.h"
#include "ir/status_macros.h"

namespace ndjit::ir {
namespace {

class Parser {
 public:
  Parser(absl::string_view text, absl::string_view filename) : text_(text), filename_(filename) {}

  absl::StatusOr<std::vector<std::unique_ptr<Graph>>> ParseAll() {
    std::vector<std::unique_ptr<Graph>> graphs;
    SkipSpace();
    while (pos_ < text_.size()) {
      ASSIGN_OR_RETURN(auto g, ParseOneGraph());
      graphs.push_back(std::move(g));
      SkipSpace();
    }
    if (graphs.empty()) return Error("expected 'graph'");
    return graphs;
  }

  absl::StatusOr<std::unique_ptr<Graph>> ParseSingle() {
    SkipSpace();
    ASSIGN_OR_RETURN(auto g, ParseOneGraph());
    SkipSpace();
    if (pos_ < text_.size()) return Error("unexpected text after the graph");
    return g;
  }

 private:
  absl::Status Error(absl::string_view message) const { return ErrorAt(pos_, message); }
  absl::Status ErrorAt(size_t at, absl::string_view message) const {
    int line = 1, col = 1;
    for (size_t i = 0; i < at && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return absl::InvalidArgumentError(
        absl::StrCat(filename_, ":", line, ":", col, ": error: ", message));
  }

  void SkipSpace() {
    while (pos_ < text_.size()) {
      if (std::isspace(static_cast<unsigned char>(text_[pos_]))) {
        ++pos_;
      } else if (text_.substr(pos_, 2) == "//") {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  bool Peek(char c) {
    SkipSpace();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  bool Accept(char c) {
    if (!Peek(c)) return false;
    ++pos_;
    return true;
  }
  absl::Status Expect(char c) {
    if (Accept(c)) return absl::OkStatus();
    return Error(absl::StrCat("expected '", std::string(1, c), "'"));
  }

  absl::StatusOr<absl::string_view> Ident() {
    SkipSpace();
    const size_t start = pos_;
    while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
                                   text_[pos_] == '_' || text_[pos_] == '.')) {
      ++pos_;
    }
    if (pos_ == start) return Error("expected an identifier");
    return text_.substr(start, pos_ - start);
  }

  absl::Status ExpectKeyword(absl::string_view kw) {
    const size_t at = (SkipSpace(), pos_);
    absl::StatusOr<absl::string_view> id = Ident();
    if (!id.ok() || *id != kw) return ErrorAt(at, absl::StrCat("expected '", kw, "'"));
    return absl::OkStatus();
  }

  // A number token: an integer or a float (with '.', exponent, inf or nan).
  absl::StatusOr<Scalar> Number() {
    SkipSpace();
    const size_t start = pos_;
    if (pos_ < text_.size() && (text_[pos_] == '-' || text_[pos_] == '+')) ++pos_;
    if (text_.substr(pos_, 3) == "inf" || text_.substr(pos_, 3) == "nan") {
      const bool nan = text_[pos_] == 'n';
      pos_ += 3;
      const bool neg = text_[start] == '-';
      if (nan) return Scalar::Float(std::numeric_limits<double>::quiet_NaN());
      return Scalar::Float(neg ? -INFINITY : INFINITY);
    }
    bool is_float = false;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (std::isdigit(static_cast<unsigned char>(c))) {
        ++pos_;
      } else if (c == '.' || c == 'e' || c == 'E') {
        is_float = true;
        ++pos_;
      } else if ((c == '-' || c == '+') && (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E')) {
        ++pos_;
      } else {
        break;
      }
    }
    absl::string_view tok = text_.substr(start, pos_ - start);
    if (!tok.empty() && tok[0] == '+') tok.remove_prefix(1);
    if (tok.empty() || tok == "-") return ErrorAt(start, "expected a number");
    if (is_float) {
      double v = 0;
      auto [p, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), v);
      if (ec != std::errc() || p != tok.data() + tok.size()) {
        return ErrorAt(start, absl::StrCat("malformed number '", tok, "'"));
      }
      return Scalar::Float(v);
    }
    int64_t v = 0;
    auto [p, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), v);
    if (ec == std::errc::result_out_of_range) {
      return ErrorAt(start, absl::StrCat("integer '", tok, "' out of range"));
    }
    if (ec != std::errc() || p != tok.data() + tok.size()) {
      return ErrorAt(start, absl::StrCat("malformed number '", tok, "'"));
    }
    return Scalar::Int(v);
  }

  absl::StatusOr<int64_t> Int() {
    const size_t at = (SkipSpace(), pos_);
    ASSIGN_OR_RETURN(Scalar s, Number());
    if (s.is_float()) return ErrorAt(at, "expected an integer");
    return s.i;
  }

  absl::StatusOr<uint64_t> UInt64() {
    SkipSpace();
    const size_t start = pos_;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(text_.data() + start, text_.data() + pos_, v);
    if (start == pos_ || ec != std::errc()) {
      return ErrorAt(start, "expected an unsigned 64-bit integer");
    }
    return v;
  }

  absl::StatusOr<std::vector<int64_t>> IntList() {
    RETURN_IF_ERROR(Expect('['));
    std::vector<int64_t> v;
    if (Accept(']')) return v;
    do {
      ASSIGN_OR_RETURN(int64_t x, Int());
      v.push_back(x);
    } while (Accept(','));
    RETURN_IF_ERROR(Expect(']'));
    return v;
  }

  absl::Status Attr(Op op, Attrs& attrs, uint32_t& seen) {
    const size_t at = (SkipSpace(), pos_);
    ASSIGN_OR_RETURN(absl::string_view name, Ident());
    int field_bit = -1;
    for (int i = 0; i < kNumAttrFields; ++i) {
      if (AttrFieldName(static_cast<AttrField>(1u << i)) == name) field_bit = i;
    }
    const auto field = static_cast<AttrField>(1u << (field_bit < 0 ? 0 : field_bit));
    if (field_bit < 0 || !(OpAttrFields(op) & field)) {
      return ErrorAt(at, absl::StrCat("op '", OpName(op), "' has no attribute '", name, "'"));
    }
    if (seen & field) return ErrorAt(at, absl::StrCat("attribute '", name, "' given twice"));
    seen |= field;
    RETURN_IF_ERROR(Expect('='));
    switch (field) {
      case kAttrAxes: {
        ASSIGN_OR_RETURN(attrs.axes, IntList());
        break;
      }
      case kAttrAxis: {
        ASSIGN_OR_RETURN(attrs.axis, Int());
        break;
      }
      case kAttrHigh: {
        ASSIGN_OR_RETURN(attrs.high, IntList());
        break;
      }
      case kAttrIndex: {
        ASSIGN_OR_RETURN(attrs.index, Int());
        break;
      }
      case kAttrLow: {
        ASSIGN_OR_RETURN(attrs.low, IntList());
        break;
      }
      case kAttrPerm: {
        ASSIGN_OR_RETURN(attrs.perm, IntList());
        break;
      }
      case kAttrSeed: {
        ASSIGN_OR_RETURN(attrs.seed, UInt64());
        break;
      }
      case kAttrStarts: {
        ASSIGN_OR_RETURN(attrs.starts, IntList());
        break;
      }
      case kAttrSteps: {
        ASSIGN_OR_RETURN(attrs.steps, IntList());
        break;
      }
      case kAttrValue: {
        ASSIGN_OR_RETURN(attrs.value, Number());
        break;
      }
      case kAttrDist: {
        const size_t vat = (SkipSpace(), pos_);
        ASSIGN_OR_RETURN(absl::string_view d, Ident());
        if (d == "uniform") {
          attrs.dist = RandomDist::kUniform;
        } else if (d == "normal") {
          attrs.dist = RandomDist::kNormal;
        } else {
          return ErrorAt(vat, absl::StrCat("unknown distribution '", d, "'"));
        }
        break;
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<TensorType> Type() {
    const size_t at = (SkipSpace(), pos_);
    ASSIGN_OR_RETURN(absl::string_view name, Ident());
    std::optional<DType> dtype = ParseDType(StdView(name));
    if (!dtype) return ErrorAt(at, absl::StrCat("unknown dtype '", name, "'"));
    ASSIGN_OR_RETURN(Shape shape, IntList());
    return TensorType{*dtype, std::move(shape)};
  }

  absl::StatusOr<std::string> QuotedString() {
    SkipSpace();
    if (pos_ >= text_.size() || text_[pos_] != '"') return Error("expected a quoted string");
    ++pos_;
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      if (text_[pos_] == '\n') return Error("unterminated string");
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) {
        ++pos_;
        out += text_[pos_] == 'n' ? '\n' : text_[pos_];  // \n, \" and \\ escapes
        ++pos_;
        continue;
      }
      out += text_[pos_++];
    }
    if (pos_ >= text_.size()) return Error("unterminated string");
    ++pos_;
    return out;
  }

  absl::StatusOr<SourceLoc> Loc() {
    RETURN_IF_ERROR(Expect('('));
    ASSIGN_OR_RETURN(std::string file, QuotedString());
    RETURN_IF_ERROR(Expect(':'));
    ASSIGN_OR_RETURN(int64_t line, Int());
    RETURN_IF_ERROR(Expect(':'));
    ASSIGN_OR_RETURN(int64_t col, Int());
    RETURN_IF_ERROR(Expect(')'));
    if (line <= 0 || line > UINT32_MAX || col < 0 || col > UINT32_MAX) {
      return Error("location line/column out of range");
    }
    return SourceLoc{InternFileName(file), static_cast<uint32_t>(line), static_cast<uint32_t>(col)};
  }

  absl::StatusOr<Node*> ValueRef() {
    const size_t at = (SkipSpace(), pos_);
    RETURN_IF_ERROR(Expect('%'));
    ASSIGN_OR_RETURN(int64_t id, Int());
    auto it = values_.find(id);
    if (it == values_.end()) return ErrorAt(at, absl::StrCat("use of undefined value %", id));
    return it->second;
  }

  absl::Status Statement(Graph& g) {
    const size_t at = (SkipSpace(), pos_);
    RETURN_IF_ERROR(Expect('%'));
    ASSIGN_OR_RETURN(int64_t id, Int());
    if (values_.contains(id)) return ErrorAt(at, absl::StrCat("value %", id, " defined twice"));
    RETURN_IF_ERROR(Expect('='));
    const size_t op_at = (SkipSpace(), pos_);
    ASSIGN_OR_RETURN(absl::string_view op_name, Ident());
    std::optional<Op> op = ParseOpName(StdView(op_name));
    if (!op) return ErrorAt(op_at, absl::StrCat("unknown op '", op_name, "'"));
    Attrs attrs;
    uint32_t seen = 0;
    if (Accept('[')) {
      if (!Peek(']')) {
        do {
          RETURN_IF_ERROR(Attr(*op, attrs, seen));
        } while (Accept(','));
      }
      RETURN_IF_ERROR(Expect(']'));
    }
    if (seen != OpAttrFields(*op)) {
      return ErrorAt(op_at, absl::StrCat("op '", op_name, "' is missing attributes: expected ",
                                         PrintExpectedAttrs(*op)));
    }
    std::vector<Node*> operands;
    if (Accept('(')) {
      if (!Peek(')')) {
        do {
          ASSIGN_OR_RETURN(Node * v, ValueRef());
          operands.push_back(v);
        } while (Accept(','));
      }
      RETURN_IF_ERROR(Expect(')'));
    }
    RETURN_IF_ERROR(Expect(':'));
    ASSIGN_OR_RETURN(TensorType type, Type());
    SourceLoc loc;
    SkipSpace();
    if (text_.substr(pos_, 3) == "loc") {
      pos_ += 3;
      ASSIGN_OR_RETURN(loc, Loc());
    }
    // Float constants written as integers (value=2 for f32) are read as the float they denote.
    if ((OpAttrFields(*op) & kAttrValue) && IsFloat(type.dtype) && !attrs.value.is_float()) {
      attrs.value = Scalar::Float(static_cast<double>(attrs.value.i));
    }
    absl::StatusOr<Node*> node = g.AddNode(*op, std::move(operands), std::move(attrs), type, loc);
    if (!node.ok()) return ErrorAt(op_at, node.status().message());
    values_[id] = *node;
    return absl::OkStatus();
  }

  static std::string PrintExpectedAttrs(Op op) {
    std::string out;
    for (int i = 0; i < kNumAttrFields; ++i) {
      if (OpAttrFields(op) & (1u << i)) {
        absl::StrAppend(&out, out.empty() ? "" : ", ",
                        AttrFieldName(static_cast<AttrField>(1u << i)));
      }
    }
    return out;
  }

  absl::StatusOr<std::unique_ptr<Graph>> ParseOneGraph() {
    values_.clear();
    RETURN_IF_ERROR(ExpectKeyword("graph"));
    RETURN_IF_ERROR(Expect('@'));
    ASSIGN_OR_RETURN(absl::string_view name, Ident());
    auto g = std::make_unique<Graph>(std::string(name));
    RETURN_IF_ERROR(Expect('{'));
    while (Peek('%')) RETURN_IF_ERROR(Statement(*g));
    RETURN_IF_ERROR(ExpectKeyword("return"));
    if (Peek('%')) {
      do {
        ASSIGN_OR_RETURN(Node * v, ValueRef());
        g->AddOutput(v);
      } while (Accept(','));
    }
    RETURN_IF_ERROR(Expect('}'));
    return g;
  }

  absl::string_view text_;
  absl::string_view filename_;
  size_t pos_ = 0;
  absl::flat_hash_map<int64_t, Node*> values_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Graph>> ParseGraph(std::string_view text,
                                                  std::string_view filename) {
  return Parser(AbslView(text), AbslView(filename)).ParseSingle();
}

absl::StatusOr<std::vector<std::unique_ptr<Graph>>> ParseGraphs(std::string_view text,
                                                                std::string_view filename) {
  return Parser(AbslView(text), AbslView(filename)).ParseAll();
}

}  // namespace ndjit::ir
