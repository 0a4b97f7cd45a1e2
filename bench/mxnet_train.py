#!/usr/bin/env python3
"""The MXNet tutorial's Gluon training loop, timed: MXNet's side of the TrainLoop peer comparison.

This is the loop from MXNet 1.x's "NDArray: gotchas" tutorial (the LossBuffer example), the loop
that ndjit's `TrainLoop/ndjit` benchmark case reproduces in C++:

    Dense(10) on 1024 samples of 100 uniform features with random labels in [0, 10), softmax
    cross-entropy, plain SGD (MXNet 1.x defaults: lr 0.01, no momentum, no weight decay),
    batches of 128 (8 steps per epoch), the loss of each step read one step late so that the
    blocking `asnumpy()` finds a value the engine has usually computed already.

It reports training steps per second over the timed epochs, after `--warmup-epochs` untimed ones
(the first forward also finishes Dense's deferred initialization). Labels are random, so the loss
stays near ln(10) ~= 2.30: the figure checks that the loop computed something sensible, not that
it learned.

Run it with MXNet 1.9.1 and numpy < 1.24 (bench/mxnet_peer.sh sets up such an environment):
    python bench/mxnet_train.py [--epochs N] [--warmup-epochs N] [--seed N] [--json]
"""

import argparse
import json
import os
import platform
import sys
import time

import numpy as np
import mxnet as mx
from mxnet import autograd, gluon

NUM_SAMPLES = 1024
NUM_FEATURES = 100
NUM_CLASSES = 10
BATCH_SIZE = 128
# The tutorial loads with num_workers=2. The comparison uses 0, so batches are assembled on the
# calling thread: ndjit's C++ loop has no worker processes either, and both figures then measure
# the same thing (the training step plus in-process batching), not MXNet's multiprocessing.
NUM_WORKERS = 0


class LossBuffer:
    """Holds the most recent loss and hands back the one before it (the tutorial's helper)."""

    def __init__(self):
        self._loss = None

    def new_loss(self, loss):
        """Stores `loss` and returns the previously stored one (None on the first call)."""
        previous = self._loss
        self._loss = loss
        return previous

    @property
    def loss(self):
        return self._loss


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Times the MXNet tutorial's Gluon training loop (steps per second).")
    parser.add_argument("--epochs", type=int, default=20,
                        help="timed epochs (default: %(default)s)")
    parser.add_argument("--warmup-epochs", type=int, default=2,
                        help="untimed epochs run first (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of mx.random and numpy's global RNG (default: %(default)s)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object instead of text")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    if args.warmup_epochs < 0:
        parser.error("--warmup-epochs must not be negative")
    return args


def build(seed):
    """Creates the data, the loader, the model, the loss and the trainer, all seeded."""
    mx.random.seed(seed)
    # numpy's global RNG draws the labels and DataLoader's per-epoch shuffle (RandomSampler).
    np.random.seed(seed)

    data = mx.nd.random.uniform(shape=(NUM_SAMPLES, NUM_FEATURES))
    labels = mx.nd.array(np.random.randint(0, NUM_CLASSES, (NUM_SAMPLES,)), dtype="int32")
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(data, labels),
                                   batch_size=BATCH_SIZE, shuffle=True, num_workers=NUM_WORKERS)

    net = gluon.nn.Dense(NUM_CLASSES)
    net.initialize()  # default initializer: weight ~ U(-0.07, 0.07), bias 0; shape deferred
    loss_fn = gluon.loss.SoftmaxCELoss()
    trainer = gluon.Trainer(net.collect_params(), "sgd")
    return loader, net, loss_fn, trainer


def run_epoch(loader, net, loss_fn, trainer, buffer, losses):
    """One pass over the data; appends the mean of each delayed loss it reads. Returns steps."""
    steps = 0
    for x, y in loader:
        with autograd.record():
            out = net(x)
            previous = buffer.new_loss(loss_fn(out, y))
        buffer.loss.backward()
        trainer.step(x.shape[0])
        # The blocking read, one step late as in the tutorial. Only the float is kept; printing
        # waits until the clock has stopped.
        if previous is not None:
            losses.append(float(np.mean(previous.asnumpy())))
        steps += 1
    return steps


def main(argv):
    args = parse_args(argv)
    loader, net, loss_fn, trainer = build(args.seed)
    # One buffer for the whole run, so the delayed read carries across epoch boundaries and
    # from the warmup into the timed epochs.
    buffer = LossBuffer()

    warmup_losses = []
    for _ in range(args.warmup_epochs):
        run_epoch(loader, net, loss_fn, trainer, buffer, warmup_losses)

    # Nothing from the warmup (or from data creation) may still be running when the clock starts,
    # and nothing from the timed epochs may be left running when it stops.
    mx.nd.waitall()
    epoch_losses = []
    steps = 0
    start = time.perf_counter()
    for _ in range(args.epochs):
        losses = []
        steps += run_epoch(loader, net, loss_fn, trainer, buffer, losses)
        epoch_losses.append(losses)
    mx.nd.waitall()
    seconds = time.perf_counter() - start

    delayed = [value for losses in epoch_losses for value in losses]
    result = {
        "system": "mxnet",
        "mxnet_version": mx.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "engine": os.environ.get("MXNET_ENGINE_TYPE", "ThreadedEnginePerDevice (default)"),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "samples": NUM_SAMPLES,
        "batch_size": BATCH_SIZE,
        "num_workers": NUM_WORKERS,
        "seed": args.seed,
        "warmup_epochs": args.warmup_epochs,
        "epochs": args.epochs,
        "steps": steps,
        "seconds": seconds,
        "steps_per_second": steps / seconds,
        # Mean over the batch of the last loss read in the timed epochs (None only when the
        # timed part was a single step with no warmup before it).
        "last_loss": delayed[-1] if delayed else None,
        # Mean of the delayed losses read in each timed epoch.
        "epoch_mean_losses": [float(np.mean(losses)) if losses else None
                              for losses in epoch_losses],
    }

    if args.json:
        print(json.dumps(result))
        return 0

    print(f"MXNet {result['mxnet_version']} (numpy {result['numpy_version']}, "
          f"Python {result['python_version']}), engine {result['engine']}")
    print(f"{NUM_SAMPLES} samples x {NUM_FEATURES} features, batch {BATCH_SIZE}, "
          f"num_workers {NUM_WORKERS}, seed {args.seed}")
    for epoch, mean in enumerate(result["epoch_mean_losses"], start=1):
        shown = "n/a" if mean is None else f"{mean:.6f}"
        print(f"  epoch {epoch:3d}: mean delayed loss {shown}")
    last = "n/a" if result["last_loss"] is None else f"{result['last_loss']:.6f}"
    print(f"last delayed loss: {last}")
    print(f"{steps} steps in {seconds:.4f} s ({args.warmup_epochs} warmup epochs not timed): "
          f"{result['steps_per_second']:.1f} steps/s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
