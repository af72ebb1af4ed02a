"""coreml-check python coreml_batch.py TOOL_DIR JOBS.json

Runs many `coreml-check validate` and `coreml-check run` jobs in one process, so coremltools is imported once (each
coreml-check process spends seconds on that import). Each job calls the function the command calls: validate.validate
(with validate.py's own INVALID line on failure) or mil_run.main (its exit code). A run input may name an entry of an
earlier job's .npz output as OUT.npz#NAME. Prints "=== JOB i EXIT code" before each job's output.

mil_eval has no quantize/dequantize (the iOS17 pair of W8A8's INT8 activations). This batch adds the two with
coremltools' own definitions, the functions their value inference calls (optimize/_utils.py
quantize_by_scale_and_zp: clip(around(x / scale) + zero_point) to the output dtype's range; and
dequantize_by_scale_and_zp: (q - zero_point) * scale), in mil_eval's convention: float inputs upcast to float32,
the result cast to the output type coremltools' type inference gives the op.
"""
import contextlib
import io
import json
import logging
import os
import sys
import tempfile
import warnings

sys.path.insert(0, sys.argv[1])
logging.getLogger("coremltools").setLevel(logging.ERROR)
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import mil_eval  # noqa: E402
import mil_run  # noqa: E402
import validate  # noqa: E402
from coremltools.optimize import _utils as optimize_utils  # noqa: E402

_eval_op = mil_eval.eval_op


def _quantization_params(op, env):
    g = lambda n: mil_eval._get(op, n, env)  # noqa: E731
    axis = g("axis")
    axis = None if axis is None else int(axis)
    scale = np.asarray(g("scale")).astype(np.float32)
    zero_point = g("zero_point")
    zero_point = None if zero_point is None else np.asarray(zero_point)
    return g, axis, scale, zero_point


def eval_op(op, env):
    if op.op_type == "quantize":
        g, axis, scale, zero_point = _quantization_params(op, env)
        x = mil_eval._f(g("input"))
        scale = optimize_utils.promote_rank_to_same_as_data(scale, x, axis)
        if zero_point is not None:
            zero_point = optimize_utils.promote_rank_to_same_as_data(zero_point, x, axis)
        return [optimize_utils.quantize_by_scale_and_zp(x, scale, zero_point, str(g("output_dtype")))]
    if op.op_type == "dequantize":
        g, axis, scale, zero_point = _quantization_params(op, env)
        return [optimize_utils.dequantize_by_scale_and_zp(np.asarray(g("input")), scale, zero_point, axis)]
    return _eval_op(op, env)


mil_eval.eval_op = eval_op
mil_eval.SUPPORTED_OPS = mil_eval.SUPPORTED_OPS | {"quantize", "dequantize"}

jobs = json.load(open(sys.argv[2]))
scratch = tempfile.mkdtemp(prefix="coreml-batch-")
for i, job in enumerate(jobs):
    out = io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            if job["kind"] == "validate":
                validate.validate(job["package"])
            else:
                args = [job["package"]]
                for name, spec in job["inputs"].items():
                    path = spec
                    if "#" in spec:
                        npz, key = spec.rsplit("#", 1)
                        path = os.path.join(scratch, "%d-%s.npy" % (i, name))
                        with np.load(npz, allow_pickle=False) as z:
                            np.save(path, z[key])
                    args += ["--input", name + "=" + path]
                args += ["--out", job["out"]]
                mil_run.main(args)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except BaseException as e:  # noqa: the same one line validate.py prints
            print("INVALID: %s: %s" % (type(e).__name__, " ".join(str(e).split())[:400]))
            code = 1
    print("=== JOB %d EXIT %d" % (i, code))
    print(out.getvalue(), flush=True)
