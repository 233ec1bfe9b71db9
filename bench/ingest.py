"""HTTP ingest benchmark: one 1 GiB upload into the real web app over loopback, multipart and
resumable (tus, 8 MiB PATCHes) side by side.

    .venv/bin/python bench/ingest.py [--size-mb 1024]

Starts the web app (uvicorn, a separate process, as `make run` does) on a free port with a
throwaway VAR_DIR and SQLite database, streams the upload from a generator (the client never
holds it in memory) and prints the throughput and the server's resident-memory growth, next to
baselines measured in the same run on the same disk: a plain file write, the encrypting writer
alone, and the same HTTP upload into an app that only drains the body. A second upload sends the
same bytes as a CD-like folder of many files (default 20,000), next to writing that many plain
files. Its memory figure includes the inspection worker starting on the upload.

The same bytes also go through the resumable path (issue 22): the upload begun, one tus file
created, PATCHed in 8 MiB pieces on one keep-alive connection, then completed. Multipart and
resumable take turns at going first in each round (whichever goes second meets the page cache
the first one filled), each round's ratio is printed, and so is the server's CPU time (user and
kernel) per upload: on a shared machine the wall time moves with the neighbours, the CPU time
much less.

The machine may be shared: every step runs several interleaved rounds and the median counts.
Goals (issue 4): >= 200 MB/s, <= 50 MB peak RSS growth; (issue 22) resumable >= 0.8x the
multipart throughput, <= 50 MB RSS growth. Printed, not asserted.
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.db import migrate  # noqa: E402
from bot.security.tokens import issue_token  # noqa: E402
from bot.storage.encrypted import EncryptedWriter  # noqa: E402

MIB = 1024 * 1024
MB = 1_000_000
GOAL_MB_S = 200
GOAL_RSS_MB = 50
BOUNDARY = "benchboundary7MA4YWxkTrZu0gW"
SECRET = "bench-secret-key-of-at-least-32-bytes!"
PIECE = os.urandom(MIB)  # sent over and over: the client's cost stays negligible

# An app that reads and drops the body: what HTTP + ASGI cost without our code.
SINK_APP = """
async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 201, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> tuple[float, float]:
    """User and kernel CPU time of a process, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not found")


class RssSampler(threading.Thread):
    """The highest VmRSS seen while running (VmHWM covers the whole life of the process)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self._done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.01)

    def stop(self) -> int:
        self._done.set()
        self.join()
        return self.peak


def part_head(name: str) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()


def body(size: int, files: int = 1) -> tuple[int, Iterator[bytes]]:
    """`files` parts sharing `size` bytes, like a CD folder (or one big file)."""
    sizes = [size // files + (1 if n < size % files else 0) for n in range(files)]
    heads = [part_head(f"CD/DICOM/S0001/IM{n:06d}") for n in range(files)]
    separator, tail = b"\r\n", f"\r\n--{BOUNDARY}--\r\n".encode()

    def pieces() -> Iterator[bytes]:
        for number, (head, file_size) in enumerate(zip(heads, sizes, strict=True)):
            yield (separator if number else b"") + head
            remaining = file_size
            while remaining:
                piece = PIECE if remaining >= MIB else PIECE[:remaining]
                remaining -= len(piece)
                yield piece
        yield tail

    length = sum(map(len, heads)) + size + len(separator) * (files - 1) + len(tail)
    return length, pieces()


def upload(url: str, token: str, size: int, files: int = 1) -> tuple[float, httpx.Response]:
    length, pieces = body(size, files)
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Content-Length": str(length),
    }
    started = time.perf_counter()
    response = httpx.post(f"{url}/api/uploads", content=pieces, headers=headers, timeout=600)
    return time.perf_counter() - started, response


TUS_CHUNK = 8 * MIB


