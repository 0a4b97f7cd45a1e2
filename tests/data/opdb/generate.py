#!/usr/bin/env python3
"""Writes the op database's NumPy golden files: tests/data/opdb/*.npy and cases.txt.

Run with Debian's python3-numpy:  /usr/bin/python3 tests/data/opdb/generate.py
The files are committed; the test suite (tests/frontend/opdb_test.cc) reads them without Python.

Every case line in cases.txt is:  NAME OP LAYOUT NUM_INPUTS KWARGS
For each input k the file NAME.in<k>.npy holds the *base* array; the test applies LAYOUT to it
to get the operand, exactly as done here:
  c  contiguous: the base itself
  t  transposed: base.T                      (base stored with reversed shape)
  s  strided:    base[..., ::2]              (base stored with a doubled last axis)
  r  reversed:   base[::-1]                  (a negative step on axis 0)
  b  broadcast:  np.broadcast_to(base, shape) (base stored with a leading 1)
NAME.out.npy holds NumPy's result for the operands. KWARGS is "-" or comma-separated k=v.
Where NumPy 1.24 and ndjit's NumPy 2 semantics give different dtypes (int8+uint8, floor of
integers) the test compares values, not dtypes; dtype rules have their own tests.
"""
import math
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
np.seterr(all="ignore")
rng = np.random.default_rng(20261124)

FLOATS = ["float16", "float32", "float64"]
INTS = ["int8", "uint8", "int32", "int64"]
NUMERIC = INTS + FLOATS
ALL = ["bool"] + NUMERIC

erf = np.vectorize(math.erf, otypes=[np.float64])


def values(shape, dtype, domain):
    n = int(np.prod(shape)) if len(shape) else 1
    if dtype == "bool":
        v = rng.integers(0, 2, n).astype(bool)
    elif dtype in INTS:
        lo, hi = {"int8": (-20, 20), "uint8": (0, 40), "int32": (-1000, 1000),
                  "int64": (-10**6, 10**6)}[dtype]
        if domain in ("pos", "ge1", "exponent"):
            lo = max(lo, 1 if domain != "exponent" else 0)
            hi = min(hi, 6) if domain == "exponent" else hi
        v = rng.integers(lo, hi, n).astype(dtype)
        if domain == "nonzero":
            v[v == 0] = 3
    else:
        if domain == "pos":
            v = rng.uniform(0.1, 10, n)
        elif domain == "unit":
            v = rng.uniform(-0.95, 0.95, n)
        elif domain == "ge1":
            v = rng.uniform(1, 10, n)
        elif domain == "exponent":
            v = rng.uniform(0, 3, n)
        elif domain == "small":
            v = rng.uniform(-3, 3, n)
        else:
            v = rng.uniform(-10, 10, n)
        v = v.astype(dtype)
    return v.reshape(shape)


def base_for(layout, shape, dtype, domain):
    """Returns (base, view) with view = LAYOUT(base) of the given shape."""
    if layout == "c":
        b = values(shape, dtype, domain)
        return b, b
    if layout == "t":
        b = values(tuple(reversed(shape)), dtype, domain)
        return b, b.T
    if layout == "s":
        b = values(shape[:-1] + (shape[-1] * 2,), dtype, domain)
        return b, b[..., ::2]
    if layout == "r":
        b = values(shape, dtype, domain)
        return b, b[::-1]
    if layout == "b":
        b = values((1,) + shape[1:], dtype, domain)
        return b, np.broadcast_to(b, shape)
    raise ValueError(layout)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# name -> (numpy function, arity, dtypes, domain)
