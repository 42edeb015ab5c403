"""``assistant eval``: resolve the set, build the indexes, run, report, apply the gate.

Exit status: 0 when the gate passes, 1 when a metric fails (the metric and the worst items
are printed) or an item regresses against the baseline (the item is named), 2 for usage
errors (raised as AssistantError and printed by the CLI). What changed since the baseline
is printed before the averages: it is what a release decision reads first.
``--compare RUN_A RUN_B`` diffs two saved runs instead of running one (``compare``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from ..config import PROJECT_ROOT, Settings
from ..encoder.kernels import int8_kernels
from ..errors import IndexMismatchError
from ..stores import discard
from . import diff, diffview, gate
from .judges import make_judge
from .junit import write_junit
from .metrics import (
    ANSWERED,
    CITATION_PRECISION,
    CORRECT,
    DECLINED_REMOVED,
    DECLINED_TOPIC,
    FAITHFULNESS,
    HIT_AT,
    by_name,
)
from .report import item_dict, latency_line, text_chart, write_reports
from .runner import CachedEmbedder, RunResult, run_items, vector_file
from .sets import EvalSet, EvalSetError, load_set_dir
from .xquad import XquadSpec, build_xquad_set

# the targets for XQuAD dev (offline default, news distractors) are its floors
XQUAD_FLOORS = {
    "de": by_name(
        {
            HIT_AT[1]: 0.95,
            HIT_AT[5]: 0.96,
            CORRECT: 0.85,
            ANSWERED: 0.92,
            DECLINED_REMOVED: 0.92,
            DECLINED_TOPIC: 0.80,
            CITATION_PRECISION: 0.99,
            FAITHFULNESS: 0.99,
        }
    ),
    "en": by_name(
        {
            HIT_AT[1]: 0.90,
            HIT_AT[5]: 0.92,
            CORRECT: 0.75,
            ANSWERED: 0.92,
            DECLINED_REMOVED: 0.92,
            DECLINED_TOPIC: 0.80,
            CITATION_PRECISION: 0.99,
            FAITHFULNESS: 0.99,
        }
    ),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``assistant eval``."""
    parser.add_argument(
        "--set",
        dest="set_name",
        help="seed (evals/seed), another folder under evals/ (ASSISTANT_EVALS_DIR; feedback: "
        "the reviewed readers' feedback), xquad-de or xquad-en (English questions, German texts)",
    )
    parser.add_argument("--baseline", type=Path, help="baseline JSON (default: the set's)")
    parser.add_argument(
        "--update-baseline",
        action="store_true",
        help="store this run's metrics and items (kind, verdict, citations, scores, answer) "
        "as the baseline",
    )
    add_gate_arguments(parser)
    parser.add_argument("--out", type=Path, help="report folder (default artifacts/eval/SET)")
    parser.add_argument("--top-k", type=int, help="chunks per answer (degrades on purpose)")
    parser.add_argument("--limit", type=int, help="XQuAD: at most N questions")
    parser.add_argument(
        "--distractors",
        type=int,
        help="XQuAD: news articles mixed in (default all 1,028; 0 for none)",
    )
    parser.add_argument(
        "--no-removed", action="store_true", help="XQuAD: skip the removed-article decline test"
    )
    parser.add_argument(
        "--full-corpus",
        action="store_true",
        help="news sets: the whole shared corpus (first + also) instead of the fixed one (ids)",
    )
    parser.add_argument("--judge", choices=("offline", "llm"), help="default: settings")
    parser.add_argument(
        "--judge-check",
        nargs="?",
        const=PROJECT_ROOT / "evals/judge-check.jsonl",
        type=Path,
        help="only measure the judges' agreement on labelled pairs",
    )


