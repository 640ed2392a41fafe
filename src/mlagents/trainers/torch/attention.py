"""Self-attention over a variable set of entities (the members of a group), as ML-Agents'
MA-POCA critic uses it: each entity is embedded by one dense layer, attends to the others
through multi-head attention with a residual connection and layer norms, and the results
are averaged over the entities that are present. Absent entities (padding) are masked out
of the attention and of the average, so a group's encoding does not depend on how many
padding slots it came with.
"""

from __future__ import annotations

import torch
from torch import nn

from mlagents.trainers.torch.layers import linear_layer


def _small_layer(inputs: int, outputs: int) -> nn.Linear:
    # Small weights (gain sqrt(0.125 / outputs) on He normal), as ML-Agents initializes its
    # attention: the residual path dominates at first.
    return linear_layer(inputs, outputs, gain=(0.125 / outputs) ** 0.5)


def layer_norm(x: torch.Tensor, epsilon: float = 1e-5) -> torch.Tensor:
    """Normalization over the last axis without learned scale and shift (as ML-Agents')."""
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + epsilon)


class EntityEmbedding(nn.Module):
    """Embeds each entity of (batch, entities, size) with one dense layer and SiLU."""

    def __init__(self, entity_size: int, embedding_size: int) -> None:
        super().__init__()
        self.entity_size = entity_size
        self.embedding_size = embedding_size
        self.encoder = nn.Sequential(_small_layer(entity_size, embedding_size), nn.SiLU())

    def forward(self, entities: torch.Tensor) -> torch.Tensor:
        return self.encoder(entities)


class MultiHeadAttention(nn.Module):
    """Scaled dot-product attention with num_heads heads; keys flagged in key_mask (1 =
    absent) get no attention."""

    #: What masked scores become: exp of it is 0 in float32, and it stays finite.
    NEG_INF = -1e6

    def __init__(self, embedding_size: int, num_heads: int) -> None:
        super().__init__()
        if embedding_size % num_heads:
            raise ValueError(
                f"The embedding size {embedding_size} is not a multiple of the {num_heads} "
                "attention heads; choose hidden_units divisible by it."
            )
        self.num_heads = num_heads
        self.head_size = embedding_size // num_heads
        self.embedding_size = embedding_size

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        key_mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(batch, n_q, emb), (batch, n_k, emb) twice, (batch, n_k) -> the attended values
        (batch, n_q, emb) and the attention weights (batch, heads, n_q, n_k)."""
        b, n_q, _ = query.shape
        n_k = key.shape[1]
        q = query.reshape(b, n_q, self.num_heads, self.head_size).transpose(1, 2)
        k = key.reshape(b, n_k, self.num_heads, self.head_size).transpose(1, 2)
        v = value.reshape(b, n_k, self.num_heads, self.head_size).transpose(1, 2)
        scores = q @ k.transpose(2, 3) / self.embedding_size**0.5  # (b, h, n_q, n_k)
        if key_mask is not None:
            absent = key_mask.reshape(b, 1, 1, n_k)
            scores = (1 - absent) * scores + absent * self.NEG_INF
        weights = torch.softmax(scores, dim=3)
        attended = (weights @ v).transpose(1, 2).reshape(b, n_q, self.embedding_size)
        return attended, weights


class ResidualSelfAttention(nn.Module):
    """Entities attend to each other (queries, keys and values from the same embeddings),
    a residual connection and layer norms; the output is the mean over present entities:
    (batch, entities, emb) and masks (1 = absent) -> (batch, emb)."""

    #: Keeps the average finite when no entity is present.
    EPSILON = 1e-7

    def __init__(self, embedding_size: int, num_heads: int = 4) -> None:
        super().__init__()
        self.attention = MultiHeadAttention(embedding_size, num_heads)
        self.fc_q = _small_layer(embedding_size, embedding_size)
        self.fc_k = _small_layer(embedding_size, embedding_size)
        self.fc_v = _small_layer(embedding_size, embedding_size)
        self.fc_out = _small_layer(embedding_size, embedding_size)

    def forward(self, entities: torch.Tensor, key_masks: list[torch.Tensor]) -> torch.Tensor:
        mask = torch.cat(key_masks, dim=1)
        x = layer_norm(entities)
        attended, _ = self.attention(self.fc_q(x), self.fc_k(x), self.fc_v(x), mask)
        out = layer_norm(self.fc_out(attended) + x)
        present = (1 - mask).unsqueeze(-1)
        return (out * present).sum(dim=1) / (present.sum(dim=1) + self.EPSILON)
