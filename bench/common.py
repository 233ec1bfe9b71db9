"""What several benchmarks share: percentiles, a process's resident memory and CPU time, finding
the Rasa process that serves a port (Linux /proc)."""

from __future__ import annotations

import os
from pathlib import Path


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank `q` quantile (0 ≤ q ≤ 1) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def rss_mb(pid: int) -> float | None:
    """VmRSS of `pid` in MB; None when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time `pid` has used so far; 0.0 when the process is gone."""
    try:
        # After the command name (which may hold spaces, hence the last ")"): utime, stime
        # are the 12th and 13th fields.
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pid_serving(port: int, marker: bytes = b"rasa") -> int | None:
    """The process whose command line names `port` and contains `marker`."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            command = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if marker in b" ".join(command) and str(port).encode() in command:
            return int(cmdline.parent.name)
    return None
