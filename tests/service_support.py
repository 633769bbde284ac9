"""Helpers of the service tests: a real uvicorn in a subprocess, and the CDS Hooks card shapes."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

INDICATORS = ("info", "warning", "critical")


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_service(*options: str, workdir: Path, timeout: float = 90.0) -> Iterator[str]:
    """Start ``hcc-asp serve`` on a free loopback port; yield its base URL; stop it after.

    ``{base}`` in an option stands for the service's own base URL (for ``--public-url``).
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "hcc_asp", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--log-level", "warning"]
    command += [option.replace("{base}", base) for option in options]
    log = (workdir / f"serve-{port}.log").open("wb")
    process = subprocess.Popen(
        command, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy()
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError((workdir / f"serve-{port}.log").read_text())
            try:
                httpx.get(f"{base}/cds-services", timeout=2.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def no_null_or_empty(value: Any, path: str = "") -> list[str]:
    """Paths of null or empty optional members (CDS Hooks: "SHALL NOT be null ... empty")."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if item is None or item in ("", [], {}):
                found.append(f"{path}.{key}")
            else:
                found.extend(no_null_or_empty(item, f"{path}.{key}"))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(no_null_or_empty(item, f"{path}[{index}]"))
    return found


def assert_card_shape(card: dict[str, Any]) -> None:
    """Check one card against the CDS Hooks 2.0 card attributes."""
    allowed = {
        "uuid",
        "summary",
        "detail",
        "indicator",
        "source",
        "suggestions",
        "selectionBehavior",
        "overrideReasons",
        "links",
    }
    assert set(card) <= allowed, set(card) - allowed
    assert isinstance(card["summary"], str) and 0 < len(card["summary"]) < 140, card["summary"]
    assert "\n" not in card["summary"]
    assert card["indicator"] in INDICATORS
    assert isinstance(card["source"]["label"], str) and card["source"]["label"]
    assert set(card["source"]) <= {"label", "url", "icon", "topic"}
    if "url" in card["source"]:
        assert card["source"]["url"].startswith("https://")
    for link in card.get("links", []):
        assert set(link) <= {"label", "url", "type", "appContext", "autolaunchable"}
        assert link["label"] and link["type"] in ("absolute", "smart")
        assert link["url"].startswith(("http://", "https://"))
    if card.get("suggestions"):
        assert card["selectionBehavior"] in ("at-most-one", "any")
        for suggestion in card["suggestions"]:
            assert suggestion["label"]
            for action in suggestion.get("actions", []):
                assert action["type"] in ("create", "update", "delete")
                assert action["description"]
                if action["type"] == "create":
                    assert action["resource"]["resourceType"]
                if action["type"] == "delete":
                    assert "/" in action["resourceId"]
    assert no_null_or_empty(card) == []


def assert_operation_outcome(response: httpx.Response, status: int, *words: str) -> list[str]:
    """Check an error answer: the status, an OperationOutcome, no traceback; return its lines."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    lines = [issue["diagnostics"] for issue in body["issue"]]
    assert all(issue["severity"] == "error" for issue in body["issue"])
    assert "Traceback" not in response.text and 'File "' not in response.text
    text = "\n".join(lines)
    for word in words:
        assert word in text, text
    return lines
