// The op database: one entry per public op, in the spirit of PyTorch's OpInfo.
//
// An entry names the op, calls it on a list of operands (with the case's keyword arguments),
// lists the dtypes it accepts, and says which family it belongs to, which decides the generated
// error inputs. Generic tests (opdb_test.cc) run every entry over the NumPy golden cases in
// tests/data/opdb (every accepted dtype; contiguous, transposed, strided, negative-step and
// broadcast operands; 0-d, size-0 and size-1 shapes) and over its error inputs, so adding an op
// means adding its entry here and its NumPy function to tests/data/opdb/generate.py.
#ifndef NDJIT_TESTS_FRONTEND_OPDB_H_
#define NDJIT_TESTS_FRONTEND_OPDB_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ndjit/ndjit.h"

namespace ndjit::testing {

// Keyword arguments of a golden case ("axis=1,keepdims=0").
struct Kwargs {
  std::map<std::string, std::string> values;
  static Kwargs Parse(const std::string& text);
  Axes axes() const;  // "axis": all | int
  bool keepdims() const;
  std::optional<int64_t> axis() const;  // "axis": all (nullopt) | int
  int64_t Int(const std::string& key) const;
  std::string Str(const std::string& key) const;
  std::vector<int64_t> Ints(const std::string& key) const;  // "2:3:4"
};

// kOther: ops whose cases carry their own keyword arguments (shape, movement, scans, NN).
enum class OpFamily { kUnary, kBinary, kReduction, kOther };

struct OpInfo {
  std::string name;
  OpFamily family;
  std::function<NDArray(const std::vector<NDArray>&, const Kwargs&)> fn;
  std::vector<DType> dtypes;  // accepted; every other dtype must raise DTypeError
  std::string api_name = "";  // the name errors use, when it differs (abs -> "absolute")
  int num_inputs = 1;
  const std::string& error_name() const { return api_name.empty() ? name : api_name; }
};

const std::vector<OpInfo>& OpDatabase();
const OpInfo* FindOp(const std::string& name);

// Relative tolerance for comparing with NumPy in a dtype (float32 ~1.3e-6; integers and bool
// exact), looser for reductions whose summation order differs from NumPy's.
double Tolerance(DType dtype, OpFamily family);

}  // namespace ndjit::testing

#endif  // NDJIT_TESTS_FRONTEND_OPDB_H_
