"""SystemMonitor: real psutil samples, thread lifecycle, GPU keys only with a GPU."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from heron.errors import UsageError
from heron.sdk import system
from heron.sdk.system import SystemMonitor, gpu_names

BASE_KEYS = {
    "system/cpu",
    "system/cpu.utilization",
    "system/memory",
    "system/proc.memory.rssMB",
    "system/proc.memory.percent",
    "system/proc.memory.availableMB",
    "system/network.sent",
    "system/network.recv",
}
GPU_SUFFIXES = (
    "gpu",
    "memory",
    "memoryAllocated",
    "memoryAllocatedBytes",
    "temp",
    "powerWatts",
    "powerPercent",
)


def _nvml_device_count() -> int:
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:
        return 0
    try:
        return int(pynvml.nvmlDeviceGetCount())
    finally:
        pynvml.nvmlShutdown()


def test_sample_has_wandb_keys_in_sane_ranges() -> None:
    monitor = SystemMonitor(10.0, lambda _: None)
    monitor.sample()  # the first sample sets the baselines (CPU %, counters)
    # Burn a little CPU so the process CPU share has something to measure.
    end = time.perf_counter() + 0.2
    while time.perf_counter() < end:
        pass
    sample = monitor.sample()
    assert set(sample) >= BASE_KEYS
    assert all(isinstance(v, float) for v in sample.values())
    for key in ("system/cpu", "system/cpu.utilization", "system/memory"):
        assert 0.0 <= sample[key] <= 100.0, key
    assert sample["system/cpu"] > 0.0
    assert 0.0 < sample["system/proc.memory.percent"] < 100.0
    # A Python interpreter with pytest loaded holds between 5 MB and a few GB.
    assert 5.0 < sample["system/proc.memory.rssMB"] < 8192.0
    assert sample["system/proc.memory.availableMB"] > 0.0
    assert sample["system/network.sent"] >= 0.0 and sample["system/network.recv"] >= 0.0
    if "system/disk.in" in sample:  # containers may have no disk counters
        assert sample["system/disk.in"] >= 0.0 and sample["system/disk.out"] >= 0.0


def test_memory_follows_the_process() -> None:
    monitor = SystemMonitor(10.0, lambda _: None)
    before = monitor.sample()["system/proc.memory.rssMB"]
    block = bytearray(64 * 1024 * 1024)
    block[::4096] = b"x" * len(block[::4096])  # touch every page so it is resident
    after = monitor.sample()["system/proc.memory.rssMB"]
    del block
    assert after - before > 48.0


def _monitor_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "heron-system-monitor"]


def test_thread_samples_every_interval_and_stops_quickly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(system, "IDLE_EXIT", 0.1)
    samples: list[dict[str, float]] = []
    monitor = SystemMonitor(0.05, samples.append)
    monitor.start()
    threads = _monitor_threads()
    assert len(threads) == 1 and threads[0].daemon
    time.sleep(0.4)
    monitor.stop()
    taken = len(samples)
    assert 3 <= taken <= 12
    assert all("system/cpu" in s for s in samples)
    time.sleep(0.15)
    assert len(samples) == taken  # nothing after stop()
    # With no monitor left the shared thread ends after IDLE_EXIT seconds.
    deadline = time.monotonic() + 2.0
    while _monitor_threads() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _monitor_threads()


def test_monitors_share_one_thread() -> None:
    fast: list[dict[str, float]] = []
    slow: list[dict[str, float]] = []
    monitors = [SystemMonitor(0.05, fast.append), SystemMonitor(0.12, slow.append)]
    monitors += [SystemMonitor(60.0, lambda _: None) for _ in range(20)]
    for monitor in monitors:
        monitor.start()
    assert len(_monitor_threads()) == 1  # not one per monitor (per run)
    time.sleep(0.45)
    monitors[0].stop()
    stopped_at = len(fast)
    time.sleep(0.3)
    for monitor in monitors[1:]:
        monitor.stop()
    assert 3 <= stopped_at <= 12 and len(fast) == stopped_at
    assert 3 <= len(slow) <= 8  # the other monitor kept its own interval


def test_stop_mid_interval_returns_at_once() -> None:
    samples: list[dict[str, float]] = []
    monitor = SystemMonitor(60.0, samples.append)
    monitor.start()
    started = time.perf_counter()
    monitor.stop()
    assert time.perf_counter() - started < 5.0  # far less than the 60 s interval
    assert samples == []  # under a second: no final sample


def test_stop_takes_one_final_sample_when_none_was_taken() -> None:
    samples: list[dict[str, float]] = []
    monitor = SystemMonitor(60.0, samples.append)
    monitor.start()
    time.sleep(1.05)
    monitor.stop()
    assert len(samples) == 1
    assert "system/memory" in samples[0]


def test_failing_emit_never_reaches_the_program(caplog: pytest.LogCaptureFixture) -> None:
    calls = []

    def emit(values: dict[str, float]) -> None:
        calls.append(values)
        raise RuntimeError("store is on fire")

    monitor = SystemMonitor(0.02, emit)
    with caplog.at_level("WARNING", logger="heron.system"):
        monitor.start()
        time.sleep(0.3)
        monitor.stop()
    assert len(calls) >= 3
    # Logged once for the whole burst, not once per sample.
    messages = [r for r in caplog.records if "store is on fire" in r.getMessage()]
    assert len(messages) == 1


def test_monitor_of_another_process_reports_its_memory() -> None:
    import subprocess
    import sys

    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "b = bytearray(200 * 2**20); b[::4096] = b'x' * (len(b) // 4096);"
            "import time; print('ready', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"ready"
        sample = SystemMonitor(10.0, lambda _: None, pid=child.pid).sample()
        assert sample["system/proc.memory.rssMB"] > 190.0
    finally:
        child.kill()
        child.communicate()


def test_bad_interval_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="positive"):
        SystemMonitor(0, lambda _: None)


def test_no_gpu_keys_without_a_driver() -> None:
    if _nvml_device_count() > 0:
        pytest.skip("this machine has an NVIDIA GPU; the GPU test covers it")
    sample = SystemMonitor(10.0, lambda _: None).sample()
    assert not [k for k in sample if k.startswith("system/gpu")]
    assert gpu_names() == []


def test_gpu_keys_through_nvml_when_a_device_exists() -> None:
    count = _nvml_device_count()
    if count == 0:
        pytest.skip("no NVIDIA GPU visible through pynvml (no library, driver or device)")
    monitor = SystemMonitor(10.0, lambda _: None)
    sample = monitor.sample()
    monitor.start()
    monitor.stop()  # closes NVML
    for i in range(count):
        present = [s for s in GPU_SUFFIXES if f"system/gpu.{i}.{s}" in sample]
        # Utilization and memory are supported on every NVML device.
        assert {"gpu", "memory", "memoryAllocated", "memoryAllocatedBytes"} <= set(present)
        assert 0.0 <= sample[f"system/gpu.{i}.gpu"] <= 100.0
        assert 0.0 <= sample[f"system/gpu.{i}.memoryAllocated"] <= 100.0
    names = gpu_names()
    assert len(names) == count and all(names)


def test_gpu_names_are_asked_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(system, "_gpu_names", None)
    monkeypatch.setattr(system, "_query_gpu_names", lambda: calls.append(1) or ["Fake GPU"])
    assert gpu_names() == ["Fake GPU"]
    assert gpu_names() == ["Fake GPU"]
    assert calls == [1]


def test_the_driver_check_looks_for_the_driver_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("the driver check runs on Linux only")
    present = tmp_path / "nvidiactl"
    monkeypatch.setattr(system, "_DRIVER_PATHS", (str(tmp_path / "absent"), str(present)))
    assert system._no_nvidia_driver()
    present.touch()
    assert not system._no_nvidia_driver()


_NO_DRIVER = """
import sys
from heron.sdk.system import SystemMonitor, gpu_names
SystemMonitor(10.0, lambda _: None).sample()
print(gpu_names(), "pynvml" in sys.modules)
"""


def test_without_a_driver_pynvml_is_not_imported() -> None:
    if not system._no_nvidia_driver():
        pytest.skip("an NVIDIA driver is visible here")
    done = subprocess.run(
        [sys.executable, "-c", _NO_DRIVER], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[] False"