def resumable_upload(url: str, token: str, size: int) -> tuple[float, httpx.Response]:
    """Begin, create one file, PATCH it in 8 MiB pieces, complete: the widget's path."""
    auth = {"Authorization": f"Bearer {token}"}
    tus = {**auth, "Tus-Resumable": "1.0.0"}
    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=600) as client:
        begun = client.post("/api/uploads/resumable", headers=auth)
        upload_id = begun.json()["upload"]["id"]
        metadata = "upload " + base64.b64encode(upload_id.encode()).decode()
        created = client.post(
            "/api/tus", headers={**tus, "Upload-Length": str(size), "Upload-Metadata": metadata}
        )
        location = created.headers["Location"]
        offset = 0
        while offset < size:
            length = min(TUS_CHUNK, size - offset)
            pieces = [PIECE] * (length // MIB) + ([PIECE[: length % MIB]] if length % MIB else [])
            patched = client.patch(
                location, content=iter(pieces),
                headers={**tus, "Upload-Offset": str(offset), "Content-Length": str(length),
                         "Content-Type": "application/offset+octet-stream"},
            )  # fmt: skip
            if patched.status_code != 204:
                return time.perf_counter() - started, patched
            offset = int(patched.headers["Upload-Offset"])
        response = client.post(f"/api/uploads/resumable/{upload_id}/complete", headers=auth)
    return time.perf_counter() - started, response


def start_server(args: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", *args, "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning", "--no-access-log"],
        env=env, cwd=ROOT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not start")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()


class Server:
    """A uvicorn process with the app, kept up across rounds."""

    def __init__(self, args: list[str], env: dict[str, str], token: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = token
        self.process = start_server(args, env, self.port)
        upload(self.url, token, 4 * MIB)  # warm up: imports, first connection, first files
        time.sleep(0.5)

    def measure(self, size: int, files: int = 1, resumable: bool = False) -> dict[str, float]:
        before = rss_kib(self.process.pid)
        user, kernel = cpu_seconds(self.process.pid)
        sampler = RssSampler(self.process.pid)
        sampler.start()
        if resumable:
            seconds, response = resumable_upload(self.url, self.token, size)
        else:
            seconds, response = upload(self.url, self.token, size, files)
        peak = sampler.stop()
        user_after, kernel_after = cpu_seconds(self.process.pid)
        if response.status_code != 201:
            raise RuntimeError(f"upload refused: {response.status_code} {response.text}")
        return {"seconds": seconds, "rss_before_mb": before / 1024,
                "rss_growth_mb": (peak - before) / 1024,
                "cpu_user": user_after - user, "cpu_kernel": kernel_after - kernel}  # fmt: skip

    def stop(self) -> None:
        stop_server(self.process)


def measure_plain_write(folder: Path, size: int) -> float:
    path = folder / "plain.bin"
    started = time.perf_counter()
    with path.open("wb") as out:
        for _ in range(size // MIB):
            out.write(PIECE)
    seconds = time.perf_counter() - started
    path.unlink()
    return seconds


def measure_plain_files(folder: Path, size: int, files: int) -> float:
    """The same bytes as `files` separate plain files: what creating that many files costs."""
    directory = folder / "plain-files"
    directory.mkdir()
    piece = PIECE[: size // files]
    started = time.perf_counter()
    for number in range(files):
        with (directory / f"f{number:06d}").open("xb") as out:
            out.write(piece)
    seconds = time.perf_counter() - started
    shutil.rmtree(directory)
    return seconds


def measure_encrypted_write(folder: Path, size: int, key: bytes) -> float:
    path = folder / "encrypted.sre"
    piece = memoryview(PIECE)[: 64 * 1024]  # the size of the pieces uvicorn hands over
    started = time.perf_counter()
    writer = EncryptedWriter(path, key)
    for _ in range(size // len(piece)):
        writer.write(piece)
    writer.close()
    seconds = time.perf_counter() - started
    path.unlink()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="upload size in MiB")
    parser.add_argument("--rounds", type=int, default=4, help="rounds of every measurement")
    parser.add_argument(
        "--files", type=int, default=20_000, help="files in the CD-folder-like upload (0: skip)"
    )
    options = parser.parse_args()
    size, rounds = options.size_mb * MIB, options.rounds
    load_before = os.getloadavg()[0]
    key = os.urandom(32)
    work = Path(tempfile.mkdtemp(prefix="secondread-ingest-", dir=ROOT / "var"))
    times: dict[str, list[float]] = {
        "plain": [], "encrypted": [], "sink": [], "app": [], "resumable": [],
    }  # fmt: skip
    growth: list[float] = []
    resumable_growth: list[float] = []
    cpu: dict[str, list[tuple[float, float]]] = {"app": [], "resumable": []}
    try:
        env = {
            **os.environ,
            "VAR_DIR": str(work),
            "DATABASE_URL": f"sqlite:///{work / 'bench.db'}",
            "SECONDREAD_SECRET_KEY": SECRET,
            "SECONDREAD_STORAGE_KEY": base64.b64encode(key).decode(),
            "UPLOAD_MAX_REQUEST_BYTES": str(size + 64 * MIB),
            "UPLOAD_MAX_CONVERSATION_BYTES": str((2 * rounds + 2) * size),
            "UPLOAD_MAX_FILES_PER_STUDY": str(max(options.files, 20_000)),
            "PYTHONWARNINGS": "ignore",
        }
        migrate(env["DATABASE_URL"])
        (work / "sink_app.py").write_text(SINK_APP)
        sink = Server(["--app-dir", str(work), "sink_app:app"], env, "x")
        app = Server(["bot.web.app:app"], env, issue_token(SECRET, "bench", "upload", 3600))
        try:
            # Interleaved rounds, each step starting without dirty pages from the one before:
            # the machine is shared, so every figure is the median of its rounds.
            for _ in range(rounds):
                for name, step in (
                    ("plain", lambda: measure_plain_write(work, size)),
                    ("encrypted", lambda: measure_encrypted_write(work, size, key)),
                    ("sink", lambda: sink.measure(size)["seconds"]),
                ):
                    os.sync()
                    times[name].append(step())
                # Multipart first in even rounds, resumable first in odd ones.
                for resumable in (False, True) if len(times["app"]) % 2 == 0 else (True, False):
                    os.sync()
                    measured = app.measure(size, resumable=resumable)
                    name = "resumable" if resumable else "app"
                    times[name].append(measured["seconds"])
                    (resumable_growth if resumable else growth).append(measured["rss_growth_mb"])
                    cpu[name].append((measured["cpu_user"], measured["cpu_kernel"]))
                    if not resumable:
                        result = measured
            rss_before = result["rss_before_mb"]
            if options.files:
                os.sync()
                plain_files = measure_plain_files(work, size, options.files)
                os.sync()
                folder = app.measure(size, options.files)
        finally:
            sink.stop()
            app.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def rate(seconds: float) -> str:
        return f"{size / MB / seconds:5.0f} MB/s"

    def line(label: str, samples: list[float]) -> str:
        median = statistics.median(samples)
        return (f"  {label:<40}{rate(median)} median, {rate(min(samples))} best"
                f" ({', '.join(f'{s:.2f}' for s in samples)} s)")  # fmt: skip

    print(f"HTTP ingest of a {size // MIB} MiB multipart upload over loopback, {rounds} rounds "
          f"({os.cpu_count()} CPUs, load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after)")  # fmt: skip
    print(line("baseline: plain file write", times["plain"]))
    print(line("baseline: encrypting writer alone", times["encrypted"]))
    print(line("baseline: HTTP into a draining app", times["sink"]))
    print(line("POST /api/uploads (stored, encrypted)", times["app"]))
    app_rate = size / MB / statistics.median(times["app"])
    print(f"    goal >= {GOAL_MB_S} MB/s: {'met' if app_rate >= GOAL_MB_S else 'NOT met'}"
          " (median)")  # fmt: skip
    print(f"  server RSS {rss_before:.0f} MB; peak growth while uploading "
          f"{max(growth):.1f} MB (worst round)   goal <= {GOAL_RSS_MB} MB: "
          f"{'met' if max(growth) <= GOAL_RSS_MB else 'NOT met'}")  # fmt: skip
    print(line("tus: 8 MiB PATCHes, then complete", times["resumable"]))
    rounds_ratios = [m / r for m, r in zip(times["app"], times["resumable"], strict=True)]
    print("    per round (multipart s / resumable s; odd rounds resumable first): "
          + ", ".join(f"{r:.2f}x" for r in rounds_ratios))  # fmt: skip
    for name, label in (("app", "multipart"), ("resumable", "resumable")):
        print(f"    server CPU per upload, {label:<9}: "
              + ", ".join(f"{u:.2f}+{k:.2f}" for u, k in cpu[name])
              + " s (user+kernel)")  # fmt: skip
    cpu_median = {name: statistics.median(u + k for u, k in cpu[name]) for name in cpu}
    print(f"    server CPU per upload, median: multipart {cpu_median['app']:.2f} s, resumable "
          f"{cpu_median['resumable']:.2f} s: resumable / multipart by CPU "
          f"{cpu_median['app'] / cpu_median['resumable']:.2f}x")  # fmt: skip
    ratio = statistics.median(times["app"]) / statistics.median(times["resumable"])
    print(f"    resumable / multipart throughput {ratio:.2f}x (goal >= 0.8x: "
          f"{'met' if ratio >= 0.8 else 'NOT met'}); peak RSS growth "
          f"{max(resumable_growth):.1f} MB (goal <= {GOAL_RSS_MB} MB: "
          f"{'met' if max(resumable_growth) <= GOAL_RSS_MB else 'NOT met'})")  # fmt: skip
    if options.files:
        print(f"  baseline: {options.files:,} plain files written   {rate(plain_files)}")
        print(f"  POST /api/uploads as {options.files:,} files     {rate(folder['seconds'])}, "
              f"RSS peak growth {folder['rss_growth_mb']:.1f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
