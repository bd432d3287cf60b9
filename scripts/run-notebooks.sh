#!/usr/bin/env bash
# Execute every notebooks/*.ipynb (or the notebooks named on the command line) in a real Jupyter
# with the Deno kernel, and fail if any cell raises, times out, writes to stderr, or a cell with a
# top-level `await display…(` / `await show(` line ends up without output.
#
#   scripts/run-notebooks.sh              # execute into a temporary folder, leave notebooks as they are
#   scripts/run-notebooks.sh --inplace    # also save the executed notebooks (with outputs) back
#   scripts/run-notebooks.sh notebooks/quickstart.ipynb
#
# Needs: `npm ci` (the deno npm package) and Debian's jupyter-nbconvert, python3-nbclient,
# jupyter-client. Environment: JUPYTER (default /usr/bin/jupyter), NOTEBOOK_TIMEOUT (seconds per
# notebook, default 300), CELL_TIMEOUT (seconds per cell, default 120), KEEP_OUTPUT=1 to keep the
# temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

inplace=0
files=()
for arg in "$@"; do
  case "$arg" in
    --inplace) inplace=1 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

status=0
for nb in "${files[@]}"; do
  name=$(basename "$nb")
  out="$work/out"
  mkdir -p "$out"
  start=$(date +%s%N)
  if ! timeout "${NOTEBOOK_TIMEOUT:-300}" "$JUPYTER" nbconvert --to notebook --execute "$nb" \
      --ExecutePreprocessor.kernel_name=deno \
      --ExecutePreprocessor.timeout="${CELL_TIMEOUT:-120}" \
      --ExecutePreprocessor.record_timing=False \
      --output-dir "$out" >"$work/$name.log" 2>&1; then
    echo "FAIL $nb" >&2
    tail -n 40 "$work/$name.log" >&2
    status=1
    continue
  fi
  # A cell that displays something explicitly must have an output in the saved notebook.
  if ! "$PYTHON" - "$out/$name" <<'PY'
import json, re, sys
nb = json.load(open(sys.argv[1]))
# A line like `await displayChart(...)`, `await Deno.jupyter.display(...)` or `await show(...)`.
shows = re.compile(r"^\s*await\s+[\w.]*(display\w*|show)\(", re.M)
bad = []
for i, cell in enumerate(nb["cells"]):
    if cell["cell_type"] != "code":
        continue
    src = "".join(cell["source"])
    if shows.search(src) and not cell.get("outputs"):
        bad.append(f"cell {i} ({cell.get('id', '?')})")
    for o in cell.get("outputs", []):
        if o.get("output_type") == "error" or o.get("name") == "stderr":
            bad.append(f"cell {i} ({cell.get('id', '?')}): {o.get('ename') or 'stderr'}")
if bad:
    print("cells without their output or with errors: " + ", ".join(bad), file=sys.stderr)
    sys.exit(1)
PY
  then
    echo "FAIL $nb" >&2
    status=1
    continue
  fi
  ms=$((($(date +%s%N) - start) / 1000000))
  printf 'ok   %s (%d.%01d s)\n' "$nb" $((ms / 1000)) $((ms % 1000 / 100))
  if [ "$ms" -gt 60000 ]; then echo "warning: $nb took over a minute; keep notebooks under one" >&2; fi
  if [ "$inplace" = 1 ]; then cp "$out/$name" "$nb"; fi
done
if [ "${KEEP_OUTPUT:-0}" = 1 ]; then echo "executed notebooks kept in $work/out"; fi
exit $status
