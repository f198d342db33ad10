"""The deployment zip that `chalice package` builds (`make package STAGE=dev`): its size and largest parts.

python -m bench.package_size
"""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import PROJECT, save, say

OUT = PROJECT / "out" / "dev"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    from deploy.package import package

    say("… chalice package --stage dev")
    package("dev", OUT)
    zip_path = OUT / "deployment.zip"
    results = describe(zip_path)
    save("package_size", results)
    return results


def describe(zip_path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(zip_path) as archive:
        entries = archive.infolist()
    by_top_level: Counter[str] = Counter()
    for entry in entries:
        by_top_level[entry.filename.split("/", 1)[0]] += entry.compress_size
    largest = sorted(entries, key=lambda e: e.compress_size, reverse=True)[:10]
    return {
        "zip_bytes": zip_path.stat().st_size,
        "unpacked_bytes": sum(e.file_size for e in entries),
        "entries": len(entries),
        "largest_top_level": [{"name": n, "zipped_bytes": b} for n, b in by_top_level.most_common(10)],
        "largest_files": [{"name": e.filename, "zipped_bytes": e.compress_size, "bytes": e.file_size} for e in largest],
    }


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
