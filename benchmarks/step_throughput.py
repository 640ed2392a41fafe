"""Step throughput: UnityEnvironment steps per second against our 3DBall executable.

Our client and the reference client (mlagents-envs 0.28.0, in its own virtual environment)
run the same loop (benchmarks/peer_step.py: set the actions of the agents that asked, step,
get_steps; actions drawn beforehand) on the same executable, seed and actions, at 12 agents
(one area) and 1008 agents (84 areas). When a Python 3.10 is found, the peer also runs
there, where its protobuf 3.20 has the C++ backend (on Python 3.11 it is pure Python).

The floor is the transport alone: the real message bytes of a recorded run, sent by a client
process to a gRPC server over the same method path, both with identity serializers, without
decoding, encoding or simulation; once answered straight from the handler and once through
a handoff to the main thread, as RpcCommunicator does it.

Sides run in interleaved rounds (ours, peers, floors, ours, ...) and the best round counts.
Then the time of one of our steps is split into transport, our client's decoding, encoding
and bookkeeping, and the environment's work, each measured in-process on the recorded run.

    .venv/bin/python benchmarks/step_throughput.py [--steps 400] [--rounds 5] [--quick]
        [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import json
import os
import pstats
import queue
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

import grpc
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from peer_step import free_port, step_loop  # noqa: E402

import mlagents_sim.remote as remote  # noqa: E402
from devtools.peer_env import PeerUnavailable, find_python310, run_peer  # noqa: E402
from mlagents_envs.base_env import ActionTuple, BehaviorSpec  # noqa: E402
from mlagents_envs.codec import actions_to_proto, steps_from_proto  # noqa: E402
from mlagents_envs.communicator import Communicator, PollCallback  # noqa: E402
from mlagents_envs.communicator_objects.command_pb2 import STEP  # noqa: E402
from mlagents_envs.communicator_objects.header_pb2 import HeaderProto  # noqa: E402
from mlagents_envs.communicator_objects.unity_input_pb2 import UnityInputProto  # noqa: E402
from mlagents_envs.communicator_objects.unity_message_pb2 import UnityMessageProto  # noqa: E402
from mlagents_envs.communicator_objects.unity_output_pb2 import UnityOutputProto  # noqa: E402
from mlagents_envs.communicator_objects.unity_rl_input_pb2 import (  # noqa: E402
    UnityRLInputProto,
)
from mlagents_envs.environment import UnityEnvironment  # noqa: E402
from mlagents_envs.rpc_communicator import RpcCommunicator  # noqa: E402
from mlagents_sim.build import build_executable  # noqa: E402
from mlagents_sim.catalog import make_simulation  # noqa: E402
from mlagents_sim.scene import Scene  # noqa: E402

ENV = "3DBall"
SEED = 7
SIZES = [(1, "12 agents"), (84, "1008 agents")]
METHOD = "/communicator_objects.UnityToExternalProto/Exchange"
SERVICE, _, EXCHANGE = METHOD[1:].partition("/")
_OK = 200
# The environment end's channel options (mlagents_sim.remote), so the floor's channel is
# configured like the real one.
_CHANNEL_OPTIONS = [
    ("grpc.max_send_message_length", 512 * 1024 * 1024),
    ("grpc.max_receive_message_length", 512 * 1024 * 1024),
]
PEER_STEP = ROOT / "benchmarks" / "peer_step.py"


# --- Messages of a recorded run --------------------------------------------------------


def _output_message(output: UnityOutputProto) -> bytes:
    return UnityMessageProto(
        header=HeaderProto(status=_OK), unity_output=output
    ).SerializeToString()


def _input_message(inputs: UnityInputProto) -> bytes:
    # As RpcCommunicator wraps an input: a header, then a copy of the input.
    message = UnityMessageProto(header=HeaderProto(status=_OK))
    message.unity_input.CopyFrom(inputs)
    return message.SerializeToString()


class _RecordingCommunicator(RpcCommunicator):
    """The real communicator, keeping the serialized messages of every exchange."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.handshake = b""
        self.outputs: list[bytes] = []
        self.inputs: list[bytes] = []

    def initialize(
        self, inputs: UnityInputProto, poll_callback: PollCallback | None = None
    ) -> UnityOutputProto:
        output = super().initialize(inputs, poll_callback)
        self.handshake = _output_message(output)
        return output

    def exchange(
        self, inputs: UnityInputProto, poll_callback: PollCallback | None = None
    ) -> UnityOutputProto | None:
        self.inputs.append(_input_message(inputs))
        output = super().exchange(inputs, poll_callback)
        if output is not None:
            self.outputs.append(_output_message(output))
        return output


