"""compare_on_device.py ARTIFACTS_DIR [--mil-eval TOOL_DIR]

Loads every package listed in ARTIFACTS_DIR/jobs.json (written by CoreMlDeviceArtifactsTest on Linux) with Core ML,
predicts with compute units CPU_ONLY and ALL, and compares each output with our engine's output saved beside it.
Exits 1, with a table of every package, if any package fails to load or predict, or any output falls below its
threshold. --mil-eval runs the same comparison through coreml-check's numpy interpreter instead (a dry run on Linux).
"""
import json
import os
import sys

import numpy as np

# Core ML's CPU path computes an FP16 program much like our engine (FP16 storage, wider arithmetic inside an op);
# with ALL the Neural Engine and GPU accumulate in FP16 and approximate exp/erf/tanh. A broken package lands near
# 0 dB; these floors leave room for the hardware's own rounding.
THRESHOLDS_DB = {"CPU_ONLY": 40.0, "ALL": 25.0, "MIL_EVAL": 50.0}


def sqnr_db(ref, x):
    ref = ref.astype(np.float64).ravel()
    x = x.astype(np.float64).ravel()
    noise = np.sum((x - ref) ** 2)
    return float("inf") if noise == 0 else float(10 * np.log10(np.sum(ref ** 2) / noise))


def main():
    root = sys.argv[1]
    mil_eval_dir = sys.argv[sys.argv.index("--mil-eval") + 1] if "--mil-eval" in sys.argv else None
    jobs = json.load(open(os.path.join(root, "jobs.json")))
    rows, failed = [], 0
    if mil_eval_dir:
        sys.path.insert(0, mil_eval_dir)
        import mil_eval
        units = {"MIL_EVAL": None}
    else:
        import coremltools as ct
        units = {"CPU_ONLY": ct.ComputeUnit.CPU_ONLY, "ALL": ct.ComputeUnit.ALL}
    for job in jobs:
        pkg = os.path.join(root, job["package"])
        feeds = {name: np.load(os.path.join(root, f)) for name, f in job["inputs"].items()}
        for unit_name, unit in units.items():
            try:
                if mil_eval_dir:
                    outs = mil_eval.run_program(mil_eval.load_package(pkg), feeds)
                else:
                    model = ct.models.MLModel(pkg, compute_units=unit)
                    outs = model.predict(feeds)
            except Exception as e:  # noqa: any failure to load or predict is the finding
                rows.append((job["name"], unit_name, "-", "LOAD/PREDICT FAILED: %s: %s" % (type(e).__name__, str(e).splitlines()[0][:200])))
                failed += 1
                continue
            for name, f in job["expected"].items():
                expected = np.load(os.path.join(root, f))
                if name not in outs:
                    rows.append((job["name"], unit_name, name, "MISSING OUTPUT"))
                    failed += 1
                    continue
                got = np.asarray(outs[name], dtype=np.float32)
                if got.shape != expected.shape:
                    rows.append((job["name"], unit_name, name, "SHAPE %s, expected %s" % (list(got.shape), list(expected.shape))))
                    failed += 1
                    continue
                db = sqnr_db(expected, got)
                ok = np.all(np.isfinite(got)) and db >= THRESHOLDS_DB[unit_name]
                failed += 0 if ok else 1
                rows.append((job["name"], unit_name, name, "%.1f dB%s" % (db, "" if ok else "  BELOW %.0f dB" % THRESHOLDS_DB[unit_name])))
    for r in rows:
        print("%-32s %-9s %-20s %s" % r)
    print("%d of %d comparisons failed" % (failed, len(rows)))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
