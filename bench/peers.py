#!/usr/bin/env python3
"""Peers in the same run (issue #19): W1-W5 in Python array libraries beside the hand loops.

Each workload of bench/ndjit_bench.cc is written in every peer library as a user of that library
writes it, and timed in one process beside ndjit_bench's hand-written OpenMP loop, which this
script loads from libndjit_hand.so (bench/hand_loops.cc, the same source as the benchmark's
W*/hand cases). The timing goes in rounds: after a warm-up (compiles, first touches), each round
times every variant once, starting from a different one each round, and the ratio of a variant is
its time over the hand loop's time in the same round. The table gives the median of those ratios:
the robust figure on a VM whose memory bandwidth drifts by tens of percent within minutes.
Before each timed call the process sleeps --settle-ms (5 ms), so that the worker threads of the
previous variant's library, which spin for a while after their work, are idle again.

  python3 bench/peers.py --lib build/release/bench/libndjit_hand.so [--rounds 15] [--only W1,W4]
      [--peers numpy,jax] [--quick] [--json FILE] [--tol 1e-3] [--settle-ms 5]
  python3 bench/peers.py --merge a.json b.json [--json FILE] [--missing PEER=WHY]

--lib defaults to $NDJIT_HAND_LIB, then build/release/bench/libndjit_hand.so. --merge prints one
table from several runs' --json files, taking each variant from the run where it ran.

bench/peers.sh makes the environments and runs this twice (once in MXNet's own environment) and
then merges the two. The table goes to stdout, progress to stderr.

What each variant times (one call of `run` below; a variant's result is checked once, after the
warm-up, against a float64 NumPy reference: max |y - ref| / (1 + |ref|) over the output, and a
variant above --tol is reported as wrong and left out of the best peer):
  hand         the hand loop into a preallocated output, ndjit_hand_threads() (2) threads, on
               memory NumPy does not advise as huge pages (as the std::vectors of ndjit_bench).
Every variant reads its own copy of the inputs (and the hand loops write their own outputs):
variants that shared them would find each other's data in the last-level cache.
  hand_stream  W1 only: the hand loop with streaming stores (shown, not a peer).
  numpy        NumPy expressions, a new output per call (one thread).
  numexpr      numexpr.evaluate() of the elementwise part on 2 threads (set_num_threads(2)),
               NumPy for the reductions numexpr cannot express (W3's row max and sum, W5's
               column mean and variance); W4's sum is numexpr's own. numexpr takes a float
               literal as double, so W2 and W5 compute and return float64, as they do for a
               user who writes the literals; the table marks such a result with its dtype.
  jax          jax.jit of the expression on the CPU, arguments put on the device once;
               .block_until_ready(), W4 float(result). XLA's CPU thread pool, default size.
  mlx          mx.compile of the expression on mx.cpu, arguments made mx.arrays once; mx.eval(),
               W4 .item().
  tinygrad     TinyJit of the expression realized on the default device (a CPU device on a
               machine without a GPU; its name is reported), arguments realized there once;
               W4 .item(). Array results stay in tinygrad's buffers (no .numpy()), as ndjit's
               W*/ndjit cases keep theirs in an NDArray.
  mxnet        MXNet 1.9.1's mx.nd expressions (imperative, as its tutorial writes them);
               .wait_to_read(), W4 .asscalar().
Every variant writes x^3 as x * x * x, as ndjit_bench's W2 does, and W3 with the library's own
softmax where it has one.
"""

import argparse
import contextlib
import ctypes
import gc
import json
import os
import platform
import statistics
import sys
import time

import numpy as np

ALL_PEERS = ["numpy", "numexpr", "jax", "mlx", "tinygrad", "mxnet"]
WORKLOADS = ["W1", "W2", "W3", "W4", "W5"]
DESCRIPTIONS = {
    "W1": "`a*b+c`",
    "W2": "GELU (tanh form)",
    "W3": "softmax (rows)",
    "W4": "`mean((a-b)^2)`",
    "W5": "column norm",
}
THREADS = 2  # the hand loops' and numexpr's thread count (checked against the library)


def log(msg):
    print(f"peers.py: {msg}", file=sys.stderr, flush=True)


# ---- the workloads: shapes, inputs and float64 references ----


