"""Times skglm and celer on problems written by bench/peers.bench.ts (same data, same run).

Usage: python3 run_python.py MANIFEST.json OUT.json
The manifest names column-major float64 files for X and y, the groups (contiguous sizes), the
group weights, the loss, the λ values and what to time. Peers are found on sys.path (the bench
adds GROUPSPARSE_SKGLM / GROUPSPARSE_CELER or their default folders). Coefficients are written to
binary files next to OUT so that the bench computes every peer's objective itself.
"""
import json
import sys
import time

import numpy as np


def load(m):
    n, p = m["n"], m["p"]
    X = np.fromfile(m["X"], dtype=np.float64).reshape((p, n)).T  # column-major on disk
    X = np.asfortranarray(X)
    y = np.fromfile(m["y"], dtype=np.float64)
    sizes = m["groupSizes"]
    ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int32)
    idx = np.arange(p, dtype=np.int32)
    return X, y, ptr, idx, np.asarray(m["weights"], dtype=np.float64)


def skglm_runner(X, y, ptr, idx, weights, loss, intercept, tol):
    from skglm.datafits import LogisticGroup, QuadraticGroup
    from skglm.penalties import WeightedGroupL2
    from skglm.solvers import GroupBCD, GroupProxNewton

    if loss == "squared":
        datafit = QuadraticGroup(ptr, idx)
        solver = GroupBCD(tol=tol, max_iter=1000, max_epochs=10000, fit_intercept=intercept, warm_start=True)
        yy = y
    else:
        datafit = LogisticGroup(ptr, idx)
        solver = GroupProxNewton(tol=tol, max_iter=1000, fit_intercept=intercept, warm_start=True)
        yy = 2 * y - 1  # skglm's logistic labels are ±1

    def run(lambdas):
        p = X.shape[1]
        w = np.zeros(p + (1 if intercept else 0))
        Xw = np.zeros(X.shape[0])
        out = []
        for lam in lambdas:
            penalty = WeightedGroupL2(lam, weights, ptr, idx)
            w, _, _ = solver.solve(X, yy, datafit, penalty, w.copy(), Xw.copy())
            Xw = X @ w[:p] + (w[p] if intercept else 0.0)
            out.append((w[:p].copy(), float(w[p]) if intercept else 0.0))
        return out

    return run


def celer_runner(X, y, ptr, idx, weights, loss, intercept, tol):
    from celer import GroupLasso

    if loss != "squared":
        return None
    groups = [list(range(ptr[g], ptr[g + 1])) for g in range(len(ptr) - 1)]

    def run(lambdas):
        est = GroupLasso(groups=groups, alpha=lambdas[0], tol=tol, fit_intercept=intercept,
                         weights=weights, warm_start=True, max_iter=1000, max_epochs=100000)
        out = []
        for lam in lambdas:
            est.alpha = lam
            est.fit(X, y)
            out.append((est.coef_.copy(), float(est.intercept_) if intercept else 0.0))
        return out

    return run


def main():
    m = json.load(open(sys.argv[1]))
    X, y, ptr, idx, weights = load(m)
    results = {}
    for peer in m["peers"]:
        make = {"skglm": skglm_runner, "celer": celer_runner}[peer]
        try:
            run = make(X, y, ptr, idx, weights, m["loss"], m["fitIntercept"], m["tol"][peer])
        except ImportError as e:
            results[peer] = {"skipped": f"not importable: {e}"}
            continue
        if run is None:
            results[peer] = {"skipped": f"no {m['loss']} group lasso"}
            continue
        lambdas = m["lambdas"]
        run(lambdas[:1])  # compiles (numba) and warms caches; not timed
        times = []
        # "cpu": CPU time of this process (what a loaded shared machine distorts least).
        clock = time.process_time if m.get("clock") == "cpu" else time.perf_counter
        for _ in range(m["reps"]):
            t0 = clock()
            out = run(lambdas)
            times.append(clock() - t0)
        coef = np.concatenate([c for c, _ in out])
        path = sys.argv[2] + f".{peer}.coef.bin"
        coef.astype(np.float64).tofile(path)
        results[peer] = {"seconds": sorted(times)[len(times) // 2], "coefFile": path,
                         "intercepts": [b for _, b in out]}
    json.dump(results, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
