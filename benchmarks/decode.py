"""Decoding speed: serialized UnityOutputProto bytes to DecisionSteps / TerminalSteps.

Ours (parse + mlagents_envs.rpc_utils.steps_from_proto) against the reference client,
mlagents-envs 0.28.0 (UnityOutputProto.ParseFromString + its rpc_utils.steps_from_proto), on
the same bytes, in the same run. The peer runs in its own virtual environment (built on
first use). On Python 3.11 its protobuf 3.20 has no C++ extension and falls back to pure
Python; when a Python 3.10 is found, the peer is also measured there, with the C++
extension, which is the fairest reference.

    .venv/bin/python benchmarks/decode.py [--passes 3] [--budget 0.6]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _timing import best_seconds  # noqa: E402

from devtools.peer_env import PeerUnavailable, run_peer  # noqa: E402
from mlagents_envs.base_env import (  # noqa: E402
    ActionSpec,
    BehaviorSpec,
    DecisionSteps,
    DimensionProperty,
    ObservationSpec,
    ObservationType,
    TerminalSteps,
)
from mlagents_envs.communicator_objects.unity_output_pb2 import UnityOutputProto  # noqa: E402
from mlagents_envs.rpc_utils import (  # noqa: E402
    behavior_spec_to_proto,
    steps_from_proto,
    steps_to_proto,
)

BEHAVIOR = "Agent?team=0"
VECTOR = [
    ObservationSpec((8,), (DimensionProperty.NONE,), ObservationType.DEFAULT, "state"),
    ObservationSpec((20,), (DimensionProperty.NONE,), ObservationType.DEFAULT, "rays"),
]
IMAGE = [
    ObservationSpec(
        (84, 84, 3),
        (
            DimensionProperty.TRANSLATIONAL_EQUIVARIANCE,
            DimensionProperty.TRANSLATIONAL_EQUIVARIANCE,
            DimensionProperty.NONE,
        ),
        ObservationType.DEFAULT,
        "camera",
    )
]


def _frames(n: int, rng: np.random.Generator) -> np.ndarray:
    """Smooth synthetic camera frames (gradients and a moving square), not noise: noise
    would make zlib, not the codec, the whole measurement.
    """
    y, x = np.mgrid[0:84, 0:84] / 83.0
    frames = np.empty((n, 84, 84, 3), dtype=np.float32)
    for i in range(n):
        frames[i, ..., 0] = x
        frames[i, ..., 1] = y
        frames[i, ..., 2] = 0.5
        r, c = rng.integers(0, 64, size=2)
        frames[i, r : r + 20, c : c + 20] = rng.random(3)
    return frames


def build_case(n: int, specs: list[ObservationSpec], compressed: bool, seed: int = 0):
    """Serialized UnityOutputProto for one behavior of n agents, about 2% of them done."""
    rng = np.random.default_rng(seed)
    action_spec = ActionSpec(2, (3, 3)) if not compressed else ActionSpec(2, ())
    spec = BehaviorSpec(specs, action_spec)
    done = np.zeros(n, dtype=bool)
    done[rng.choice(n, size=max(1, n // 50), replace=False)] = True
    ids = np.arange(n, dtype=np.int32)

    def observations(rows: np.ndarray) -> list[np.ndarray]:
        if compressed:
            return [_frames(len(rows), rng)]
        return [rng.standard_normal((len(rows), *s.shape)).astype(np.float32) for s in specs]

    live, ended = np.flatnonzero(~done), np.flatnonzero(done)
    masks = None
    if action_spec.discrete_size:
        masks = [rng.random((len(live), b)) < 0.2 for b in action_spec.discrete_branches]
    decision = DecisionSteps(
        observations(live),
        rng.standard_normal(len(live)).astype(np.float32),
        ids[live],
        masks,
        np.zeros(len(live), np.int32),
        np.zeros(len(live), np.float32),
    )
    terminal = TerminalSteps(
        observations(ended),
        rng.standard_normal(len(ended)).astype(np.float32),
        np.arange(len(ended)) % 2 == 0,
        ids[ended],
        np.zeros(len(ended), np.int32),
        np.zeros(len(ended), np.float32),
    )
    output = UnityOutputProto()
    infos = steps_to_proto(decision, terminal, spec, [compressed] * len(specs))
    output.rl_output.agentInfos[BEHAVIOR].value.extend(infos)
    brain = behavior_spec_to_proto(BEHAVIOR, spec)
    return output.SerializeToString(), brain.SerializeToString(), spec


CASES = [
    ("vector obs, 12 agents", 12, VECTOR, False),
    ("vector obs, 1024 agents", 1024, VECTOR, False),
    ("84x84x3 PNG obs, 16 agents", 16, IMAGE, True),
]


def measure_ours(cases: list[dict], folder: Path) -> dict:
    results = {}
    for case in cases:
        data = (folder / case["output"]).read_bytes()
        spec = case["spec"]

        def decode(data: bytes = data, spec: BehaviorSpec = spec):
            output = UnityOutputProto()
            output.ParseFromString(data)
            return steps_from_proto(output.rl_output.agentInfos[BEHAVIOR].value, spec)

        decision, terminal = decode()
        results[case["name"]] = {
            "seconds": best_seconds(decode, case["budget"]),
            "decision": len(decision),
            "terminal": len(terminal),
        }
    return results


def find_python310() -> str | None:
    """A working Python 3.10 (pyenv's shims exist but may refuse to run), or None."""
    candidates = [str(p) for p in sorted(Path.home().glob(".pyenv/versions/3.10*/bin/python3.10"))]
    candidates += [c for c in [shutil.which("python3.10")] if c]
    for candidate in candidates:
        probe = subprocess.run([candidate, "-c", "pass"], capture_output=True)
        if probe.returncode == 0:
            return candidate
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=3, help="interleaved passes; best kept")
    parser.add_argument("--budget", type=float, default=0.6, help="seconds per case per pass")
    args = parser.parse_args()

    peers: dict[str, str | None] = {"peer, this Python": None}
    python310 = find_python310()
    if python310 and Path(sys.executable).resolve() != Path(python310).resolve():
        peers["peer, Python 3.10"] = python310

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = []
        for i, (name, n, specs, compressed) in enumerate(CASES):
            output, brain, spec = build_case(n, specs, compressed)
            (folder / f"output{i}.bin").write_bytes(output)
            (folder / f"brain{i}.bin").write_bytes(brain)
            cases.append(
                {
                    "name": name,
                    "output": f"output{i}.bin",
                    "brain": f"brain{i}.bin",
                    "behavior": BEHAVIOR,
                    "budget": args.budget,
                    "bytes": len(output),
                    "spec": spec,
                }
            )
        (folder / "cases.json").write_text(
            json.dumps([{k: v for k, v in c.items() if k != "spec"} for c in cases])
        )

        best: dict[str, dict[str, float]] = {}
        backends: dict[str, str] = {}
        counts: dict[str, tuple[int, int]] = {}

        def keep(side: str, results: dict) -> None:
            for name, r in results.items():
                side_best = best.setdefault(side, {})
                side_best[name] = min(side_best.get(name, float("inf")), r["seconds"])
                counts.setdefault(name, (r["decision"], r["terminal"]))
                if counts[name] != (r["decision"], r["terminal"]):
                    raise SystemExit(f"{side} decoded {name} differently: {r} vs {counts[name]}")

        for _ in range(args.passes):
            keep("ours", measure_ours(cases, folder))
            for side, base in list(peers.items()):
                try:
                    result = run_peer(
                        ROOT / "benchmarks" / "peer_decode.py", str(folder), base_python=base
                    )
                except PeerUnavailable as error:
                    print(f"{side}: unavailable ({error})", file=sys.stderr)
                    del peers[side]
                    continue
                report = json.loads(result.stdout)
                backends[side] = report["protobuf"]
                keep(side, report["results"])

    print(f"decode benchmark, best of {args.passes} interleaved passes (decodes per second)")
    header = f"{'case':<28}{'bytes':>9}  {'ours':>9}"
    for side in peers:
        header += f"  {side + ' (' + backends[side] + ')':>30}  {'ratio':>6}"
    print(header)
    for case in cases:
        name = case["name"]
        ours = 1.0 / best["ours"][name]
        line = f"{name:<28}{case['bytes']:>9}  {ours:>9.0f}"
        for side in peers:
            peer = 1.0 / best[side][name]
            line += f"  {peer:>30.0f}  {ours / peer:>5.1f}x"
        print(line)


if __name__ == "__main__":
    main()
