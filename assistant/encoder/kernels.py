"""Which int8 matrix kernels ONNX Runtime picks on this CPU, recorded with every eval run.

The int8 graph multiplies uint8 activations by int8 weights. ONNX Runtime's MLAS does that
with VNNI's ``vpdpbusd(s)`` (products summed in 32 bits) where the CPU has AVX-512 VNNI or
AVX-VNNI, and otherwise with ``vpmaddubsw`` (AVX2, AVX-512 without VNNI), which adds each
pair of products in 16 bits and saturates (``onnxruntime/core/mlas``: the U8S8 kernels'
``MultiplyAccumulateCell`` macros). The same text can get slightly different vectors on the
two kinds of CPU. Measured (docs/evaluation.md, "One code, two CPUs"): the same code, data
and freshly built indexes gave XQuAD de correct .735 on an AVX2 EPYC and .727 on an
AVX-512 VNNI Xeon, each machine repeating itself item for item. So a baseline says which
kernels recorded it, and the gate says so when this run's differ.
"""

from __future__ import annotations

import platform
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
# MLAS's choice, most specific first: (cpuinfo flag, label)
_KERNELS = (
    ("avx512_vnni", "avx512-vnni"),
    ("avx_vnni", "avx-vnni"),
    ("avx512bw", "avx512"),
    ("avx2", "avx2"),
)


def int8_kernels(cpuinfo: str | None = None) -> str:
    """The int8 kernel family this CPU gets ("avx512-vnni", "avx-vnni", "avx512", "avx2"),
    or the machine's architecture where ``/proc/cpuinfo`` names none of them."""
    if cpuinfo is None:
        try:
            cpuinfo = CPUINFO.read_text(encoding="utf-8", errors="replace")
        except OSError:
            cpuinfo = ""
    flags = next((line.split(":", 1)[1].split() for line in cpuinfo.splitlines()
                  if line.startswith("flags")), [])  # fmt: skip
    return next((label for flag, label in _KERNELS if flag in flags), platform.machine() or "?")
