#!/usr/bin/python3
"""Writes the NumPy-made .npy files that tests/frontend/npy_test.cc loads and compares against.

Run with Debian's Python, which has NumPy (1.24 when the files were made):

    /usr/bin/python3 tests/data/npy/generate.py [OUT_DIR]

OUT_DIR defaults to this script's folder. The output is deterministic, and the test suite needs
no Python: the expected values are hard-coded in npy_test.cc, so change both together. Files
written by np.save (version 1.0, header padded to 64 bytes) are also the byte-exact reference for
what ndjit's save_npy must write for the same array.
"""

import os
import sys

import numpy as np
from numpy.lib import format as npy_format


def bf16_bits(values):
    """bfloat16 bit patterns (uint16) of float32-exact values: the upper half of each float32."""
    f32 = np.asarray(values, dtype="<f4")
    return (f32.view("<u4") >> 16).astype("<u2")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(out, exist_ok=True)

    def save(name, array):
        np.save(os.path.join(out, name), array, allow_pickle=True)

    # One 2x3 array per dtype ndjit has.
    save("bool_2x3.npy", np.array([[True, False, True], [False, False, True]], dtype="|b1"))
    save("int8_2x3.npy", np.array([[-128, -1, 0], [1, 2, 127]], dtype="|i1"))
    save("uint8_2x3.npy", np.array([[0, 1, 2], [127, 128, 255]], dtype="|u1"))
    save("int32_2x3.npy", np.array([[-2**31, -1, 0], [1, 2, 2**31 - 1]], dtype="<i4"))
    save("int64_2x3.npy", np.array([[-2**63, -1, 0], [1, 2, 2**63 - 1]], dtype="<i8"))
    save("float16_2x3.npy", np.array([[-65504, -1.5, 0], [0.5, 1, 65504]], dtype="<f2"))
    f32 = np.array([[-1.5, 0, 0.1], [1, 2.5, 3.4028234663852886e38]], dtype="<f4")
    save("float32_2x3.npy", f32)
    save("float64_2x3.npy",
         np.array([[-1.5, 0, 0.1], [1, 2.5, 1.7976931348623157e308]], dtype="<f8"))

    # bfloat16 as ml_dtypes arrays are saved: descr '<V2' with the raw 16-bit patterns. NumPy
    # itself writes '|V2' for np.dtype('V2'); both load as bfloat16.
    bits = bf16_bits([[1.0, -2.0, 0.5], [3.140625, np.inf, -np.inf]])
    with open(os.path.join(out, "bfloat16_2x3.npy"), "wb") as f:
        npy_format.write_array_header_1_0(
            f, {"descr": "<V2", "fortran_order": False, "shape": bits.shape})
        f.write(bits.tobytes())
    save("void2_2x3.npy", bits.view(np.dtype("V2")))

    # Shapes: 0-d, size 0, 1-d, 3-d, and one whose header needs NumPy's extra 64 bytes of padding
    # (magic + length + header + '\n' is already a multiple of 64).
    save("int64_0d.npy", np.array(-42, dtype="<i8"))
    save("float32_0x3.npy", np.zeros((0, 3), dtype="<f4"))
    save("uint8_300.npy", (np.arange(300) * 7 % 256).astype("|u1"))
    save("int32_2x3x4.npy", (np.arange(24) - 12).astype("<i4").reshape(2, 3, 4))
    save("uint8_pad64.npy", np.zeros((0,) + (100,) * 7 + (1000,), dtype="|u1"))

    # Special float values.
    with np.errstate(all="ignore"):
        special = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1.0]
        save("float16_special.npy", np.array(special[:5] + [2.0**-24], dtype="<f2"))
        save("float32_special.npy", np.array(special[:5] + [2.0**-149], dtype="<f4"))
        save("float64_special.npy", np.array(special[:5] + [5e-324], dtype="<f8"))

    # Format versions 2.0 and 3.0 (np.save picks 1.0 whenever the header fits).
    for version in ((2, 0), (3, 0)):
        path = os.path.join(out, "float32_v%d.npy" % version[0])
        with open(path, "wb") as f:
            npy_format.write_array(f, f32, version=version)

    # Big-endian data of every multi-byte dtype but bfloat16.
    save("be_int32.npy", np.array([[-2**31, -1, 0], [1, 2, 2**31 - 1]], dtype=">i4"))
    save("be_int64.npy", np.array([[-2**63, -1, 0], [1, 2, 2**63 - 1]], dtype=">i8"))
    save("be_float16.npy", np.array([[-65504, -1.5, 0], [0.5, 1, 65504]], dtype=">f2"))
    save("be_float32.npy", f32.astype(">f4"))
    save("be_float64.npy",
         np.array([[-1.5, 0, 0.1], [1, 2.5, 1.7976931348623157e308]], dtype=">f8"))

    # Fortran order (not supported by ndjit for a 2x3 array).
    save("fortran_float32.npy", np.asfortranarray(f32))

    # Dtypes ndjit does not have.
    save("unsupported_complex64.npy", np.array([1 + 2j], dtype="<c8"))
    save("unsupported_unicode.npy", np.array(["abc"], dtype="<U3"))
    save("unsupported_object.npy", np.array([1, "a"], dtype=object))
    save("unsupported_uint32.npy", np.array([1, 2], dtype="<u4"))
    save("unsupported_int16.npy", np.array([1, 2], dtype="<i2"))
    save("unsupported_structured.npy", np.zeros(2, dtype=[("a", "<i4"), ("b", "<f4")]))


if __name__ == "__main__":
    main()
