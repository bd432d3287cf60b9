/**
 * Refusals found by stress runs: extreme scales, tolerances and sizes that cannot be honoured,
 * options of the wrong type that used to escape as TypeError/RangeError or be blamed on another
 * function, data that does not belong to the result it is scored against.
 */
import {
  allPairs, buildDesign, categoricalColors, cvGroupLasso, DataError, fitGroupLasso, fitOverlappingGroupLasso, groupLassoPath, GroupLasso,
  informationCriteria, lambdaGrid, lambdaMax, operatorNormSquared, OptionError, rawPoly, ShapeError, signal, ValueError,
} from '../src/index.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { bsFit, GroupError, LatentDesign, makeGroups, polyFit, readCsv, splineBasisAt, splinePredict, toOperator } from '../src/index.ts';
import { denseGroups } from '../src/neural/groups.ts';
import { parseWeightsManifest } from '../src/neural/manifest.ts';
import { badInputTable, type BadInputRow } from './helpers/badinput.ts';

const X = [[1, 2, 0.5], [0, 1, 1], [2, 0, 1], [1, 1, 3], [0.5, 2, 1], [1, 0, 2]];
const y = [1, 0, 2, 1, 3, 0];
const groups = [[0, 1], [2]];
const ok = { groups, lambda: 0.1 };
const F = 'fitGroupLasso';
const path = groupLassoPath(X, y, { groups, nLambda: 5 });
/** A saved GroupLasso with one field changed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const corrupt = (f: (j: any) => void): unknown => {
  const j = JSON.parse(JSON.stringify(new GroupLasso({ groups, lambda: 0.1 }).fit(X, y)));
  f(j);
  return j;
};
const files = mkdtempSync(join(tmpdir(), 'gs-badinput-'));
afterAll(() => rmSync(files, { recursive: true, force: true }));
const utf16File = join(files, 'utf16.csv');
writeFileSync(utf16File, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('y,a\n1,2\n', 'utf16le')]));
// Two Latin-1 levels ('café', 'cafè') that decoding would both have turned into 'caf\uFFFD'.
const latin1File = join(files, 'latin1.csv');
writeFileSync(latin1File, Buffer.from('y,a,c\n1,2,caf\xe9\n2,3,caf\xe8\n', 'latin1'));
const nulFile = join(files, 'nul.csv');
writeFileSync(nulFile, 'y,a\n1,\u0000\n2,3\n');

export const reliabilityRows: BadInputRow[] = [
  // Scales at which float64 certificates would rest on underflow or overflow.
  { name: 'y at 1e-165 (objective underflows)', fn: F, error: ValueError, message: /^y is too small for float64 arithmetic \(root-mean-square size 1\.\d+e-165; supported range 1e-100 to 1e\+100\).*multiply y by a constant/, call: () => fitGroupLasso(X, y.map((v) => v * 1e-165), ok) },
  { name: 'y at 1e+200', fn: 'lambdaMax', error: ValueError, message: /^y is too large for float64 arithmetic .*divide y by a constant/, call: () => lambdaMax(X, y.map((v) => v * 1e200), { groups }) },
  { name: 'a column at 1e300', fn: 'lambdaMax', error: ValueError, message: /^X is too large for float64 arithmetic .*supported range 1e-151 to 1e\+151/, call: () => lambdaMax(X.map((r) => [r[0] * 1e300, r[1], r[2]]), y, { groups }) },
  { name: 'X at 1e-200', fn: F, error: ValueError, message: /^X is too small for float64 arithmetic/, call: () => fitGroupLasso(X.map((r) => r.map((v) => v * 1e-200)), y, ok) },

  // Tolerances, budgets, sizes.
  { name: 'tol = 10 (a relative tolerance above 1)', fn: F, error: ValueError, message: /^tol is relative .* must be in \(0, 1\), got 10$/, call: () => fitGroupLasso(X, y, { ...ok, tol: 10 }) },
  { name: 'tol = 1 on a path', fn: 'groupLassoPath', error: ValueError, message: /^tol is relative .* must be in \(0, 1\), got 1$/, call: () => groupLassoPath(X, y, { groups, tol: 1 }) },
  { name: 'negative maxTime', fn: F, error: ValueError, message: /^maxTime must be a number of seconds > 0, got -1$/, call: () => fitGroupLasso(X, y, { ...ok, maxTime: -1 }) },
  { name: 'maxTime as a string', fn: 'groupLassoPath', error: ValueError, message: /^maxTime must be a number of seconds > 0, got 10$/, call: () => groupLassoPath(X, y, { groups, maxTime: '10' as never }) },
  { name: 'nLambda = 1e7', fn: 'groupLassoPath', error: ValueError, message: /^nLambda is 10000000, above the limit 10000 \(each λ is a fit and keeps its coefficients\)$/, call: () => groupLassoPath(X, y, { groups, nLambda: 1e7 }) },
  { name: '20 000 explicit lambdas', fn: 'groupLassoPath', error: ValueError, message: /^the number of lambdas is 20000, above the limit 10000/, call: () => groupLassoPath(X, y, { groups, lambdas: new Float64Array(20_000).fill(0.1) }) },
  { name: 'nLambda = 1e9 through the estimator', fn: 'GroupLasso.fit', error: ValueError, message: /^nLambda is 1000000000, above the limit 10000/, call: () => new GroupLasso({ groups, nLambda: 1e9, criterion: 'bic' }).fit(X, y) },
  { name: 'lambdaMinRatio = 1e-300', fn: 'groupLassoPath', error: ValueError, message: /^lambdaMinRatio 1e-300 is below 1e-12: such λ are 0 to float64 rounding/, call: () => groupLassoPath(X, y, { groups, lambdaMinRatio: 1e-300 }) },
  { name: '5000 folds', fn: 'cvGroupLasso', error: ValueError, message: /^nFolds (\(5000\) is larger than the number of rows|is 5000, above the limit 1000)/, call: () => cvGroupLasso(X, y, { groups, nFolds: 5000 }) },

  // Options of the wrong type, refused by the function the user called, before any work.
  { name: 'onProgress as a string (path)', fn: 'groupLassoPath', error: ValueError, message: /^onProgress must be a function \(done, total\) => void, got string$/, call: () => groupLassoPath(X, y, { groups, onProgress: 'x' as never }) },
  { name: 'onProgress as a string (cv)', fn: 'cvGroupLasso', error: ValueError, message: /^onProgress must be a function \(done, total\) => void, got string$/, call: () => cvGroupLasso(X, y, { groups, nFolds: 3, onProgress: 'x' as never }) },
  { name: 'onProgress as a string (estimator)', fn: 'GroupLasso', error: ValueError, message: /^onProgress must be a function \(done, total\) => void, got string$/, call: () => new GroupLasso({ groups, onProgress: 'x' as never }) },
  { name: 'GroupLasso with cv: 1', fn: 'GroupLasso', error: ValueError, message: /^cv must be a whole number of folds ≥ 2/, call: () => new GroupLasso({ groups, cv: 1 }) },
  { name: "GroupLasso with criterion 'ebic' and ebicGamma -1", fn: 'GroupLasso', error: ValueError, message: /^ebicGamma must be a number in \[0, 1\], got -1$/, call: () => new GroupLasso({ groups, criterion: 'ebic', ebicGamma: -1 }) },
  { name: 'GroupLasso with ebicGamma but no EBIC', fn: 'GroupLasso', error: ValueError, message: /^ebicGamma is EBIC's parameter: use it with criterion: 'ebic'$/, call: () => new GroupLasso({ groups, cv: 3, ebicGamma: 0.5 }) },
  { name: 'warmStart.intercept NaN', fn: F, error: ValueError, message: /^warmStart\.intercept has a non-finite value NaN$/, call: () => fitGroupLasso(X, y, { ...ok, warmStart: { coef: [0, 0, 0], intercept: NaN } }) },
  { name: 'warmStart.intercept as a string', fn: F, error: ValueError, message: /^warmStart\.intercept must be a number or one number per task, got string$/, call: () => fitGroupLasso(X, y, { ...ok, warmStart: { coef: [0, 0, 0], intercept: '1' as never } }) },

  // What a value is, not "non-finite".
  { name: 'a boolean in y', fn: F, error: ValueError, message: /^y has a boolean \(true\) at position 1; entries must be numbers$/, call: () => fitGroupLasso(X, [1, true, 2, 1, 3, 0] as never, ok) },
  { name: 'a string in y', fn: F, error: ValueError, message: /^y has a string \(2\) at position 2; entries must be numbers$/, call: () => fitGroupLasso(X, [1, 0, '2', 1, 3, 0] as never, ok) },

  // Data that does not belong to the result.
  { name: 'informationCriteria with another y', fn: 'informationCriteria', error: ValueError, message: /^X and y are not the data the path was fitted on/, call: () => informationCriteria(path, X, y.map((v) => 3 - v)) },
  { name: 'informationCriteria with fewer rows', fn: 'informationCriteria', error: ShapeError, message: /is not the one the path was fitted on/, call: () => informationCriteria(path, X.slice(0, 5), y.slice(0, 5)) },

  // Overlapping groups: the same budget and progress options as every fit.
  { name: 'overlap: callback as a string', fn: 'fitOverlappingGroupLasso', error: ValueError, message: /^callback must be a function, got string$/, call: () => fitOverlappingGroupLasso(X, y, { groups: [[0, 1], [1, 2]], lambda: 0.1, mode: 'consensus', callback: 'x' as never }) },
  { name: 'overlap: maxTime = 0', fn: 'fitOverlappingGroupLasso', error: ValueError, message: /^maxTime must be a number of seconds > 0, got 0$/, call: () => fitOverlappingGroupLasso(X, y, { groups: [[0, 1], [1, 2]], lambda: 0.1, mode: 'consensus', maxTime: 0 }) },
  // Designs whose squares under- or overflow: refused on the caller's X in both modes (the
  // duplicated design's norms used to underflow to 0 and pass as all-zero columns).
  { name: 'overlap (latent): X·1e-300', fn: 'fitOverlappingGroupLasso', error: ValueError, message: /^X is too small for float64 arithmetic \(root-mean-square size [0-9.]+e-300; supported range 1e-151 to 1e\+151\)/, call: () => fitOverlappingGroupLasso(X.map((r) => r.map((v) => v * 1e-300)), y, { groups: [[0, 1], [1, 2]], lambda: 1e-301 }) },
  { name: 'overlap (consensus): X·1e-200', fn: 'fitOverlappingGroupLasso', error: ValueError, message: /^X is too small for float64 arithmetic/, call: () => fitOverlappingGroupLasso(X.map((r) => r.map((v) => v * 1e-200)), y, { groups: [[0, 1], [1, 2]], lambda: 1e-201, mode: 'consensus' }) },
  { name: 'overlap (consensus): X·1e200', fn: 'fitOverlappingGroupLasso', error: ValueError, message: /^X is too large for float64 arithmetic/, call: () => fitOverlappingGroupLasso(X.map((r) => r.map((v) => v * 1e200)), y, { groups: [[0, 1], [1, 2]], lambda: 1e199, mode: 'consensus' }) },
  { name: 'overlap (consensus): separable labels, no intercept, λ = 0', fn: 'fitOverlappingGroupLasso', error: ValueError, message: /^the unpenalized part \(intercept and unpenalized features\) has no finite optimum/, call: () => fitOverlappingGroupLasso(X, X.map((r) => (r[0] > 0 ? 1 : 0)), { groups: [[0, 1], [1, 2]], lambda: 0, mode: 'consensus', loss: 'logistic', fitIntercept: false }) },

  // Weight files.
  { name: 'manifest text that is not JSON', fn: 'parseWeightsManifest', error: DataError, message: /^the manifest text is not valid JSON: /, call: () => parseWeightsManifest('{not json', []) },
  {
    name: 'a NaN weight in a shard', fn: 'parseWeightsManifest', error: DataError, message: /^weight 'k' holds a non-finite value \(NaN\) at index 1: the weight file is corrupted$/,
    call: () => parseWeightsManifest([{ paths: ['a.bin'], weights: [{ name: 'k', shape: [2], dtype: 'float32' }] }], [[new Uint8Array(new Float32Array([1, NaN]).buffer)]]),
  },

  // Helpers whose size argument used to loop for ever or escape as a TypeError.
  { name: 'categoricalColors(1e300)', fn: 'categoricalColors', error: ValueError, message: /^n must be a whole number of colours from 0 to 10000, got 1e\+300$/, call: () => categoricalColors(1e300) },
  { name: 'rawPoly of degree 1e300', fn: 'rawPoly', error: DataError, message: /^degree must be a whole number from 1 to 100, got 1e\+300$/, call: () => rawPoly(new Float64Array([1, 2]), 1e300) },
  { name: 'allPairs(undefined)', fn: 'allPairs', error: ValueError, message: /^columns must be a list of column names, got undefined$/, call: () => allPairs(undefined as never) },
  { name: 'buildDesign with options null', fn: 'buildDesign', error: OptionError, message: /^options must be an object, got null$/, call: () => buildDesign({ names: ['a'], columns: [[1, 2]] } as never, null as never) },

  { name: 'lambdaGrid with nLambda = -1', fn: 'lambdaGrid', error: ValueError, message: /^nLambda must be a whole number ≥ 1, got -1$/, call: () => lambdaGrid(1, -1, 0.01) },
  { name: 'denseGroups without a layer', fn: 'denseGroups', error: ShapeError, message: /^layer must be an object with its dimensions and layout, got undefined$/, call: () => denseGroups(undefined as never, 'inputs') },
  { name: 'signal.normSquared of a non-operator', fn: 'normSquared', error: ShapeError, message: /^A must be a LinearOperator/, call: () => signal.normSquared(undefined as never) },
  {
    name: 'signal.normSquared of an operator returning NaN', fn: 'normSquared', error: ValueError, message: /^‖AᵀA x‖ is not finite at power iteration 1: A\.apply or A\.applyTranspose returned non-finite values/,
    call: () => signal.normSquared({ rows: 3, cols: 2, apply: (_x: Float64Array, out: Float64Array) => out.fill(NaN), applyTranspose: (_x: Float64Array, out: Float64Array) => out.fill(NaN) }),
  },
  {
    name: 'operatorNormSquared of an operator returning NaN', fn: 'operatorNormSquared', error: ValueError, message: /^‖AᵀA x‖ is not finite at power iteration 1/,
    call: () => operatorNormSquared({ rows: 3, cols: 2, apply: (_x: Float64Array, out: Float64Array) => out.fill(NaN), applyTranspose: (_x: Float64Array, out: Float64Array) => out.fill(NaN) }),
  },
  {
    name: 'signal.normSquared of a composition with a NaN operator', fn: 'normSquared', error: ValueError, message: /^‖AᵀA x‖ is not finite/,
    call: () => signal.normSquared(signal.compose(signal.partialDCT(4, { m: 2, seed: 1 }), { rows: 4, cols: 3, apply: (_x: Float64Array, out: Float64Array) => out.fill(NaN), applyTranspose: (_x: Float64Array, out: Float64Array) => out.fill(NaN) })),
  },
  { name: 'signal.formatPhaseTable(null)', fn: 'formatPhaseTable', error: ValueError, message: /^rows must be the list phaseTransition returns, got null$/, call: () => signal.formatPhaseTable(null as never) },

  // The signal namespace.
  { name: 'signal.gaussian(1e6, 1e6)', fn: 'gaussian', error: ValueError, message: /^m·n is 1000000000000, above the limit 134217728 \(a dense 1000000 × 1000000 matrix does not fit in memory/, call: () => signal.gaussian(1e6, 1e6) },
  { name: 'signal.partialFourier of length 2^40', fn: 'partialFourier', error: ValueError, message: /^signal length n is 1099511627776, above the limit 67108864/, call: () => signal.partialFourier(2 ** 40, { m: 4 }) },
  { name: 'signal.ConvolutionOperator of length 1e9', fn: 'ConvolutionOperator', error: ValueError, message: /^signal length n is 1000000000, above the limit 67108864/, call: () => new signal.ConvolutionOperator(new Float64Array([1]), 1e9) },
  { name: 'signal.PartialFourierOperator with a frequency out of range', fn: 'PartialFourierOperator', error: ShapeError, message: /^frequency 8 is out of range \[0, 8\) for n = 8$/, call: () => new signal.PartialFourierOperator(8, new Int32Array([1, 8]), false) },
  { name: 'new signal.SignalOperator() (abstract)', fn: 'SignalOperator', error: OptionError, message: /^SignalOperator is abstract/, call: () => new (signal.SignalOperator as unknown as new () => unknown)() },
  { name: 'signal.ScaledOperator by NaN', fn: 'ScaledOperator', error: ValueError, message: /^scale c must be a finite number, got NaN$/, call: () => new signal.ScaledOperator(signal.partialDCT(8, { m: 4 }), NaN) },

  // Kernels and operators built directly.
  { name: 'LatentDesign without a design', fn: 'LatentDesign', error: ShapeError, message: /^X must be a LinearOperator/, call: () => new LatentDesign(undefined as never, makeGroups([[0, 1], [2]], 3)) },
  { name: 'LatentDesign with groups as arrays', fn: 'LatentDesign', error: GroupError, message: /^groups must be a group structure from makeGroups, got object$/, call: () => new LatentDesign(toOperator(X, 'test'), [[0, 1], [1, 2]] as never) },
  { name: 'splineBasisAt at x = NaN', fn: 'splineBasisAt', error: DataError, message: /^x must be a finite number, got NaN$/, call: () => splineBasisAt(new Float64Array([0, 0, 1, 1]), 2, NaN, 0, new Float64Array(2)) },
  { name: 'splineBasisAt with an output too short', fn: 'splineBasisAt', error: DataError, message: /^out must be a Float64Array of length ≥ 2$/, call: () => splineBasisAt(new Float64Array([0, 0, 1, 1]), 2, 0.5, 0, new Float64Array(1)) },
  { name: 'bsFit of strings', fn: 'bsFit', error: ValueError, message: /^x has a string \(a\) at position 0; entries must be numbers$/, call: () => bsFit(['a', 'b'] as never, 4) },
  { name: 'polyFit of degree 1e9', fn: 'polyFit', error: DataError, message: /^polynomial degree must be a whole number from 1 to 100, got 1000000000$/, call: () => polyFit(new Float64Array([1, 2, 3]), 1e9) },
  { name: 'splinePredict with a made-up basis', fn: 'splinePredict', error: DataError, message: /^spline must be the SplineBasis that bsFit or nsFit returned$/, call: () => splinePredict(new Float64Array([1]), { kind: 'bs' } as never) },

  // Files that are not UTF-8 text (used to be reported as a ragged row).
  { name: 'a UTF-16 CSV file', fn: 'readCsv', error: DataError, message: /is not UTF-8 text \(it starts with a UTF-16 byte-order mark\): save it as UTF-8$/, call: () => readCsv(utf16File) },
  { name: 'a Latin-1 CSV file (invalid UTF-8 past the first bytes)', fn: 'readCsv', error: DataError, message: /is not UTF-8 text \(an invalid byte sequence on line 2; a Latin-1 or Windows-1252 file\?\): save it as UTF-8$/, call: () => readCsv(latin1File) },
  { name: 'a CSV file with a NUL byte', fn: 'readCsv', error: DataError, message: /is not UTF-8 text \(a NUL byte at character 6\): save it as UTF-8$/, call: () => readCsv(nulFile) },
  // Corrupted snapshots: the certificate used to be restored as it was.
  { name: 'GroupLasso.fromJSON with converged: "x"', fn: 'GroupLasso.fromJSON', error: ValueError, message: /^certificate\.converged \("x"\) does not match its status 'converged'$/, call: () => GroupLasso.fromJSON(corrupt((j) => { j.certificate.converged = 'x'; })) },
  { name: 'GroupLasso.fromJSON with a string objective', fn: 'GroupLasso.fromJSON', error: ValueError, message: /^certificate\.objective must be a number, got "x"$/, call: () => GroupLasso.fromJSON(corrupt((j) => { j.certificate.objective = 'x'; })) },
  { name: 'GroupLasso.fromJSON with an unknown status', fn: 'GroupLasso.fromJSON', error: OptionError, message: /^unknown certificate\.status 'done'/, call: () => GroupLasso.fromJSON(corrupt((j) => { j.certificate.status = 'done'; })) },
  { name: 'GroupLasso.fromJSON with path.index -1', fn: 'GroupLasso.fromJSON', error: ValueError, message: /^path\.index must be a whole number ≥ 0$/, call: () => GroupLasso.fromJSON(corrupt((j) => { j.path.index = -1; })) },
  { name: 'signal.phaseTransition with n = 1e6 (named here, not in gaussian)', fn: 'phaseTransition', error: ValueError, message: /^m·n of the largest sensing matrix is 500000000000, above the limit 134217728/, call: () => signal.phaseTransition({ n: 1e6, blockSize: 2, deltas: [0.5], sparsityRatios: [0.5], trials: 1 }) },
  { name: 'signal.phaseTransition with a huge grid', fn: 'phaseTransition', error: ValueError, message: /^the number of recoveries \(deltas × sparsityRatios × trials\) is 1000000, above the limit 100000/, call: () => signal.phaseTransition({ n: 8, blockSize: 2, deltas: [0.5, 1], sparsityRatios: [0.5], trials: 500_000 }) },
];

badInputTable('reliability', reliabilityRows);
