"""MockCommunicator: a Communicator that fakes an environment, for unit tests of scripts.

As ML-Agents' own, it is handed to UnityEnvironment by patching the communicator factory:

    @mock.patch("mlagents_envs.env_utils.launch_executable")
    @mock.patch("mlagents_envs.environment.UnityEnvironment._get_communicator")
    def test_step(mock_communicator, mock_launcher):
        mock_communicator.return_value = MockCommunicator(discrete_action=False)
        env = UnityEnvironment(" ")
        env.step()
        decision_steps, terminal_steps = env.get_steps("RealFakeBrain")

Every output holds num_agents agents (ids 0, 1, ...) of one behavior, brain_name, each
with reward 1 and the vector observation [1, 2, ..., vec_obs_size] after visual_inputs
black 30x40 RGB images; agent 2 is done (a terminal step) in every output. The actions are
two continuous ones, or (discrete_action=True) two branches of 3 and 2.

Unlike ML-Agents' mock, this one honours brain_name and vec_obs_size (ML-Agents' names
its agents' behavior "RealFakeBrain" and sends 3 floats whatever they are), and its images
are real PNGs, so that visual_inputs > 0 decodes; with the defaults the two send the same.
"""

from __future__ import annotations

import numpy as np

from mlagents_envs.codec.png import encode_png
from mlagents_envs.communicator import Communicator, PollCallback
from mlagents_envs.communicator_objects.agent_info_pb2 import AgentInfoProto
from mlagents_envs.communicator_objects.brain_parameters_pb2 import (
    ActionSpecProto,
    BrainParametersProto,
)
from mlagents_envs.communicator_objects.observation_pb2 import NONE, PNG, ObservationProto
from mlagents_envs.communicator_objects.unity_input_pb2 import UnityInputProto
from mlagents_envs.communicator_objects.unity_output_pb2 import UnityOutputProto
from mlagents_envs.communicator_objects.unity_rl_initialization_output_pb2 import (
    UnityRLInitializationOutputProto,
)
from mlagents_envs.communicator_objects.unity_rl_output_pb2 import UnityRLOutputProto
from mlagents_envs.environment import UnityEnvironment

#: (height, width, channels) of each visual observation, as ML-Agents' mock declares.
VISUAL_SHAPE = (30, 40, 3)


class MockCommunicator(Communicator):
    """Answers UnityEnvironment's handshake and every step with the same fake agents."""

    def __init__(
        self,
        discrete_action: bool = False,
        visual_inputs: int = 0,
        num_agents: int = 3,
        brain_name: str = "RealFakeBrain",
        vec_obs_size: int = 3,
    ) -> None:
        super().__init__()
        self.is_discrete = discrete_action
        self.steps = 0
        self.visual_inputs = visual_inputs
        self.has_been_closed = False
        self.num_agents = num_agents
        self.brain_name = brain_name
        self.vec_obs_size = vec_obs_size
        #: The inputs received, in order: the handshake's first.
        self.inputs: list[UnityInputProto] = []

    def initialize(
        self, inputs: UnityInputProto, poll_callback: PollCallback | None = None
    ) -> UnityOutputProto:
        self.inputs.append(inputs)
        if self.is_discrete:
            action_spec = ActionSpecProto(num_discrete_actions=2, discrete_branch_sizes=[3, 2])
        else:
            action_spec = ActionSpecProto(num_continuous_actions=2)
        brain = BrainParametersProto(
            brain_name=self.brain_name, is_training=True, action_spec=action_spec
        )
        init = UnityRLInitializationOutputProto(
            name="RealFakeAcademy",
            communication_version=UnityEnvironment.API_VERSION,
            package_version="mock_package_version",
            log_path="",
            brain_parameters=[brain],
        )
        return UnityOutputProto(rl_initialization_output=init, rl_output=self._rl_output())

    def exchange(
        self, inputs: UnityInputProto, poll_callback: PollCallback | None = None
    ) -> UnityOutputProto:
        self.inputs.append(inputs)
        self.steps += 1
        return UnityOutputProto(rl_output=self._rl_output())

    def close(self) -> None:
        self.has_been_closed = True

    def _rl_output(self) -> UnityRLOutputProto:
        image = encode_png(np.zeros(VISUAL_SHAPE, dtype=np.uint8))
        observations = [
            ObservationProto(compressed_data=image, shape=VISUAL_SHAPE, compression_type=PNG)
            for _ in range(self.visual_inputs)
        ]
        vector = [float(i) for i in range(1, self.vec_obs_size + 1)]
        observations.append(
            ObservationProto(
                float_data=ObservationProto.FloatData(data=vector),
                shape=[len(vector)],
                compression_type=NONE,
            )
        )
        agents = [
            AgentInfoProto(
                reward=1, done=i == 2, max_step_reached=False, id=i, observations=observations
            )
            for i in range(self.num_agents)
        ]
        output = UnityRLOutputProto()
        output.agentInfos[self.brain_name].value.extend(agents)
        return output
