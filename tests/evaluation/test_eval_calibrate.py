"""Decline calibration: the threshold sweep and the held-out check on hand-made signals."""
from __future__ import annotations

import pytest

from assistant.evaluation.calibrate import NUMERIC_QUESTION, Signals, held_out, sweep


def rows():
    # present questions score 0.9 / 0.8 / 0.7, removed ones 0.75 / 0.6
    return [Signals(True, 0.9, 0, 0, group="a"), Signals(True, 0.8, 0, 0, group="b"),
            Signals(True, 0.7, 0, 0, group="a"), Signals(False, 0.75, 0, 0, group="b"),
            Signals(False, 0.6, 0, 0, group="a")]


def test_sweep_finds_the_threshold_with_the_best_balanced_accuracy():
    threshold, answered, declined, bacc = sweep(rows(), lambda r: r.s1)
    # t = 0.8: answered 2/3, declined 2/2 -> 0.833 (t = 0.7 gives 1 and 0.5 -> 0.75)
    assert (threshold, declined, bacc) == (0.8, 1.0, pytest.approx(5 / 6))
    assert answered == pytest.approx(2 / 3)


def test_held_out_tunes_on_one_half_and_measures_the_other():
    answered, declined = held_out(rows(), lambda r: r.s1)
    # fold a (0.9, 0.7 present; 0.6 removed) tunes t=0.7 -> on b: answered 1, declined 0
    # fold b (0.8 present; 0.75 removed) tunes t=0.8 -> on a: answered 1/2, declined 1
    assert (answered, declined) == (pytest.approx(0.75), pytest.approx(0.5))


def test_numeric_questions_are_recognised():
    assert NUMERIC_QUESTION.search("Wie viele Punkte gab die Verteidigung ab?")
    assert NUMERIC_QUESTION.search("When did the war end?")
    assert not NUMERIC_QUESTION.search("Wer gewann das Spiel?")
