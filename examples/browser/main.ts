/**
 * The browser example: a CSV the user drops in → a design (string columns become dummy groups) →
 * GroupLasso with 10-fold cross-validation → the path and CV charts, drawn by vega-embed.
 * Bundled by scripts/build-browser.mjs (esbuild); tested in headless Chromium by test/browser.test.ts.
 */
import embed from 'vega-embed';
import {
  BIRTHWT_CSV, buildDesign, cvChart, fastOperator, GroupLasso, GroupSparseError, isNumericColumn, parseColumnSpecs,
  pathChart, readCsv, wasmSimdAvailable, type Table,
} from '../../src/index.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const drop = $<HTMLDivElement>('drop');
const fileInput = $<HTMLInputElement>('file');
const targetSelect = $<HTMLSelectElement>('target');
const lossSelect = $<HTMLSelectElement>('loss');
const fitButton = $<HTMLButtonElement>('fit');
const status = $<HTMLSpanElement>('status');
const errorBox = $<HTMLDivElement>('error');
const summary = $<HTMLDivElement>('summary');

let table: Table | undefined;
let source = '';

function fail(e: unknown): void {
  // Library refusals carry a message meant for the user; anything else is a bug worth its name.
  errorBox.textContent = e instanceof GroupSparseError ? e.message : `unexpected error: ${(e as Error)?.message ?? String(e)}`;
  document.body.dataset.state = 'error';
  status.textContent = '';
}

function load(text: string, name: string, preferredTarget?: string): void {
  errorBox.textContent = '';
  try {
    // Semicolon files (common where the decimal mark is a comma) are read as such.
    const firstLine = text.slice(0, text.indexOf('\n') >>> 0);
    const delimiter = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : ',';
    table = readCsv(text, { source: 'text', delimiter, missing: 'drop-rows' });
  } catch (e) {
    fail(e);
    return;
  }
  source = name;
  const numeric = table.names.filter((_, k) => isNumericColumn(table!.columns[k]));
  targetSelect.replaceChildren(...numeric.map((n) => new Option(n, n)));
  targetSelect.value = preferredTarget && numeric.includes(preferredTarget) ? preferredTarget : numeric[numeric.length - 1] ?? '';
  targetSelect.disabled = numeric.length === 0;
  fitButton.disabled = numeric.length === 0;
  status.textContent = `${name}: ${table.nRows} rows, ${table.names.length} columns` +
    (table.droppedLines.length ? ` (${table.droppedLines.length} rows with missing values dropped)` : '');
  document.body.dataset.state = 'loaded';
}

async function fit(): Promise<void> {
  if (!table) return;
  errorBox.textContent = '';
  document.body.dataset.state = 'fitting';
  status.textContent = 'fitting…';
  await new Promise((r) => setTimeout(r, 0)); // let the status paint before the synchronous fit
  try {
    const target = targetSelect.value;
    const specs = parseColumnSpecs({}, table, target);
    const design = buildDesign(table, { target, columns: specs.columns });
    const loss = lossSelect.value as 'squared' | 'logistic';
    const t0 = performance.now();
    const m = new GroupLasso({
      groups: design.groups, featureNames: design.columnNames, loss, cv: { nFolds: 10, seed: 1 },
    }).fit(design.X, design.y!);
    const ms = performance.now() - t0;
    const backend = fastOperator(design.X).backend;
    document.body.dataset.backend = backend;
    status.textContent = `${source}: fitted in ${ms.toFixed(0)} ms on the ${backend === 'wasm' ? 'WebAssembly SIMD' : 'JavaScript'} kernels`;
    const rows = m.selectedGroups().map((g) => `<tr><td>${g.name}</td><td>${g.norm.toPrecision(4)}</td><td>${g.coefficients.length}</td></tr>`);
    summary.innerHTML = `<p>λ = ${m.lambda.toPrecision(4)} (10-fold CV, λ_min); ${m.selectedGroups().length} of ${design.groupNames.length} groups selected; ` +
      `certificate: relative gap ${m.certificate.relativeGap.toExponential(2)}, ${m.certificate.converged ? 'converged' : 'NOT converged'}</p>` +
      `<table><thead><tr><th>group</th><th>‖w_g‖</th><th>columns</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
    const path = m.path!;
    const cv = m.cv!;
    await Promise.all([
      embed('#path-chart', pathChart({ lambdas: path.lambdas, groupNames: path.groupNames, groupNorms: path.groupNorms, selectedLambda: m.lambda }) as never, { actions: false, renderer: 'svg' }),
      embed('#cv-chart', cvChart({
        lambdas: cv.lambdas, meanLoss: cv.meanLoss, seLoss: cv.seLoss, lambdaMin: cv.lambdaMin, lambda1se: cv.lambda1se, metric: cv.metric,
      }) as never, { actions: false, renderer: 'svg' }),
    ]);
    document.body.dataset.state = 'done';
  } catch (e) {
    fail(e);
  }
}

async function readFile(f: File): Promise<void> {
  load(await f.text(), f.name);
}

fileInput.addEventListener('change', () => {
  const f = fileInput.files?.[0];
  if (f) void readFile(f);
});
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const f = e.dataTransfer?.files?.[0];
  if (f) void readFile(f);
});
$<HTMLButtonElement>('example').addEventListener('click', () => load(BIRTHWT_CSV, 'birthwt.csv', 'bwt'));
fitButton.addEventListener('click', () => void fit());
status.textContent = wasmSimdAvailable() ? 'WebAssembly SIMD kernels available' : 'no WebAssembly SIMD here: the JavaScript kernels will be used';
