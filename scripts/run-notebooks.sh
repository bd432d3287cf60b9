#!/usr/bin/env bash
# Execute every notebooks/*.ipynb (or the notebooks named on the command line) in a real Jupyter
# with the Deno kernel, and fail if any cell raises, times out, or writes to stderr. Each line of a
# cell that starts with `await display…(` or `await show(` must leave an output: under heavy load
# the Deno kernel (2.9) now and then loses a cell's last output, and such a run is repeated (up to
# NOTEBOOK_RUNS times, default 5; the retries are reported). Errors are never retried.
#
#   scripts/run-notebooks.sh              # execute into a temporary folder, leave notebooks as they are
#   scripts/run-notebooks.sh --inplace    # also save the executed notebooks (with outputs) back
#   scripts/run-notebooks.sh notebooks/quickstart.ipynb
#
# Needs: `npm ci` (the deno npm package) and Debian's jupyter-nbconvert, python3-nbclient,
# jupyter-client. Environment: JUPYTER (default /usr/bin/jupyter), NOTEBOOK_TIMEOUT (seconds per
# notebook, default 1800), CELL_TIMEOUT (seconds per cell, default 1200), NOTEBOOK_RUNS (default 5),
# KEEP_OUTPUT=1 to keep the temporary folder. The defaults are what the slowest shipped notebooks
# need on a loaded two-core machine (repro-ssl-lenet trains for about six minutes, one cell of
# repro-he-channel-pruning prunes for about two): 300 s and 120 s failed them.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

inplace=0
files=()
for arg in "$@"; do
  case "$arg" in
    --inplace) inplace=1 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run-notebooks: unknown option $arg" >&2; exit 2 ;;
    *) files+=("$arg") ;;
  esac
done
if [ ${#files[@]} -eq 0 ]; then
  shopt -s nullglob
  files=(notebooks/*.ipynb)
  shopt -u nullglob
fi
if [ ${#files[@]} -eq 0 ]; then
  echo "run-notebooks: no notebooks found in notebooks/" >&2
  exit 1
fi

# Debian's jupyter: the first python3 on PATH may be another interpreter without nbconvert.
JUPYTER=${JUPYTER:-/usr/bin/jupyter}
if ! "$JUPYTER" nbconvert --version >/dev/null 2>&1; then
  echo "run-notebooks: '$JUPYTER nbconvert' is not available." >&2
  echo "  Debian/Ubuntu: apt-get install -y --no-install-recommends jupyter-nbconvert python3-nbclient jupyter-client" >&2
  exit 1
fi
deno="$root/node_modules/.bin/deno"
if [ ! -x "$deno" ]; then
  echo "run-notebooks: $deno not found; run 'npm ci' first" >&2
  exit 1
fi
PYTHON=$(head -n1 "$(readlink -f "$JUPYTER")" | sed -n 's/^#! *//p' | awk '{print $1}')
PYTHON=${PYTHON:-/usr/bin/python3}

work=$(mktemp -d "${TMPDIR:-/tmp}/groupsparse-notebooks.XXXXXX")
if [ "${KEEP_OUTPUT:-0}" != 1 ]; then trap 'rm -rf "$work"' EXIT; fi

# The kernel spec `deno jupyter --install --force` would write, but into a private JUPYTER_PATH
# folder: it points at this checkout's deno and never rewrites the user's global 'deno' kernel
# (which another checkout may be using).
mkdir -p "$work/jupyter/kernels/deno"
cat >"$work/jupyter/kernels/deno/kernel.json" <<JSON
{
  "argv": ["$deno", "jupyter", "--kernel", "--conn", "{connection_file}"],
  "display_name": "Deno",
  "language": "typescript"
}
JSON
export JUPYTER_PATH="$work/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
export NO_COLOR=1 # otherwise text results carry ANSI colour codes into the saved notebook

# Checks an executed notebook. Exit 1: a cell failed or wrote to stderr. Exit 3: a cell has fewer
# display outputs than lines starting with `await display…(` / `await show(` (a lost message).
cat >"$work/check.py" <<'PY'
import json, re, sys
nb = json.load(open(sys.argv[1]))
shows = re.compile(r"^\s*await\s+[\w.]*(display\w*|show)\(", re.M)
errors, missing = [], []
for i, cell in enumerate(nb["cells"]):
    if cell["cell_type"] != "code":
        continue
    outputs = cell.get("outputs", [])
    for o in outputs:
        if o.get("output_type") == "error" or o.get("name") == "stderr":
            errors.append(f"cell {i} ({cell.get('id', '?')}): {o.get('ename') or 'stderr'}")
    expected = len(shows.findall("".join(cell["source"])))
    shown = sum(o.get("output_type") == "display_data" for o in outputs)
    if shown < expected:
        missing.append(f"cell {i} ({cell.get('id', '?')}) shows {shown} of {expected} outputs")
if errors:
    print("cells with errors: " + ", ".join(errors), file=sys.stderr)
    sys.exit(1)
if missing:
    print("outputs lost: " + ", ".join(missing), file=sys.stderr)
    sys.exit(3)
PY

# Executes one notebook into $work/out. Returns 0 (ok), 1 (failed) or 3 (an output was lost).
run_one() {
  local nb=$1 name
  name=$(basename "$nb")
  mkdir -p "$work/out"
  if ! timeout "${NOTEBOOK_TIMEOUT:-1800}" "$JUPYTER" nbconvert --to notebook --execute "$nb" \
      --ExecutePreprocessor.kernel_name=deno \
      --ExecutePreprocessor.timeout="${CELL_TIMEOUT:-1200}" \
      --ExecutePreprocessor.record_timing=False \
      --output-dir "$work/out" >"$work/$name.log" 2>&1; then
    tail -n 40 "$work/$name.log" >&2
    return 1
  fi
  "$PYTHON" "$work/check.py" "$work/out/$name"
}

status=0
for nb in "${files[@]}"; do
  start=$(date +%s%N)
  result=1
  runs=${NOTEBOOK_RUNS:-5}
  for ((attempt = 1; attempt <= runs; attempt++)); do
    result=0
    run_one "$nb" || result=$?
    if [ "$result" != 3 ]; then break; fi
    echo "retry $nb: the kernel lost an output message (run $attempt of $runs)" >&2
  done
  if [ "$result" != 0 ]; then
    echo "FAIL $nb" >&2
    status=1
    continue
  fi
  ms=$((($(date +%s%N) - start) / 1000000))
  printf 'ok   %s (%d.%01d s%s)\n' "$nb" $((ms / 1000)) $((ms % 1000 / 100)) "$([ "$attempt" = 1 ] || echo ", $attempt runs")"
  if [ "$ms" -gt 60000 ]; then echo "warning: $nb took over a minute; keep notebooks under one" >&2; fi
  if [ "$inplace" = 1 ]; then cp "$work/out/$(basename "$nb")" "$nb"; fi
done
if [ "${KEEP_OUTPUT:-0}" = 1 ]; then echo "executed notebooks kept in $work/out"; fi
exit $status
