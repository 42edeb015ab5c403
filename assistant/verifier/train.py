"""Fitting the verifier (PyTorch; the fitting command brings it in, see ``net.py``).

Every pair's sequence goes once through the frozen lower layers (``cache``); training then
runs only the upper layers with their adapters, a few epochs of AdamW on the binary
cross-entropy, batches of pairs of similar length. Cross-validation trains one model per
fold of articles (``pairs.fold_of``) and scores the pairs of the fold it never saw.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..encoder.packed import PackedModel
from ..encoder.tokenizer import Tokenizer
from .model import pair_ids
from .net import Lower, Upper
from .pairs import Pair


@dataclass(frozen=True)
class Settings:
    """What a fit is made of (recorded in the verifier file)."""

    frozen: int = 10  # layers 0..frozen-1 stay e5's own; the rest carry adapters
    rank: int = 8
    epochs: int = 3
    batch: int = 32
    lr: float = 1e-3
    weight_decay: float = 0.01
    seed: int = 13


def cache_lower(
    model: PackedModel, pairs: Sequence[Pair], frozen: int, batch: int = 64
) -> list[torch.Tensor]:
    """The frozen layers' output for every pair (fp16, one (L, H) tensor per pair)."""
    tokenizer, lower = Tokenizer(model), Lower(model, frozen)
    ids = [pair_ids(tokenizer, p.question, p.sentence) for p in pairs]
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out: list[torch.Tensor | None] = [None] * len(ids)
    started = time.perf_counter()
    for n in range(0, len(order), batch):
        chunk = order[n : n + batch]
        tokens, mask = padded([ids[i] for i in chunk], model.pad)
        states = lower(tokens, mask)
        for row, i in enumerate(chunk):
            out[i] = states[row, : len(ids[i])].to(torch.float16).clone()
        if n // batch % 20 == 0:
            print(f"  lower layers: {n + len(chunk)}/{len(order)} pairs, "
                  f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
    return [t for t in out if t is not None]


def padded(rows: Sequence[Sequence[int]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(ids, mask) as (B, longest) int64, padding on the right."""
    longest = max(len(r) for r in rows)
    ids = torch.full((len(rows), longest), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), longest), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        mask[i, : len(row)] = 1
    return ids, mask


def stacked(states: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, longest, H) float32 states and their mask from cached per-pair states."""
    longest = max(s.shape[0] for s in states)
    x = torch.zeros((len(states), longest, states[0].shape[1]), dtype=torch.float32)
    mask = torch.zeros((len(states), longest), dtype=torch.long)
    for i, s in enumerate(states):
        x[i, : s.shape[0]] = s.float()
        mask[i, : s.shape[0]] = 1
    return x, mask


def batches(lengths: Sequence[int], size: int, rng: random.Random) -> list[list[int]]:
    """Indexes in batches of similar length, the batches in random order."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    out = [order[n : n + size] for n in range(0, len(order), size)]
    rng.shuffle(out)
    return out


def fit(
    model: PackedModel,
    states: Sequence[torch.Tensor],
    labels: Sequence[int],
    settings: Settings,
    qlens: Sequence[int],
) -> Upper:
    """Upper layers with adapters and the head, trained on ``states`` / ``labels``."""
    torch.manual_seed(settings.seed)
    rng = random.Random(settings.seed)
    upper = Upper(model, settings.frozen, settings.rank)
    trained = [p for p in upper.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(trained, lr=settings.lr, weight_decay=settings.weight_decay)
    plan = [b for _ in range(settings.epochs) for b in batches([len(s) for s in states],
                                                                 settings.batch, rng)]  # fmt: skip
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, settings.lr, total_steps=len(plan), pct_start=0.1
    )
    target = torch.tensor(labels, dtype=torch.float32)
    lengths = torch.tensor(qlens, dtype=torch.long)
    upper.train()
    started, seen = time.perf_counter(), 0.0
    for step, chunk in enumerate(plan):
        x, mask = stacked([states[i] for i in chunk])
        logits = upper(x, mask, lengths[chunk])
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, target[chunk])
        loss.backward()
        optimiser.step()
        schedule.step()
        optimiser.zero_grad()
        seen = 0.98 * seen + 0.02 * loss.item() if step else loss.item()
        if step % 50 == 0:
            print(f"  step {step}/{len(plan)} loss {seen:.3f} "
                  f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
    upper.eval()
    return upper


@torch.no_grad()
def predict(
    upper: Upper, states: Sequence[torch.Tensor], qlens: Sequence[int], batch: int = 64
) -> np.ndarray:
    """P(answers) for each cached pair."""
    upper.eval()
    out = np.zeros(len(states), dtype=np.float64)
    order = sorted(range(len(states)), key=lambda i: len(states[i]))
    lengths = torch.tensor(qlens, dtype=torch.long)
    for n in range(0, len(order), batch):
        chunk = order[n : n + batch]
        x, mask = stacked([states[i] for i in chunk])
        out[chunk] = torch.sigmoid(upper(x, mask, lengths[chunk])).double().numpy()
    return out


def question_lengths(model: PackedModel, pairs: Sequence[Pair]) -> list[int]:
    """The question's token count in each pair's sequence (``model.pair_ids``)."""
    from .model import QUESTION_TOKENS

    tokenizer = Tokenizer(model)
    return [len(tokenizer.ids(p.question, True)[:QUESTION_TOKENS]) for p in pairs]
