"""The distributed path: one zoo model trained on one device against `distribute.scope("auto")` over every
device. On a CPU the process is split into two virtual JAX devices (`--xla_force_host_platform_device_count`),
so the row measures what data parallelism costs or gains where both devices share the same cores."""

from __future__ import annotations

import dataclasses

import keras

from benchmarks._harness import Comparison, Row
from benchmarks._timing import random_floats, random_ints
from kerazoo import distribute, models

VIRTUAL_CPU_DEVICES = {
    "KERAS_BACKEND": "jax",
    "JAX_PLATFORMS": "cpu",
    "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
}


@dataclasses.dataclass(frozen=True)
class DataParallel:
    model: str
    settings: dict
    image_shape: tuple[int, int, int]
    batch: int

    def __str__(self):
        size = "x".join(map(str, self.image_shape))
        options = ", ".join(f"{key} {value}" for key, value in self.settings.items())
        return f"{self.model} {size}{', ' + options if options else ''}, global batch {self.batch}"


def distributed_row(config: DataParallel, timing: dict, environment: dict | None = None) -> Row:
    images = random_floats((config.batch, *config.image_shape))
    labels = random_ints((config.batch,), 10) - 1

    def under(kind: str):
        def build():
            info = distribute.resolve(kind)
            with info.variable_scope():
                model = models.build(config.model, input_shape=config.image_shape, classes=10, **config.settings)
                model.compile(
                    optimizer=keras.optimizers.Adam(1e-4),
                    loss="sparse_categorical_crossentropy",
                    **info.compile_kwargs(jit_compile=True),
                )

            def step():
                with info.variable_scope():  # the batch is split over the replicas inside the scope only
                    model.train_on_batch(images, labels)

            return step

        return build

    return Row(
        name="distributed",
        title=f"Data parallel training, one device vs distribute.scope('auto') ({config})",
        unit="samples/s",
        work=config.batch,
        contenders={"kerazoo, scope('auto')": under("auto"), "kerazoo, one device": under("one_device")},
        comparisons=[Comparison("kerazoo, scope('auto')", "kerazoo, one device", target=None)],
        notes=(
            "JAX backend on 2 virtual CPU devices that share the machine's cores: what splitting costs, not a speed-up"
            if environment == VIRTUAL_CPU_DEVICES
            else ""
        ),
        environment=environment or {},
        **timing,
    )
