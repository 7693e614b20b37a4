"""Fits y = a x + b by least squares to the CSV files of the `train` channel and writes /opt/ml/model/model.json.

Standard library only. Runs as SageMaker runs it: hyperparameters as `--name value` arguments, data and model at the
literal /opt/ml paths.
"""

import argparse
import csv
import glob
import json
import os

parser = argparse.ArgumentParser()
parser.add_argument("--digits", type=int, default=6)
args = parser.parse_args()

rows = []
for path in sorted(glob.glob("/opt/ml/input/data/train/*.csv")):
    with open(path, newline="") as handle:
        rows += [(float(row["x"]), float(row["y"])) for row in csv.DictReader(handle)]
print(f"read {len(rows)} rows", flush=True)

n = len(rows)
mean_x = sum(x for x, _ in rows) / n
mean_y = sum(y for _, y in rows) / n
slope = sum((x - mean_x) * (y - mean_y) for x, y in rows) / sum((x - mean_x) ** 2 for x, _ in rows)
intercept = mean_y - slope * mean_x
print(f"fitted y = {slope:.{args.digits}f} x + {intercept:.{args.digits}f}", flush=True)

os.makedirs("/opt/ml/model", exist_ok=True)
with open("/opt/ml/model/model.json", "w") as out:
    json.dump({"name": os.environ.get("MODEL_NAME", "linear"), "slope": round(slope, args.digits),
               "intercept": round(intercept, args.digits), "rows": n}, out)
print("wrote /opt/ml/model/model.json", flush=True)
