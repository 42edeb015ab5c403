"""The release gate: every metric above its absolute floor and within tolerance of baseline.

A metric fails when ``value < floor`` or ``value < baseline - tolerance``; a metric where
lower is better (``false_claim``, ``wrong_absence``) has a ceiling instead: it fails when
``value > ceiling`` or ``value > baseline + tolerance``. A metric that
could not be computed (None, e.g. no answered items) fails when it has a floor or a
baseline, because a gate that silently skips a metric lets a total breakdown through.
Every registered metric (``metrics.METRICS``) with a floor or a baseline is gated, except
those marked ungated (``error``); a floor on a name no metric has is ignored.

A floor is applied only when the set holds the items its metric is computed on
(``applicable``): a set of declines alone (a ``feedback`` set can be one) has no answerable
item, so hit@k or correct are missing by construction, not because something broke. A set
that holds such items still fails on a metric that came out missing.

Items are gated too (``item_comparison``): an item that was correct or declined correctly
in the baseline and now claims something wrong (a false claim, a wrong answer; see
``diff``) fails the gate by name even when every average holds, unless
``--allow-item-regressions N`` accepts up to N of them. The baseline stores each item for
that (``save_baseline``); a baseline written before (metrics only) still gates the metrics
and says that items need ``--update-baseline`` once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from . import diff
from .metrics import BY_NAME, GATED
from .sets import EvalItem, EvalSetError

AGGREGATES_ONLY = (
    "the baseline holds aggregate metrics only (written before item baselines): "
    "items are not compared until `assistant eval --update-baseline` stores them"
)


@dataclass(frozen=True)
class Failure:
    """One metric that failed the gate, and why."""

    metric: str
    value: float | None
    limit: float
    why: str  # "floor", "ceiling" or "baseline"

    def message(self) -> str:
        """A line for people: which metric, its value, the limit it missed."""
        shown = "n/a (no item to compute it on)" if self.value is None else f"{self.value:.3f}"
        if self.why == "floor":
            return f"{self.metric} = {shown} is below its floor {self.limit:.3f}"
        if self.why == "ceiling":
            return f"{self.metric} = {shown} is above its ceiling {self.limit:.3f}"
        if BY_NAME[self.metric].lower_is_better:
            return f"{self.metric} = {shown} rose above baseline + tolerance ({self.limit:.3f})"
        return f"{self.metric} = {shown} dropped below baseline - tolerance ({self.limit:.3f})"


def check(
    metrics: dict[str, float | None],
    floors: dict[str, float],
    baseline: dict[str, float] | None,
    tolerance: float,
) -> list[Failure]:
    """Every failure of ``metrics`` against floors and the baseline (empty list: pass)."""
    failures = []
    for name in GATED:
        value, lower = metrics.get(name), BY_NAME[name].lower_is_better
        worse = (lambda v, limit: v > limit) if lower else (lambda v, limit: v < limit)
        if name in floors and (value is None or worse(value, floors[name])):
            failures.append(Failure(name, value, floors[name], "ceiling" if lower else "floor"))
        if baseline and baseline.get(name) is not None:
            limit = round(baseline[name] + (tolerance if lower else -tolerance), 6)
            if value is None or worse(value, limit):
                failures.append(Failure(name, value, limit, "baseline"))
    return failures


def applicable(floors: dict[str, float], items: Sequence[EvalItem]) -> dict[str, float]:
    """The floors whose metric the set's items can compute: metrics of answerable (and
    answered) items need an answerable item, decline metrics an unanswerable one."""
    answerable = any(item.answerable for item in items)
    unanswerable = any(not item.answerable for item in items)

    def computable(name: str) -> bool:
        scope = BY_NAME[name].applies_to if name in BY_NAME else ""
        if scope.startswith(("answerable", "answered")):
            return answerable
        return unanswerable if scope.startswith("unanswerable") else True

    return {name: value for name, value in floors.items() if computable(name)}


def read_baseline(path: Path | None) -> dict | None:
    """The baseline file's contents, or None when there is no file; a file that is not a
    JSON object is refused with the reason."""
    if path is None or not Path(path).is_file():
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EvalSetError(f"{path}: expected a baseline JSON file, got {exc}") from None
    if not isinstance(data, dict):
        raise EvalSetError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data


def load_baseline(path: Path | None) -> dict[str, float] | None:
    """The stored baseline metrics, or None when there is no file."""
    data = read_baseline(path)
    if data is None:
        return None
    return {k: v for k, v in data.get("metrics", data).items() if isinstance(v, (int, float))}


def load_baseline_items(path: Path | None) -> dict[str, diff.ItemState] | None:
    """The stored items by id; None when there is no file or it holds metrics only."""
    return baseline_items(read_baseline(path), path)


def baseline_items(data: dict | None, path: Path | None) -> dict[str, diff.ItemState] | None:
    """The items of a read baseline (``read_baseline``) by id; None when it has none."""
    entries = data.get("items") if data is not None else None
    if entries is None:
        return None
    try:
        return {str(k): diff.state_from_baseline(str(k), v) for k, v in entries.items()}
    except (AttributeError, KeyError, TypeError) as exc:
        raise EvalSetError(
            f"{path}: expected items as {{id: {{expected, kind, status, ...}}}}, got {exc!r}"
        ) from None


def save_baseline(
    path: Path,
    metrics: dict[str, float | None],
    config: dict,
    items: dict[str, diff.ItemState] | None = None,
) -> None:
    """Store the gated metrics (rounded, so diffs stay readable), how they were made and,
    per item, what the item gate compares (``diff.baseline_entry``)."""
    kept = {k: round(v, 4) for k, v in metrics.items() if k in GATED and v is not None}
    data: dict = {"config": config, "metrics": kept}
    if items is not None:
        data["items"] = {k: diff.baseline_entry(v) for k, v in items.items()}
    Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def item_comparison(
    run_items: dict[str, diff.ItemState],
    path: Path | None,
    allowed: int,
    gated: bool = True,
    kernels: str | None = None,
) -> diff.Comparison | None:
    """This run's items against the baseline at ``path`` (None: there is no baseline);
    ``kernels``: this run's int8 kernels (``encoder.kernels``), named when the baseline's
    differ, since items near a threshold may then move without a change of code."""
    data = read_baseline(path)
    if data is None or path is None:
        return None
    stored = baseline_items(data, path)
    config = data.get("config", {})
    against = f"baseline {_shown(Path(path))}"
    against += f" ({config['date']})" if config.get("date") else ""
    recorded = config.get("int8_kernels")
    if kernels and recorded and recorded != kernels:
        against += (
            f", recorded with {recorded} int8 kernels, this run {kernels}: vectors differ"
            " slightly, so an item near a threshold may change"
        )
    if stored is None:
        return diff.Comparison(against, [], len(run_items), AGGREGATES_ONLY, False, allowed)
    changes = diff.compare(stored, run_items)
    return diff.Comparison(against, changes, len(run_items), "", gated, allowed)


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def regression_message(change: diff.Change) -> str:
    """A line for people: the item, what it was in the baseline, what it is now."""
    was = change.before.status if change.before else "-"
    now = change.after.status if change.after else "-"
    return f"item {change.id}: {was} in the baseline, now {now}"


def worst_items(items, metric: str, n: int = 5) -> list[str]:
    """Ids of up to ``n`` items that scored lowest on ``metric`` (below 1)."""
    scored = [
        (r.scores.get(metric), r.item.id)
        for r in items
        if r.scores.get(metric) is not None and r.scores[metric] < 1
    ]
    return [item_id for _, item_id in sorted(scored)[:n]]
