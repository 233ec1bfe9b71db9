"""Stored-upload throughput: the shared store (PostgreSQL pages, UPLOAD_STORAGE=database) next
to the default (files on this host's disk), the same encrypted writer and reader in one run.

    .venv/bin/python bench/storage.py [--size-mb 256] [--rounds 3]

Starts a throwaway PostgreSQL (Debian's binaries, loopback, as the tests do; fsync off like
theirs, so the database figure is the store's own cost, not the disk's), then writes one file of
`size` MB through `write_encrypted` in 1 MiB pieces and reads it back through
`open_encrypted`, on each store, interleaved, `rounds` times; prints the medians in MB/s.
Printed, not asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.db import make_engine, migrate  # noqa: E402
from bot.storage.encrypted import open_encrypted, write_encrypted  # noqa: E402
from bot.storage.files import DatabaseFiles, FileStore, LocalFiles, using_file_store  # noqa: E402
from tests.cases.postgres import running_postgres  # noqa: E402

MB = 1024 * 1024
KEY = os.urandom(32)


def one_round(store: FileStore, path: Path, size: int) -> tuple[float, float]:
    piece = os.urandom(MB)
    with using_file_store(store):
        store.make_dir(path.parent, exist_ok=True)
        started = time.perf_counter()
        write_encrypted(path, KEY, (piece for _ in range(size // MB)))
        wrote = time.perf_counter() - started
        started = time.perf_counter()
        with open_encrypted(path, KEY) as stream:
            while stream.read(MB):
                pass
        read = time.perf_counter() - started
        store.remove_tree(path.parent)
    return size / MB / wrote, size / MB / read


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    size = options.size_mb * MB
    results: dict[str, list[tuple[float, float]]] = {"local disk": [], "PostgreSQL": []}
    with tempfile.TemporaryDirectory() as folder, running_postgres() as server:
        migrate(server.url())
        engine = make_engine(server.url())
        root = Path(folder) / "uploads"
        stores: dict[str, FileStore] = {
            "local disk": LocalFiles(),
            "PostgreSQL": DatabaseFiles(engine, root),
        }
        for n in range(options.rounds):
            for name, store in stores.items():
                results[name].append(one_round(store, root / f"r{n}" / "f000001.sre", size))
        engine.dispose()
    print(f"encrypted file of {options.size_mb} MB, median of {options.rounds} rounds")
    print(f"{'store':<12} {'write MB/s':>11} {'read MB/s':>10}")
    for name, rounds in results.items():
        write = statistics.median(w for w, _ in rounds)
        read = statistics.median(r for _, r in rounds)
        print(f"{name:<12} {write:>11.0f} {read:>10.0f}")


if __name__ == "__main__":
    main()