class _RecordingEnvironment(UnityEnvironment):
    def _get_communicator(
        self, worker_id: int, base_port: int, timeout_wait: float
    ) -> Communicator:
        self.recorder = _RecordingCommunicator(worker_id, base_port, timeout_wait, "127.0.0.1")
        return self.recorder


@dataclass
class Recording:
    """One run of ours: exchange 0 is the reset, exchange k the k-th step."""

    handshake: bytes
    outputs: list[bytes]
    inputs: list[bytes]
    behavior: str
    spec: BehaviorSpec
    decisions: list[int]  # agents that asked, per output
    terminals: list[int]  # agents whose episode ended, per output


def record(executable: Path, areas: int, actions: np.ndarray, warmup: int, logs: Path):
    env = _RecordingEnvironment(
        str(executable),
        base_port=free_port(),
        seed=SEED,
        no_graphics=True,
        num_areas=areas,
        log_folder=str(logs),
    )
    try:
        step_loop(env, actions, warmup)
        (behavior,) = list(env.behavior_specs)
        spec = env.behavior_specs[behavior]
    finally:
        env.close()
    rec = env.recorder
    steps = [_decode(o, behavior, spec) for o in rec.outputs]
    decisions = [len(decision) for decision, _ in steps]
    terminals = [len(terminal) for _, terminal in steps]
    return Recording(rec.handshake, rec.outputs, rec.inputs, behavior, spec, decisions, terminals)


def _decode(data: bytes, behavior: str, spec: BehaviorSpec):
    # What our client does with an output: gRPC parses it, then steps_from_proto.
    output = UnityMessageProto.FromString(data).unity_output
    return steps_from_proto(output.rl_output.agentInfos[behavior].value, spec, behavior)


def _write_messages(path: Path, messages: list[bytes]) -> None:
    with open(path, "wb") as f:
        for m in messages:
            f.write(struct.pack("<I", len(m)))
            f.write(m)


def _read_messages(path: str) -> list[bytes]:
    data = Path(path).read_bytes()
    messages, at = [], 0
    while at < len(data):
        (size,) = struct.unpack_from("<I", data, at)
        messages.append(data[at + 4 : at + 4 + size])
        at += 4 + size
    return messages


# --- Runs of each side --------------------------------------------------------------------


