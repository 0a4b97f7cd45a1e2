// RETURN_IF_ERROR / ASSIGN_OR_RETURN / RET_CHECK, named as in upstream Abseil-using codebases.
//
// Debian 12's Abseil (20220623) ships no status macros, so the project keeps these few here.
#ifndef NDJIT_IR_STATUS_MACROS_H_
#define NDJIT_IR_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace ndjit {
// Debian's Abseil defines absl::string_view as its own class, not std::string_view; these convert
// at the few places where the two meet (StrCat and friends accept only the Abseil one).
inline absl::string_view AbslView(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view StdView(absl::string_view s) { return {s.data(), s.size()}; }
}  // namespace ndjit

#define NDJIT_STATUS_CONCAT_INNER_(a, b) a##b
#define NDJIT_STATUS_CONCAT_(a, b) NDJIT_STATUS_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                      \
  do {                                             \
    ::absl::Status ndjit_status_ = (expr);         \
    if (!ndjit_status_.ok()) return ndjit_status_; \
  } while (false)

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(NDJIT_STATUS_CONCAT_(ndjit_statusor_, __LINE__), lhs, expr)

#define ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                           \
  if (!statusor.ok()) return statusor.status();     \
  lhs = std::move(statusor).value()

// Checks an invariant of the IR; failure is an internal error naming the condition.
#define RET_CHECK(cond, ...)                                                                      \
  do {                                                                                            \
    if (!(cond)) {                                                                                \
      return ::absl::InternalError(::absl::StrCat("RET_CHECK failed: " #cond " (", __FILE__, ":", \
                                                  __LINE__, ") ", ##__VA_ARGS__));                \
    }                                                                                             \
  } while (false)

#endif  // NDJIT_IR_STATUS_MACROS_H_
