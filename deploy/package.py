"""`make package`: Chalice's template merged with infra/resources.json, and the ASL inlined, in out/<stage>/.

    python -m deploy.package --stage prod --out out/prod

The state machine's definition is written into the template from infra/review.asl.json (the file
the local run and the tests execute), so cfn-lint checks it and no separate upload is needed. The alarms
and the dashboard come from infra/monitoring.py.

The zip ships the bytecode of every module, compiled for the template's Python runtime: Lambda
unpacks it into a read-only /var/task, where Python could not write a cache and would compile every
module it imports on every cold start.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chalicelib import call, call_file, rendering
from chalicelib.settings import CALL_FILE, CALL_OVERRIDES, DEFAULT_CALL_FILE, PUBLIC_URL
from infra import RESOURCES, definition_text, monitoring

PROJECT = Path(__file__).resolve().parent.parent
STAGES = ("dev", "prod")
# What the wheels carry that the functions never import: icalendar's test suite, pydantic's V1 copy
# and its mypy plugin (bench/package_size.py: 376 KB of the 3.78 MB zip).
NOT_SHIPPED = ("icalendar/tests/", "pydantic/v1/", "pydantic/mypy.py")
# The first bytes of a .pyc for each Lambda runtime: importlib.util.MAGIC_NUMBER of that Python.
MAGIC_NUMBERS = {
    "python3.11": (3495).to_bytes(2, "little") + b"\r\n",
    "python3.12": (3531).to_bytes(2, "little") + b"\r\n",
    "python3.13": (3571).to_bytes(2, "little") + b"\r\n",
}
# Every entry of the zip carries this date (as Chalice writes them), so a fresh clone packs the same bytes.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
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
        [str(chalice), "package", "--stage", stage, "--merge-template", str(RESOURCES), str(out)],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise PackagingFailed(f"chalice package failed:\n{result.stdout}{result.stderr}")
    template_path = out / "sam.json"
    template: dict[str, Any] = json.loads(template_path.read_text())
    refuse_plain_http(template)
    rebuild(out / "deployment.zip", python_runtime(template), validated_calls(template))
    inline_state_machines(template)
    template["Resources"] |= monitoring.resources(template)
    template_path.write_text(json.dumps(template, indent=2, sort_keys=True) + "\n")
    return template_path


def python_runtime(template: dict[str, Any]) -> str:
    """The one Python runtime the template's functions run on, e.g. "python3.11"."""
    default = template.get("Globals", {}).get("Function", {}).get("Runtime")
    return _shared(template, "Python runtime", lambda properties: str(properties.get("Runtime", default)))


def functions_environment(template: dict[str, Any], name: str) -> str:
    """An environment variable the stage gives its functions, which must all have the same."""
    return _shared(
        template,
        name,
        lambda properties: str(properties.get("Environment", {}).get("Variables", {}).get(name, "")).strip(),
    )


def _shared(template: dict[str, Any], what: str, value_of: Callable[[dict[str, Any]], str]) -> str:
    """What `value_of` reads in each function's properties, which must be the same for every function."""
    values = {
        value_of(resource["Properties"])
        for resource in template["Resources"].values()
        if resource.get("Type") == "AWS::Serverless::Function"
    }
    if len(values) != 1:
        raise PackagingFailed(f"the functions must share one {what}, not {sorted(values)}")
    [value] = values
    return value


def refuse_plain_http(template: dict[str, Any]) -> None:
    """A deployed stage's links go out over https only: its emails carry capabilities, and its pages send HSTS."""
    public_url = functions_environment(template, PUBLIC_URL)
    if public_url and not public_url.startswith("https://"):
        raise PackagingFailed(
            f"{PUBLIC_URL} is {public_url!r} in the stage's environment: a deployed stage's links must start with "
            "https://; change it in .chalice/config.json, or leave it out (make deploy gives the API's own https URL)"
        )


def validated_calls(template: dict[str, Any]) -> dict[str, Any]:
    """Every call file validated, with the stage's overrides and its default call: a mistake stops the
    packaging here (an id that is one of the app's addresses, overrides of no call...)."""
    try:
        default_file = functions_environment(template, CALL_FILE) or DEFAULT_CALL_FILE
        return call_file.packaged_calls(functions_environment(template, CALL_OVERRIDES), default_file)
    except call.CallFileError as exc:
        raise PackagingFailed(f"the calls cannot be packaged:\n{exc}") from exc


def rebuild(zip_path: Path, runtime: str, calls: dict[str, Any]) -> None:
    """Rewrite Chalice's zip without NOT_SHIPPED, with the validated calls, the templates compiled, and the
    bytecode of every module."""
    with tempfile.TemporaryDirectory(prefix="cfp-package-") as staging:
        root = Path(staging)
        with zipfile.ZipFile(zip_path) as source:
            for entry in source.infolist():
                if not entry.is_dir() and not entry.filename.startswith(NOT_SHIPPED):
                    source.extract(entry, root)
        packaged_calls = root / call.PACKAGED_CALLS.relative_to(PROJECT)
        packaged_calls.parent.mkdir(parents=True, exist_ok=True)
        packaged_calls.write_text(json.dumps(calls, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
        rendering.compile_templates(root / rendering.COMPILED_TEMPLATES_DIR.relative_to(PROJECT))
        compile_bytecode(root, runtime)
        write_zip(root, zip_path)


def compile_bytecode(root: Path, runtime: str) -> None:
    """Compile every module under `root` into __pycache__, for `runtime`.

    `unchecked-hash` bytecode is used without comparing it with its source, so the zip's dates do
    not matter; a fresh interpreter with a fixed hash seed compiles the same bytes every time (set
    constants are ordered by their hashes), and paths are written relative to the zip's root.
    """
    if MAGIC_NUMBERS.get(runtime) != importlib.util.MAGIC_NUMBER:
        version = ".".join(map(str, sys.version_info[:2]))
        raise PackagingFailed(
            f"the template's runtime is {runtime}, but this is Python {version}: its bytecode would not load there; "
            f"package with {runtime} (make package uses .venv, made with `python3.11 -m venv`)"
        )
    result = subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash", "-s", str(root), str(root)],
        env=os.environ | {"PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise PackagingFailed(f"compiling the zip's modules failed:\n{result.stdout}{result.stderr}")


def write_zip(root: Path, zip_path: Path) -> None:
    """Every file under `root`, in name order, each with the same date and mode."""
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            entry = zipfile.ZipInfo(path.relative_to(root).as_posix(), date_time=ZIP_DATE)
            entry.external_attr = 0o100644 << 16
            entry.create_system = 3  # Unix, so that the mode above is read
            target.writestr(entry, path.read_bytes(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)


def inline_state_machines(template: dict[str, Any]) -> None:
    """Replace each `DefinitionS3Location: <file in infra/>` by that file's definition."""
    for resource in template["Resources"].values():
        if resource.get("Type") != "AWS::StepFunctions::StateMachine":
            continue
        properties = resource["Properties"]
        location = properties.get("DefinitionS3Location")
        if isinstance(location, str):
            properties["Definition"] = json.loads(definition_text(location))
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
