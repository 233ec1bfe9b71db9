"""Benchmark: inspect a 500-file, ~250 MB CT study, against a bare pydicom header scan.

    .venv/bin/python bench/inspect_study.py [--slices 500] [--rows 512] [--cols 512] [--runs 7]
                                            [--zip]

The study is generated once into var/bench/ and reused. Timed over the same files, with a warm
page cache, in alternating runs (medians reported):
  (a) bot.imaging.inspect_files over the study;
  (b) the baseline: `pydicom.dcmread(path, stop_before_pixels=True)` for each file;
  (c) `dcmdump` (Debian package dcmtk) run once per file, if installed;
  (d) with --zip: inspect_files over the same study as one deflated ZIP (a portal download).
Both wall-clock and CPU time (user + system, children included for dcmdump) are shown: on a
shared 2-core machine the wall clock mostly measures the neighbours, CPU time measures the work.
Numbers are printed, not asserted. The goal is (a) <= 1.5 x (b).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pydicom  # noqa: E402

from bot.imaging import inspect_files  # noqa: E402
from tests.fixtures.dicom_factory import ct_series, source_files, zip_folder  # noqa: E402


@dataclass
class Timing:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def measure(self, run: Callable[[], object]) -> None:
        children, cpu, started = _children_cpu(), time.process_time(), time.perf_counter()
        run()
        self.wall.append(time.perf_counter() - started)
        self.cpu.append(time.process_time() - cpu + _children_cpu() - children)

    def line(self, label: str, files: int) -> str:
        wall, cpu = statistics.median(self.wall), statistics.median(self.cpu)
        return (
            f"{label:<30} wall {wall:7.3f} s ({wall * 1000 / files:6.3f} ms/file)   "
            f"cpu {cpu:7.3f} s ({cpu * 1000 / files:6.3f} ms/file)"
        )


def _children_cpu() -> float:
    """CPU time of finished child processes (dcmdump), at clock-tick resolution."""
    times = os.times()
    return times.children_user + times.children_system


def ratio(a: Timing, b: Timing) -> str:
    """Medians of the per-run ratios (runs alternate, so each pair saw similar load)."""
    wall = statistics.median(x / y for x, y in zip(a.wall, b.wall, strict=False))
    cpu = statistics.median(x / max(y, 1e-9) for x, y in zip(a.cpu, b.cpu, strict=False))
    return f"wall {wall:5.2f} x   cpu {cpu:5.2f} x"


def study(slices: int, rows: int, cols: int) -> list[Path]:
    """The cached study, generated when missing or incomplete."""
    folder = ROOT / "var" / "bench" / f"ct-{slices}-{rows}x{cols}"
    done = folder / ".complete"
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        started = time.perf_counter()
        # Real scanner headers carry dozens of private elements: give the files that weight.
        ct_series(folder / "DICOM", slices=slices, rows=rows, cols=cols, private_elements=60)
        done.touch()
        print(f"generated in {time.perf_counter() - started:.1f} s")
    return sorted((folder / "DICOM").iterdir())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=500)
    parser.add_argument("--rows", type=int, default=512)
    parser.add_argument("--cols", type=int, default=512)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--zip", action="store_true", help="also time the study as one ZIP")
    options = parser.parse_args()

    paths = study(options.slices, options.rows, options.cols)
    root = paths[0].parent
    size = sum(path.stat().st_size for path in paths)
    count = len(paths)
    print(
        f"CT study: {count} files, {size / 1e6:.1f} MB ({root.relative_to(ROOT)}); "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    for path in paths:  # warm the page cache
        path.read_bytes()
    sources = source_files(paths, root)

    def inspect() -> None:
        verdict = inspect_files(sources)
        assert verdict.ok, verdict.message

    def baseline() -> None:
        for path in paths:
            pydicom.dcmread(path, stop_before_pixels=True)

    inspected, base = Timing(), Timing()
    inspect()  # import and first-call costs (decoder lookups) out of the way
    for _ in range(options.runs):
        inspected.measure(inspect)
        base.measure(baseline)
    print(inspected.line("(a) inspect_files", count))
    print(base.line("(b) pydicom header-only loop", count) + "   <- baseline")
    print(f"    (a)/(b)                    {ratio(inspected, base)}   (goal <= 1.5 x)")
    print(f"    verdict: {inspect_files(sources).message}")

    dcmdump = shutil.which("dcmdump")
    if dcmdump is None:
        print("(c) dcmdump: not installed; `apt-get install dcmtk` (Debian) to compare. Skipped.")
    else:

        def dump() -> None:
            for path in paths:
                subprocess.run([dcmdump, "-q", str(path)], stdout=subprocess.DEVNULL, check=False)

        dumped, base_again = Timing(), Timing()
        for _ in range(max(1, options.runs // 3)):
            dumped.measure(dump)
            base_again.measure(baseline)
        print(dumped.line("(c) dcmdump, once per file", count))
        print(f"    (c)/(b)                    {ratio(dumped, base_again)}")
    if options.zip:
        zipped(paths, root, options.runs, baseline)


def zipped(paths: list[Path], root: Path, runs: int, baseline: Callable[[], None]) -> None:
    """The same study as one deflated ZIP, as a portal download gives it."""
    archive = root.parent / "study.zip"
    if not archive.exists():
        zip_folder(root.parent, paths, root.parent, name="study.zip.part")
        (root.parent / "study.zip.part").rename(archive)
    archive.read_bytes()
    [source] = source_files([archive], root.parent)

    def inspect_zip() -> None:
        verdict = inspect_files([source])
        assert verdict.ok, verdict.message

    inspected, base = Timing(), Timing()
    for _ in range(runs):
        inspected.measure(inspect_zip)
        base.measure(baseline)
    size = archive.stat().st_size / 1e6
    print(inspected.line(f"(d) one ZIP ({size:.0f} MB)", len(paths)))
    print(f"    (d)/(b)                    {ratio(inspected, base)}")


if __name__ == "__main__":
    main()