def run_ours(executable: Path, areas: int, actions_path: Path, warmup: int) -> dict:
    # The same script as the peer's, in a fresh process with our interpreter, so both sides
    # start alike.
    command = [sys.executable, str(PEER_STEP), str(executable), str(areas), str(SEED)]
    command += [str(actions_path), str(warmup)]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        raise RuntimeError(f"our step loop failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout)


def run_floor(messages_path: Path, replies: list[bytes], warmup: int, handoff: bool) -> dict:
    """Serve the recorded replies to a client process that sends the recorded outputs."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4), options=[("grpc.so_reuseport", 0)]
    )
    answers = itertools.cycle(replies)
    calls: queue.SimpleQueue = queue.SimpleQueue()

    def direct(request: bytes, context: grpc.ServicerContext) -> bytes:
        return next(answers)

    def handed_off(request: bytes, context: grpc.ServicerContext) -> bytes:
        # RpcCommunicator's path: park the call for the main thread and wait for its reply
        # (with the callback it registers, which frees the waiter if the call breaks).
        box: list[bytes] = []
        done = threading.Event()
        context.add_callback(done.set)
        calls.put((box, done))
        done.wait()
        return box[0]

    # No serializers: requests and replies stay bytes.
    handler = grpc.unary_unary_rpc_method_handler(handed_off if handoff else direct)
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(SERVICE, {EXCHANGE: handler}),)
    )
    port = free_port()
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    try:
        command = [sys.executable, __file__, "--floor-client", str(port), str(messages_path)]
        command.append(str(warmup))
        client = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        if handoff:
            while True:
                try:
                    box, done = calls.get(timeout=0.25)
                except queue.Empty:
                    if client.poll() is not None:
                        break
                    continue
                box.append(next(answers))
                done.set()
        out, err = client.communicate(timeout=300)
    finally:
        server.stop(0)
    if client.returncode != 0:
        raise RuntimeError(f"floor client failed:\n{err[-4000:]}")
    return json.loads(out)


def floor_client(port: str, messages_path: str, warmup: str) -> None:
    """The environment's part of the floor: send each recorded output, take the reply."""
    messages = _read_messages(messages_path)
    channel = grpc.insecure_channel(f"localhost:{port}", options=_CHANNEL_OPTIONS)
    exchange = channel.unary_unary(METHOD)
    exchange(messages[0], wait_for_ready=True, timeout=30)
    start = time.perf_counter()
    for i, message in enumerate(messages):
        if i == int(warmup):
            start = time.perf_counter()
        exchange(message)
    seconds = time.perf_counter() - start
    channel.close()
    print(json.dumps({"seconds": seconds, "steps": len(messages) - int(warmup)}))


# --- In-process parts of one of our steps -------------------------------------------------


class _ReplayCommunicator(Communicator):
    """Answers with the recorded outputs; does the serializing and parsing gRPC would do."""

    def __init__(self, rec: Recording) -> None:
        super().__init__()
        self._handshake = rec.handshake
        self._outputs: Iterator[bytes] = iter(rec.outputs)

    def initialize(
        self, inputs: UnityInputProto, poll_callback: PollCallback | None = None
    ) -> UnityOutputProto:
        return UnityMessageProto.FromString(self._handshake).unity_output

    def exchange(
        self, inputs: UnityInputProto, poll_callback: PollCallback | None = None
    ) -> UnityOutputProto | None:
        _input_message(inputs)
        return UnityMessageProto.FromString(next(self._outputs)).unity_output

    def close(self) -> None:
        pass


class _ReplayEnvironment(UnityEnvironment):
    def __init__(self, rec: Recording) -> None:
        self._replay = _ReplayCommunicator(rec)
        super().__init__(file_name=None)

    def _get_communicator(
        self, worker_id: int, base_port: int, timeout_wait: float
    ) -> Communicator:
        return self._replay


def client_total(rec: Recording, actions: np.ndarray, warmup: int) -> float:
    """Seconds per step of our whole client without transport or environment."""
    env = _ReplayEnvironment(rec)
    try:
        result = step_loop(env, actions, warmup)
    finally:
        env.close()
    return result["seconds"] / result["steps"]


def client_decode(rec: Recording, warmup: int) -> float:
    timed = rec.outputs[warmup + 1 :]
    start = time.perf_counter()
    for data in timed:
        _decode(data, rec.behavior, rec.spec)
    return (time.perf_counter() - start) / len(timed)


def client_encode(rec: Recording, actions: np.ndarray, warmup: int) -> float:
    """Building and serializing the input of each step, as UnityEnvironment.step does."""
    batches = [
        ActionTuple(continuous=actions[i, : rec.decisions[i]]) for i in range(warmup, len(actions))
    ]
    start = time.perf_counter()
    for action in batches:
        rl_input = UnityRLInputProto(command=STEP, side_channel=b"")
        if action.n_agents:
            rl_input.agent_actions[rec.behavior].value.extend(actions_to_proto(action))
        _input_message(UnityInputProto(rl_input=rl_input))
    return (time.perf_counter() - start) / len(batches)


def _same_message(a: bytes, b: bytes) -> bool:
    # Bytes first (cheap); an equivalent message encoded otherwise passes the parsed check.
    return a == b or UnityMessageProto.FromString(a) == UnityMessageProto.FromString(b)


class _Stopwatch:
    """Wraps a callable and adds its time to a total while on."""

    def __init__(self, fn: Callable) -> None:
        self.fn = fn
        self.seconds = 0.0
        self.on = False

    def __call__(self, *args: object, **kwargs: object) -> object:
        start = time.perf_counter()
        try:
            return self.fn(*args, **kwargs)
        finally:
            if self.on:
                self.seconds += time.perf_counter() - start


def environment_parts(rec: Recording, areas: int, warmup: int, profile=None) -> dict:
    """The environment's work per step, replayed in-process on the recorded inputs.

    Runs the player's own RemoteSession._handle (a private method: it is what the executable
    does between two calls), with stopwatches on Scene.step and steps_to_bytes.
    """
    session = remote.RemoteSession(port=free_port(), name=ENV, factory=make_simulation)
    session.scene = Scene(make_simulation(ENV, seed=SEED, num_areas=areas))
    scene_step = session.scene.step = _Stopwatch(session.scene.step)  # type: ignore[method-assign]
    encode = _Stopwatch(remote.steps_to_bytes)
    remote.steps_to_bytes = encode  # type: ignore[assignment]
    parse = handle = serialize = 0.0
    timed = len(rec.inputs) - warmup - 1
    ticks = 0
    try:
        for k, data in enumerate(rec.inputs):
            # The replay starts from the reset so the state matches; only later steps count.
            on = k > warmup
            if k == warmup + 1:
                ticks = session.scene.academy.step_count
            scene_step.on = encode.on = on
            if on and profile is not None:
                profile.enable()
            t0 = time.perf_counter()
            message = UnityMessageProto.FromString(data)
            t1 = time.perf_counter()
            output = session._handle(message)
            t2 = time.perf_counter()
            sent = output if isinstance(output, bytes) else output.SerializeToString()
            t3 = time.perf_counter()
            if on and profile is not None:
                profile.disable()
            if not _same_message(sent, rec.outputs[k]):
                raise RuntimeError(f"the replay diverged from the recorded run at exchange {k}")
            if on:
                parse += t1 - t0
                handle += t2 - t1
                serialize += t3 - t2
    finally:
        remote.steps_to_bytes = encode.fn  # type: ignore[assignment]
        session.scene.close()
        session._channel.close()
    ticks = session.scene.academy.step_count - ticks
    return {
        "ticks": ticks / timed,
        "parse": parse / timed,
        "sim": scene_step.seconds / timed,
        "steps_to_bytes": encode.seconds / timed,
        "handle_rest": (handle - scene_step.seconds - encode.seconds) / timed,
        "serialize": serialize / timed,
    }


def profile_report(title: str, profile: cProfile.Profile, steps: int, top: int = 14) -> None:
    stats = pstats.Stats(profile)
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:top]  # type: ignore[attr-defined]
    print(f"\n{title}: top {top} functions by own time (ms per step)")
    print(f"{'own':>8} {'cumulative':>10} {'calls/step':>10}  function")
    for (filename, line, name), (_, calls, own, cumulative, _) in rows:
        where = filename
        for prefix in (str(ROOT / "src") + os.sep, sys.prefix + os.sep, sys.base_prefix + os.sep):
            where = where.removeprefix(prefix)
        print(
            f"{1000 * own / steps:>8.3f} {1000 * cumulative / steps:>10.3f} "
            f"{calls / steps:>10.1f}  {name} ({where}:{line})"
        )


