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
grep -q '"pipeline":true' tour.out
node tour.cjs
grep -q '^tour ' tour.out

"$ROOT/node_modules/.bin/esbuild" tour.ts --bundle --platform=browser --format=esm --log-level=warning --outfile=bundle.js
echo "browser bundle of the tour: $(gzip -c bundle.js | wc -c) bytes gzipped"
node bundle.js | grep -q '^tour '

npx --no-install groupsparse --version
node -e "process.stdout.write(require('groupsparse').BIRTHWT_CSV)" > birthwt.csv
npx --no-install groupsparse fit birthwt.csv --target bwt --categorical race --lambda 0.05 --quiet | grep -q 'certificate: .*converged: yes'
# The CLI on tables it has not seen: each ends in a result, or in exit code 2 and one line.
node - <<'JS'
const fs = require('node:fs');
let seed = 7;
const rnd = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
const shops = ['north', 'south', 'east'];
const rows = (n, sep, dec, extra) => Array.from({ length: n }, (_, i) => {
  const x = 1 + 4 * rnd(), z = 1 + 9 * rnd(), shop = shops[i % 3];
  const y = 2 + 1.5 * x - 0.3 * z + (shop === 'south' ? 1 : 0) + 0.3 * (rnd() - 0.5);
  const num = (v) => v.toFixed(3).replace('.', dec);
  return [`id${i}`, num(y), num(x), num(z), shop, ...extra(i)].join(sep);
});
fs.writeFileSync('semicolon.csv', ['id;y;x;z;shop', ...rows(80, ';', ',', () => [])].join('\n') + '\n');
fs.writeFileSync('dates.csv', ['id,y,x,z,shop,day', ...rows(80, ',', '.', (i) => [`2024-03-${String(1 + (i % 28)).padStart(2, '0')}`])].join('\n') + '\n');
fs.writeFileSync('holes.csv', ['id,y,x,z,shop,note', ...rows(80, ',', '.', (i) => [i % 7 === 0 ? '' : 'ok'])].join('\n') + '\n');
fs.writeFileSync('new.csv', ['id,x,z,shop', ...rows(20, ',', '.', () => []).map((r) => r.split(',').filter((_, k) => k !== 1).join(','))].join('\n') + '\n');
fs.writeFileSync('unseen.csv', 'id,x,z,shop\na,2,3,west\n');
const wide = ['y,' + Array.from({ length: 3000 }, (_, j) => `v${j}`).join(',')];
for (let i = 0; i < 60; i++) wide.push([rnd(), ...Array.from({ length: 3000 }, () => rnd().toFixed(3))].join(','));
fs.writeFileSync('wide.csv', wide.join('\n') + '\n');
JS
gs() { npx --no-install groupsparse "$@"; }
refused() { # exit code 2 and a single line on stderr
  local err code=0
  err=$(gs "$@" 2>&1 >/dev/null) || code=$?
  [ "$code" = 2 ] && [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || { echo "expected exit 2 and one line from: groupsparse $*"; echo "$err"; exit 1; }
  echo "refused as it should: ${err:0:110}"
}
gs fit semicolon.csv --target y --drop id --cv 5 --quiet | grep -q 'selected groups'
refused fit dates.csv --target y --drop id --cv 5 --quiet
gs fit dates.csv --target y --drop id --dates numeric --lambda 0.05 --quiet | grep -q 'converged: yes'
refused fit holes.csv --target y --drop id --lambda 0.05 --quiet
gs fit holes.csv --target y --drop id,note --lambda 0.05 --quiet | grep -q 'converged: yes'
gs fit wide.csv --target y --lambda 0.2 --quiet > wide.out
awk 'length > 200 { print "a line of " length " characters"; bad = 1 } END { exit bad }' wide.out
gs fit semicolon.csv --target y --drop id --cv 5 --quiet --save model.json > /dev/null
gs predict model.json new.csv --keep id --out predictions.csv
[ "$(wc -l < predictions.csv)" = 21 ] && head -1 predictions.csv | grep -qx 'id,prediction'
gs predict model.json - < new.csv | cmp - <(cut -d, -f2 predictions.csv)
refused predict model.json unseen.csv
refused predict semicolon.csv new.csv
refused fit semicolon.csv --target y --save /no/such/dir/model.json
echo "the CLI on new tables: results or one-line refusals"

# Deno outside any Node project: the checkout's deno.json maps 'groupsparse' and the npm packages.
mkdir "$WORK/deno" && cp "$ROOT/test/package/tour.ts" "$WORK/deno/"
(cd "$WORK/deno" && "$ROOT/node_modules/.bin/deno" run -c "$ROOT/deno.json" tour.ts | grep '^tour ')
echo "package check passed"