def shapes(quick):
    """Input shapes and value ranges as in bench/ndjit_bench.cc (quick: small ones)."""
    n = 1 << 18 if quick else 1 << 24
    soft = (256, 1024) if quick else (4096, 1024)
    norm = (512, 512) if quick else (8192, 512)
    return {
        "W1": ([(n,), (n,), (n,)], -1.0, 1.0),
        "W2": ([(n,)], -4.0, 4.0),
        "W3": ([soft], -4.0, 4.0),
        "W4": ([(n,), (n,)], -1.0, 1.0),
        "W5": ([norm], 0.0, 1.0),
    }


def make_inputs(spec, seed):
    in_shapes, low, high = spec
    rng = np.random.default_rng(seed)
    out = []
    for shape in in_shapes:
        u = rng.random(shape, dtype=np.float32)
        out.append(np.ascontiguousarray(np.float32(low) + np.float32(high - low) * u))
    return out


def reference(name, inputs):
    x = [v.astype(np.float64) for v in inputs]
    if name == "W1":
        return x[0] * x[1] + x[2]
    if name == "W2":
        v = x[0]
        return 0.5 * v * (1 + np.tanh(0.7978845608 * (v + 0.044715 * v**3)))
    if name == "W3":
        e = np.exp(x[0] - x[0].max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    if name == "W4":
        return np.array(np.mean((x[0] - x[1]) ** 2))
    if name == "W5":
        v = x[0]
        return (v - v.mean(axis=0)) / np.sqrt(v.var(axis=0) + 1e-5)
    raise ValueError(name)


def max_error(y, ref):
    y = np.asarray(y, dtype=np.float64).reshape(ref.shape)
    e = np.abs(y - ref) / (1 + np.abs(ref))
    return float("inf") if np.isnan(e).any() else float(e.max())


# ---- the hand loops (libndjit_hand.so) ----


class Hand:
    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        f32p = ctypes.POINTER(ctypes.c_float)
        i64 = ctypes.c_int64
        sigs = {
            "ndjit_hand_threads": ([], ctypes.c_int),
            "ndjit_hand_w1": ([f32p] * 4 + [i64], None),
            "ndjit_hand_w2": ([f32p] * 2 + [i64], None),
            "ndjit_hand_w3": ([f32p] * 2 + [i64, i64], None),
            "ndjit_hand_w4": ([f32p] * 2 + [i64], ctypes.c_float),
            "ndjit_hand_w5": ([f32p] * 2 + [i64, i64], None),
        }
        if hasattr(self.lib, "ndjit_hand_w1_stream"):  # x86-64 builds only
            sigs["ndjit_hand_w1_stream"] = ([f32p] * 4 + [i64], None)
        for name, (args, res) in sigs.items():
            fn = getattr(self.lib, name)
            fn.argtypes, fn.restype = args, res
        self.threads = self.lib.ndjit_hand_threads()
        self.has_stream = "ndjit_hand_w1_stream" in sigs

    def variants(self, name, inputs):
        """{variant: run()} for the hand loop(s) of one workload; run() returns the result."""
        f32p = ctypes.POINTER(ctypes.c_float)
        ptr = [v.ctypes.data_as(f32p) for v in inputs]
        lib = self.lib
        if name == "W4":
            n = inputs[0].size
            return {"hand": lambda: lib.ndjit_hand_w4(ptr[0], ptr[1], n)}
        out = np.empty_like(inputs[0])
        optr = out.ctypes.data_as(f32p)
        if name == "W1":
            n = out.size

            def w1():
                lib.ndjit_hand_w1(ptr[0], ptr[1], ptr[2], optr, n)
                return out

            runs = {"hand": w1}
            if self.has_stream:

                def w1_stream():
                    lib.ndjit_hand_w1_stream(ptr[0], ptr[1], ptr[2], optr, n)
                    return out

                runs["hand_stream"] = w1_stream
            return runs
        if name == "W2":

            def w2():
                lib.ndjit_hand_w2(ptr[0], optr, out.size)
                return out

            return {"hand": w2}
        rows, cols = out.shape
        fn = lib.ndjit_hand_w3 if name == "W3" else lib.ndjit_hand_w5

        def w35():
            fn(ptr[0], optr, rows, cols)
            return out

        return {"hand": w35}


# ---- the peers: import() -> (module, version); build(name, inputs) -> (run, to_numpy) ----
#
# build puts the inputs where the library wants them once (not timed) and returns run(), the
# timed call, and to_numpy(result) for the accuracy check.


def numpy_import():
    return np, np.__version__


def numpy_build(np_, name, inp):
    if name == "W1":
        a, b, c = inp
        return lambda: a * b + c, None
    if name == "W2":
        (x,) = inp
        return lambda: 0.5 * x * (1 + np.tanh(0.7978845608 * (x + 0.044715 * x * x * x))), None
    if name == "W3":
        (x,) = inp

        def softmax():
            e = np.exp(x - x.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)

        return softmax, None
    if name == "W4":
        a, b = inp
        return lambda: float(np.mean((a - b) ** 2)), None
    (x,) = inp
    return lambda: (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-5), None


def numexpr_import():
    import numexpr as ne

    ne.set_num_threads(THREADS)
    return ne, ne.__version__


def numexpr_build(ne, name, inp):
    ev = ne.evaluate
    if name == "W1":
        d = dict(zip("abc", inp))
        return lambda: ev("a * b + c", local_dict=d), None
    if name == "W2":
        d = {"x": inp[0]}
        expr = "0.5 * x * (1 + tanh(0.7978845608 * (x + 0.044715 * x * x * x)))"
        return lambda: ev(expr, local_dict=d), None
    if name == "W3":
        (x,) = inp

        def softmax():
            m = x.max(axis=1, keepdims=True)
            e = ev("exp(x - m)", local_dict={"x": x, "m": m})
            s = e.sum(axis=1, keepdims=True)
            return ev("e / s", local_dict={"e": e, "s": s})

        return softmax, None
    if name == "W4":
        d = dict(zip("ab", inp))
        n = inp[0].size
        return lambda: float(ev("sum((a - b) ** 2)", local_dict=d)) / n, None
    (x,) = inp

    def norm():
        m = x.mean(axis=0)
        v = x.var(axis=0)
        return ev("(x - m) / sqrt(v + 1e-5)", local_dict={"x": x, "m": m, "v": v})

    return norm, None


def jax_import():
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax

    return jax, jax.__version__


def jax_build(jax, name, inp):
    import jax.numpy as jnp

    args = [jax.device_put(v) for v in inp]
    jax.block_until_ready(args)
    if name == "W1":
        f = jax.jit(lambda a, b, c: a * b + c)
    elif name == "W2":
        f = jax.jit(lambda x: 0.5 * x * (1 + jnp.tanh(0.7978845608 * (x + 0.044715 * x * x * x))))
    elif name == "W3":
        f = jax.jit(lambda x: jax.nn.softmax(x, axis=1))
    elif name == "W4":
        f = jax.jit(lambda a, b: jnp.mean((a - b) ** 2))
        return lambda: float(f(*args)), None
    else:
        f = jax.jit(lambda x: (x - jnp.mean(x, axis=0)) / jnp.sqrt(jnp.var(x, axis=0) + 1e-5))
    return lambda: f(*args).block_until_ready(), np.asarray


def mlx_import():
    import mlx.core as mx

    mx.set_default_device(mx.cpu)
    from importlib.metadata import version

    return mx, version("mlx")


def mlx_build(mx, name, inp):
    args = [mx.array(v) for v in inp]
    mx.eval(*args)
    if name == "W1":
        f = mx.compile(lambda a, b, c: a * b + c)
    elif name == "W2":
        f = mx.compile(lambda x: 0.5 * x * (1 + mx.tanh(0.7978845608 * (x + 0.044715 * x * x * x))))
    elif name == "W3":
        f = mx.compile(lambda x: mx.softmax(x, axis=1))
    elif name == "W4":
        f = mx.compile(lambda a, b: mx.mean((a - b) ** 2))
        return lambda: f(*args).item(), None
    else:
        f = mx.compile(lambda x: (x - mx.mean(x, axis=0)) / mx.sqrt(mx.var(x, axis=0) + 1e-5))

    def run():
        y = f(*args)
        mx.eval(y)
        return y

    return run, lambda y: np.array(y)


def tinygrad_import():
    import tinygrad
    from importlib.metadata import version

    device = tinygrad.Device.DEFAULT
    renderer = type(tinygrad.Device[device].renderer).__name__
    return tinygrad, f"{version('tinygrad')} ({device}, {renderer})"


def tinygrad_build(tinygrad, name, inp):
    from tinygrad import Tensor, TinyJit

    args = [Tensor(v).realize() for v in inp]
    # tinygrad's CPU device runs kernels on a worker thread and neither realize() nor TinyJit
    # waits for them: run() synchronizes, as wait_to_read() does (W4's .item() waits anyway).
    device = tinygrad.Device[args[0].device]
    if name == "W1":
        f = TinyJit(lambda a, b, c: (a * b + c).realize())
    elif name == "W2":
        f = TinyJit(
            lambda x: (0.5 * x * (1 + (0.7978845608 * (x + 0.044715 * x * x * x)).tanh())).realize()
        )
    elif name == "W3":
        f = TinyJit(lambda x: x.softmax(axis=1).realize())
    elif name == "W4":
        f = TinyJit(lambda a, b: ((a - b) ** 2).mean().realize())
        return lambda: f(*args).item(), None
    else:
        # tinygrad's var is the unbiased one unless told otherwise.
        f = TinyJit(
            lambda x: ((x - x.mean(axis=0)) / (x.var(axis=0, correction=0) + 1e-5).sqrt()).realize()
        )
    def run():
        y = f(*args)
        device.synchronize()
        return y

    return run, lambda y: y.numpy()


def mxnet_import():
    import mxnet as mx

    return mx, mx.__version__


def mxnet_build(mx, name, inp):
    nd = mx.nd
    args = [nd.array(v, dtype="float32") for v in inp]
    nd.waitall()
    if name == "W1":
        a, b, c = args

        def run():
            y = a * b + c
            y.wait_to_read()
            return y

    elif name == "W2":
        (x,) = args

        def run():
            y = 0.5 * x * (1 + nd.tanh(0.7978845608 * (x + 0.044715 * x * x * x)))
            y.wait_to_read()
            return y

    elif name == "W3":
        (x,) = args

        def run():
            y = nd.softmax(x, axis=1)
            y.wait_to_read()
            return y

    elif name == "W4":
        a, b = args
        return lambda: nd.mean((a - b) ** 2).asscalar(), None
    else:
        (x,) = args

        def run():
            # NDArray's operators broadcast only between arrays of the same rank: keepdims.
            m = x.mean(axis=0, keepdims=True)
            v = ((x - m) ** 2).mean(axis=0, keepdims=True)
            y = (x - m) / nd.sqrt(v + 1e-5)
            y.wait_to_read()
            return y

    return run, lambda y: y.asnumpy()


PEERS = {
    "numpy": (numpy_import, numpy_build),
    "numexpr": (numexpr_import, numexpr_build),
    "jax": (jax_import, jax_build),
    "mlx": (mlx_import, mlx_build),
    "tinygrad": (tinygrad_import, tinygrad_build),
    "mxnet": (mxnet_import, mxnet_build),
}


# ---- timing ----


def time_rounds(runs, rounds, settle_s):
    """Round-robin: each round times every variant once, starting from a different one.

    Before each call the process sleeps settle_s: the libraries' worker threads (libgomp's, XLA's,
    MXNet's) spin for a while after their work, and on 2 cores the spinning of the previous
    variant's threads would be charged to the next variant.
    """
    names = list(runs)
    seconds = {v: [] for v in names}
    for r in range(rounds):
        for k in range(len(names)):
            v = names[(r + k) % len(names)]
            time.sleep(settle_s)
            start = time.perf_counter()
            runs[v]()
            seconds[v].append(time.perf_counter() - start)
    return seconds


@contextlib.contextmanager
def plain_pages():
    """NumPy allocations without its huge-page advice (NumPy advises arrays of 4 MiB and more):
    the hand loops read std::vectors in ndjit_bench's Paired rounds, and the same kind of memory
    here."""
    core = getattr(np, "_core", None) or getattr(np, "core")
    setter = getattr(core.multiarray, "_set_madvise_hugepage", None)
    previous = setter(False) if setter else None
    try:
        yield
    finally:
        if setter:
            setter(previous)


def run_workload(name, spec, hand, peers, args):
    log(f"{name}: inputs {spec[0]} in [{spec[1]}, {spec[2]})")
    inputs = make_inputs(spec, seed=1 + WORKLOADS.index(name))
    ref = reference(name, inputs)
    # Every variant reads its own copy of the inputs and writes its own output: variants that
    # shared them would find each other's data in the last-level cache (ndjit_bench's Paired
    # rounds do the same).
    with plain_pages():
        runs = hand.variants(name, [np.copy(v) for v in inputs])
        if "hand_stream" in runs:
            runs["hand_stream"] = hand.variants(name, [np.copy(v) for v in inputs])["hand_stream"]
    results = {}
    for peer, mod in peers.items():
        try:
            run, to_numpy = PEERS[peer][1](mod, name, [np.copy(v) for v in inputs])
            # Warm-up: compiles (jit, TinyJit's capture on its second call), first touches.
            for _ in range(3):
                y = run()
            y = y if to_numpy is None else to_numpy(y)
            err = max_error(y, ref)
            # numexpr's float literals are double, so its W2 and W5 results are float64.
            dtype = str(y.dtype) if isinstance(y, np.ndarray) and y.ndim else None
        except Exception as e:  # a peer that cannot run a workload is reported, not fatal
            log(f"{name}/{peer}: failed: {type(e).__name__}: {e}")
            results[peer] = {"status": "failed", "error": f"{type(e).__name__}: {e}"[:300]}
            continue
        if err > args.tol:
            log(f"{name}/{peer}: wrong: err {err:.3g} > --tol {args.tol:g}; not timed")
            results[peer] = {"status": "wrong", "err": err}
            continue
        results[peer] = {"status": "ok", "err": err, "dtype": dtype}
        runs[peer] = run
    for v in [v for v in runs if v.startswith("hand")]:
        y = runs[v]()
        results[v] = {"status": "ok", "err": max_error(y, ref)}
        for _ in range(2):
            runs[v]()
    seconds = time_rounds(runs, args.rounds, args.settle_ms / 1e3)
    hand_s = seconds["hand"]
    for v, s in seconds.items():
        ratios = [t / h for t, h in zip(s, hand_s)]
        results[v].update(
            ratio=statistics.median(ratios),
            ms=1e3 * statistics.median(s),
            hand_ms=1e3 * statistics.median(hand_s),
            ratio_min=min(ratios),
            ratio_max=max(ratios),
        )
        log(
            f"{name}/{v}: {results[v]['ms']:.2f} ms, ratio to hand {results[v]['ratio']:.2f} "
            f"(range {min(ratios):.2f}-{max(ratios):.2f}), err {results[v]['err']:.2g}"
        )
    return results


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_isa():
    try:
        with open("/proc/cpuinfo") as f:
            flags = next(line for line in f if line.startswith("flags")).split()
    except (OSError, StopIteration):
        return ""
    for isa in ("avx512f", "avx2", "avx", "sse4_2"):
        if isa in flags:
            return isa
    return ""


def measure(args):
    hand = Hand(args.lib)
    if hand.threads != THREADS:
        log(f"note: the hand loops run on {hand.threads} threads, numexpr on {THREADS}")
    want = args.peers.split(",") if args.peers else ALL_PEERS
    unknown = [p for p in want if p not in PEERS]
    if unknown:
        sys.exit(f"peers.py: unknown peers {unknown} (known: {','.join(ALL_PEERS)})")
    peers, versions, missing = {}, {}, {}
    for p in want:
        try:
            peers[p], versions[p] = PEERS[p][0]()
            log(f"{p} {versions[p]}")
        except Exception as e:  # ImportError, or a library that fails while loading
            missing[p] = f"{type(e).__name__}: {e}"[:300]
            log(f"{p}: missing ({missing[p]})")
    spec = shapes(args.quick)
    only = args.only.split(",") if args.only else WORKLOADS
    workloads = {}
    for name in only:
        if name not in spec:
            sys.exit(f"peers.py: unknown workload {name} (known: {','.join(WORKLOADS)})")
        workloads[name] = run_workload(name, spec[name], hand, peers, args)
        gc.collect()
    return {
        "cpu": cpu_model(),
        "isa": cpu_isa(),
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "hand_lib": os.path.abspath(args.lib),
        "hand_threads": hand.threads,
        "rounds": args.rounds,
        "settle_ms": args.settle_ms,
        "quick": args.quick,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "versions": versions,
        "missing": missing,
        "workloads": workloads,
    }


# ---- merging runs and the table ----


def merge(runs):
    """One result from several runs: a variant's entry from the run where it ran."""
    out = dict(runs[0])
    out["versions"], out["missing"], out["workloads"], out["runs"] = {}, {}, {}, []
    rank = {"ok": 0, "wrong": 1, "failed": 2}
    for r in runs:
        out["runs"].append({k: r[k] for k in ("python", "date", "rounds", "quick")})
        out["versions"].update(r["versions"])
        for name, res in r["workloads"].items():
            merged = out["workloads"].setdefault(name, {})
            for v, entry in res.items():
                old = merged.get(v)
                if old is None or rank[entry["status"]] < rank[old["status"]]:
                    merged[v] = entry
        for p, why in r["missing"].items():
            out["missing"].setdefault(p, why)
    for p in out["versions"]:
        out["missing"].pop(p, None)
    return out


def cell(entry):
    if entry is None:
        return "–"
    if entry["status"] == "wrong":
        return f"wrong (err {entry['err']:.1g})"
    if entry["status"] == "failed":
        return "failed"
    dtype = entry.get("dtype")
    note = f" ({dtype})" if dtype and dtype != "float32" else ""
    return f"{entry['ratio']:.2f}{note}"


def print_table(result, out=sys.stdout):
    workloads = result["workloads"]
    shown = [v for v in ["hand_stream"] + ALL_PEERS if any(v in w for w in workloads.values())]
    peers = [v for v in shown if v in ALL_PEERS]
    head = ["workload", "hand"] + shown + ["best peer"]
    print("| " + " | ".join(head) + " |", file=out)
    print("|" + "---|" * len(head), file=out)
    for name, res in workloads.items():
        ok = [(res[p]["ratio"], p) for p in peers if res.get(p, {}).get("status") == "ok"]
        best = f"{min(ok)[1]} {min(ok)[0]:.2f}" if ok else "–"
        hand_ms = res["hand"]["ms"]
        row = [f"{name} {DESCRIPTIONS.get(name, '')}", f"1.00 ({hand_ms:.1f} ms)"]
        row += [cell(res.get(v)) for v in shown] + [best]
        print("| " + " | ".join(row) + " |", file=out)
    print(file=out)
    isa = f", {result['isa']}" if result.get("isa") else ""
    print(f"CPU: {result['cpu']} ({result['nproc']} CPUs{isa})", file=out)
    runs = result.get("runs") or [result]
    quick = " (--quick sizes)" if result.get("quick") else ""
    print(
        f"Median over {result['rounds']} round-robin rounds{quick} of each variant's time over "
        f"the hand loop's ({result['hand_threads']} threads, "
        f"{os.path.basename(result['hand_lib'])}) "
        f"in the same round; Python {', '.join(sorted({r['python'] for r in runs}))}.",
        file=out,
    )
    versions = ", ".join(f"{p} {v}" for p, v in result["versions"].items())
    print(f"Versions: {versions}", file=out)
    for p, why in result["missing"].items():
        print(f"Missing: {p} ({why})", file=out)
    for name, res in workloads.items():
        for v, entry in res.items():
            if entry["status"] == "failed":
                print(f"Failed: {name}/{v}: {entry['error']}", file=out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lib", default=os.environ.get("NDJIT_HAND_LIB"), help="libndjit_hand.so")
    parser.add_argument("--rounds", type=int, default=None, help="rounds (default 15; quick 3)")
    parser.add_argument("--only", help="workloads, e.g. W1,W4")
    parser.add_argument("--peers", help=f"peers to run (default {','.join(ALL_PEERS)})")
    parser.add_argument("--quick", action="store_true", help="small sizes and 3 rounds")
    parser.add_argument("--settle-ms", type=float, default=5, help="pause before each call")
    parser.add_argument("--tol", type=float, default=1e-3, help="largest error counted as right")
    parser.add_argument("--json", help="write the result (or the merged result) to this file")
    parser.add_argument("--merge", nargs="+", metavar="JSON", help="print one table from runs")
    parser.add_argument(
        "--missing",
        action="append",
        default=[],
        metavar="PEER=WHY",
        help="with --merge: why a peer is missing (replaces the runs' reason)",
    )
    args = parser.parse_args()

    if args.merge:
        runs = []
        for path in args.merge:
            with open(path) as f:
                runs.append(json.load(f))
        result = merge(runs)
        for note in args.missing:
            peer, _, why = note.partition("=")
            if peer in result["missing"]:
                result["missing"][peer] = why
    else:
        if not args.lib:
            repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
            args.lib = os.path.join(repo, "build", "release", "bench", "libndjit_hand.so")
        if not os.path.exists(args.lib):
            sys.exit(
                f"peers.py: {args.lib} not found: build it with `cmake --preset release && "
                "cmake --build --preset release --target ndjit_hand` (or pass --lib)"
            )
        if args.rounds is None:
            args.rounds = 3 if args.quick else 15
        result = measure(args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    print_table(result)


if __name__ == "__main__":
    main()
