#!/usr/bin/env bash
# What a new user does with the package: pack it (prepack builds), install the tarball in an empty
# project, then type-check the README tour strictly with the oldest and newest supported TypeScript,
# run it from ESM and from CommonJS, bundle it for the browser with esbuild (no Node built-in may be
# reachable from the root entry), and call the `groupsparse` binary.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TS_OLDEST=5.0.4
TS_NEWEST=7.0.2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/groupsparse-package.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

npm pack --silent --pack-destination "$WORK" >/dev/null
TARBALL=$(ls "$WORK"/groupsparse-*.tgz)
echo "packed $(basename "$TARBALL") ($(du -k "$TARBALL" | cut -f1) kB)"
LISTING=$(tar -tzf "$TARBALL")
grep -qx 'package/dist/index.js' <<<"$LISTING" || { echo "the tarball has no dist/index.js"; exit 1; }

mkdir "$WORK/app"
cp test/package/tour.ts test/package/tour.cjs test/package/tsconfig.json "$WORK/app/"
cd "$WORK/app"
printf '{ "name": "app", "private": true, "type": "module" }\n' > package.json
npm install --silent --no-audit --no-fund --prefer-offline "$TARBALL" \
  "ts-oldest@npm:typescript@$TS_OLDEST" "ts-newest@npm:typescript@$TS_NEWEST"
# Optional peers are not installed: the root entry must work without mathjs, vega or resvg.
for p in mathjs vega vega-lite @resvg/resvg-js; do
  [ ! -e "node_modules/$p" ] || { echo "optional peer $p was installed"; exit 1; }
done

for ts in ts-oldest ts-newest; do
  echo "tsc $(node node_modules/$ts/bin/tsc --version) --strict on the tour"
  node "node_modules/$ts/bin/tsc" -p tsconfig.json --noEmit
done
node node_modules/ts-oldest/bin/tsc -p tsconfig.json
node out/tour.js | tee tour.out
grep -q '"certified":true' tour.out
node tour.cjs
grep -q '^tour ' tour.out

"$ROOT/node_modules/.bin/esbuild" tour.ts --bundle --platform=browser --format=esm --log-level=warning --outfile=bundle.js
echo "browser bundle of the tour: $(gzip -c bundle.js | wc -c) bytes gzipped"
node bundle.js | grep -q '^tour '

npx --no-install groupsparse --version
node -e "process.stdout.write(require('groupsparse').BIRTHWT_CSV)" > birthwt.csv
npx --no-install groupsparse fit birthwt.csv --target bwt --categorical race --lambda 0.05 --quiet | grep -q 'certificate: .*converged: yes'
echo "package check passed"
