// Parser of the canonical graph text (see printer.h for the format).
//
// Accepts exactly what the printer writes, plus free spacing, `//` comments and value names that
// are not in canonical order (they are renumbered). Errors read "file:line:col: error: message".
#ifndef NDJIT_IR_PARSER_H_
#define NDJIT_IR_PARSER_H_

#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"

namespace ndjit::ir {

// Parses one graph; `filename` is used in error messages.
absl::StatusOr<std::unique_ptr<Graph>> ParseGraph(std::string_view text,
                                                  std::string_view filename = "<input>");
// Parses a file holding one or more graphs.
absl::StatusOr<std::vector<std::unique_ptr<Graph>>> ParseGraphs(
    std::string_view text, std::string_view filename = "<input>");

}  // namespace ndjit::ir

#endif  // NDJIT_IR_PARSER_H_
