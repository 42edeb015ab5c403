"""``--junit FILE``: the gate as JUnit XML, one test case per item and one per gated metric.

Why a failed case means "the gate fails on it" and not "the item is wrong": a set keeps
items the assistant is known to get wrong (the seed set has ten), and a JUnit report that
is red on every passing build gets ignored. So a case fails exactly when the gate fails on
it: an item regression beyond ``--allow-item-regressions``, a metric below its floor or its
baseline. An item that is wrong now without failing the gate (wrong in the baseline too,
declined instead of answered, an allowed trade-off) is reported as skipped with what was
expected and what came back, as pytest reports an expected failure (xfail). Written with
the standard library (``xml.etree``); read by any JUnit reader (tests use ``junitparser``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from .diff import Change, Comparison, ItemState
from .gate import Failure, regression_message
from .metrics import GATED
from .runner import ItemResult, RunResult


def expected_text(state: ItemState, golds: tuple[str, ...]) -> str:
    """What the item should come to."""
    if not state.expected_answerable:
        return "expected a decline (the articles do not answer it)"
    return "expected an answer containing " + " | ".join(repr(g) for g in golds)


def outcome_text(state: ItemState) -> str:
    """What came back: the verdict, the kind, the answer and its citations."""
    cites = ", ".join(state.citations) or "nothing"
    return f"{state.status} ({state.kind}): {state.answer!r}, citing {cites}"


def skip_reason(change: Change | None, compared: bool) -> str:
    """Why a wrong item does not fail: known from the baseline, or left to the averages."""
    if change is not None and "newly wrong" in change.tags:
        return "newly wrong, gated by the averages only (not a wrong claim)"
    if change is None and compared:
        return "wrong in the baseline too"
    return "wrong, not gated per item"


def item_case(
    result: ItemResult,
    state: ItemState,
    change: Change | None,
    failing: set[str],
    compared: bool = False,
) -> ET.Element:
    """One item's test case: failed when the gate fails on it, skipped when wrong anyway;
    ``compared``: the run was compared item by item with a baseline."""
    case = ET.Element("testcase", classname=f"eval.{result.item.kind or result.item.language}")
    case.set("name", result.item.id)
    case.set("time", f"{result.timings_ms.get('total', 0.0) / 1000:.3f}")
    told = f"{expected_text(state, result.item.answers)}, got {outcome_text(state)}"
    before = change.before if change else None
    detail = f"question: {result.item.question}\n{told}"
    if before is not None:
        detail += f"\nbaseline: {outcome_text(before)}"
    if result.item.id in failing and change is not None:
        outcome = ET.SubElement(case, "failure", type="item regression")
        outcome.set("message", f"{regression_message(change)}: {told}")
    elif change is not None and change.regression:
        outcome = ET.SubElement(case, "skipped", type="allowed regression")
        outcome.set("message", f"allowed by --allow-item-regressions: {told}")
    elif not state.good:
        outcome = ET.SubElement(case, "skipped", type="known failure")
        outcome.set("message", f"{skip_reason(change, compared)}: {told}")
    else:
        outcome = ET.SubElement(case, "system-out")
    outcome.text = detail
    return case


def metric_case(name: str, value: float | None, failures: list[Failure]) -> ET.Element:
    """One gated metric's test case: failed with each failure's message."""
    case = ET.Element("testcase", classname="eval.metrics", name=name, time="0")
    for failure in (f for f in failures if f.metric == name):
        element = ET.SubElement(case, "failure", type=f"metric {failure.why}")
        element.set("message", failure.message())
    ET.SubElement(case, "system-out").text = f"{name} = {value}"
    return case


def write_junit(
    path: Path,
    run: RunResult,
    states: dict[str, ItemState],
    failures: list[Failure],
    comparison: Comparison | None,
) -> Path:
    """Write the run's JUnit XML to ``path``: one suite named after the set; ``states``:
    each item's outcome by id (``diff.states`` of the report items)."""
    changes = {c.id: c for c in comparison.changes} if comparison else {}
    failing = {c.id for c in comparison.failing} if comparison else set()
    compared = comparison is not None and not comparison.note
    suite = ET.Element("testsuite", name=f"assistant eval {run.set_name}")
    for result in run.items:
        state = states[result.item.id]
        change = changes.get(result.item.id)
        suite.append(item_case(result, state, change, failing, compared))
    for name in (n for n in GATED if n in run.metrics):
        suite.append(metric_case(name, run.metrics[name], failures))
    cases = list(suite)
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(c.find("failure") is not None for c in cases)))
    suite.set("skipped", str(sum(c.find("skipped") is not None for c in cases)))
    suite.set("errors", "0")
    suite.set("time", f"{run.seconds:.3f}")
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path
