// Canonical graph printer.
#include "ir/printer.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ir/dtype.h"

namespace ndjit::ir {
namespace {

std::string IntList(const std::vector<int64_t>& v) {
  return absl::StrCat("[", absl::StrJoin(v, ","), "]");
}

std::string AttrValue(AttrField field, const Attrs& a) {
  switch (field) {
    case kAttrAxes:
      return IntList(a.axes);
    case kAttrAxis:
      return absl::StrCat(a.axis);
    case kAttrDist:
      return std::string(RandomDistName(a.dist));
    case kAttrHigh:
      return IntList(a.high);
    case kAttrIndex:
      return absl::StrCat(a.index);
    case kAttrLow:
      return IntList(a.low);
    case kAttrPerm:
      return IntList(a.perm);
    case kAttrSeed:
      return absl::StrCat(a.seed);
    case kAttrStarts:
      return IntList(a.starts);
    case kAttrSteps:
      return IntList(a.steps);
    case kAttrValue:
      return ScalarToString(a.value);
  }
  return "?";
}

// Quotes a file name, escaping '"', '\' and newlines.
std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string PrintAttrs(Op op, const Attrs& attrs) {
  const uint32_t fields = OpAttrFields(op);
  if (fields == 0) return "";
  std::vector<std::string> parts;
  for (int i = 0; i < kNumAttrFields; ++i) {
    const auto field = static_cast<AttrField>(1u << i);
    if (fields & field)
      parts.push_back(absl::StrCat(AttrFieldName(field), "=", AttrValue(field, attrs)));
  }
  return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
}

std::string PrintNode(const Node& node, const PrintOptions& options) {
  std::string line =
      absl::StrCat("%", node.id(), " = ", OpName(node.op()), PrintAttrs(node.op(), node.attrs()));
  if (!node.operands().empty()) {
    absl::StrAppend(
        &line, "(",
        absl::StrJoin(node.operands(), ", ",
                      [](std::string* out, const Node* n) { absl::StrAppend(out, "%", n->id()); }),
        ")");
  }
  absl::StrAppend(&line, " : ", TypeToString(node.type()));
  if (options.locations && node.loc().known()) {
    absl::StrAppend(&line, " loc(", Quote(node.loc().file), ":", node.loc().line, ":",
                    node.loc().column, ")");
  }
  return line;
}

std::string PrintGraph(const Graph& graph, const PrintOptions& options) {
  std::string out = absl::StrCat("graph @", graph.name(), " {\n");
  for (const auto& node : graph.nodes()) {
    absl::StrAppend(&out, "  ", PrintNode(*node, options), "\n");
  }
  absl::StrAppend(
      &out, "  return", graph.outputs().empty() ? "" : " ",
      absl::StrJoin(graph.outputs(), ", ",
                    [](std::string* o, const Node* n) { absl::StrAppend(o, "%", n->id()); }),
      "\n}\n");
  return out;
}

}  // namespace ndjit::ir