UNARY_FLOAT = {
    "exp": (np.exp, "small"), "log": (np.log, "pos"), "sqrt": (np.sqrt, "pos"),
    "tanh": (np.tanh, "any"), "sigmoid": (sigmoid, "small"), "log1p": (np.log1p, "pos"),
    "expm1": (np.expm1, "small"), "log2": (np.log2, "pos"), "log10": (np.log10, "pos"),
    "exp2": (np.exp2, "small"), "sin": (np.sin, "any"), "cos": (np.cos, "any"),
    "tan": (np.tan, "unit"), "arcsin": (np.arcsin, "unit"), "arccos": (np.arccos, "unit"),
    "arctan": (np.arctan, "any"), "sinh": (np.sinh, "small"), "cosh": (np.cosh, "small"),
    "arcsinh": (np.arcsinh, "any"), "arccosh": (np.arccosh, "ge1"),
    "arctanh": (np.arctanh, "unit"), "rsqrt": (lambda x: 1 / np.sqrt(x), "pos"),
    "softplus": (lambda x: np.logaddexp(0, x), "any"),
    "erf": (lambda x: erf(x).astype(x.dtype), "small"),
}
UNARY_KEEP = {  # name -> (function, dtypes, domain)
    "abs": (np.abs, NUMERIC, "any"), "negative": (np.negative, NUMERIC, "any"),
    "relu": (lambda x: np.maximum(x, np.zeros((), x.dtype)), ALL, "any"),
    "sign": (np.sign, NUMERIC, "any"), "square": (np.square, NUMERIC, "small"),
    "floor": (np.floor, FLOATS, "any"), "ceil": (np.ceil, FLOATS, "any"),
    "trunc": (np.trunc, FLOATS, "any"), "round": (np.rint, FLOATS, "any"),
    "reciprocal": (np.reciprocal, FLOATS, "nonzero"),
    "logical_not": (np.logical_not, ALL, "any"), "isnan": (np.isnan, ALL, "any"),
    "isinf": (np.isinf, ALL, "any"), "isfinite": (np.isfinite, ALL, "any"),
    "bitwise_not": (np.invert, ["bool"] + INTS, "any"),
}
BINARY = {  # name -> (function, dtypes, domain of the second operand)
    "add": (np.add, ALL, "any"), "subtract": (np.subtract, NUMERIC, "any"),
    "multiply": (np.multiply, ALL, "small"), "true_divide": (np.true_divide, NUMERIC, "nonzero"),
    "remainder": (np.remainder, NUMERIC, "nonzero"),
    "floor_divide": (np.floor_divide, NUMERIC, "nonzero"),
    "equal": (np.equal, ALL, "any"), "not_equal": (np.not_equal, ALL, "any"),
    "less": (np.less, ALL, "any"), "less_equal": (np.less_equal, ALL, "any"),
    "greater": (np.greater, ALL, "any"), "greater_equal": (np.greater_equal, ALL, "any"),
    "maximum": (np.maximum, ALL, "any"), "minimum": (np.minimum, ALL, "any"),
    "power": (np.power, ["int32", "int64"] + FLOATS, "exponent"),
    "arctan2": (np.arctan2, FLOATS, "any"), "hypot": (np.hypot, FLOATS, "any"),
    "logical_and": (np.logical_and, ALL, "any"), "logical_or": (np.logical_or, ALL, "any"),
    "logical_xor": (np.logical_xor, ALL, "any"),
    "bitwise_and": (np.bitwise_and, ["bool"] + INTS, "any"),
    "bitwise_or": (np.bitwise_or, ["bool"] + INTS, "any"),
    "bitwise_xor": (np.bitwise_xor, ["bool"] + INTS, "any"),
}


def reduce_fn(f, sum_like):
    def run(x, axis, keepdims):
        if sum_like and x.dtype.kind in "biu":
            x = x.astype(np.int64)
        return f(x, axis=axis, keepdims=keepdims)
    return run


REDUCE = {  # name -> (function(x, axis, keepdims), dtypes, nonempty)
    "sum": (reduce_fn(np.sum, True), ALL, False), "prod": (reduce_fn(np.prod, True), NUMERIC, False),
    "mean": (reduce_fn(np.mean, False), NUMERIC, False),
    "max": (reduce_fn(np.max, False), ALL, True), "min": (reduce_fn(np.min, False), ALL, True),
    "var": (reduce_fn(np.var, False), NUMERIC, False), "std": (reduce_fn(np.std, False), FLOATS, False),
    "any": (reduce_fn(np.any, False), ALL, False), "all": (reduce_fn(np.all, False), ALL, False),
    "nansum": (reduce_fn(np.nansum, True), FLOATS, False),
    "nanmax": (reduce_fn(np.nanmax, False), FLOATS, True),
    "nanmin": (reduce_fn(np.nanmin, False), FLOATS, True),
}



