#!/usr/bin/env python3
"""Runs an ONNX file through ONNX Runtime and compares its output with Vigil's.

usage: onnx_check.py MODEL.onnx INPUT.bin IN_SHAPE EXPECTED.bin OUT_SHAPE
  INPUT.bin / EXPECTED.bin: little-endian float32, C order; shapes as "2,3,64,64".
Prints one JSON line: max_abs (largest |ORT - Vigil|), max_ref (largest |Vigil|), the
output shape ORT gave, the graph's op types, and whether onnx.checker accepted the file
(null when the onnx package is not installed).
Exit 0 when it ran (the caller judges the numbers), 1 on any failure.
"""
import json
import sys

import numpy as np
import onnxruntime as ort


def shape(s):
    return tuple(int(v) for v in s.split(","))


def main():
    path, inp, in_shape, exp, out_shape = sys.argv[1:6]
    x = np.fromfile(inp, dtype="<f4").reshape(shape(in_shape))
    want = np.fromfile(exp, dtype="<f4").reshape(shape(out_shape))
    checked = None
    ops = []
    try:
        import onnx
        m = onnx.load(path)
        onnx.checker.check_model(m, full_check=True)
        checked = True
        ops = sorted({n.op_type for n in m.graph.node})
    except ImportError:
        pass
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    got = sess.run(["output"], {"input": x})[0]
    if got.shape != want.shape:
        print(json.dumps({"error": f"ONNX Runtime gave shape {list(got.shape)}, Vigil {list(want.shape)}"}))
        return 1
    print(json.dumps({"max_abs": float(np.max(np.abs(got - want))), "max_ref": float(np.max(np.abs(want))),
                      "shape": list(got.shape), "ops": ops, "checker": checked}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
