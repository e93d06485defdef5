"""How the app feels: launch to the first sample grid, and slider move to the new frame shown.

Runs the real main window offscreen on the built-in zoo (``dcgan-mnist``) and measures, on the
GUI thread's clock, from the event (window construction; a ψ slider or seed change) to the
moment the new pixmap is on the canvas. Targets from the app issue: first sample within 3 s of
launch, slider-to-frame under 50 ms.

    QT_QPA_PLATFORM=offscreen python bench/bench_gui.py [--moves 40] [--entry dcgan-mnist]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entry", default="dcgan-mnist")
    ap.add_argument("--moves", type=int, default=40)
    args = ap.parse_args()
    t_start = time.perf_counter()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv)
    from genzoo.settings import Settings
    from genzoo.zoo import Zoo
    from genzoo_gui.app import MainWindow

    tmp = Path(tempfile.mkdtemp())
    zoo = Zoo(settings=Settings(store_dir=tmp / "store", cache_dir=tmp / "cache"))
    win = MainWindow(zoo=zoo, state_file=tmp / "state.json")
    win.show()
    win.select(args.entry)

    def wait_new_frame(before: int | None, timeout: float = 30.0) -> float:
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < timeout:
            app.processEvents()
            pix = win.canvas.pixmap()
            if pix is not None and not pix.isNull() and pix.cacheKey() != before:
                return time.perf_counter()
            time.sleep(0.0005)
        raise TimeoutError("no frame")

    first = wait_new_frame(None) - t_start
    lat = []
    for i in range(args.moves):
        before = win.canvas.pixmap().cacheKey()
        t0 = time.perf_counter()
        if i % 2:
            win.psi.setValue(30 + (i * 7) % 70)  # a slider drag step (debounced 30 ms)
        else:
            win.step_seed(1)
        lat.append((wait_new_frame(before) - t0) * 1000)
    out = {
        "entry": args.entry,
        "launch_to_first_grid_s": round(first, 3),
        "slider_to_frame_ms_median": round(statistics.median(lat), 1),
        "slider_to_frame_ms_p90": round(sorted(lat)[int(0.9 * len(lat)) - 1], 1),
        "debounce_ms": 30,
        "moves": args.moves,
    }
    print(json.dumps(out))
    win.close()


if __name__ == "__main__":
    main()
