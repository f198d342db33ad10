"""`make package`: Chalice's template merged with infra/resources.json, and the ASL inlined, in out/<stage>/.

    python -m deploy.package --stage prod --out out/prod

The state machine's definition is written into the template from infra/review.asl.json (the file
the local run and the tests execute), so cfn-lint checks it and no separate upload is needed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
INFRA = PROJECT / "infra"
MERGE_TEMPLATE = INFRA / "resources.json"
STAGES = ("dev", "prod")
# What the wheels carry that the functions never import: icalendar's test suite, pydantic's V1 copy
# and its mypy plugin (bench/package_size.py: 376 KB of the 3.78 MB zip).
NOT_SHIPPED = ("icalendar/tests/", "pydantic/v1/", "pydantic/mypy.py")
# `chalice package` reads no AWS account, but botocore wants a region; these reach nothing.
OFFLINE_AWS = {"AWS_DEFAULT_REGION": "eu-west-3", "AWS_ACCESS_KEY_ID": "offline", "AWS_SECRET_ACCESS_KEY": "offline"}


class PackagingFailed(RuntimeError):
    pass


def package(stage: str, out: Path) -> Path:
    """Write out/<stage>/sam.json and deployment.zip; return the template's path."""
    if stage not in STAGES:
        raise PackagingFailed(f"unknown stage {stage!r}: choose one of {', '.join(STAGES)}")
    if out.exists():
        shutil.rmtree(out)
    chalice = Path(sys.executable).parent / "chalice"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | OFFLINE_AWS
    result = subprocess.run(
        [str(chalice), "package", "--stage", stage, "--merge-template", str(MERGE_TEMPLATE), str(out)],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise PackagingFailed(f"chalice package failed:\n{result.stdout}{result.stderr}")
    trim(out / "deployment.zip")
    template_path = out / "sam.json"
    template: dict[str, Any] = json.loads(template_path.read_text())
    inline_state_machines(template)
    template_path.write_text(json.dumps(template, indent=2, sort_keys=True) + "\n")
    return template_path


def trim(zip_path: Path) -> None:
    """Rewrite the zip without NOT_SHIPPED, at the highest compression; entries keep their order and dates."""
    trimmed = zip_path.with_suffix(".trimmed")
    with (
        zipfile.ZipFile(zip_path) as source,
        zipfile.ZipFile(trimmed, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for entry in source.infolist():
            if not entry.filename.startswith(NOT_SHIPPED):
                target.writestr(entry, source.read(entry), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    trimmed.replace(zip_path)


def inline_state_machines(template: dict[str, Any]) -> None:
    """Replace each `DefinitionS3Location: <file in infra/>` by that file's definition."""
    for resource in template["Resources"].values():
        if resource.get("Type") != "AWS::StepFunctions::StateMachine":
            continue
        properties = resource["Properties"]
        location = properties.get("DefinitionS3Location")
        if isinstance(location, str):
            properties["Definition"] = json.loads((INFRA / location).read_text())
            del properties["DefinitionS3Location"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stage", required=True, choices=STAGES)
    parser.add_argument("--out", type=Path, required=True)
    arguments = parser.parse_args(argv)
    try:
        template = package(arguments.stage, arguments.out)
    except PackagingFailed as exc:
        print(f"✗ {exc}", file=sys.stderr)
        return 1
    zip_path = template.parent / "deployment.zip"
    print(f"✓ {template} and {zip_path} ({zip_path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
