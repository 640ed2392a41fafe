"""Run by the reference trainer's interpreter (mlagents 0.28.0), never with our packages:

    python peer_demo_buffer.py DEMO SEQUENCE_LENGTH OUT.npz [DEMO SEQUENCE_LENGTH OUT.npz ...]

For each file, the buffer of mlagents.trainers.demo_loader.demo_to_buffer as arrays named as
our buffer keys are ("obs:0", "done", ...), the spec it read, and what its client decodes
from the steps for what its buffer leaves out: the observation after each row's
("next_obs:k") and each row's action mask (1 = allowed; all allowed on terminal steps).
"""

import sys

import numpy as np

from mlagents.trainers.buffer import BufferKey
from mlagents.trainers.demo_loader import demo_to_buffer, load_demonstration
from mlagents.trainers.trajectory import ObsUtil
from mlagents_envs.rpc_utils import steps_from_proto


def rows(field, dtype):
    return np.array([np.asarray(list(np.ravel(value)), dtype=dtype) for value in field])


def dump(path, sequence_length, out):
    spec, buffer = demo_to_buffer(path, sequence_length)
    keys = list(buffer.keys())
    arrays = {
        "spec:shapes": np.array([str(tuple(o.shape)) for o in spec.observation_specs]),
        "spec:continuous": np.array(spec.action_spec.continuous_size),
        "spec:branches": np.array(spec.action_spec.discrete_branches, dtype=np.int64),
    }
    for k in range(len(spec.observation_specs)):
        arrays[f"obs:{k}"] = np.array(buffer[ObsUtil.get_name_at(k)], dtype=np.float32)
    if BufferKey.CONTINUOUS_ACTION in keys:
        arrays["continuous_action"] = rows(buffer[BufferKey.CONTINUOUS_ACTION], np.float32)
    if BufferKey.DISCRETE_ACTION in keys:
        arrays["discrete_action"] = rows(buffer[BufferKey.DISCRETE_ACTION], np.int64)
    arrays["environment_rewards"] = np.array(buffer[BufferKey.ENVIRONMENT_REWARDS], np.float32)
    arrays["done"] = np.array(buffer[BufferKey.DONE], dtype=bool)
    if sequence_length == 1:
        _, pairs, _ = load_demonstration(path)
        steps = [steps_from_proto([p.agent_info], spec) for p in pairs]
        for k in range(len(spec.observation_specs)):
            following = [
                (terminal if len(terminal) else decision).obs[k][0]
                for decision, terminal in steps[1:]
            ]
            arrays[f"next_obs:{k}"] = np.array(following, dtype=np.float32)
        width = int(sum(spec.action_spec.discrete_branches))
        if width:
            masks = []
            for decision, _ in steps[:-1]:
                if len(decision) and decision.action_mask is not None:
                    masks.append(~np.concatenate([m[0] for m in decision.action_mask]))
                else:
                    masks.append(np.ones(width, dtype=bool))
            arrays["action_mask"] = np.array(masks, dtype=np.float32)
    np.savez(out, **arrays)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    for start in range(0, len(arguments), 3):
        path, sequence_length, out = arguments[start : start + 3]
        dump(path, int(sequence_length), out)
