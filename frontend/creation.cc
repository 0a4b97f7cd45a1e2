// Array creation: from host data, constants, ranges, random numbers.
#include <atomic>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "frontend/builder.h"
#include "ir/dtype.h"
#include "ir/random.h"
#include "ndjit/nd.h"
#include "runtime/materializer.h"

namespace ndjit::nd {
namespace {

using frontend::CheckDType;
using frontend::Fail;
using frontend::ValuePtr;

ir::Shape CheckShape(const char* api, const Shape& shape, const SourceLocation& site) {
  frontend::CheckShape(api, shape, {}, site);
  return shape;
}

NDArray FromBytes(const char* api, const void* data, DType dtype, const Shape& shape,
                  const SourceLocation& site) {
  CheckDType(api, dtype, site);
  ir::HostTensor t(ir::TensorType{dtype, CheckShape(api, shape, site)});
  if (t.size_bytes() > 0) {
    if (data == nullptr) Fail<ValueError>(api, "data pointer is null", {}, site);
    std::memcpy(t.data(), data, t.size_bytes());
  }
  if (dtype == DType::kBool) {  // normalize bytes to 0/1 so that every bool is canonical
    auto* p = t.data_as<uint8_t>();
    for (int64_t i = 0; i < t.num_elements(); ++i) p[i] = p[i] != 0;
  }
  return frontend::Wrap(runtime::Value::Realized(std::move(t), ir::SourceLoc::From(site)));
}

std::atomic<uint64_t> g_seed_base{0x5eed};
std::atomic<uint64_t> g_seed_counter{0};

uint64_t NextSeed() {
  return ir::SplitMix64(g_seed_base.load() + ir::SplitMix64(g_seed_counter.fetch_add(1)));
}

ValuePtr RandomLeaf(ir::RandomDist dist, DType dtype, const Shape& shape,
                    std::optional<uint64_t> seed, const SourceLocation& site) {
  ir::Attrs attrs;
  attrs.dist = dist;
  attrs.seed = seed ? *seed : NextSeed();
  return frontend::Record(ir::Op::kRandom, {}, std::move(attrs), ir::TensorType{dtype, shape},
                          site);
}

// v * scale + shift, leaving out the identity steps.
ValuePtr ScaleShift(ValuePtr v, double scale, double shift, const SourceLocation& site) {
  const ir::TensorType t = v->type();
  if (scale != 1.0) {
    v = frontend::Record(ir::Op::kMul,
                         {v, frontend::Constant(frontend::ScalarForDType(scale, t.dtype), t, site)},
                         {}, std::nullopt, site);
  }
  if (shift != 0.0) {
    v = frontend::Record(ir::Op::kAdd,
                         {v, frontend::Constant(frontend::ScalarForDType(shift, t.dtype), t, site)},
                         {}, std::nullopt, site);
  }
  return v;
}

}  // namespace

template <typename T>
NDArray array(const std::vector<T>& data, Shape shape, SourceLocation site) {
  CheckShape("array", shape, site);
  const int64_t n = ir::NumElements(shape);
  if (n != static_cast<int64_t>(data.size())) {
    Fail<ShapeError>("array",
                     absl::StrCat("cannot make an array of shape ", ir::ShapeToNumpyString(shape),
                                  " (", n, " elements) from ", data.size(), " values"),
                     {}, site);
  }
  if constexpr (std::is_same_v<T, bool>) {  // std::vector<bool> is packed
    std::vector<uint8_t> bytes(data.begin(), data.end());
    return FromBytes("array", bytes.data(), DType::kBool, shape, site);
  } else {
    return FromBytes("array", data.data(), DTypeOf<T>::value, shape, site);
  }
}

#define NDJIT_INSTANTIATE_ARRAY(T) \
  template NDArray array<T>(const std::vector<T>&, Shape, SourceLocation);
NDJIT_INSTANTIATE_ARRAY(bool)
NDJIT_INSTANTIATE_ARRAY(int8_t)
NDJIT_INSTANTIATE_ARRAY(uint8_t)
NDJIT_INSTANTIATE_ARRAY(int32_t)
NDJIT_INSTANTIATE_ARRAY(int64_t)
NDJIT_INSTANTIATE_ARRAY(float16)
NDJIT_INSTANTIATE_ARRAY(bfloat16)
NDJIT_INSTANTIATE_ARRAY(float)
NDJIT_INSTANTIATE_ARRAY(double)
#undef NDJIT_INSTANTIATE_ARRAY

NDArray array(const HostArray& host, SourceLocation site) {
  return FromBytes("array", host.raw_data(), host.dtype(), host.shape(), site);
}

NDArray array_from_buffer(const void* data, DType dtype, Shape shape, SourceLocation site) {
  return FromBytes("array_from_buffer", data, dtype, shape, site);
}

NDArray full(Shape shape, Scalar value, std::optional<DType> dtype, SourceLocation site) {
  CheckShape("full", shape, site);
  const DType dt = dtype ? *dtype : value.natural_dtype();
  CheckDType("full", dt, site);
  if (!frontend::IntScalarFits(value, dt)) {
    Fail<ValueError>("full",
                     absl::StrCat("integer fill value ", value.as_int(), " is out of bounds for ",
                                  DTypeName(dt)),
                     {}, site);
  }
  return frontend::Wrap(
      frontend::Constant(frontend::ScalarForDType(value, dt), ir::TensorType{dt, shape}, site));
}

NDArray zeros(Shape shape, DType dtype, SourceLocation site) {
  CheckShape("zeros", shape, site);
  CheckDType("zeros", dtype, site);
  return full(std::move(shape), 0, dtype, site);
}

NDArray ones(Shape shape, DType dtype, SourceLocation site) {
  CheckShape("ones", shape, site);
  CheckDType("ones", dtype, site);
  return full(std::move(shape), 1, dtype, site);
}

NDArray arange(Scalar start, Scalar stop, Scalar step, std::optional<DType> dtype,
               SourceLocation site) {
  const bool all_int = !start.is_float() && !stop.is_float() && !step.is_float();
  DType dt = DType::kInt64;
  if (!all_int) {
    // C++ floats alone give float32; any double gives float64.
    dt = DType::kFloat32;
    for (const Scalar* s : {&start, &stop, &step}) {
      if (s->is_float() && s->natural_dtype() == DType::kFloat64) dt = DType::kFloat64;
    }
  }
  if (dtype) dt = *dtype;
  CheckDType("arange", dt, site);
  if (dt == DType::kBool) Fail<DTypeError>("arange", "no bool ranges", {}, site);
  int64_t n = 0;
  if (all_int) {
    const int64_t a = start.as_int(), b = stop.as_int(), s = step.as_int();
    if (s == 0) Fail<ValueError>("arange", "step must not be zero", {}, site);
    // ceil((b - a) / s) without overflow for the common ranges; computed in 128 bits.
    const __int128 span = static_cast<__int128>(b) - a;
    __int128 q = span / s;
    if (span % s != 0 && ((span < 0) == (s < 0))) ++q;
    n = q > 0 ? static_cast<int64_t>(q) : 0;
  } else {
    const double a = start.as_double(), b = stop.as_double(), s = step.as_double();
    if (s == 0.0) Fail<ValueError>("arange", "step must not be zero", {}, site);
    const double len = std::ceil((b - a) / s);
    if (!std::isfinite(len)) {
      Fail<ValueError>("arange", "the length of the range is not finite", {}, site);
    }
    if (len >= 9.2e18) Fail<ShapeError>("arange", "the range is too long", {}, site);
    n = len > 0 ? static_cast<int64_t>(len) : 0;
  }
  // start + iota * step, computed in float64 for float results (as NumPy fills float ranges)
  // and in int64 for integer results, then cast to the requested dtype.
  const DType compute = (IsFloat(dt) || !all_int) ? DType::kFloat64 : DType::kInt64;
  const ir::TensorType t{compute, {n}};
  ir::Attrs iota_attrs;
  iota_attrs.axis = 0;
  ValuePtr idx = frontend::Record(ir::Op::kIota, {}, iota_attrs, t, site);
  ValuePtr v = idx;
  if (compute == DType::kInt64 ? step.as_int() != 1 : step.as_double() != 1.0) {
    v = frontend::Record(ir::Op::kMul,
                         {v, frontend::Constant(frontend::ScalarForDType(step, compute), t, site)},
                         {}, std::nullopt, site);
  }
  if (compute == DType::kInt64 ? start.as_int() != 0 : start.as_double() != 0.0) {
    v = frontend::Record(ir::Op::kAdd,
                         {v, frontend::Constant(frontend::ScalarForDType(start, compute), t, site)},
                         {}, std::nullopt, site);
  }
  return frontend::Wrap(frontend::CastTo(v, dt, site));
}

NDArray arange(Scalar stop, SourceLocation site) { return arange(0, stop, 1, std::nullopt, site); }

namespace random {

void seed(uint64_t s) {
  g_seed_base.store(s);
  g_seed_counter.store(0);
}

NDArray uniform(double low, double high, Shape shape, std::optional<uint64_t> seed, DType dtype,
                SourceLocation site) {
  CheckShape("random.uniform", shape, site);
  CheckDType("random.uniform", dtype, site);
  if (!IsFloat(dtype)) {
    Fail<DTypeError>("random.uniform",
                     absl::StrCat("dtype must be a float dtype, got ", DTypeName(dtype)), {}, site);
  }
  if (!(low <= high) || !std::isfinite(high - low)) {
    Fail<ValueError>("random.uniform",
                     absl::StrCat("need finite low <= high, got low=", low, " high=", high), {},
                     site);
  }
  ValuePtr u = RandomLeaf(ir::RandomDist::kUniform, dtype, shape, seed, site);
  return frontend::Wrap(ScaleShift(u, high - low, low, site));
}

NDArray normal(double mean, double stddev, Shape shape, std::optional<uint64_t> seed, DType dtype,
               SourceLocation site) {
  CheckShape("random.normal", shape, site);
  CheckDType("random.normal", dtype, site);
  if (!IsFloat(dtype)) {
    Fail<DTypeError>("random.normal",
                     absl::StrCat("dtype must be a float dtype, got ", DTypeName(dtype)), {}, site);
  }
  if (!(stddev >= 0) || !std::isfinite(stddev) || !std::isfinite(mean)) {
    Fail<ValueError>(
        "random.normal",
        absl::StrCat("need finite mean and stddev >= 0, got mean=", mean, " stddev=", stddev), {},
        site);
  }
  ValuePtr z = RandomLeaf(ir::RandomDist::kNormal, dtype, shape, seed, site);
  return frontend::Wrap(ScaleShift(z, stddev, mean, site));
}

}  // namespace random
}  // namespace ndjit::nd
