"""Regenerate mlagents_envs.communicator_objects from the .proto sources under protos/.

Run with the dev extra installed (it pins grpcio-tools, so the output is reproducible):
    python scripts/generate_protos.py            # rewrite the generated modules
    python scripts/generate_protos.py --check    # exit 1 if they differ from the sources
"""

from __future__ import annotations

import argparse
import filecmp
import importlib.resources
import shutil
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
PACKAGE = Path("mlagents_envs") / "communicator_objects"
OUTPUT_ROOT = ROOT / "src"
# Only the service file gets gRPC stubs; the others would be empty modules.
SERVICE_PROTOS = {"unity_to_external.proto"}
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")


def proto_sources() -> list[Path]:
    return sorted((PROTO_ROOT / PACKAGE).glob("*.proto"))


def generate(out_root: Path) -> None:
    sources = [str(p.relative_to(PROTO_ROOT)) for p in proto_sources()]
    services = [s for s in sources if Path(s).name in SERVICE_PROTOS]
    include = importlib.resources.files("grpc_tools") / "_proto"  # well-known types
    common = ["protoc", f"-I{PROTO_ROOT}", f"-I{include}"]
    steps = [
        [*common, f"--python_out={out_root}", f"--pyi_out={out_root}", *sources],
        [*common, f"--grpc_python_out={out_root}", *services],
    ]
    for args in steps:
        if protoc.main(args) != 0:
            raise SystemExit(f"protoc failed: {' '.join(args)}")


def generated_files(root: Path) -> dict[str, Path]:
    folder = root / PACKAGE
    return {
        p.name: p for p in folder.iterdir() if p.is_file() and p.name.endswith(GENERATED_SUFFIXES)
    }


def differences(expected_root: Path, actual_root: Path) -> list[str]:
    expected, actual = generated_files(expected_root), generated_files(actual_root)
    problems = [f"missing: {name}" for name in sorted(expected.keys() - actual.keys())]
    problems += [
        f"not generated from any source: {name}" for name in sorted(actual.keys() - expected.keys())
    ]
    problems += [
        f"differs from its source: {name}"
        for name in sorted(expected.keys() & actual.keys())
        if not filecmp.cmp(expected[name], actual[name], shallow=False)
    ]
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of rewriting")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        (fresh / PACKAGE).mkdir(parents=True)
        generate(fresh)
        if args.check:
            problems = differences(fresh, OUTPUT_ROOT)
            for problem in problems:
                print(problem)
            if problems:
                print("Run `python scripts/generate_protos.py` and commit the result.")
            return 1 if problems else 0
        target = OUTPUT_ROOT / PACKAGE
        for stale in generated_files(OUTPUT_ROOT).values():
            stale.unlink()
        for path in generated_files(fresh).values():
            shutil.copy2(path, target / path.name)
        print(f"generated {len(generated_files(fresh))} files in {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
