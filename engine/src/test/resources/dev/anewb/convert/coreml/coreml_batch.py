"""coreml-check python coreml_batch.py TOOL_DIR JOBS.json

Runs many `coreml-check validate` and `coreml-check run` jobs in one process, so coremltools is imported once (each
coreml-check process spends seconds on that import). Each job calls the function the command calls: validate.validate
(with validate.py's own INVALID line on failure) or mil_run.main (its exit code). A run input may name an entry of an
earlier job's .npz output as OUT.npz#NAME. Prints "=== JOB i EXIT code" before each job's output.
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
import mil_run  # noqa: E402
import validate  # noqa: E402

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
