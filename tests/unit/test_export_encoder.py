"""scripts/export-encoder writes its ONNX graph in a canonical form: tf2onnx names and orders
equal constants and independent nodes differently from one run to the next, and the pinned
SHA-256 in config.yml needs the same bytes every time.

onnx is in the Rasa environment only, so the check runs there in a subprocess, on small graphs
built here: the same computation with other names and another order of nodes and initialisers.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.needs import need

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

CHECKS = r"""
from importlib.machinery import SourceFileLoader
import numpy as np, onnx
from onnx import helper, numpy_helper, TensorProto
export = SourceFileLoader("export_encoder", "scripts/export-encoder").load_module()

def graph(names, reverse, scale=2.0):
    a, b, c, d = names
    nodes = [helper.make_node("Mul", ["x", a], [c], name="n" + c),
             helper.make_node("Add", ["x", b], [d], name="n" + d),
             helper.make_node("Sub", [c, d], ["y"], name="last")]
    inits = [numpy_helper.from_array(np.array([scale], np.float32), a),
             numpy_helper.from_array(np.array([3.0], np.float32), b)]
    if reverse:
        nodes = [nodes[1], nodes[0], nodes[2]]
        inits = inits[::-1]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    g = helper.make_graph(nodes, "g" + a, [x], [y], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])

one = export.canonical(graph(["k1", "k2", "t1", "t2"], reverse=False)).SerializeToString()
renamed = graph(["const__9", "const__4", "mul:0", "add:0"], reverse=True)
assert renamed.SerializeToString() != graph(["k1", "k2", "t1", "t2"], False).SerializeToString()
two = export.canonical(renamed).SerializeToString()
assert one == two
other = export.canonical(graph(["k1", "k2", "t1", "t2"], reverse=False, scale=5.0))
assert other.SerializeToString() != one  # another computation, other bytes
kept = onnx.load_from_string(one)
assert [i.name for i in kept.graph.input] == ["x"] and [o.name for o in kept.graph.output] == ["y"]
import onnxruntime
session = onnxruntime.InferenceSession(one, providers=["CPUExecutionProvider"])
x = np.array([4.0], np.float32)
assert session.run(None, {"x": x})[0].tolist() == [4.0 * 2 - (4.0 + 3)]
print("ok")
"""


def test_the_exported_graph_is_canonical() -> None:
    need(RASA_PYTHON.exists(), "the Rasa environment (.venv-rasa)")
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", CHECKS], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.stdout.strip().endswith("ok"), (result.stdout[-2000:], result.stderr[-3000:])
