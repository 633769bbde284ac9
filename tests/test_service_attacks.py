"""The CDS Hooks service under attack: nothing hangs, leaks, reaches elsewhere or is lost.

Every attack runs against a real uvicorn on a loopback port, with hostile FHIR servers and
clients written here on raw loopback sockets (127.0.0.1 only). The refusal of private and public
hosts is tested on the decision itself (:func:`hcc_asp.service.remote.decide` resolves and
refuses before any connection): no test sends a packet anywhere but loopback. Timeouts are made
small for the tests, and each client call carries its own timeout, so that a hang fails the test
instead of holding the suite.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import stat
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from service_support import assert_operation_outcome, running_service

from hcc_asp.service import remote
from hcc_asp.service.explanations import ExplanationStore
from hcc_asp.service.fhir import UNAVAILABLE

THERAPY = "hcc-asp-therapy"


# --- hostile FHIR servers -------------------------------------------------------------------------


class HostileServer:
    """A loopback TCP server whose answer for each path is written by the test (raw bytes).

    ``behaviours`` maps a path prefix to a function ``(connection) -> None`` that writes
    whatever it likes; every accepted connection and request line is recorded.
    """

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.base = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.requests: list[str] = []
        self.connections = 0
        self.sent: dict[str, int] = {}
        self.closed = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.closed.is_set():
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(20)
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    chunk = connection.recv(4096)
                    if not chunk:
                        return
                    data += chunk
            except OSError:
                return
            line = data.split(b"\r\n", 1)[0].decode("latin-1")
            self.requests.append(line)
            path = line.split(" ")[1]
            for prefix, behaviour in BEHAVIOURS.items():
                if path.startswith(prefix):
                    with contextlib.suppress(OSError):  # the service hung up: as intended
                        behaviour(self, connection, path)
                    return

    def close(self) -> None:
        self.closed.set()
        self.sock.close()


def _answer(connection: socket.socket, body: bytes, status: str = "200 OK") -> None:
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/fhir+json\r\n"
    head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    connection.sendall(head.encode() + body)


def _slow_drip(server: HostileServer, connection: socket.socket, path: str) -> None:
    """Headers at once, then one byte every 0.3 s, for ever (until the service hangs up)."""
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\n")
    connection.sendall(b"Content-Length: 100000\r\n\r\n{")
    while not server.closed.is_set():
        time.sleep(0.3)
        connection.sendall(b" ")


def _huge(server: HostileServer, connection: socket.socket, path: str) -> None:
    """A chunked answer without end: 64 KiB chunks of one JSON string, counted as sent."""
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\n")
    connection.sendall(b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"x" * 65536
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    connection.sendall(b'1\r\n"\r\n')
    server.sent["huge"] = 0
    while not server.closed.is_set() and server.sent["huge"] < 512 * 1024 * 1024:
        connection.sendall(framed)
        server.sent["huge"] += len(chunk)


def _nested(server: HostileServer, connection: socket.socket, path: str) -> None:
    _answer(connection, b"[" * 100_000 + b"]" * 100_000)


def _link_five(server: HostileServer, connection: socket.socket, path: str) -> None:
    bundle = {"resourceType": "Bundle", "type": "searchset", "link": 5, "entry": []}
    if "/Patient/" in path:
        bundle = {"resourceType": "Patient", "id": path.rsplit("/", 1)[1]}
    _answer(connection, json.dumps(bundle).encode())


def _status(server: HostileServer, connection: socket.socket, path: str) -> None:
    _answer(connection, b'{"resourceType": "OperationOutcome"}', "403 Forbidden")


def _not_json(server: HostileServer, connection: socket.socket, path: str) -> None:
    _answer(connection, b"<html>internal admin console</html>")


def _big_integer(server: HostileServer, connection: socket.socket, path: str) -> None:
    _answer(connection, b'{"resourceType": "Patient", "id": "p1", "x": ' + b"9" * 5000 + b"}")


BEHAVIOURS: dict[str, Any] = {
    "/drip/": _slow_drip,
    "/huge/": _huge,
    "/nested/": _nested,
    "/link5/": _link_five,
    "/status/": _status,
    "/html/": _not_json,
    "/bigint/": _big_integer,
}


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    server = HostileServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, hostile: HostileServer) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("attacks")
    options = ["--fhir-timeout", "1.5", "--fhir-max-bytes", "65536"]
    options += ["--allow-fhir-server", f"{hostile.base}/"]
    options += ["--header-timeout", "1", "--body-timeout", "1", "--limit-concurrency", "12"]
    options += ["--feedback-file", str(workdir / "feedback.jsonl")]
    with running_service(*options, workdir=workdir) as base:
        yield base


def view(patient_id: str = "p1", **changes: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": "0c1e5f1a-3c44-4e2b-9d49-0b6f7f2a9c11",
        "context": {"userId": "Practitioner/onc-1", "patientId": patient_id},
    }
    request.update(changes)
    return request


def post(base: str, body: Any, timeout: float = 30) -> httpx.Response:
    return httpx.post(f"{base}/cds-services/{THERAPY}", json=body, timeout=timeout)


def from_server(server: str) -> dict[str, Any]:
    return view(fhirServer=server)


# --- 1. remote FHIR servers are bounded ---------------------------------------------------------


def test_a_slow_drip_fhir_server_is_cut_at_the_whole_fetch_timeout(service, hostile):
    # One byte every 0.3 s resets no per-read timeout: only a bound on the whole fetch stops it.
    # The client's own 10 s timeout fails the test if the service hangs on.
    response = post(service, from_server(f"{hostile.base}/drip"), timeout=10)
    assert assert_operation_outcome(response, 412) == ["patient: " + UNAVAILABLE]


def test_slow_drip_calls_do_not_starve_the_other_calls(service, hostile):
    # Many dripping fetches at once hold no worker thread: a prefetch call is answered meanwhile.
    with httpx.Client(timeout=10) as client:
        threads = [
            threading.Thread(
                target=lambda: client.post(
                    f"{service}/cds-services/{THERAPY}", json=from_server(f"{hostile.base}/drip")
                )
            )
            for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        time.sleep(0.3)
        prefetch = {"patient": {"resourceType": "Patient", "id": "p1"}}
        response = client.post(f"{service}/cds-services/{THERAPY}", json=view(prefetch=prefetch))
        assert response.status_code == 200, response.text
        for thread in threads:
            thread.join(timeout=15)


def test_sigterm_during_slow_drip_calls_ends_the_service(tmp_path, hostile):
    # The calls in progress are bounded by --fhir-timeout, so a graceful stop cannot be held.
    import subprocess
    import sys

    from service_support import free_port

    port = free_port()
    command = [sys.executable, "-m", "hcc_asp", "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--fhir-timeout", "1", "--allow-fhir-server", f"{hostile.base}/"]
    command += ["--feedback-file", str(tmp_path / "f.jsonl"), "--log-level", "warning"]
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{base}/cds-services", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        body = from_server(f"{hostile.base}/drip")

        def call() -> None:
            with contextlib.suppress(httpx.HTTPError):  # the service may hang up as it stops
                post(base, body, timeout=10)

        threads = [threading.Thread(target=call, daemon=True) for _ in range(5)]
        for thread in threads:
            thread.start()
        time.sleep(0.3)
        process.terminate()
        assert process.wait(timeout=30) is not None  # not held by the dripping servers
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()


def test_a_huge_fhir_answer_is_given_up_at_the_byte_limit(service, hostile):
    response = post(service, from_server(f"{hostile.base}/huge"), timeout=10)
    assert assert_operation_outcome(response, 412) == ["patient: " + UNAVAILABLE]
    time.sleep(0.5)  # the server notices the hang-up at its next write
    assert hostile.sent["huge"] < 64 * 1024 * 1024  # read as a stream and dropped, not 512 MB


@pytest.mark.parametrize("path", ["nested", "link5", "status", "html", "bigint"])
def test_any_failure_of_the_fhir_server_is_one_412_line_that_does_not_repeat_its_answer(
    service, hostile, path
):
    # Deeply nested JSON, Bundle.link: 5, an HTTP status, HTML, a 5000-digit integer: the same
    # line for each, so that the service tells a caller nothing about what answered.
    response = post(service, from_server(f"{hostile.base}/{path}"), timeout=10)
    (line,) = assert_operation_outcome(response, 412)
    assert line.split(": ", 1)[1] == UNAVAILABLE  # after the prefetch key that failed


def test_a_non_ascii_access_token_is_412_not_a_crash(service, hostile):
    body = from_server(f"{hostile.base}/status")
    body["fhirAuthorization"] = {
        "access_token": "tökén",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "user/*.read",
        "subject": "hcc-asp",
    }
    assert_operation_outcome(post(service, body), 412, "fhirAuthorization.access_token")


# --- 2. no server-side request forgery ----------------------------------------------------------


def test_an_ssrf_patient_id_is_refused_and_never_reaches_the_fhir_server(service, hostile):
    before = list(hostile.requests)
    for hostile_id in ("../../internal/admin?x=", "a/b", "p1#frag", "p%2F1", "x" * 65):
        response = post(service, view(hostile_id, fhirServer=f"{hostile.base}/status"))
        assert_operation_outcome(response, 400, "context.patientId")
    assert hostile.requests == before


def test_a_fhir_server_not_allowed_is_refused_before_any_connection(service, hostile):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    try:
        for server in (
            f"http://127.0.0.1:{port}/fhir",  # another port of an allowed host
            f"http://localhost:{hostile.base.rsplit(':', 1)[1]}/fhir",  # the host by another name
            f"http://user:pw@127.0.0.1:{port}/fhir",  # credentials in the URL
        ):
            response = post(service, from_server(server))
            assert_operation_outcome(response, 412, "fhirServer: not called")
        with pytest.raises(TimeoutError):
            listener.accept()  # nothing ever connected
    finally:
        listener.close()


def test_without_an_allow_list_a_loopback_fhir_server_is_refused_before_connecting(tmp_path):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    try:
        feedback = str(tmp_path / "f.jsonl")
        with running_service("--feedback-file", feedback, workdir=tmp_path) as base:
            for server in (f"http://127.0.0.1:{port}/fhir", f"http://localhost:{port}/fhir"):
                response = post(base, from_server(server))
                assert_operation_outcome(response, 412, "fhirServer: not called", "loopback")
        with pytest.raises(TimeoutError):
            listener.accept()
    finally:
        listener.close()


@pytest.mark.parametrize(
    "url",
    [
        "http://10.1.2.3/fhir",
        "http://172.16.0.9/fhir",
        "http://192.168.1.1/fhir",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
        "http://100.64.0.1/fhir",  # shared address space
        "http://0.0.0.0:8080/fhir",
        "http://127.0.0.1/fhir",
        "http://localhost/fhir",
        "http://[::1]/fhir",
        "http://[fe80::1]/fhir",
        "http://[fd00::1]/fhir",
        "http://[::ffff:127.0.0.1]/fhir",  # IPv4-mapped loopback
        "http://[64:ff9b::a9fe:a9fe]/fhir",  # NAT64 of the metadata address
        "http://[2002:c0a8:101::1]/fhir",  # 6to4 of 192.168.1.1
        "http://224.0.0.1/fhir",  # multicast
        "file:///etc/passwd",
        "gopher://127.0.0.1:25/",
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused_on_the_decision(url):
    # Only the decision runs: IP literals and localhost resolve locally, nothing is sent.
    with pytest.raises(remote.Refused):
        remote.decide(url, ())


@pytest.mark.parametrize("url", ["https://93.184.216.34/fhir/r4", "http://[2606:4700::1111]/"])
def test_a_public_address_is_allowed_and_pinned_on_the_decision(url):
    target = remote.decide(url, ())
    assert target.address in url and target.url.startswith(url.split("/")[0])


def test_a_name_that_resolves_to_any_private_address_is_refused():
    def resolver(host: str, port: int, *rest: Any) -> list[Any]:
        addresses = [("93.184.216.34", port), ("10.0.0.7", port)]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", a) for a in addresses]

    with pytest.raises(remote.Refused, match=r"10\.0\.0\.7"):
        remote.decide("https://ehr.example.org/fhir", (), resolve=resolver)


def test_the_request_goes_to_the_decided_address_with_the_host_name_kept():
    def resolver(host: str, port: int, *rest: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    target = remote.decide("https://ehr.example.org/fhir/Patient/p1", (), resolve=resolver)
    assert target.url == "https://93.184.216.34:443/fhir/Patient/p1"
    assert (target.host, target.server_name) == ("ehr.example.org", "ehr.example.org")


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://127.0.0.1:8080/fhir/Patient/p1", True),
        ("http://127.0.0.1:8080/fhir", True),
        ("http://127.0.0.1:8080/fhirx/Patient/p1", False),
        ("http://127.0.0.1:8081/fhir/Patient/p1", False),
        ("https://127.0.0.1:8080/fhir/Patient/p1", False),
        ("http://127.0.0.2:8080/fhir/Patient/p1", False),
    ],
)
def test_an_allowed_prefix_is_matched_by_scheme_host_port_and_path_segments(url, allowed):
    assert remote.under_prefix(url, "http://127.0.0.1:8080/fhir/") is allowed


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/fhir/../admin", "http://127.0.0.1:8080/fhir/%2e%2e/admin"]
)
def test_a_dot_segment_cannot_leave_an_allowed_prefix(url):
    with pytest.raises(remote.Refused, match="path segments"):
        remote.decide(url, ("http://127.0.0.1:8080/fhir/",))


# --- 3. JWT -------------------------------------------------------------------------------------

ISSUER = "https://ehr.example.com/"


@pytest.fixture(scope="module")
def jwt_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    workdir = tmp_path_factory.mktemp("jwt-attacks")
    key = ec.generate_private_key(ec.SECP384R1())
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    public.update(kid="ec-key", use="sig", alg="ES384")
    (workdir / "keys.json").write_text(json.dumps({"keys": [public]}))
    options = ["--jwks", str(workdir / "keys.json"), "--jwt-issuer", ISSUER]
    options += ["--jwt-algorithm", "ES384", "--jwt-algorithm", "RS384"]
    options += ["--public-url", "{base}", "--feedback-file", str(workdir / "f.jsonl")]
    with running_service(*options, workdir=workdir) as base:
        yield base, key


def signed(key: Any, audience: str, algorithm: str = "ES384", **changes: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": audience, "exp": now + 120, "iat": now}
    claims["jti"] = str(uuid.uuid4())
    claims.update(changes)
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": "ec-key"})


def discovery(base: str, token: str, **headers: str) -> httpx.Response:
    headers["Authorization"] = f"Bearer {token}"
    return httpx.get(f"{base}/cds-services", headers=headers, timeout=10)


def test_a_replayed_token_is_refused(jwt_service):
    base, key = jwt_service
    token = signed(key, f"{base}/cds-services")
    assert discovery(base, token).status_code == 200
    assert_operation_outcome(discovery(base, token), 401, "replayed jti")


def test_a_token_for_another_host_is_refused_whatever_the_host_header(jwt_service):
    base, key = jwt_service
    other = "http://evil.example.org"
    response = discovery(base, signed(key, f"{other}/cds-services"), Host="evil.example.org")
    assert_operation_outcome(response, 401, "audience")


def test_a_token_whose_algorithm_does_not_fit_the_key_is_401_not_500(jwt_service):
    base, _ = jwt_service
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = signed(rsa_key, f"{base}/cds-services", algorithm="RS384")
    assert_operation_outcome(discovery(base, token), 401, "does not fit the key")


def test_serve_refuses_keys_without_the_public_url(tmp_path):
    from click.testing import CliRunner

    from hcc_asp.cli import main

    keys = tmp_path / "keys.json"
    keys.write_text('{"keys": []}')
    result = CliRunner().invoke(main, ["serve", "--jwks", str(keys), "--jwt-issuer", ISSUER])
    assert result.exit_code == 2
    assert "--jwks needs --public-url" in result.output


# --- 4. slow clients ----------------------------------------------------------------------------


def _drip_connection(port: int, stop: threading.Event, got: list[bytes]) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=8) as sock:
        try:
            sock.sendall(b"POST /cds-services/hcc-asp-therapy HTTP/1.1\r\nHost: x\r\n")
            while not stop.is_set():
                sock.sendall(b"X")
                time.sleep(0.2)
        except OSError:
            pass
        try:
            got.append(sock.recv(200))
        except OSError:
            got.append(b"")


def test_slowloris_connections_are_closed_and_other_calls_still_served(service):
    # More dripping connections than --limit-concurrency (12): without a header deadline every
    # other call would be a 503 for as long as they drip.
    port = int(service.rsplit(":", 1)[1])
    stop = threading.Event()
    got: list[bytes] = []
    threads = [threading.Thread(target=_drip_connection, args=(port, stop, got)) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=8)  # each is cut at the 1 s header deadline
    stop.set()
    assert len(got) == 20
    assert all(answer.startswith(b"HTTP/1.1 408") or answer == b"" for answer in got), got
    assert httpx.get(f"{service}/cds-services", timeout=10).status_code == 200


def test_a_body_sent_byte_by_byte_is_408_and_the_connection_closed(service):
    port = int(service.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=8) as sock:
        sock.sendall(
            b"POST /cds-services/hcc-asp-therapy HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
        )
        answer = b""
        try:
            for _ in range(40):
                sock.sendall(b" ")
                time.sleep(0.1)
        except OSError:
            pass
        while chunk := sock.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b"not received within 1 s" in answer


# --- 5. files the operator gave -----------------------------------------------------------------


def test_an_existing_explanation_folder_keeps_its_files_and_its_mode(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    names = ("report.json", "abcdefghijklmnopqrstuv.json", "card-x.json")
    theirs = [folder / name for name in names]
    for path in theirs:
        path.write_text("{}")
        os.utime(path, (1, 1))  # older than any time to live
    store = ExplanationStore(folder, ttl_seconds=1, secret="s")
    token = store.save("hook-1", {"patient": {}})
    old = folder / f"{token}.json"
    os.utime(old, (1, 1))
    store._pruned = 0.0
    store.prune()
    assert all(path.exists() for path in theirs)  # only what the store wrote is deleted
    assert not old.exists()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755


def test_a_new_explanation_folder_is_private(tmp_path):
    ExplanationStore(tmp_path / "new", ttl_seconds=60, secret="s")
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700


@pytest.mark.parametrize("kind", ["fifo", "under-a-file", "directory"])
def test_a_feedback_file_that_cannot_be_written_stops_serve_at_start(tmp_path, kind):
    from click.testing import CliRunner

    from hcc_asp.cli import main

    if kind == "fifo":
        target = tmp_path / "feedback.jsonl"
        os.mkfifo(target)
    elif kind == "under-a-file":
        (tmp_path / "plain").write_text("")
        target = tmp_path / "plain" / "feedback.jsonl"
    else:
        (tmp_path / "dir.jsonl").mkdir()
        target = tmp_path / "dir.jsonl"
    result = CliRunner().invoke(main, ["serve", "--feedback-file", str(target)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert str(target) in result.output.splitlines()[-1]  # one line naming the file


# --- 6. crashes -----------------------------------------------------------------------------------


def raw_post(base: str, path: str, text: str) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    return httpx.post(f"{base}{path}", content=text.encode(), headers=headers, timeout=30)


def test_a_lone_surrogate_in_a_prefetch_resource_id_is_400_not_500(service):
    text = json.dumps(view(prefetch={"patient": {"resourceType": "Patient", "id": "PLACE"}}))
    response = raw_post(service, f"/cds-services/{THERAPY}", text.replace("PLACE", "\\ud800"))
    assert_operation_outcome(response, 400, "prefetch.patient.id", "lone surrogate")


def test_a_lone_surrogate_in_feedback_is_400_and_nothing_is_written(service, tmp_path):
    entry = {
        "card": "6f7bd3c4-1b0c-4f3e-9c5d-2a1b3c4d5e6f",
        "outcome": "overridden",
        "overrideReason": {"reason": {"code": "PLACE", "system": "http://x"}},
        "outcomeTimestamp": "2026-12-01T10:00:00Z",
    }
    text = json.dumps({"feedback": [entry]}).replace("PLACE", "\\udfff")
    response = raw_post(service, f"/cds-services/{THERAPY}/feedback", text)
    assert_operation_outcome(response, 400, "lone surrogate")


# --- 7. real charts -------------------------------------------------------------------------------


def test_a_chart_with_600_lab_observations_is_answered(service):
    labs = []
    for index in range(600):
        day = f"2026-{1 + index % 11:02d}-{1 + index % 28:02d}"
        labs.append(
            {
                "resourceType": "Observation",
                "id": f"alb-{index}",
                "status": "final",
                "category": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                "code": "laboratory",
                            }
                        ]
                    }
                ],
                "code": {"coding": [{"system": "http://loinc.org", "code": "1751-7"}]},
                "subject": {"reference": "Patient/p1"},
                "effectiveDateTime": day,
                "valueQuantity": {
                    "value": 35 + index % 5,
                    "unit": "g/L",
                    "system": "http://unitsofmeasure.org",
                    "code": "g/L",
                },
            }
        )
    prefetch = {
        "patient": {"resourceType": "Patient", "id": "p1"},
        "observations-albumin": {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": r} for r in labs],
        },
        "conditions": {  # patient-view answers HCC charts only
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [
                {
                    "resource": {
                        "resourceType": "Condition",
                        "id": "hcc",
                        "clinicalStatus": {"coding": [{"code": "active"}]},
                        "code": {
                            "coding": [{"system": "http://snomed.info/sct", "code": "109841003"}]
                        },
                        "subject": {"reference": "Patient/p1"},
                    }
                }
            ],
        },
    }
    response = post(service, view(prefetch=prefetch), timeout=60)
    assert response.status_code == 200, response.text[:500]
    assert response.json()["cards"]
