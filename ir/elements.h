// Element access and conversions: any dtype read as double or int64 and written back with the
// dtype's rounding, as the IR defines them (ops.def).
//
// Floats are written with one rounding to nearest even (16-bit floats through round-to-odd, so
// no double rounding); integers wrap; float to integer conversion truncates and saturates.
// Used by the reference interpreter, the frontend (constants, host arrays) and tests.
#ifndef NDJIT_IR_ELEMENTS_H_
#define NDJIT_IR_ELEMENTS_H_

#include <cstdint>

#include "ir/host_tensor.h"

namespace ndjit::ir {

double LoadAsDouble(const HostTensor& t, int64_t i);
// The same on raw row-major storage of the given dtype.
double ElementAsDouble(DType dtype, const void* data, int64_t i);
int64_t LoadAsInt(const HostTensor& t, int64_t i);
void StoreDouble(HostTensor& t, int64_t i, double v);
// A float dtype's value nearest `v` (one rounding, to nearest even), as a double: what
// StoreDouble and StoreInt store, for constants and scalars that are not stored in a tensor.
// `dtype` must be a float dtype.
double RoundToFloatDType(double v, DType dtype);
double RoundToFloatDType(int64_t v, DType dtype);
void StoreInt(HostTensor& t, int64_t i, int64_t v);
// Float to integer conversion as `cast` defines it: truncate, NaN -> 0 (true for bool),
// saturate to the dtype's range.
int64_t SaturatingFloatToInt(double v, DType to);

}  // namespace ndjit::ir

#endif  // NDJIT_IR_ELEMENTS_H_
