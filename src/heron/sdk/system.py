"""System metrics: CPU, memory, disk, network and NVIDIA GPUs, sampled on a thread.

A :class:`SystemMonitor` samples every ``interval`` seconds and hands each
sample to ``emit`` (the SDK turns it into a ``system`` record). All the
monitors of a process share one named daemon thread, ``heron-system-monitor``,
started by the first :meth:`SystemMonitor.start` and ended after
:data:`IDLE_EXIT` seconds with no monitor left (a process that starts hundreds
of short runs starts it once, not once per run). Keys follow wandb's names so
charts and queries written for wandb find them:

========================================  =========================================
key                                       meaning
========================================  =========================================
``system/cpu``                            this process's CPU use, % of the whole machine
``system/cpu.utilization``                machine-wide CPU use, %
``system/memory``                         machine memory in use, %
``system/proc.memory.rssMB``              this process's resident memory, MB
``system/proc.memory.percent``            this process's share of machine memory, %
``system/proc.memory.availableMB``        memory still available on the machine, MB
``system/disk.in`` / ``disk.out``         MB read / written by all disks since start
``system/network.sent`` / ``.recv``       bytes sent / received since start
``system/gpu.{i}.gpu``                    GPU ``i`` utilization, %
``system/gpu.{i}.memory``                 GPU ``i`` memory-controller utilization, %
``system/gpu.{i}.memoryAllocated``        GPU ``i`` memory allocated, % of total
``system/gpu.{i}.memoryAllocatedBytes``   GPU ``i`` memory allocated, bytes
``system/gpu.{i}.temp``                   GPU ``i`` temperature, °C
``system/gpu.{i}.powerWatts``             GPU ``i`` power draw, W
``system/gpu.{i}.powerPercent``           GPU ``i`` power draw, % of its enforced limit
========================================  =========================================

Disk and network counters count from the moment the sampling thread takes
its baselines, half a second after :meth:`SystemMonitor.start` (or half an
interval, when shorter): runs shorter than that cost a few microseconds.

GPU keys come from ``pynvml`` (``pip install 'heron[gpu]'``), imported only
when a monitor starts; without the library, the driver or a device there are
simply no GPU keys. Sampling never raises into the user's program: a failing
probe is logged (at most once a minute per probe) and its keys are left out.

>>> samples = []
>>> monitor = SystemMonitor(15.0, samples.append)
>>> "system/cpu" in monitor.sample()
True
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psutil

__all__ = ["SystemMonitor", "gpu_names"]

logger = logging.getLogger("heron.system")

_MB = 1024 * 1024
_DRIVER_PATHS = ("/proc/driver/nvidia", "/dev/nvidiactl", "/dev/dxg")
"""What an NVIDIA driver shows on Linux (``/dev/dxg``: WSL's GPU bridge)."""


def _no_nvidia_driver() -> bool:
    """True on Linux without a visible NVIDIA driver: then pynvml (~15 ms to import) is skipped."""
    if not sys.platform.startswith("linux"):
        return False  # elsewhere only NVML itself can tell
    return not any(os.path.exists(path) for path in _DRIVER_PATHS)


_nvml_missing = _no_nvidia_driver()
"""Set once NVML failed to load or initialize in this process: no GPUs, no retries."""
_LOG_EVERY = 60.0
"""Seconds between two log lines about the same failing probe."""
_PRIME_AFTER = 0.5
"""Seconds (at most half an interval) after start when the thread takes its baselines."""
_FINAL_SAMPLE_AFTER = 1.0
"""``stop()`` takes a last sample when no sample was taken and the run lasted this long."""
IDLE_EXIT = 2.0
"""Seconds the shared sampling thread waits with no monitor started before it ends."""


class _RateLimitedLog:
    """Logs a failure at most once per ``every`` seconds for each probe name."""

    def __init__(self, every: float = _LOG_EVERY) -> None:
        self._every = every
        self._last: dict[str, float] = {}

    def failure(self, probe: str, exc: BaseException) -> None:
        now = time.monotonic()
        last = self._last.get(probe)
        if last is not None and now - last < self._every:
            return
        self._last[probe] = now
        logger.warning("heron: system metrics probe %r failed: %r", probe, exc)


class _Gpus:
    """NVIDIA GPUs through NVML; an empty list of handles when there are none."""

    def __init__(self, errors: _RateLimitedLog) -> None:
        self._errors = errors
        self._nvml: Any = None
        self.handles: list[Any] = []
        global _nvml_missing
        if _nvml_missing:
            return
        try:
            import pynvml

            pynvml.nvmlInit()
        except Exception:  # no library, no driver, no permission: no GPU keys
            # Looking for the library takes tens of milliseconds; do it once.
            _nvml_missing = True
            return
        try:
            count = pynvml.nvmlDeviceGetCount()
            self.handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
        except Exception as exc:
            errors.failure("gpu", exc)
            self.handles = []
        self._nvml = pynvml

    def sample(self, out: dict[str, float]) -> None:
        nvml = self._nvml
        for i, handle in enumerate(self.handles):
            prefix = f"system/gpu.{i}."
            self._probe(f"gpu.{i}.utilization", self._utilization, nvml, handle, prefix, out)
            self._probe(f"gpu.{i}.memory", self._memory, nvml, handle, prefix, out)
            self._probe(f"gpu.{i}.temp", self._temperature, nvml, handle, prefix, out)
            self._probe(f"gpu.{i}.power", self._power, nvml, handle, prefix, out)

    def _probe(self, name: str, fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(*args)
        except Exception as exc:  # one unsupported query must not hide the others
            self._errors.failure(name, exc)

    @staticmethod
    def _utilization(nvml: Any, handle: Any, prefix: str, out: dict[str, float]) -> None:
        rates = nvml.nvmlDeviceGetUtilizationRates(handle)
        out[prefix + "gpu"] = float(rates.gpu)
        out[prefix + "memory"] = float(rates.memory)

    @staticmethod
    def _memory(nvml: Any, handle: Any, prefix: str, out: dict[str, float]) -> None:
        info = nvml.nvmlDeviceGetMemoryInfo(handle)
        out[prefix + "memoryAllocatedBytes"] = float(info.used)
        if info.total:
            out[prefix + "memoryAllocated"] = 100.0 * info.used / info.total

    @staticmethod
    def _temperature(nvml: Any, handle: Any, prefix: str, out: dict[str, float]) -> None:
        out[prefix + "temp"] = float(
            nvml.nvmlDeviceGetTemperature(handle, nvml.NVML_TEMPERATURE_GPU)
        )

    @staticmethod
    def _power(nvml: Any, handle: Any, prefix: str, out: dict[str, float]) -> None:
        milliwatts = nvml.nvmlDeviceGetPowerUsage(handle)
        out[prefix + "powerWatts"] = milliwatts / 1000.0
        limit = nvml.nvmlDeviceGetEnforcedPowerLimit(handle)
        if limit:
            out[prefix + "powerPercent"] = 100.0 * milliwatts / limit

    def close(self) -> None:
        if self._nvml is not None:
            try:
                self._nvml.nvmlShutdown()
            except Exception:
                pass
            self._nvml = None
            self.handles = []


class SystemMonitor:
    """Samples system metrics every ``interval`` seconds and passes each sample to ``emit``.

    The first sample comes one interval after :meth:`start`; :meth:`stop`
    returns promptly even mid-interval, and takes one final sample when the
    monitor ran for at least a second without sampling, so short runs still
    get a point. ``pid`` selects the process whose CPU and memory are
    reported (default: this one). Sampling happens on the process's shared
    ``heron-system-monitor`` thread (see the module docstring).

    >>> monitor = SystemMonitor(15.0, print)
    >>> monitor.start()
    >>> monitor.stop()
    """

    def __init__(
        self,
        interval: float,
        emit: Callable[[dict[str, float]], None],
        *,
        pid: int | None = None,
    ) -> None:
        if not interval > 0:
            from heron.errors import UsageError

            raise UsageError(
                f"the sampling interval must be a positive number of seconds, not {interval!r}"
            )
        self.interval = float(interval)
        self._emit = emit
        self._pid = pid if pid is not None else os.getpid()
        self._errors = _RateLimitedLog()
        self._cpu_count = 1
        self._active = False
        self._primed = False
        self._next_at = 0.0
        self._started_at = 0.0
        self.samples_taken = 0
        self._gpus: _Gpus | None = None
        self._prime_lock = threading.Lock()
        self._process: psutil.Process | None = None
        self._disk0: tuple[int, int] | None = None
        self._net0: tuple[int, int] | None = None

    def _prime(self) -> psutil.Process:
        """Take the baselines (counters "since start", CPU times) once.

        Done on the sampling thread, not in ``__init__``: reading the disk and
        network counters costs a few hundred microseconds that ``init()``
        should not pay.
        """
        with self._prime_lock:
            if self._process is None:
                # psutil (~10 ms to import) loads here, on the sampling thread, not in init().
                import psutil

                self._cpu_count = psutil.cpu_count() or 1
                process = psutil.Process(self._pid)
                self._disk0 = self._call("disk", _disk_bytes)
                self._net0 = self._call("network", _net_bytes)
                # cpu_percent() measures since its previous call: prime both counters.
                self._call("cpu", process.cpu_percent)
                self._call("cpu.utilization", psutil.cpu_percent)
                self._process = process
            return self._process

    # ------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Start sampling on the shared thread (a no-op when already started)."""
        with _cond:
            if self._active:
                return
            self._active = True
            self._primed = False
            self._started_at = started = time.monotonic()
            self._next_at = started + self.interval
            # Baselines wait a moment: a run that ends sooner (a test, a sweep
            # of tiny runs) then costs no /proc reads at all.
            _schedule(self, started + min(_PRIME_AFTER, self.interval / 2))

    def stop(self) -> None:
        """Stop sampling; returns within moments even in the middle of an interval."""
        with _cond:
            if not self._active:
                return
            self._active = False
            _unschedule(self)
            if threading.current_thread() is not _thread:
                # A sample of this monitor in progress ends before stop()
                # returns, so nothing is emitted after it.
                _cond.wait_for(lambda: _busy is not self, timeout=5.0)
        if self.samples_taken == 0 and time.monotonic() - self._started_at >= _FINAL_SAMPLE_AFTER:
            self._sample_and_emit()
        if self._gpus is not None:
            self._gpus.close()
            self._gpus = None

    def _tick(self) -> float | None:
        """Called by the shared thread when due: prime or sample; the next due time, or None."""
        if not self._primed:
            try:
                self._prime()
            except Exception as exc:  # e.g. the watched process is gone
                self._errors.failure("process", exc)
                return None
            self._primed = True
            return self._next_at
        self._sample_and_emit()
        self._next_at += self.interval
        now = time.monotonic()
        if self._next_at <= now:  # fell behind (a stalled machine): no burst
            self._next_at = now + self.interval
        return self._next_at

    def _sample_and_emit(self) -> None:
        try:
            values = self.sample()
            self.samples_taken += 1
            self._emit(values)
        except Exception as exc:  # never let the monitor take the program down
            self._errors.failure("emit", exc)

    # ------------------------------------------------------------- sampling

    def sample(self) -> dict[str, float]:
        """One sample now, as ``{"system/<key>": value}``; probes that fail are left out.

        The sampling thread sets the baselines when it starts; without it, the
        first call does (its CPU % is then 0 and its counters start at 0).
        """
        import psutil

        out: dict[str, float] = {}
        proc = self._prime()
        cpu = self._call("cpu", proc.cpu_percent)
        if cpu is not None:
            out["system/cpu"] = cpu / self._cpu_count
        util = self._call("cpu.utilization", psutil.cpu_percent)
        if util is not None:
            out["system/cpu.utilization"] = float(util)
        vm = self._call("memory", psutil.virtual_memory)
        if vm is not None:
            out["system/memory"] = float(vm.percent)
            out["system/proc.memory.availableMB"] = vm.available / _MB
        rss = self._call("proc.memory", lambda: proc.memory_info().rss)
        if rss is not None:
            out["system/proc.memory.rssMB"] = rss / _MB
            if vm is not None and vm.total:
                out["system/proc.memory.percent"] = 100.0 * rss / vm.total
        disk = self._call("disk", _disk_bytes)
        if disk is not None and self._disk0 is not None:
            out["system/disk.in"] = (disk[0] - self._disk0[0]) / _MB
            out["system/disk.out"] = (disk[1] - self._disk0[1]) / _MB
        net = self._call("network", _net_bytes)
        if net is not None and self._net0 is not None:
            out["system/network.sent"] = float(net[0] - self._net0[0])
            out["system/network.recv"] = float(net[1] - self._net0[1])
        if self._gpus is None:
            self._gpus = _Gpus(self._errors)
        self._gpus.sample(out)
        return out

    def _call(self, probe: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception as exc:
            self._errors.failure(probe, exc)
            return None


# ------------------------------------------------------------- the shared thread
# Every started monitor has one entry (due time, tie-breaker, monitor) in a heap;
# the thread sleeps until the earliest is due, runs that monitor's _tick() with
# the lock released, and puts it back at its next due time.

_cond = threading.Condition()
_due: list[tuple[float, int, SystemMonitor]] = []
_order = itertools.count()
_thread: threading.Thread | None = None
_busy: SystemMonitor | None = None
"""The monitor whose _tick() is running (stop() waits for it)."""


def _schedule(monitor: SystemMonitor, when: float) -> None:
    """Queue ``monitor`` at ``when`` and make sure the thread runs; hold ``_cond``."""
    global _thread
    heapq.heappush(_due, (when, next(_order), monitor))
    if _thread is None:
        _thread = threading.Thread(target=_loop, name="heron-system-monitor", daemon=True)
        _thread.start()
    _cond.notify()


def _unschedule(monitor: SystemMonitor) -> None:
    """Drop ``monitor``'s entry; hold ``_cond``."""
    kept = [entry for entry in _due if entry[2] is not monitor]
    if len(kept) != len(_due):
        _due[:] = kept
        heapq.heapify(_due)
        _cond.notify()


def _loop() -> None:
    global _thread, _busy
    with _cond:
        while True:
            if not _due:
                if not _cond.wait(IDLE_EXIT) and not _due:
                    _thread = None
                    return
                continue
            when, _, monitor = _due[0]
            delay = when - time.monotonic()
            if delay > 0:
                _cond.wait(delay)
                continue
            heapq.heappop(_due)
            _busy = monitor
            _cond.release()
            try:
                next_at = monitor._tick()
            except Exception as exc:  # a bug in one monitor must not stop the others
                logger.warning("heron: system metrics sampling failed: %r", exc)
                next_at = None
            finally:
                _cond.acquire()
                _busy = None
                _cond.notify_all()
            # (stopped, or stopped and started again from its own emit: then it is queued)
            if next_at is not None and monitor._active and all(e[2] is not monitor for e in _due):
                heapq.heappush(_due, (next_at, next(_order), monitor))


def _after_fork_in_child() -> None:
    global _cond, _due, _thread, _busy
    for _, _, monitor in _due:  # the child inherits no thread: these monitors are stopped
        monitor._active = False
    if _busy is not None:
        _busy._active = False
    _cond = threading.Condition()
    _due = []
    _thread = None
    _busy = None


os.register_at_fork(after_in_child=_after_fork_in_child)


def _disk_bytes() -> tuple[int, int] | None:
    import psutil

    counters = psutil.disk_io_counters()
    return None if counters is None else (counters.read_bytes, counters.write_bytes)


def _net_bytes() -> tuple[int, int] | None:
    import psutil

    counters = psutil.net_io_counters()
    return None if counters is None else (counters.bytes_sent, counters.bytes_recv)


_gpu_names: list[str] | None = None


def gpu_names() -> list[str]:
    """The names of this machine's NVIDIA GPUs (empty without pynvml or a driver).

    Asked of NVML once per process: the hardware does not change under a run.
    """
    global _gpu_names
    if _gpu_names is None:
        _gpu_names = _query_gpu_names()
    return list(_gpu_names)


def _query_gpu_names() -> list[str]:
    global _nvml_missing
    if _nvml_missing:
        return []
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:
        _nvml_missing = True
        return []
    try:
        names = []
        for i in range(pynvml.nvmlDeviceGetCount()):
            name = pynvml.nvmlDeviceGetName(pynvml.nvmlDeviceGetHandleByIndex(i))
            names.append(name.decode() if isinstance(name, bytes) else str(name))
        return names
    except Exception as exc:
        logger.warning("heron: could not list GPUs: %r", exc)
        return []
    finally:
        try:
            pynvml.nvmlShutdown()
        except Exception:
            pass
