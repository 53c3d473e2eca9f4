"""Progress bars for long bulk work (batched inserts, waits).

Uses tqdm when it is importable, else a small bar of its own on stderr. A bar
is shown only when asked (``progress=True``, the default of bulk calls) and
stderr is a terminal; ``progress=False`` turns it off everywhere.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Optional

try:  # optional dependency
    from tqdm import tqdm as _tqdm  # type: ignore[import-not-found]
except Exception:  # pragma: no cover - depends on the environment
    _tqdm = None

__all__ = ["Progress", "progress_enabled"]


def _stderr_isatty() -> bool:
    try:
        return bool(sys.stderr is not None and sys.stderr.isatty())
    except (AttributeError, ValueError):
        return False


def progress_enabled(progress: Optional[bool]) -> bool:
    """True when a bar should be drawn: not turned off and stderr is a TTY."""
    if progress is False:
        return False
    return _stderr_isatty()


class _SimpleBar:
    """A minimal text bar on stderr, redrawn at most 10 times a second."""

    _WIDTH = 30

    def __init__(self, total: int, desc: str, unit: str) -> None:
        self.total = max(int(total), 0)
        self.desc = desc
        self.unit = unit
        self.n = 0
        self._start = time.monotonic()
        self._last_draw = 0.0
        self._draw(force=True)

    def update(self, n: int) -> None:
        self.n += int(n)
        self._draw()

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_draw < 0.1 and self.n < self.total:
            return
        self._last_draw = now
        frac = min(self.n / self.total, 1.0) if self.total else 1.0
        filled = int(frac * self._WIDTH)
        bar = "#" * filled + "-" * (self._WIDTH - filled)
        elapsed = now - self._start
        rate = self.n / elapsed if elapsed > 0 else 0.0
        sys.stderr.write(
            f"\r{self.desc}: [{bar}] {self.n}/{self.total} {self.unit} "
            f"({rate:,.0f} {self.unit}/s)")
        sys.stderr.flush()

    def close(self) -> None:
        self._draw(force=True)
        sys.stderr.write("\n")
        sys.stderr.flush()


class Progress:
    """A progress bar (a no-op when disabled); use as a context manager.

    Args:
        total: units of work.
        desc: a label.
        enabled: draw the bar (see :func:`progress_enabled`).
        unit: the unit shown ("rows").
    """

    def __init__(self, total: int, desc: str, enabled: bool, unit: str = "rows") -> None:
        self._bar: Any = None
        if not enabled:
            return
        if _tqdm is not None:
            self._bar = _tqdm(total=total, desc=desc, unit=unit, file=sys.stderr,
                              leave=False, dynamic_ncols=True)
        else:
            self._bar = _SimpleBar(total, desc, unit)

    @property
    def active(self) -> bool:
        """True when a bar is drawn."""
        return self._bar is not None

    def update(self, n: int) -> None:
        """Advances the bar by ``n`` units."""
        if self._bar is not None:
            self._bar.update(n)

    def close(self) -> None:
        """Finishes the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
