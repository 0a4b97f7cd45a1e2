// The exceptions thrown by ndjit's public API.
//
// Inside the library errors travel as absl::Status; they become these exceptions at one seam in
// the frontend. Errors in how an op is written (shapes, dtypes, axes, values known at the call)
// throw where the op is written; errors found while computing throw at the next blocking accessor.
// Every message names the op, the operands' dtypes and shapes, and the user's file:line.
#ifndef NDJIT_ERROR_H_
#define NDJIT_ERROR_H_

#include <stdexcept>
#include <string>

namespace ndjit {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Operand shapes that do not fit the op: broadcasting, reshape sizes, axes out of range.
class ShapeError : public Error {
 public:
  using Error::Error;
};

// A dtype the op does not accept, or an argument value it cannot take.
class ValueError : public Error {
 public:
  using Error::Error;
};

// A dtype the op does not accept (a kind of ValueError, as NumPy raises TypeError/ValueError).
class DTypeError : public ValueError {
 public:
  using ValueError::ValueError;
};

// A valid request that this build or backend cannot perform.
class NotSupportedError : public Error {
 public:
  using Error::Error;
};

// A bug in ndjit: an invariant did not hold. Please report it with the message.
class InternalError : public Error {
 public:
  using Error::Error;
};

}  // namespace ndjit

#endif  // NDJIT_ERROR_H_
