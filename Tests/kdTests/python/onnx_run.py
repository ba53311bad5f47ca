"""Checks a kd ONNX export with the real consumers and runs it.

Usage: onnx_run.py MODEL.onnx INPUTS.safetensors OUT.safetensors
Runs onnx.checker.check_model with full_check (schema, types and shape inference), checks the
opset (>= 13), the graph interface (input [N, ...] with N dynamic, output "logits") and the kd
metadata, then runs key "x" of INPUTS through onnxruntime (CPU) and writes "logits" to OUT.
Prints one summary line; any failure exits non-zero with the reason on stderr."""
import json
import sys

import numpy as np
import onnx
import onnxruntime as ort
from safetensors.numpy import load_file, save_file


def main(model_path, inputs_path, out_path):
    model = onnx.load(model_path)
    onnx.checker.check_model(model, full_check=True)
    opset = {o.domain: o.version for o in model.opset_import}
    assert opset.get("", 0) >= 13, f"opset {opset}"
    graph_input, = model.graph.input
    graph_output, = model.graph.output
    assert graph_output.name == "logits", graph_output.name
    first = graph_input.type.tensor_type.shape.dim[0]
    assert first.dim_param and not first.HasField("dim_value"), f"batch dimension is not dynamic: {first}"
    metadata = {p.key: p.value for p in model.metadata_props}
    spec = json.loads(metadata["kd.spec"])
    ops = sorted({node.op_type for node in model.graph.node})

    x = load_file(inputs_path)["x"]
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    logits, = session.run(["logits"], {graph_input.name: x})
    assert logits.shape == (x.shape[0], graph_output.type.tensor_type.shape.dim[1].dim_value), logits.shape
    save_file({"logits": np.ascontiguousarray(logits, dtype=np.float32)}, out_path)
    print(f"onnx {onnx.__version__}, onnxruntime {ort.__version__}: {spec['name']} checked (ir {model.ir_version}, "
          f"opset {opset['']}), ops {' '.join(ops)}, metadata {' '.join(sorted(metadata))}, logits {list(logits.shape)}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
