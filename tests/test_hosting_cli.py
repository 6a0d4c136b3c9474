"""Serving on a non-loopback address: an open /_sim must be asked for; the rule at start-up."""

from __future__ import annotations

import pytest

from simulator.cli import main
from simulator.hosting import exposure_problem, is_loopback_host
from simulator.settings import Settings


def test_non_loopback_without_admin_token_refuses_to_start(
    capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    code = main(["serve", "--host", "0.0.0.0", "--port", "0", "--database", f"{tmp_path}/sim.db"])
    assert code == 2
    line, remedy = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("onekyc-sim: refusing to serve /_sim without an admin token on 0.0.0.0")
    assert "--admin-token" in remedy
    assert "--allow-unauthenticated-admin" in remedy


@pytest.mark.parametrize(
    ("host", "extra", "refused"),
    [
        ("0.0.0.0", {}, True),
        ("192.168.1.20", {}, True),
        ("::", {}, True),
        ("0.0.0.0", {"admin_token": "t"}, False),
        ("0.0.0.0", {"allow_unauthenticated_admin": True}, False),
        ("127.0.0.1", {}, False),
        ("localhost", {}, False),
        ("::1", {}, False),
    ],
)
def test_the_start_up_rule(host: str, extra: dict[str, object], refused: bool) -> None:
    assert (exposure_problem(Settings(host=host, **extra)) is not None) is refused  # type: ignore[arg-type]
    assert is_loopback_host(host) is (host in ("127.0.0.1", "localhost", "::1"))
