"""Stopping the local run quietly: the emulator outlives the terminal's Ctrl-C until the run stops it, and the
event pump says nothing of a poll that the stop cut off (it did print "polling failed" and a traceback)."""

from __future__ import annotations

import logging
import os
import signal
import time
import urllib.request

import pytest

from local.emulator import Emulator, free_port
from local.pump import Pump


def test_the_emulator_ignores_ctrl_c_and_stops_when_told(emulator: Emulator) -> None:
    assert emulator.process is not None
    # What the terminal sends to the whole foreground process group on Ctrl-C.
    os.kill(emulator.process.pid, signal.SIGINT)
    time.sleep(0.5)
    assert emulator.process.poll() is None
    with urllib.request.urlopen(f"{emulator.endpoint}/moto-api/", timeout=5) as response:
        assert response.status == 200


@pytest.mark.slow  # an emulator of its own, in a process
def test_an_emulator_stops_at_once_when_its_owner_stops_it() -> None:
    own = Emulator(free_port()).start()
    assert own.process is not None
    own.process.send_signal(signal.SIGINT)
    began = time.monotonic()
    own.stop()  # SIGTERM
    assert own.process.returncode == 0 and time.monotonic() - began < 5


class FailingSource:
    """A source whose poll fails, as one does when what it reads goes away."""

    def __init__(self, pump_stopping: bool) -> None:
        self.pump: Pump | None = None
        self.pump_stopping = pump_stopping

    def poll(self) -> int:
        assert self.pump is not None
        if self.pump_stopping:
            self.pump._stop.set()  # the stop arrives while this poll is under way
        raise ConnectionRefusedError("the emulator is gone")


@pytest.mark.parametrize("stopping", [True, False])
def test_a_poll_cut_off_by_the_stop_is_no_news(caplog: pytest.LogCaptureFixture, stopping: bool) -> None:
    source = FailingSource(stopping)
    pump = Pump([source], idle_seconds=0.01)  # type: ignore[list-item]
    source.pump = pump
    caplog.set_level(logging.INFO, logger="cfp.local.pump")
    pump.start()
    time.sleep(0.2)
    pump.stop()
    failures = [r for r in caplog.records if "polling failed" in r.getMessage()]
    # Stopping: not a word. Running: a failed poll is logged, and polling goes on.
    assert (failures == []) is stopping