def softmax(x, axis):
    x = x.astype(np.result_type(x.dtype, np.float16)) if x.dtype.kind in "biu" else x
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis):
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def logsumexp(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return (np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m).squeeze(
        axis=axis if axis is not None else tuple(range(x.ndim)))


def ax(kw):
    return None if kw["axis"] == "all" else int(kw["axis"])


def ints(text):
    return tuple(int(v) for v in text.split(":")) if text else ()


# Ops with keyword arguments: name -> (f(views, kw), num_inputs, dtypes, kwargs variants, flags).
# Lists inside kwargs use ':' ("shape=2:3:4"). Flags: "nonempty" skips size-0 shapes, "2d"
# skips 0-d shapes.
OTHER = {
    "reshape": (lambda v, kw: v[0].reshape(ints(kw["shape"])), 1, ALL, ["shape=-1"], "2d"),
    "transpose": (lambda v, kw: v[0].T, 1, ALL, ["-"], ""),
    "broadcast_to": (lambda v, kw: np.broadcast_to(v[0], (2,) + v[0].shape), 1, ALL, ["-"], ""),
    "expand_dims": (lambda v, kw: np.expand_dims(v[0], int(kw["axis"])), 1, ALL,
                    ["axis=0", "axis=-1"], ""),
    "flip": (lambda v, kw: np.flip(v[0], ax(kw)), 1, ALL, ["axis=all", "axis=0"], "2d"),
    "swapaxes": (lambda v, kw: np.swapaxes(v[0], 0, 1), 1, ALL, ["-"], "2d"),
    "ravel": (lambda v, kw: np.ravel(v[0]), 1, ALL, ["-"], ""),
    "concatenate": (lambda v, kw: np.concatenate(v, axis=int(kw["axis"])), 2, ALL,
                    ["axis=0", "axis=1"], "2d"),
    "stack": (lambda v, kw: np.stack(v, axis=int(kw["axis"])), 2, ALL, ["axis=0", "axis=-1"], ""),
    "tile": (lambda v, kw: np.tile(v[0], (2, 1)), 1, ALL, ["-"], ""),
    "repeat": (lambda v, kw: np.repeat(v[0], 2, axis=ax(kw)), 1, ALL,
               ["axis=all", "axis=1"], "2d"),
    "pad": (lambda v, kw: np.pad(v[0], 1, mode=kw["mode"]), 1, ALL,
            ["mode=constant", "mode=edge", "mode=reflect"], "2d,nonempty"),
    "cumsum": (lambda v, kw: np.cumsum(v[0].astype(np.int64) if v[0].dtype.kind in "biu"
                                       else v[0], axis=ax(kw)), 1, ALL,
               ["axis=all", "axis=1"], "2d"),
    "cumprod": (lambda v, kw: np.cumprod(v[0].astype(np.int64) if v[0].dtype.kind in "biu"
                                         else v[0], axis=ax(kw)), 1, ["int32", "int64"] + FLOATS,
                ["axis=0"], "2d"),
    "argmax": (lambda v, kw: np.argmax(v[0], axis=ax(kw)), 1, ALL, ["axis=all", "axis=1"],
               "2d,nonempty"),
    "argmin": (lambda v, kw: np.argmin(v[0], axis=ax(kw)), 1, ALL, ["axis=all", "axis=0"],
               "2d,nonempty"),
    "softmax": (lambda v, kw: softmax(v[0], int(kw["axis"])), 1, FLOATS, ["axis=-1", "axis=0"],
                "2d,nonempty"),
    "log_softmax": (lambda v, kw: log_softmax(v[0], -1), 1, FLOATS, ["-"], "2d,nonempty"),
    "logsumexp": (lambda v, kw: logsumexp(v[0], ax(kw)), 1, FLOATS, ["axis=all", "axis=1"],
                  "2d,nonempty"),
    "matmul_bt": (lambda v, kw: np.matmul(v[0], v[1].T), 2, ["int32", "int64"] + FLOATS, ["-"],
                  "2d"),
    "tensordot": (lambda v, kw: np.tensordot(v[0], v[1], 2), 2, ["int32", "int64"] + FLOATS,
                  ["-"], "2d"),
    "outer": (lambda v, kw: np.outer(v[0], v[1]), 2, ["int32", "int64"] + FLOATS, ["-"], ""),
    "tril": (lambda v, kw: np.tril(v[0], int(kw["k"])), 1, ALL, ["k=0", "k=1"], "2d"),
    "triu": (lambda v, kw: np.triu(v[0], int(kw["k"])), 1, ALL, ["k=0", "k=-1"], "2d"),
    "diagonal": (lambda v, kw: np.diagonal(v[0], int(kw["k"])), 1, ALL, ["k=0", "k=1", "k=-2"],
                 "2d"),
    "clip": (lambda v, kw: np.clip(v[0], v[0].dtype.type(-2), v[0].dtype.type(5)), 1,
             ["int8", "int32", "int64"] + FLOATS, ["-"], ""),
    "gelu": (lambda v, kw: (0.5 * v[0] * (1 + erf(v[0] / np.sqrt(2)))).astype(v[0].dtype), 1,
             FLOATS, ["-"], ""),
    "where": (lambda v, kw: np.where(v[0] > 0, v[1], v[2]), 3, ALL, ["-"], ""),
    "astype": (lambda v, kw: v[0].astype(kw["dtype"]), 1, ALL,
               ["dtype=float32", "dtype=int32", "dtype=bool"], ""),
    "squeeze": (lambda v, kw: np.squeeze(v[0]), 1, ALL, ["-"], ""),
    "moveaxis": (lambda v, kw: np.moveaxis(v[0], 0, -1), 1, ALL, ["-"], "2d"),
    "split": (lambda v, kw: np.split(v[0], [1], axis=1)[int(kw["part"])], 1, ALL,
              ["part=0", "part=1"], "2d"),
    "array_split": (lambda v, kw: np.array_split(v[0], 3, axis=1)[int(kw["part"])], 1, ALL,
                    ["part=0", "part=2"], "2d"),
    "take": (lambda v, kw: np.take(v[0], [0, -1], axis=ax(kw)), 1, ALL,
             ["axis=all", "axis=1"], "2d,nonempty"),
    "take_along_axis": (lambda v, kw: np.take_along_axis(
        v[0], np.array([[0], [-1], [0]])[:v[0].shape[0]], axis=1), 1, ALL, ["-"], "2d,nonempty"),
    "pick": (lambda v, kw: np.take_along_axis(
        v[0], np.array([[3], [0], [1]])[:v[0].shape[0]] % v[0].shape[1], axis=1)[:, 0], 1, ALL,
             ["-"], "2d,nonempty"),
    "one_hot": (lambda v, kw: (np.arange(5) == v[0][..., None]).astype(np.float32), 1, INTS,
                ["-"], ""),
    "diag": (lambda v, kw: np.diag(np.ravel(v[0]), int(kw["k"])), 1, ALL, ["k=0", "k=-1"], ""),
    "ravel_multi_index": (lambda v, kw: np.ravel_multi_index(
        (np.abs(v[0].astype(np.int64)) % 3, np.abs(v[1].astype(np.int64)) % 4), (3, 4)), 2,
        ["int8", "int32", "int64"], ["-"], ""),
    "unravel_index": (lambda v, kw: np.unravel_index(np.abs(v[0].astype(np.int64)) % 12,
                                                     (3, 4))[int(kw["part"])], 1,
                      ["int8", "int32", "int64"], ["part=0", "part=1"], ""),
    "slice_assign": (lambda v, kw: assigned(v[0]), 1, ALL, ["-"], "2d"),
    "dot": (lambda v, kw: np.dot(v[0], v[1].T), 2, ["int32", "int64"] + FLOATS, ["-"], "2d"),
    "batch_dot": (lambda v, kw: np.matmul(v[0][..., None], v[1][:, None, :]), 2,
                  ["int32", "int64"] + FLOATS, ["-"], "2d"),
    "dense": (lambda v, kw: v[0] @ v[1].T, 2, FLOATS, ["-"], "2d"),
    "softmax_cross_entropy": (lambda v, kw: -np.take_along_axis(
        log_softmax(v[0], -1), (np.arange(v[0].shape[0]) % v[0].shape[1])[:, None], 1)[:, 0], 1,
        FLOATS, ["-"], "2d,nonempty"),
    "full_like": (lambda v, kw: np.full_like(v[0], 3), 1, ALL, ["-"], ""),
    "zeros_like": (lambda v, kw: np.zeros_like(v[0]), 1, ALL, ["-"], ""),
    "ones_like": (lambda v, kw: np.ones_like(v[0]), 1, ALL, ["-"], ""),
}


def accumulate(ufunc, x, kw):
    return ufunc.accumulate(np.ravel(x)) if ax(kw) is None else ufunc.accumulate(x, axis=ax(kw))


# Ops added after the files above were committed, generated last so that the earlier files keep
# their random draws. Same form as OTHER.
LATER = {
    "cummax": (lambda v, kw: accumulate(np.maximum, v[0], kw), 1, ALL,
               ["axis=all", "axis=0", "axis=1"], "2d"),
    "cummin": (lambda v, kw: accumulate(np.minimum, v[0], kw), 1, ALL,
               ["axis=all", "axis=0", "axis=1"], "2d"),
}


def assigned(a):
    b = a.copy()
    b[1:, ::2] = 1
    return b

# Creation functions: no operands; one case per dtype (kwargs "dtype=...").
CREATION = {
    "zeros": lambda dt: np.zeros((3, 4), dt), "ones": lambda dt: np.ones((3, 4), dt),
    "full": lambda dt: np.full((3, 4), 7, dt), "empty": lambda dt: np.zeros((3, 4), dt),
    "arange": lambda dt: np.arange(0, 12, 2, dtype=dt),
    "linspace": lambda dt: np.linspace(0, 10, 5).astype(dt),
    "eye": lambda dt: np.eye(3, 4, 1, dtype=dt), "identity": lambda dt: np.identity(3, dtype=dt),
}

cases = []


def write(name, op, layout, bases, out, kwargs="-"):
    for k, b in enumerate(bases):
        np.save(os.path.join(HERE, f"{name}.in{k}.npy"), np.array(b, order="C"))  # keeps 0-d
    np.save(os.path.join(HERE, f"{name}.out.npy"), np.array(out, order="C"))
    cases.append(f"{name} {op} {layout} {len(bases)} {kwargs}")


def shape_tag(shape):
    return "x".join(str(d) for d in shape) if shape else "scalar"


def layouts_for(dtypes):
    """(layout, shape, dtype) combinations: every layout in every dtype, and the edge shapes (0-d,
    size-0, size-1) in the first float dtype the op accepts (or its last dtype)."""
    main = next((d for d in ["float32", "float64"] if d in dtypes), dtypes[-1])
    combos = [(lay, (3, 4), d) for d in dtypes for lay in ["c", "t", "s", "r", "b"]]
    combos += [("c", (), main), ("c", (0, 4), main), ("c", (1, 1), main)]
    return combos


def write_other(table):
    for op, (f, nin, dtypes, variants, flags) in table.items():
        for lay, shape, dt in layouts_for(dtypes):
            if ("nonempty" in flags and 0 in shape) or ("2d" in flags and len(shape) < 2):
                continue
            for kw_text in variants:
                kw = dict(item.split("=") for item in kw_text.split(",")) if kw_text != "-" else {}
                pairs = [base_for(lay, shape, dt, "small") for _ in range(nin)]
                tag = kw_text.replace("=", "").replace(",", "_").replace(":", "x")
                write(f"{op}.{lay}.{dt}.{shape_tag(shape)}.{tag}", op, lay, [b for b, _ in pairs],
                      f([v for _, v in pairs], kw), kw_text)


def main():
    for f in os.listdir(HERE):
        if f.endswith(".npy"):
            os.remove(os.path.join(HERE, f))
    for op, (f, domain) in UNARY_FLOAT.items():
        for lay, shape, dt in layouts_for(FLOATS):
            base, view = base_for(lay, shape, dt, domain)
            write(f"{op}.{lay}.{dt}.{shape_tag(shape)}", op, lay, [base],
                  f(view))
    for op, (f, dtypes, domain) in UNARY_KEEP.items():
        for lay, shape, dt in layouts_for(dtypes):
            base, view = base_for(lay, shape, dt, domain)
            write(f"{op}.{lay}.{dt}.{shape_tag(shape)}", op, lay, [base],
                  f(view))
    for op, (f, dtypes, domain) in BINARY.items():
        for lay, shape, dt in layouts_for(dtypes):
            b0, v0 = base_for(lay, shape, dt, "pos" if op == "power" else "any")
            b1, v1 = base_for(lay, shape, dt, domain)
            write(f"{op}.{lay}.{dt}.{shape_tag(shape)}", op, lay, [b0, b1],
                  f(v0, v1))
    for op, (f, dtypes, nonempty) in REDUCE.items():
        for lay, shape, dt in layouts_for(dtypes):
            if nonempty and 0 in shape:
                continue
            base, view = base_for(lay, shape, dt, "small")
            variants = [(None, False)] if len(shape) == 0 else [(None, False), (0, False),
                                                                  (-1, True)]
            for axis, keep in variants:
                kw = f"axis={'all' if axis is None else axis},keepdims={int(keep)}"
                tag = f"{'all' if axis is None else axis}{'k' if keep else ''}"
                write(f"{op}.{lay}.{dt}.{shape_tag(shape)}.{tag}", op, lay,
                      [base], f(view, axis, keep), kw)
    write_other(OTHER)
    for op, f in CREATION.items():
        for dt in ALL:
            if op in ("arange", "linspace") and dt == "bool":
                continue
            write(f"{op}.c.{dt}", op, "c", [], f(dt), f"dtype={dt}")
    # The tutorial's examples, each a one-line ndjit call in the database (tutorial_* entries).
    write("tutorial_full_like", "tutorial_full_like", "c", [],
          np.full_like(a=np.arange(6, dtype=int), fill_value=10))
    data = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    write("tutorial_pad_array", "tutorial_pad_array", "c", [data], np.pad(data, (0, 5 - 3)))
    x = np.arange(10.0, dtype=np.float32)
    write("tutorial_split_indices", "tutorial_split_indices", "c", [x], np.split(x, [3, 7])[1])
    write("tutorial_ravel_multi_index", "tutorial_ravel_multi_index", "c",
          [np.array([[3, 6, 6], [4, 5, 1]], dtype=np.int64)],
          np.ravel_multi_index(([3, 6, 6], [4, 5, 1]), (7, 6)))
    m = np.arange(9.0, dtype=np.float32).reshape(3, 3)
    write("tutorial_diag_matrix", "tutorial_diag", "c", [m], np.diag(m))
    write("tutorial_diag_vector", "tutorial_diag", "c", [np.diag(m)], np.diag(np.diag(m)))
    for lay, shape, dt in layouts_for(FLOATS):
        base, view = base_for(lay, shape, dt, "small")
        write(f"gelu_tanh.{lay}.{dt}.{shape_tag(shape)}", "gelu_tanh", lay, [base],
              (0.5 * view * (1 + np.tanh(np.sqrt(2 / np.pi) * (view + 0.044715 * view**3))))
              .astype(view.dtype))
    write_other(LATER)
    with open(os.path.join(HERE, "cases.txt"), "w") as out:
        out.write(f"# Generated by generate.py with NumPy {np.__version__}; do not edit.\n")
        out.write("\n".join(cases) + "\n")
    print(f"{len(cases)} cases")


if __name__ == "__main__":
    main()
