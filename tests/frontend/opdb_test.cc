// Generic tests over the op database: NumPy golden cases, rejected dtypes, generated bad inputs.
#include "tests/frontend/opdb.h"

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace ndjit::testing {
namespace {

namespace nd = ndjit::nd;

const std::string kDir = std::string(NDJIT_TEST_DATA_DIR) + "/opdb/";

struct GoldenCase {
  std::string name, op, layout;
  int num_inputs = 0;
  std::string kwargs;
};

std::vector<GoldenCase> ReadCases() {
  std::ifstream in(kDir + "cases.txt");
  EXPECT_TRUE(in.good()) << "missing " << kDir << "cases.txt";
  std::vector<GoldenCase> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    GoldenCase c;
    fields >> c.name >> c.op >> c.layout >> c.num_inputs >> c.kwargs;
    cases.push_back(c);
  }
  return cases;
}

// The operand the generator built from the stored base array (see generate.py).
NDArray ApplyLayout(const NDArray& base, const std::string& layout) {
  if (layout == "c") return base;
  if (layout == "t") return base.transpose();
  if (layout == "r") return base.slice({Slice(None, None, -1)});
  if (layout == "s") {
    std::vector<Slice> s(base.ndim());
    s.back() = Slice(None, None, 2);
    return base.slice(s);
  }
  if (layout == "b") {
    std::vector<int64_t> shape = base.shape();
    shape[0] = 3;
    return base.broadcast_to(shape);
  }
  ADD_FAILURE() << "unknown layout " << layout;
  return base;
}

TEST(OpDatabaseTest, EveryGoldenCaseMatchesNumPy) {
  const std::vector<GoldenCase> cases = ReadCases();
  ASSERT_GT(cases.size(), 1000u);
  int checked = 0;
  for (const GoldenCase& c : cases) {
    SCOPED_TRACE(c.name);
    const OpInfo* op = FindOp(c.op);
    ASSERT_NE(op, nullptr) << "no database entry for " << c.op;
    std::vector<NDArray> operands;
    double input_scale = 0;
    for (int k = 0; k < c.num_inputs; ++k) {
      const HostArray host =
          HostArray::load_npy(kDir + c.name + ".in" + std::to_string(k) + ".npy");
      for (double v : Values(host)) {
        if (std::isfinite(v)) input_scale = std::max(input_scale, std::fabs(v));
      }
      operands.push_back(ApplyLayout(nd::array(host), c.layout));
    }
    const HostArray expected = HostArray::load_npy(kDir + c.name + ".out.npy");
    NDArray result = op->fn(operands, Kwargs::Parse(c.kwargs));
    if (checked % 25 == 0) ExpectPendingRoundTrip({result});  // a sample: round trips are cheap
    const HostArray actual = result.asnumpy();
    ASSERT_EQ(actual.shape(), expected.shape());
    // NumPy 1.24 and ndjit's NumPy 2 rules differ in a few result dtypes (int8 + uint8, floor
    // of integers); values are compared in the less precise of the two dtypes.
    const DType tol_dtype = IsFloat(actual.dtype()) && IsFloat(expected.dtype()) &&
                                    DTypeSize(expected.dtype()) < DTypeSize(actual.dtype())
                                ? expected.dtype()
                                : actual.dtype();
    const double rtol = Tolerance(tol_dtype, op->family);
    // Accumulating ops (reductions, scans, matmul) round partial results whose magnitude, not
    // the result's, sets the error: their absolute tolerance scales with the largest input or
    // output value (a variance of equal values is 0 here and a rounding residue in NumPy).
    const std::vector<double> want = Values(expected);
    double scale = 1e-3;
    if (op->family == OpFamily::kReduction || op->family == OpFamily::kOther) {
      scale = std::max(scale, input_scale);
      for (double v : want) {
        if (std::isfinite(v)) scale = std::max(scale, std::fabs(v));
      }
    }
    EXPECT_TRUE(AllClose(Values(actual), want, rtol, rtol * scale));
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(cases.size()));
}

// NumPy has no bfloat16, so the reference for it is ndjit itself in float32 on the same
// (bfloat16-rounded) operands, rounded to bfloat16: the float32 path is checked against NumPy
// above. Run over every float32 golden case of every op that accepts bfloat16.
TEST(OpDatabaseTest, BFloat16AgreesWithTheFloat32Reference) {
  int checked = 0;
  for (const GoldenCase& c : ReadCases()) {
    if (c.name.find(".float32.") == std::string::npos) continue;
    const OpInfo* op = FindOp(c.op);
    ASSERT_NE(op, nullptr);
    if (std::find(op->dtypes.begin(), op->dtypes.end(), DType::kBFloat16) == op->dtypes.end()) {
      continue;
    }
    SCOPED_TRACE(c.name);
    std::vector<NDArray> low, ref;
    double scale = 1e-3;
    for (int k = 0; k < c.num_inputs; ++k) {
      const HostArray host =
          HostArray::load_npy(kDir + c.name + ".in" + std::to_string(k) + ".npy");
      NDArray rounded = nd::array(host).astype(DType::kBFloat16);
      for (double v : Values(rounded.asnumpy())) {
        if (std::isfinite(v)) scale = std::max(scale, std::fabs(v));
      }
      low.push_back(ApplyLayout(rounded, c.layout));
      ref.push_back(ApplyLayout(rounded.astype(DType::kFloat32), c.layout));
    }
    const Kwargs kw = Kwargs::Parse(c.kwargs);
    NDArray actual = op->fn(low, kw);
    NDArray reference = op->fn(ref, kw);
    if (IsFloat(reference.dtype())) reference = reference.astype(actual.dtype());
    const HostArray a = actual.asnumpy(), r = reference.asnumpy();
    ASSERT_EQ(a.shape(), r.shape());
    const double rtol = Tolerance(DType::kBFloat16, op->family);
    if (op->family == OpFamily::kReduction || op->family == OpFamily::kOther) {
      for (double v : Values(r)) {
        if (std::isfinite(v)) scale = std::max(scale, std::fabs(v));
      }
    } else {
      scale = 1e-3;
    }
    EXPECT_TRUE(AllClose(Values(a), Values(r), IsFloat(a.dtype()) ? rtol : 0.0,
                         IsFloat(a.dtype()) ? rtol * scale : 0.0));
    ++checked;
  }
  EXPECT_GT(checked, 300);
}

TEST(OpDatabaseTest, EveryEntryHasGoldenCasesAndEveryCaseAnEntry) {
  std::set<std::string> with_cases;
  for (const GoldenCase& c : ReadCases()) with_cases.insert(c.op);
  for (const OpInfo& op : OpDatabase()) {
    EXPECT_TRUE(with_cases.contains(op.name)) << op.name << " has no golden cases";
  }
  for (const std::string& name : with_cases) EXPECT_NE(FindOp(name), nullptr) << name;
}

std::vector<NDArray> Operands(const OpInfo& op, DType dtype, std::vector<int64_t> a,
                              std::vector<int64_t> b) {
  if (op.num_inputs == 2) return {nd::zeros(a, dtype), nd::zeros(b, dtype)};
  return {nd::zeros(a, dtype)};
}

// Runs `call` and checks it throws exactly E with the op's name in the message.
template <typename E>
void ExpectOpError(const OpInfo& op, const std::function<void()>& call, const std::string& what) {
  SCOPED_TRACE(op.name + ": " + what);
  try {
    call();
    ADD_FAILURE() << "no error";
  } catch (const E& e) {
    EXPECT_EQ(typeid(e), typeid(E)) << e.what();
    const std::string msg = e.what();
    EXPECT_NE(msg.find(op.error_name() + ": "), std::string::npos) << msg;
    // The caller is the database entry's lambda in opdb.cc: errors name that file and line.
    EXPECT_NE(msg.find(" at "), std::string::npos) << msg;
    EXPECT_NE(msg.find("opdb.cc:"), std::string::npos) << msg;
    if (what != "empty NDArray") {
      EXPECT_NE(msg.find("(2, 3)"), std::string::npos) << "operand shapes missing: " << msg;
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception: " << e.what();
  }
}

TEST(OpDatabaseTest, RejectedDTypesRaiseDTypeError) {
  int count = 0;
  for (const OpInfo& op : OpDatabase()) {
    for (int d = 0; d < kNumDTypes; ++d) {
      const DType dtype = static_cast<DType>(d);
      if (std::find(op.dtypes.begin(), op.dtypes.end(), dtype) != op.dtypes.end()) continue;
      ExpectOpError<DTypeError>(
          op,
          [&] {
            op.fn(Operands(op, dtype, {2, 3}, {2, 3}), Kwargs());
          },
          DTypeName(dtype));
      ++count;
    }
  }
  EXPECT_GE(count, 15);
}

TEST(OpDatabaseTest, GeneratedBadInputs) {
  std::map<std::string, Kwargs> first_kwargs;
  for (const GoldenCase& c : ReadCases()) first_kwargs.emplace(c.op, Kwargs::Parse(c.kwargs));
  int count = 0;
  for (const OpInfo& op : OpDatabase()) {
    if (op.family == OpFamily::kOther) {
      // With the keyword arguments of the op's first golden case; the other bad inputs of these
      // ops are in movement_test.cc, indexing_test.cc and nn_linalg_test.cc. A composite may
      // report the empty handle from the first op it applies, so the message is checked for
      // the condition rather than the name.
      SCOPED_TRACE(op.name);
      if (op.num_inputs == 0) continue;  // creation functions take no arrays
      try {
        op.fn(std::vector<NDArray>(op.num_inputs), first_kwargs.at(op.name));
        ADD_FAILURE() << "no error";
      } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("the NDArray is empty"), std::string::npos)
            << e.what();
      }
      ++count;
      continue;
    }
    const DType dtype = op.dtypes.back();
    // An empty handle, for every op.
    ExpectOpError<ValueError>(
        op,
        [&] {
          std::vector<NDArray> in(op.num_inputs);
          op.fn(in, Kwargs());
        },
        "empty NDArray");
    ++count;
    if (op.family == OpFamily::kBinary) {
      ExpectOpError<ShapeError>(
          op,
          [&] {
            op.fn(Operands(op, dtype, {2, 3}, {4}), Kwargs());
          },
          "broadcast mismatch");
      ++count;
    }
    if (op.family == OpFamily::kReduction) {
      ExpectOpError<ShapeError>(
          op,
          [&] {
            op.fn(Operands(op, dtype, {2, 3}, {}), Kwargs::Parse("axis=2"));
          },
          "axis out of range");
      ExpectOpError<ShapeError>(
          op,
          [&] {
            op.fn(Operands(op, dtype, {2, 3}, {}), Kwargs::Parse("axis=-3"));
          },
          "negative axis out of range");
      count += 2;
    }
  }
  EXPECT_GE(count, 150);
}

}  // namespace
}  // namespace ndjit::testing
