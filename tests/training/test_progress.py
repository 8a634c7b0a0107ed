"""What a run costs is said early: the model's size, then the time per epoch, and a warning for a long run."""

import logging
import re

import keras
import numpy as np

from kerazoo.training import progress
from kerazoo.training.progress import CostEstimate, duration


def _fit(estimate: CostEstimate) -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)], name="tiny")
    model.compile("sgd", "mse")
    model.fit(np.ones((64, 4)), np.ones((64, 3)), batch_size=8, epochs=2, callbacks=[estimate], verbose=0)


def test_the_size_and_the_time_per_epoch_are_logged_after_the_first_steps(caplog):
    with caplog.at_level(logging.INFO, logger="kerazoo.training"):
        _fit(CostEstimate())
    messages = [record.getMessage() for record in caplog.records]
    assert messages[0] == "tiny: 15 parameters"
    estimate = re.fullmatch(
        r"\nabout (.+) per epoch \((\S+) s per step\), (.+) for the 2 epoch\(s\) to go", messages[1]
    )
    assert estimate, messages[1]
    assert 0 < float(estimate[2]) < 60  # a 15-parameter model's step, timed
    assert all(re.fullmatch(r"\d+ (h|min|s)( \d+ (min|s))?", estimate[i]) for i in (1, 3)), messages[
        1
    ]  # as duration says
    assert len(messages) == 2  # said once, not every epoch


def test_a_long_run_at_the_default_size_is_warned_about_with_the_small_configuration(caplog, monkeypatch):
    monkeypatch.setattr(progress, "LONG_RUN_SECONDS", 0)  # any run is long
    with caplog.at_level(logging.INFO, logger="kerazoo.training"):
        _fit(CostEstimate(smaller="--set dim=16"))
    warning = next(record for record in caplog.records if record.levelno == logging.WARNING).getMessage()
    assert "tiny at its default size needs about" in warning and warning.endswith("--set dim=16")


def test_a_run_with_settings_of_its_own_is_not_warned_about(caplog, monkeypatch):
    monkeypatch.setattr(progress, "LONG_RUN_SECONDS", 0)
    with caplog.at_level(logging.INFO, logger="kerazoo.training"):
        _fit(CostEstimate())
    assert not [record for record in caplog.records if record.levelno == logging.WARNING]


def test_durations_read_as_a_person_says_them():
    assert [duration(s) for s in (0.2, 45, 200, 2160, 7500)] == ["1 s", "45 s", "3 min 20 s", "36 min", "2 h 5 min"]
