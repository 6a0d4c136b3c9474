"""Log lines are stamped in ISO 8601 UTC with milliseconds and `Z`, in JSON and in text, as the clock shows time."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

from simulator.logs import JsonFormatter, TextFormatter
from simulator.testing_server import free_port


def record_at(epoch: float) -> logging.LogRecord:
    record = logging.LogRecord("simulator.app", logging.INFO, __file__, 1, "simulator ready", None, None)
    record.created, record.msecs = epoch, (epoch - int(epoch)) * 1000
    return record


def test_json_and_text_lines_carry_utc_milliseconds_and_z() -> None:
    record = record_at(1777629602.125)  # 2026-05-01T10:00:02.125Z
    assert json.loads(JsonFormatter().format(record))["time"] == "2026-05-01T10:00:02.125Z"
    assert TextFormatter().format(record) == "2026-05-01T10:00:02.125Z INFO    simulator.app: simulator ready"


def test_the_served_simulator_logs_in_that_form(tmp_path: Path) -> None:
    # The first line a real start logs, in a time zone far from UTC.
    command = [
        sys.executable,
        "-m",
        "simulator",
        "serve",
        "--port",
        str(free_port()),
        "--database",
        str(tmp_path / "l.db"),
    ]
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env={**os.environ, "TZ": "Asia/Jakarta"}
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
    finally:
        process.terminate()
        process.wait(30)
        if process.stderr is not None:
            process.stderr.close()
    entry = json.loads(line)
    assert entry["message"] == "simulator ready"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["time"]), entry["time"]
