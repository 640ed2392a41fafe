"""Decoding speed: serialized UnityOutputProto bytes to DecisionSteps / TerminalSteps.

Ours (parse + mlagents_envs.rpc_utils.steps_from_proto) against the reference client of each
generation of Unity builds (UnityOutputProto.ParseFromString + its rpc_utils.steps_from_proto),
on the same bytes, in the same run:

- 2.x bytes (images height, width, channels): mlagents-envs 0.28.0, on this Python (where
  its protobuf 3.20 has no C++ extension past 3.10 and falls back to pure Python) and, when a
  Python 3.10 is found, there too, with the C++ extension: the fairest reference;
- 3.x bytes (images channels, height, width): mlagents-envs 1.1.0 on Python 3.10.

Vector cases are the same in both generations and go to every peer. Each peer runs in its
own virtual environment (devtools/peer_env.py, built on first use). Every side also digests
what it decoded, and the run stops if any two sides decoded different arrays. No BLAS is
involved, so OPENBLAS_CORETYPE does not matter here.

    .venv/bin/python benchmarks/decode.py [--passes 3] [--budget 0.6]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _timing import best_seconds, steps_digest  # noqa: E402

from devtools.peer_env import (  # noqa: E402
    PEER_028,
    PEER_110,
    Peer,
    PeerUnavailable,
    find_python310,
    run_peer,
)
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
_TE = DimensionProperty.TRANSLATIONAL_EQUIVARIANCE
#: A camera in each generation's layout: 2.x (height, width, channels), 3.x channels first.
IMAGE = {
    "2.x": ObservationSpec(
        (84, 84, 3), (_TE, _TE, DimensionProperty.NONE), ObservationType.DEFAULT, "camera"
    ),
    "3.x": ObservationSpec(
        (3, 84, 84), (DimensionProperty.NONE, _TE, _TE), ObservationType.DEFAULT, "camera"
    ),
}


def _frames(n: int, rng: np.random.Generator, channels_first: bool) -> np.ndarray:
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
    return frames.transpose(0, 3, 1, 2).copy() if channels_first else frames


@dataclass
class Case:
    name: str
    agents: int
    specs: list[ObservationSpec]
    compressed: bool
    #: "2.x" or "3.x" for images (decoded by that generation's peer); "any" for vectors.
    generation: str

    @property
    def channels_first(self) -> bool:
        return self.generation == "3.x"


def build_case(case: Case, seed: int = 0) -> tuple[bytes, bytes, BehaviorSpec]:
    """Serialized UnityOutputProto for one behavior of n agents, about 2% of them done."""
    rng = np.random.default_rng(seed)
    n, specs = case.agents, case.specs
    images = len(specs[0].shape) == 3
    action_spec = ActionSpec(2, ()) if images else ActionSpec(2, (3, 3))
    spec = BehaviorSpec(specs, action_spec)
    done = np.zeros(n, dtype=bool)
    done[rng.choice(n, size=max(1, n // 50), replace=False)] = True
    ids = np.arange(n, dtype=np.int32)

    def observations(rows: np.ndarray) -> list[np.ndarray]:
        if images:
            return [_frames(len(rows), rng, case.channels_first)]
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
    infos = steps_to_proto(
        decision,
        terminal,
        spec,
        [case.compressed] * len(specs),
        channels_first=case.channels_first,
    )
    output.rl_output.agentInfos[BEHAVIOR].value.extend(infos)
    brain = behavior_spec_to_proto(BEHAVIOR, spec)
    return output.SerializeToString(), brain.SerializeToString(), spec


CASES = [
    Case("vector obs, 12 agents", 12, VECTOR, False, "any"),
    Case("vector obs, 1024 agents", 1024, VECTOR, False, "any"),
    Case("2.x 84x84x3 PNG, 16 agents", 16, [IMAGE["2.x"]], True, "2.x"),
    Case("3.x 3x84x84 PNG, 16 agents", 16, [IMAGE["3.x"]], True, "3.x"),
    Case("2.x 84x84x3 floats, 16 agents", 16, [IMAGE["2.x"]], False, "2.x"),
    Case("3.x 3x84x84 floats, 16 agents", 16, [IMAGE["3.x"]], False, "3.x"),
]


@dataclass
class PeerSide:
    """A reference client on an interpreter, and the generation of bytes it decodes."""

    label: str
    peer: Peer
    base_python: str | None
    generation: str


def peer_sides() -> list[PeerSide]:
    this = f"{sys.version_info.major}.{sys.version_info.minor}"
    sides = [PeerSide(f"0.28 py{this}", PEER_028, None, "2.x")]
    python310 = find_python310()
    if python310 and this != "3.10":
        sides.append(PeerSide("0.28 py3.10", PEER_028, python310, "2.x"))
    # Without a Python 3.10 this side reports itself unavailable.
    sides.append(PeerSide("1.1.0 py3.10", PEER_110, None, "3.x"))
    return sides


def measure_ours(cases: list[dict], folder: Path) -> dict:
    results = {}
    for case in cases:
        data = (folder / case["output"]).read_bytes()
        spec = case["spec"]

        def decode(data: bytes = data, spec: BehaviorSpec = spec, first: bool = case["cf"]):
            output = UnityOutputProto()
            output.ParseFromString(data)
            infos = output.rl_output.agentInfos[BEHAVIOR].value
            return steps_from_proto(infos, spec, channels_first=first)

        decision, terminal = decode()
        results[case["name"]] = {
            "seconds": best_seconds(decode, case["budget"]),
            "digest": steps_digest(decision, terminal),
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=3, help="interleaved passes; best kept")
    parser.add_argument("--budget", type=float, default=0.6, help="seconds per case per pass")
    args = parser.parse_args()
    sides = peer_sides()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = []
        for i, case in enumerate(CASES):
            output, brain, spec = build_case(case)
            (folder / f"output{i}.bin").write_bytes(output)
            (folder / f"brain{i}.bin").write_bytes(brain)
            cases.append(
                {
                    "name": case.name,
                    "output": f"output{i}.bin",
                    "brain": f"brain{i}.bin",
                    "behavior": BEHAVIOR,
                    "generation": case.generation,
                    "budget": args.budget,
                    "bytes": len(output),
                    "spec": spec,
                    "cf": case.channels_first,
                }
            )
        (folder / "cases.json").write_text(
            json.dumps([{k: v for k, v in c.items() if k not in ("spec", "cf")} for c in cases])
        )

        best: dict[str, dict[str, float]] = {}
        backends: dict[str, str] = {}
        digests: dict[str, str] = {}

        def keep(side: str, results: dict) -> None:
            for name, r in results.items():
                side_best = best.setdefault(side, {})
                side_best[name] = min(side_best.get(name, float("inf")), r["seconds"])
                digests.setdefault(name, r["digest"])
                if digests[name] != r["digest"]:
                    raise SystemExit(f"{side} decoded {name!r} to different arrays than ours")

        for _ in range(args.passes):
            keep("ours", measure_ours(cases, folder))
            for side in list(sides):
                try:
                    result = run_peer(
                        ROOT / "benchmarks" / "peer_decode.py",
                        str(folder),
                        side.generation,
                        base_python=side.base_python,
                        peer=side.peer,
                    )
                except PeerUnavailable as error:
                    print(f"{side.label}: unavailable ({error})", file=sys.stderr)
                    sides.remove(side)
                    continue
                report = json.loads(result.stdout)
                backends[side.label] = report["protobuf"]
                keep(side.label, report["results"])

    print(f"decode benchmark, best of {args.passes} interleaved passes (ms per decode)")
    print("ratio = the peer's time / ours (above 1: ours is faster)")
    header = f"{'case':<32}{'bytes':>9}  {'ours':>8}"
    for side in sides:
        header += f"  {side.label + ' (' + backends[side.label] + ')':>22}  {'ratio':>6}"
    print(header)
    for case in cases:
        name = case["name"]
        ours = best["ours"][name] * 1e3
        line = f"{name:<32}{case['bytes']:>9}  {ours:>8.3f}"
        for side in sides:
            if name not in best[side.label]:
                line += f"  {'-':>22}  {'':>6}"
                continue
            peer = best[side.label][name] * 1e3
            line += f"  {peer:>22.3f}  {peer / ours:>5.1f}x"
        print(line)


if __name__ == "__main__":
    main()
