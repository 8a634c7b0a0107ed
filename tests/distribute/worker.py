"""One training process for the distribution tests, run in its own interpreter (alone or under the launcher).

python worker.py KIND OUTPUT [--checkpoint DIR] [--kill-at EPOCH:STEP] [--logical-cpus N] [--precision P]
                 [--epochs N] [--optimizer sgd|adam]

Trains the zoo's `simple_cnn` (no dropout or batch norm, so replicas must agree exactly) through
`distribute.scope(KIND)` and `training.fit`, then writes `OUTPUT/process{i}.npz` (final weights) and
`OUTPUT/process{i}.json` (describe(), history, the ids of the examples this process is fed in an epoch,
and the variables' dtypes). `--kill-at` makes the last process SIGKILL itself at that step of that epoch,
once: a marker file stops the restarted job from dying again.
"""

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
parser = argparse.ArgumentParser()
parser.add_argument("kind")
parser.add_argument("output")
parser.add_argument("--checkpoint")
parser.add_argument("--kill-at")
parser.add_argument("--logical-cpus", type=int, default=1)
parser.add_argument("--precision")
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--optimizer", default="sgd", choices=("sgd", "adam"))
args = parser.parse_args()

if args.logical_cpus > 1:  # before TensorFlow fixes its devices, as Keras's own distribute tests do
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * args.logical_cpus)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from kerazoo import distribute, models, training  # noqa: E402

EXAMPLES, BATCH = 100, 20
x = np.random.default_rng(0).normal(size=(EXAMPLES, 18, 18, 1)).astype("float32")
y = (x.mean(axis=(1, 2, 3)) > 0).astype("int32")
out = Path(args.output)
out.mkdir(parents=True, exist_ok=True)


class KillOnce(keras.callbacks.Callback):
    def __init__(self, epoch, step, process_id):
        super().__init__()
        self.epoch, self.step, self.process_id, self.current = epoch, step, process_id, -1
        self.marker = out / "killed"

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.current, batch) == (self.epoch, self.step) and not self.marker.exists():
            self.marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)


keras.utils.set_random_seed(1)
with distribute.scope(args.kind, precision=args.precision) as dist:
    model = models.build("simple_cnn", input_shape=(18, 18, 1), classes=2)
    model.compile(
        **dist.compile_kwargs(
            optimizer=keras.optimizers.SGD(0.05) if args.optimizer == "sgd" else keras.optimizers.Adam(1e-3),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
    )

callbacks = []
if args.kill_at:
    epoch, step = map(int, args.kill_at.split(":"))
    if dist.process_id == dist.num_processes - 1:
        callbacks.append(KillOnce(epoch, step, dist.process_id))
started = time.perf_counter()
history = training.fit(
    model,
    x,
    y,
    batch_size=BATCH,
    epochs=args.epochs,
    distribution=dist,
    callbacks=callbacks,
    validation_data=(x[:40], y[:40]),
    checkpoint_dir=args.checkpoint,
    verbose=0,
)
fit_seconds = time.perf_counter() - started

# The ids this process fed in epoch 0, through the same pipeline and sharding that training used.
from kerazoo.training.pipeline import array_dataset  # noqa: E402

ids_dataset, steps = array_dataset(np.arange(EXAMPLES), batch_size=BATCH, epochs=1, remainder="drop")
if dist.strategy is not None:
    batches = dist.strategy.experimental_distribute_dataset(ids_dataset)
    fed = [float(v) for batch in batches for part in dist.strategy.experimental_local_results(batch) for v in part]
elif dist.distribution is not None:
    fed = [float(v) for batch in dist.distribution.distribute_dataset(ids_dataset) for v in np.asarray(batch)]
else:
    fed = [float(v) for batch in ids_dataset for v in np.asarray(batch)]

np.savez(out / f"process{dist.process_id}.npz", *[np.asarray(w) for w in model.get_weights()])
report = {
    "describe": dist.describe(),
    "kind": dist.kind,
    "num_replicas": dist.num_replicas,
    "history": history.history,
    "fit_seconds": fit_seconds,
    "fed": fed,
    "variable_dtypes": sorted({v.dtype for v in model.trainable_variables}),
    "compute_dtype": model.get_layer("conv1").compute_dtype,
}
(out / f"process{dist.process_id}.json").write_text(json.dumps(report))
sys.exit(0)
