// The canonical text form of a graph.
//
//   graph @main {
//     %0 = input[index=0] : f32[2,3] loc("demo.cc":10:3)
//     %1 = constant[value=2.0] : f32[2,3]
//     %2 = mul(%0, %1) : f32[2,3] loc("demo.cc":11:12)
//     %3 = reduce_sum[axes=[1]](%2) : f32[2]
//     return %3
//   }
//
// Values are numbered in the graph's node order (a topological order); attributes appear in
// alphabetical order; floats print in their shortest exact form. ParseGraph reads it back and
// print(parse(print(g))) == print(g).
#ifndef NDJIT_IR_PRINTER_H_
#define NDJIT_IR_PRINTER_H_

#include <string>

#include "ir/graph.h"

namespace ndjit::ir {

struct PrintOptions {
  // Print `loc(...)` call sites (part of the canonical form; off for location-free goldens).
  bool locations = true;
};

std::string PrintGraph(const Graph& graph, const PrintOptions& options = {});
// One node's line without the leading indentation, e.g. "%2 = mul(%0, %1) : f32[2,3]".
std::string PrintNode(const Node& node, const PrintOptions& options = {});
// "[axes=[1], keepdims...]"-style attribute list of a node, "" when it has none.
std::string PrintAttrs(Op op, const Attrs& attrs);

}  // namespace ndjit::ir

#endif  // NDJIT_IR_PRINTER_H_
