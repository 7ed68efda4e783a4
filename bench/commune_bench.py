"""Commune picker top-1 accuracy on 50 messy inputs (tests/data/commune-inputs.yaml).

    python bench/commune_bench.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.communes import CommunePicker, load_communes  # noqa: E402


def main() -> int:
    picker = CommunePicker(load_communes(ROOT / "knowledge" / "communes.yaml"))
    items = yaml.safe_load((ROOT / "tests" / "data" / "commune-inputs.yaml").read_text("utf-8"))
    hits, sure, times, misses = 0, 0, [], []
    for item in items:
        t0 = time.perf_counter()
        result = picker.search(item["text"])
        times.append(time.perf_counter() - t0)
        if result.communes and result.communes[0].code == item["code"]:
            hits += 1
            sure += result.sure
        else:
            misses.append(item["text"])
    print(f"commune picker: top-1 {hits}/{len(items)} = {hits / len(items):.0%} "
          f"(single answer without a list: {sure}); "
          f"median {statistics.median(times) * 1000:.2f} ms")
    for text in misses:
        print(f"  miss: {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
