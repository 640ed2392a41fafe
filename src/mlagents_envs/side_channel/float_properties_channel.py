"""FloatPropertiesChannel: named float values shared with the environment, both ways."""

from __future__ import annotations

import uuid

from mlagents_envs.side_channel.incoming_message import IncomingMessage
from mlagents_envs.side_channel.outgoing_message import OutgoingMessage
from mlagents_envs.side_channel.side_channel import SideChannel

FLOAT_PROPERTIES_CHANNEL_ID = uuid.UUID("60ccf7d0-4f7e-11ea-b238-784f4387d1f7")


class FloatPropertiesChannel(SideChannel):
    """A dictionary of string -> float kept in step with the environment.

    Each message, in either direction, is a string key then a float32 value.
    """

    def __init__(self, channel_id: uuid.UUID | None = None) -> None:
        super().__init__(FLOAT_PROPERTIES_CHANNEL_ID if channel_id is None else channel_id)
        self._float_properties: dict[str, float] = {}

    def on_message_received(self, msg: IncomingMessage) -> None:
        """Record the property the environment sent."""
        key = msg.read_string()
        value = msg.read_float32()
        self._float_properties[key] = value

    def set_property(self, key: str, value: float) -> None:
        """Set a property here and queue it for the environment at the next step."""
        msg = OutgoingMessage()
        msg.write_string(key)
        msg.write_float32(value)
        # Recorded only once the message is valid, so both ends agree.
        self._float_properties[key] = value
        self.queue_message_to_send(msg)

    def get_property(self, key: str) -> float | None:
        """The last value set or received for key, or None."""
        return self._float_properties.get(key)

    def list_properties(self) -> list[str]:
        """The keys of every property set or received so far."""
        return list(self._float_properties)

    def get_property_dict_copy(self) -> dict[str, float]:
        """A copy of every property set or received so far."""
        return dict(self._float_properties)
