"""scikit-learn's side of bench/kmeans-sklearn.ts: reads the bench's float64 matrix (row-major,
little-endian) and prints one JSON object with the times (s) and inertias of KMeans(n_init=1) and
KMeans(n_init=10), k-means++ and random_state=42, and optionally the auto-k scan recipe (KMeans
n_init=10 + silhouette_score on a 10,000-row sample, per k). BLAS/OpenMP are limited to the
thread count given (the caller also sets OMP_NUM_THREADS).

    python3 bench/lib/kmeans_sklearn.py DATA ROWS COLS K THREADS [SCAN_FROM SCAN_TO]
"""
import json
import sys
import time

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits


def main() -> None:
    path, rows, cols, k, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    scan = (int(sys.argv[6]), int(sys.argv[7])) if len(sys.argv) > 7 else None
    x = np.fromfile(path, dtype="<f8").reshape(rows, cols)
    out = {"sklearn": __import__("sklearn").__version__, "threads": threads}
    with threadpool_limits(limits=threads):
        for n_init in (1, 10):
            started = time.perf_counter()
            fit = KMeans(n_clusters=k, init="k-means++", n_init=n_init, random_state=42).fit(x)
            out[f"n_init_{n_init}"] = {"seconds": time.perf_counter() - started, "inertia": float(fit.inertia_), "iterations": int(fit.n_iter_)}
        if scan is not None:
            started = time.perf_counter()
            scores = {}
            for kk in range(scan[0], scan[1] + 1):
                labels = KMeans(n_clusters=kk, init="k-means++", n_init=10, random_state=42).fit(x).labels_
                scores[kk] = float(silhouette_score(x, labels, sample_size=10_000, random_state=42))
            out["scan"] = {"seconds": time.perf_counter() - started, "silhouettes": scores, "k": max(scores, key=lambda kk: (scores[kk], -kk))}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
