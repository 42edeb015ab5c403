"""The answer model file: loaded and checked, and it is what decides (no silent fallback)."""

import json

import pytest

from assistant import Assistant
from assistant.encoder import ONNX_NAME
from assistant.errors import ConfigError
from assistant.evidence.model import DEFAULT_PATH, load_answer_model
from assistant.providers import HashingEmbedder

TROOPS_Q = "Wie viele Soldaten hat Nordkorea nach Russland geschickt?"


def test_the_shipped_model_loads_and_names_its_embedder_and_figures():
    model = load_answer_model(DEFAULT_PATH, ONNX_NAME)
    assert model.embedder == ONNX_NAME and set(model.thresholds) >= {"de", "en"}
    assert model.fitted["cross_validated"]["xquad-de/de"]["hit@1"] > 0.9
    with pytest.raises(
        ConfigError,
        match="fitted for embedder .* but the configured embedder is 'fake/hashing-256'",
    ):
        load_answer_model(DEFAULT_PATH, "fake/hashing-256")


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.pop("chunk"), "expected chunk, sentence and answer models"),
        (lambda d: d["sentence"]["features"].reverse(), "expected features"),
        (lambda d: d["answer"]["weights"].pop(), "expected 11 means, positive scales"),
        (lambda d: d.update(format="something else"), "expected format"),
    ],
)
def test_a_broken_model_file_is_refused_with_the_reason(tmp_path, change, message):
    data = json.loads(DEFAULT_PATH.read_text())
    change(data)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match=message):
        load_answer_model(path, ONNX_NAME)
    with pytest.raises(ConfigError, match="expected an answer model"):
        load_answer_model(tmp_path / "missing.json", ONNX_NAME)


def test_a_changed_model_file_changes_the_answers(fake_settings, fake_model, corpus_dir):
    bot = Assistant.from_settings(fake_settings, embedder=HashingEmbedder())
    bot.ingest(corpus_dir)
    assert bot.ask(TROOPS_Q).answerable
    data = json.loads(fake_model.read_text())
    data["thresholds"] = {"de": 0.999999, "en": 0.999999}  # the same weights, a stricter bar
    fake_model.write_text(json.dumps(data))
    stricter = Assistant.from_settings(fake_settings, embedder=HashingEmbedder())
    answer = stricter.ask(TROOPS_Q)
    # the troops sentence is still near: shown as the closest evidence, no longer an answer
    assert (answer.answerable, answer.answer_kind, answer.lead) == (False, "closest", "")
    assert answer.answer.startswith("Genau das sagen die Artikel nicht. Am nächsten kommt:")


def test_another_embedders_index_can_be_built_but_not_asked_without_its_model(tmp_path, corpus_dir):
    """Ingest needs no answer model; answering refuses with the reason (no fallback)."""
    from assistant import load_settings
    from assistant.server.app import serve

    settings = load_settings(index_dir=tmp_path / "index", embeddings="fake")
    bot = Assistant.from_settings(settings, embedder=HashingEmbedder())
    assert bot.ingest(corpus_dir).added == 2
    with pytest.raises(ConfigError, match="fitted for embedder .* 'fake/hashing-256'"):
        bot.ask(TROOPS_Q)
    with pytest.raises(ConfigError, match="fitted for embedder"):
        serve(bot)