def add_gate_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the item gate and of what CI reads (JUnit, a comparison of two runs)."""
    parser.add_argument(
        "--allow-item-regressions",
        type=int,
        default=0,
        metavar="N",
        help="accept up to N items that were right in the baseline and now claim something "
        "wrong (default 0: any such item fails the gate)",
    )
    parser.add_argument(
        "--junit", type=Path, metavar="FILE", help="also write JUnit XML: a case per item, metric"
    )
    parser.add_argument(
        "--compare",
        nargs=2,
        type=Path,
        metavar=("RUN_A", "RUN_B"),
        help="show the items whose answers differ between two report.json files (or folders)",
    )


def resolve_set(args, settings: Settings, cache: Path) -> EvalSet:
    """The named set: a folder under evals/ or an XQuAD variant from the shared data."""
    name = args.set_name
    folder = settings.evals_dir / name
    if (folder / "set.json").is_file():
        return load_set_dir(
            folder, PROJECT_ROOT, cache, settings.eval_data_dir, full=args.full_corpus
        )
    if name in ("xquad-de", "xquad-en"):
        language = name[-2:]
        data = settings.eval_data_dir
        files = [data / f"xquad-dev.{language}.json", data / "xquad-dev.de.json"]
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise EvalSetError(f"set {name} needs {', '.join(missing)} (shared data)")
        news = data / "10kgnad-test.csv"
        spec = XquadSpec(
            files[0],
            files[1],
            language,
            distractors=news if news.is_file() and args.distractors != 0 else None,
            distractor_limit=args.distractors,
            limit=args.limit,
            removed=not args.no_removed,
        )
        built = build_xquad_set(name, spec, cache)
        built.floors = XQUAD_FLOORS[language]
        built.baseline = None
        return built
    known = sorted(p.name for p in settings.evals_dir.iterdir() if (p / "set.json").is_file())
    raise EvalSetError(
        f"unknown eval set {name!r}; expected one of {known + ['xquad-de', 'xquad-en']}"
    )


def cache_dir(args, settings: Settings) -> Path:
    """Indexes and vectors are cached per corpus under ``INDEX_DIR/eval`` (like everything
    the assistant writes but reports); xquad-de and xquad-en share one."""
    if args.index:
        return Path(args.index)
    root = settings.index_dir / "eval"
    if args.set_name.startswith("xquad-"):
        n = "all" if args.distractors is None else args.distractors
        return root / f"xquad-{n}{'' if args.no_removed else '-r'}"
    return root / (args.set_name + ("-full" if args.full_corpus else ""))


def build_assistants(
    eval_set: EvalSet, settings: Settings, cache: Path, embedder, chat_model=None
) -> dict:
    """One Assistant per corpus variant, each on its own index under ``cache``."""
    from ..chain import Assistant

    assistants = {}
    for variant, paths in eval_set.corpora.items():
        variant_settings = settings.model_copy(update={"index_dir": cache / f"index-{variant}"})
        try:
            assistant = Assistant.from_settings(
                variant_settings, embedder=embedder, chat_model=chat_model
            )
        except IndexMismatchError as exc:  # a cached index of other settings: build it anew
            print(f"[{variant}] rebuilding the cached index: {exc}", file=sys.stderr)
            discard(variant_settings)
            assistant = Assistant.from_settings(
                variant_settings, embedder=embedder, chat_model=chat_model
            )
        for path in paths:  # prune only with one source: pruning would drop the others
            report = assistant.ingest(path, prune=len(paths) == 1)
            print(f"[{variant}] {path}: {report.summary()}", file=sys.stderr)
        assistants[variant] = assistant
    return assistants


def run_eval(args, settings: Settings, embedder=None, chat_model=None) -> int:
    """Run the set, write the reports, apply the gate; return the exit status."""
    from ..providers import make_embeddings

    cache = cache_dir(args, settings)
    eval_set = resolve_set(args, settings, cache)
    if not eval_set.items:  # the feedback set before its first review
        print(f"set {eval_set.name} has no items yet: nothing to gate")
        return 0
    gate.read_baseline(args.baseline or eval_set.baseline)  # refused before the run, not after
    inner = embedder or make_embeddings(settings)
    cached = CachedEmbedder(inner, vector_file(cache, inner))
    assistants = build_assistants(eval_set, settings, cache, cached, chat_model)
    cached.save()
    judge = make_judge(args.judge or settings.eval_judge, settings, cached, chat_model)
    config = {
        "judge": judge.name,
        "embedder": cached.name,
        "answerer": settings.answerer,
        "answer_model": _shown(settings.answer_model),
        "chunk_vectors": settings.chunk_vectors,
        "int8_kernels": int8_kernels(),
        "top_k": settings.top_k if args.top_k is None else args.top_k,
        "date": dt.date.today().isoformat(),
        "notes": eval_set.notes,
    }
    run = run_items(assistants, eval_set, judge, args.top_k, config)
    return finish(run, eval_set, args)


def _shown(path: Path) -> str:
    """A path relative to the project when it is inside it (baselines are committed)."""
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def finish(run: RunResult, eval_set: EvalSet, args) -> int:
    """Gate (metrics and items), reports, baseline update and the printed verdict."""
    baseline_path = args.baseline or eval_set.baseline
    baseline = gate.load_baseline(baseline_path)
    current = diff.states(item_dict(r) for r in run.items)
    allowed = args.allow_item_regressions
    kernels = str(run.config.get("int8_kernels") or "")
    comparison = gate.item_comparison(
        current, baseline_path, allowed, not args.update_baseline, kernels
    )
    if args.update_baseline:
        if baseline_path is None:
            raise EvalSetError(f"set {eval_set.name} has no baseline file; pass --baseline FILE")
        config = {"set": eval_set.name, **run.config}
        gate.save_baseline(baseline_path, run.metrics, config, current)
        baseline = None  # the new baseline is this run: only the floors apply
    floors = gate.applicable(eval_set.floors, eval_set.items)
    failures = gate.check(run.metrics, floors, baseline, eval_set.tolerance)
    out = args.out or Path("artifacts") / "eval" / eval_set.name
    paths = write_reports(run, out, failures, baseline, comparison)
    if args.junit:
        paths["junit"] = write_junit(args.junit, run, current, failures, comparison)
    print_summary(run, comparison, paths)
    if args.update_baseline:
        print(f"baseline updated: {baseline_path} ({len(current)} items)")
    return print_verdict(run, failures, comparison)


def print_summary(run: RunResult, comparison: diff.Comparison | None, paths: dict) -> None:
    """What changed first, then the chart, latency and where the reports are."""
    if comparison is None:
        print("no baseline: items are not compared (pass --baseline FILE)")
    else:
        print("\n".join(diffview.text_lines(comparison)))
    print("\n".join(text_chart(run.metrics)))
    print(latency_line(run.latency_ms))
    print(f"report: {paths['md']} ({paths['json']}, {paths['html']})")
    if "junit" in paths:
        print(f"junit: {paths['junit']}")


def print_verdict(run: RunResult, failures: list, comparison: diff.Comparison | None) -> int:
    """FAIL lines (items, then metrics with their worst items) and the verdict; the status."""
    failing = comparison.failing if comparison else []
    for change in failing:
        print(f"FAIL {gate.regression_message(change)}", file=sys.stderr)
    for failure in failures:
        worst = gate.worst_items(run.items, failure.metric)
        print(f"FAIL {failure.message()}; worst items: {', '.join(worst) or '-'}", file=sys.stderr)
    regressed = f", {len(failing)} item regression(s)" if failing else ""
    print(
        f"gate {'passed' if not failures and not failing else 'FAILED'} for set {run.set_name} "
        f"({run.counts['items']} items, {run.counts['errors']} errors{regressed})"
    )
    return 1 if failures or failing else 0


def main(args, settings: Settings, embedder=None) -> int:
    """Entry point for the CLI: judge check or a set run (``embedder``: see ``run_eval``)."""
    if args.judge_check:
        from .judgecheck import run_judge_check

        return run_judge_check(args.judge_check, settings, args.judge)
    if args.allow_item_regressions < 0:
        raise EvalSetError(
            f"expected --allow-item-regressions N >= 0, got {args.allow_item_regressions}"
        )
    if args.compare:
        from .compare import run_compare

        first, second = args.compare
        return run_compare(first, second, args.allow_item_regressions, args.out)
    if not args.set_name:
        raise EvalSetError("expected --set NAME (or --judge-check, --compare RUN_A RUN_B)")
    return run_eval(args, settings, embedder)