# --- Main ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--steps",
        type=int,
        default=None,
        help="timed steps per run at 12 agents (default 400; quick 100); runs at 1008 agents "
        "take a quarter as many, as each of their steps costs several times more",
    )
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 5)")
    parser.add_argument("--quick", action="store_true", help="fewer steps and rounds")
    parser.add_argument(
        "--profile", action="store_true", help="also print cProfile tables of each end"
    )
    args = parser.parse_args()
    steps = args.steps or (100 if args.quick else 400)
    rounds = args.rounds or (2 if args.quick else 5)
    warmup = 10 if args.quick else 20

    peers: dict[str, str | None] = {"peer": None}
    python310 = find_python310()
    if python310 and Path(sys.executable).resolve() != Path(python310).resolve():
        peers["peer 3.10"] = python310

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        executable = build_executable(ENV, folder / "build")
        cases = []
        for areas, label in SIZES:
            n = 12 * areas
            case_steps = steps if areas == 1 else max(10, steps // 4)
            rng = np.random.default_rng(0)
            actions = rng.uniform(-1.0, 1.0, size=(warmup + case_steps, n, 2)).astype(np.float32)
            actions_path = folder / f"actions{areas}.npy"
            np.save(actions_path, actions, allow_pickle=False)
            rec = record(executable, areas, actions, warmup, folder)
            messages_path = folder / f"outputs{areas}.bin"
            _write_messages(messages_path, rec.outputs[1:])
            cases.append(
                {
                    "areas": areas,
                    "label": label,
                    "steps": case_steps,
                    "actions": actions,
                    "actions_path": actions_path,
                    "rec": rec,
                    "messages_path": messages_path,
                    "output_bytes": np.mean([len(o) for o in rec.outputs[warmup + 1 :]]),
                    "input_bytes": np.mean([len(i) for i in rec.inputs[warmup + 1 :]]),
                }
            )

        best: dict[tuple[str, int], float] = {}
        backends: dict[str, str] = {}
        seen: dict[int, tuple[int, int]] = {}

        def keep(side: str, areas: int, result: dict) -> None:
            per_step = result["seconds"] / result["steps"]
            best[side, areas] = min(best.get((side, areas), float("inf")), per_step)
            if "decisions" in result:
                counts = (result["decisions"], result["terminals"])
                if seen.setdefault(areas, counts) != counts:
                    raise SystemExit(f"{side} saw other episodes at {areas} areas: {counts}")

        for r in range(rounds):
            for case in cases:
                areas, rec = case["areas"], case["rec"]
                keep("ours", areas, run_ours(executable, areas, case["actions_path"], warmup))
                for side, base in list(peers.items()):
                    try:
                        result = run_peer(
                            PEER_STEP,
                            str(executable),
                            str(areas),
                            str(SEED),
                            str(case["actions_path"]),
                            str(warmup),
                            timeout=900,
                            base_python=base,
                        )
                    except PeerUnavailable as error:
                        print(f"{side}: unavailable ({error})", file=sys.stderr)
                        del peers[side]
                        continue
                    report = json.loads(result.stdout)
                    backends[side] = f"Python {report['python']}, {report['protobuf']} protobuf"
                    keep(side, areas, report)
                replies = rec.inputs[1:]
                for handoff, side in ((False, "floor"), (True, "floor+handoff")):
                    keep(side, areas, run_floor(case["messages_path"], replies, warmup, handoff))
            print(f"round {r + 1}/{rounds} done", file=sys.stderr)

        # In-process parts of our step: cheap, so at least 5 repetitions, the best kept.
        parts: dict[int, dict[str, float]] = {}
        for case in cases:
            areas, rec, actions = case["areas"], case["rec"], case["actions"]
            found: dict[str, float] = {}
            for _ in range(max(5, rounds)):
                measured = {
                    "client": client_total(rec, actions, warmup),
                    "decode": client_decode(rec, warmup),
                    "encode": client_encode(rec, actions, warmup),
                    **{f"env_{k}": v for k, v in environment_parts(rec, areas, warmup).items()},
                }
                for key, value in measured.items():
                    found[key] = min(found.get(key, float("inf")), value)
            parts[areas] = found

        print_results(cases, peers, backends, best, parts, rounds)

        if args.profile:
            for case in cases:
                areas, rec, actions = case["areas"], case["rec"], case["actions"]
                profile = cProfile.Profile()
                environment_parts(rec, areas, warmup, profile)
                profile_report(f"environment end, {case['label']}", profile, case["steps"])
                profile = cProfile.Profile()
                profile.enable()
                client_total(rec, actions, warmup)
                profile.disable()
                # The client's profile includes its warmup steps.
                profile_report(
                    f"our client (replayed, no transport), {case['label']}",
                    profile,
                    case["steps"] + warmup,
                )


def print_results(cases, peers, backends, best, parts, rounds) -> None:
    print(f"\nstep throughput, {ENV} executable, best of {rounds} interleaved rounds (steps/s)")
    print("  ours: this package, protobuf upb")
    for side in peers:
        print(f"  {side}: mlagents-envs 0.28.0, {backends.get(side, '?')}")
    print("  floor: the same message bytes over gRPC, no decoding, encoding or simulation")
    header = f"{'agents':<13}{'steps':>6}{'ours':>8}"
    for side in peers:
        header += f"{side:>11}{'ratio':>8}"
    header += f"{'floor':>8}{'floor+handoff':>15}"
    print(header)
    for case in cases:
        areas = case["areas"]
        ours = 1 / best["ours", areas]
        line = f"{case['label']:<13}{case['steps']:>6}{ours:>8.0f}"
        for side in peers:
            peer = 1 / best[side, areas]
            line += f"{peer:>11.0f}{ours / peer:>7.2f}x"
        line += f"{1 / best['floor', areas]:>8.0f}{1 / best['floor+handoff', areas]:>15.0f}"
        print(line)

    print("\nwhere one of our steps goes (ms per step; the parts are measured in-process on")
    print("the recorded run, each the best of at least 5 repetitions)")
    rows: list[tuple[str, Callable[[int], float]]] = [
        ("agents per output: deciding", lambda a: _per_output(cases, a, "decisions")),
        ("agents per output: episode ended", lambda a: _per_output(cases, a, "terminals")),
        ("environment ticks per step", lambda a: parts[a]["env_ticks"]),
        ("message bytes out (environment -> Python)", lambda a: _case(cases, a)["output_bytes"]),
        ("message bytes in (Python -> environment)", lambda a: _case(cases, a)["input_bytes"]),
        ("measured step, ours", lambda a: 1000 * best["ours", a]),
        ("transport: gRPC round trip, bytes only", lambda a: 1000 * best["floor", a]),
        (
            "transport: + handoff to the main thread",
            lambda a: 1000 * (best["floor+handoff", a] - best["floor", a]),
        ),
        ("client: parse + steps_from_proto", lambda a: 1000 * parts[a]["decode"]),
        (
            "client: actions_to_proto + message + serialize",
            lambda a: 1000 * parts[a]["encode"],
        ),
        (
            "client: set_actions / step / get_steps rest",
            lambda a: 1000 * (parts[a]["client"] - parts[a]["decode"] - parts[a]["encode"]),
        ),
        ("environment: parse input", lambda a: 1000 * parts[a]["env_parse"]),
        ("environment: Scene.step (academy + physics)", lambda a: 1000 * parts[a]["env_sim"]),
        ("environment: steps_to_bytes", lambda a: 1000 * parts[a]["env_steps_to_bytes"]),
        (
            "environment: actions, side channels, message",
            lambda a: 1000 * parts[a]["env_handle_rest"],
        ),
        ("environment: serialize output", lambda a: 1000 * parts[a]["env_serialize"]),
        ("sum of the parts", lambda a: 1000 * _sum_parts(best, parts, a)),
        (
            "unaccounted (measured - sum)",
            lambda a: 1000 * (best["ours", a] - _sum_parts(best, parts, a)),
        ),
    ]
    print(f"{'':<48}" + "".join(f"{c['label']:>14}" for c in cases))
    for title, value in rows:
        fmt = "{:>14.0f}" if title.startswith("message") else "{:>14.3f}"
        if title.startswith(("agents", "environment ticks")):
            fmt = "{:>14.1f}"
        print(f"{title:<48}" + "".join(fmt.format(value(c["areas"])) for c in cases))

    # The environment and the transport are the same for both clients, so whatever the
    # peer spends beyond them is its client's own time.
    print("\nclient side alone (a step minus what both clients share: transport + environment)")
    for case in cases:
        areas = case["areas"]
        client = parts[areas]["client"]
        shared = best["ours", areas] - client
        line = f"  {case['label']:<13} ours {1000 * client:.3f} ms"
        for side in peers:
            peer = best[side, areas] - shared
            line += f"; {side} ~{1000 * peer:.3f} ms ({peer / client:.1f}x)"
        print(line)

    targets = {1: 3.0, 84: 5.0}
    print("\ntargets (ours / peer):")
    for case in cases:
        areas = case["areas"]
        ratios = ", ".join(
            f"{best[side, areas] / best['ours', areas]:.2f}x over {side}" for side in peers
        )
        print(f"  {case['label']:<13} >= {targets[areas]:.0f}x: {ratios}")


def _case(cases: list[dict], areas: int) -> dict:
    return next(c for c in cases if c["areas"] == areas)


def _per_output(cases: list[dict], areas: int, field: str) -> float:
    rec = _case(cases, areas)["rec"]
    # The outputs the timed steps answered with.
    return float(np.mean(getattr(rec, field)[-_case(cases, areas)["steps"] :]))


def _sum_parts(best: dict, parts: dict, areas: int) -> float:
    p = parts[areas]
    env = sum(v for k, v in p.items() if k.startswith("env_") and k != "env_ticks")
    return best["floor+handoff", areas] + p["client"] + env


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--floor-client":
        floor_client(*sys.argv[2:])
    else:
        main()
