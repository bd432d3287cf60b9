/**
 * Refusals of the core API: fits, λ_max, prox operators, groups, matrices and operators. Other
 * modules add their own `badinput-<module>.test.ts` with the same row type.
 */
import { Matrix } from 'ml-matrix';
import {
  DenseMatrix, fitGroupLasso, fitSparseGroupLasso, GroupError, lambdaMax, makeGroups, OptionError, projectL2Ball,
  proxGroupLasso, proxL1, proxSparseGroup, ShapeError, toOperator, ValueError, type LinearOperator,
} from '../src/index.ts';
import { badInputTable, type BadInputRow } from './helpers/badinput.ts';

// A small valid problem; each row breaks one thing.
const X = [[1, 2, 0.5], [0, 1, 1], [2, 0, 1], [1, 1, 3]];
const y = [1, 0, 2, 1];
const labels = [0, 1, 1, 0];
const groups = [[0, 1], [2]];
const ok = { groups, lambda: 0.1 };
const F = 'fitGroupLasso';
const S = 'fitSparseGroupLasso';
const withX = (i: number, j: number, v: number): number[][] => X.map((r, a) => r.map((x, b) => (a === i && b === j ? v : x)));
const fakeOp = (rows: number, cols: number): LinearOperator => ({ rows, cols, apply: () => {}, applyTranspose: () => {} });

export const coreRows: BadInputRow[] = [
  // Non-finite numbers.
  { name: 'NaN in X', fn: F, error: ValueError, message: /^X contains a non-finite value \(NaN\) at row 1, column 2$/, call: () => fitGroupLasso(withX(1, 2, NaN), y, ok) },
  { name: 'Infinity in a DenseMatrix X', fn: F, error: ValueError, message: /^X contains a non-finite value \(Infinity\) at row 0, column 0$/, call: () => fitGroupLasso(DenseMatrix.fromRows(withX(0, 0, Infinity)), y, ok) },
  { name: '-Infinity in an ml-matrix X', fn: F, error: ValueError, message: /^X contains a non-finite value \(-Infinity\) at row 3, column 1$/, call: () => fitGroupLasso(new Matrix(withX(3, 1, -Infinity)), y, ok) },
  { name: 'NaN in y', fn: F, error: ValueError, message: /^y contains a non-finite value \(NaN\) at position 2$/, call: () => fitGroupLasso(X, [1, 0, NaN, 1], ok) },
  { name: 'Infinity in a multi-task y', fn: F, error: ValueError, message: /^y contains a non-finite value at row 1, column 1$/, call: () => fitGroupLasso(X, [[1, 2], [0, Infinity], [1, 1], [2, 2]], ok) },
  { name: 'NaN group weight', fn: F, error: ValueError, message: /^weight of group g1 is not finite \(NaN\)$/, call: () => fitGroupLasso(X, y, { ...ok, weights: [1, NaN] }) },
  { name: 'NaN lambda', fn: F, error: ValueError, message: /^lambda must be a finite number, got NaN$/, call: () => fitGroupLasso(X, y, { groups, lambda: NaN }) },
  { name: 'infinite lambda', fn: S, error: ValueError, message: /^lambda must be a finite number, got Infinity$/, call: () => fitSparseGroupLasso(X, y, { groups, lambda: Infinity }) },
  { name: 'missing lambda', fn: F, error: ValueError, message: /^lambda must be a finite number, got undefined$/, call: () => fitGroupLasso(X, y, { groups } as never) },
  { name: 'null entry in X (no silent 0)', fn: F, error: ValueError, message: /^entry at row 0, column 1 is not a number \(null\)$/, call: () => fitGroupLasso([[1, null], [0, 1], [2, 0]] as never, [1, 2, 3], { groups: [[0, 1]], lambda: 0.1 }) },
  { name: 'string entry in X (no silent conversion)', fn: F, error: ValueError, message: /^entry at row 1, column 0 is not a number \(string\)$/, call: () => fitGroupLasso([[1, 2], ['3', 1], [2, 0]] as never, [1, 2, 3], { groups: [[0, 1]], lambda: 0.1 }) },
  { name: 'NaN warm start', fn: F, error: ValueError, message: /^warmStart\.coef has a non-finite value at 1$/, call: () => fitGroupLasso(X, y, { ...ok, warmStart: { coef: [0, NaN, 0] } }) },

  // Shapes.
  { name: 'y shorter than X', fn: F, error: ShapeError, message: /^y has length 3, expected 4$/, call: () => fitGroupLasso(X, [1, 2, 3], ok) },
  { name: 'multi-task y with a row missing', fn: F, error: ShapeError, message: /^y has 3 rows but X has 4$/, call: () => fitGroupLasso(X, [[1, 2], [0, 1], [1, 1]], ok) },
  { name: 'empty X', fn: F, error: ShapeError, message: /^X has no rows$/, call: () => fitGroupLasso([], [], ok) },
  { name: 'p = 0 (rows without entries)', fn: F, error: ShapeError, message: /^X has no columns$/, call: () => fitGroupLasso([[], []], [1, 2], { groups: [], lambda: 0.1 }) },
  { name: 'n = 1', fn: F, error: ShapeError, message: /^X has 1 row; at least 2 samples are needed$/, call: () => fitGroupLasso([[1, 2]], [1], { groups: [[0, 1]], lambda: 0.1 }) },
  { name: 'ragged rows of X', fn: F, error: ShapeError, message: /^row 2 has 2 entries, row 0 has 3 \(ragged rows\)$/, call: () => fitGroupLasso([[1, 2, 3], [1, 2, 3], [1, 2], [0, 0, 1]], y, ok) },
  { name: 'ragged rows of a multi-task y', fn: F, error: ShapeError, message: /^row 1 has 1 entries, row 0 has 2 \(ragged rows\)$/, call: () => fitGroupLasso(X, [[0, 1], [1], [0, 1], [1, 1]], ok) },
  { name: 'flat array as X', fn: F, error: ShapeError, message: /^X must be a matrix \(array of rows\), got a flat array$/, call: () => fitGroupLasso([1, 2, 3] as never, y, ok) },
  { name: 'one label per column, wrong count', fn: F, error: ShapeError, message: /^groups has 2 labels but the design has 3 columns$/, call: () => fitGroupLasso(X, y, { groups: ['a', 'b'], lambda: 0.1 }) },
  { name: 'weights for the wrong number of groups', fn: F, error: ShapeError, message: /^weights has 3 entries but there are 2 groups$/, call: () => fitGroupLasso(X, y, { ...ok, weights: [1, 1, 1] }) },
  { name: 'warm start of the wrong length', fn: F, error: ShapeError, message: /^warmStart\.coef has length 2, expected 3$/, call: () => fitGroupLasso(X, y, { ...ok, warmStart: { coef: [0, 0] } }) },
  { name: 'LinearOperator with a fractional size', fn: F, error: ShapeError, message: /^X is a LinearOperator with an invalid shape 4\.5 × 3$/, call: () => fitGroupLasso(fakeOp(4.5, 3), y, ok) },
  { name: 'logistic loss with a two-column y', fn: F, error: ValueError, message: /^loss 'logistic' needs a single response column, y has 2$/, call: () => fitGroupLasso(X, [[0, 1], [1, 0], [1, 1], [0, 0]], { ...ok, loss: 'logistic' }) },

  // Groups.
  { name: 'empty group', fn: F, error: GroupError, message: /^group 1 is empty$/, call: () => fitGroupLasso(X, y, { groups: [[0, 1, 2], []], lambda: 0.1 }) },
  { name: 'index listed twice in a group', fn: F, error: GroupError, message: /^group g0 lists index 1 twice$/, call: () => fitGroupLasso(X, y, { groups: [[0, 1, 1], [2]], lambda: 0.1 }) },
  { name: 'group index out of range', fn: F, error: ShapeError, message: /^group 1 has index 3 out of range \[0, 3\)$/, call: () => fitGroupLasso(X, y, { groups: [[0, 1], [2, 3]], lambda: 0.1 }) },
  { name: 'negative group index', fn: F, error: ShapeError, message: /^group 0 has index -1 out of range \[0, 3\)$/, call: () => fitGroupLasso(X, y, { groups: [[-1, 0, 1], [2]], lambda: 0.1 }) },
  { name: 'non-integer group index', fn: F, error: GroupError, message: /^group 0 has a non-integer index 0\.5$/, call: () => fitGroupLasso(X, y, { groups: [[0.5, 1], [2]], lambda: 0.1 }) },
  { name: 'string group index', fn: F, error: GroupError, message: /^group 0 has a non-integer index 0$/, call: () => fitGroupLasso(X, y, { groups: [['0', 1], [2]] as never, lambda: 0.1 }) },
  { name: 'overlapping groups', fn: F, error: GroupError, message: /^feature 1 is in groups g0 and g1: overlapping groups are not allowed here/, call: () => fitGroupLasso(X, y, { groups: [[0, 1], [1, 2]], lambda: 0.1 }) },
  { name: 'feature in no group', fn: F, error: GroupError, message: /^1 feature\(s\) are in no group \(2\); put them in a group or pass ungrouped: 'unpenalized'$/, call: () => fitGroupLasso(X, y, { groups: [[0, 1]], lambda: 0.1 }) },
  { name: 'negative group weight', fn: F, error: ValueError, message: /^weight of group g0 is negative \(-1\)$/, call: () => fitGroupLasso(X, y, { ...ok, weights: [-1, 1] }) },
  { name: 'labels of an unsupported type', fn: F, error: GroupError, message: /^label of column 1 must be a string or number, got boolean$/, call: () => fitGroupLasso(X, y, { groups: ['a', true, 'b'] as never, lambda: 0.1 }) },

  // Values of options.
  { name: 'negative lambda', fn: F, error: ValueError, message: /^lambda must be ≥ 0, got -0\.1$/, call: () => fitGroupLasso(X, y, { groups, lambda: -0.1 }) },
  { name: 'tol = 0', fn: F, error: ValueError, message: /^tol is relative \(a duality gap or KKT violation over its scale\) and must be in \(0, 1\), got 0$/, call: () => fitGroupLasso(X, y, { ...ok, tol: 0 }) },
  { name: 'negative tol', fn: S, error: ValueError, message: /^tol is relative .* must be in \(0, 1\), got -1e-8$/, call: () => fitSparseGroupLasso(X, y, { ...ok, tol: -1e-8 }) },
  { name: 'NaN tol', fn: F, error: ValueError, message: /^tol must be a finite number, got NaN$/, call: () => fitGroupLasso(X, y, { ...ok, tol: NaN }) },
  { name: 'maxIter = 0', fn: F, error: ValueError, message: /^maxIter must be a whole number ≥ 1, got 0$/, call: () => fitGroupLasso(X, y, { ...ok, maxIter: 0 }) },
  { name: 'negative maxIter', fn: F, error: ValueError, message: /^maxIter must be a whole number ≥ 1, got -5$/, call: () => fitGroupLasso(X, y, { ...ok, maxIter: -5 }) },
  { name: 'fractional maxIter', fn: F, error: ValueError, message: /^maxIter must be a whole number ≥ 1, got 2\.5$/, call: () => fitGroupLasso(X, y, { ...ok, maxIter: 2.5 }) },
  { name: 'fitIntercept not a boolean', fn: F, error: ValueError, message: /^fitIntercept must be true or false, got yes$/, call: () => fitGroupLasso(X, y, { ...ok, fitIntercept: 'yes' as never }) },
  { name: 'alpha outside [0, 1]', fn: S, error: ValueError, message: /^alpha must be a number in \[0, 1\], got 1\.5$/, call: () => fitSparseGroupLasso(X, y, { ...ok, alpha: 1.5 }) },
  { name: 'callback that is not a function', fn: F, error: ValueError, message: /^callback must be a function, got number$/, call: () => fitGroupLasso(X, y, { ...ok, callback: 3 as never }) },
  { name: 'warm start that is null', fn: F, error: ValueError, message: /^warmStart must be an object \{ coef, intercept\? \}, got null$/, call: () => fitGroupLasso(X, y, { ...ok, warmStart: null as never }) },

  // Responses that do not fit the loss.
  { name: 'logistic labels outside {0, 1}', fn: F, error: ValueError, message: /^logistic loss needs labels 0\/1, got 2 at position 3$/, call: () => fitGroupLasso(X, [0, 1, 1, 2], { ...ok, loss: 'logistic' }) },
  { name: 'logistic labels -1/1', fn: F, error: ValueError, message: /^logistic loss needs labels 0\/1, got -1 at position 0$/, call: () => fitGroupLasso(X, [-1, 1, 1, -1], { ...ok, loss: 'logistic' }) },
  { name: 'one logistic class with an intercept', fn: F, error: ValueError, message: /^logistic labels are all 1: with an intercept the fit has no finite optimum$/, call: () => fitGroupLasso(X, [1, 1, 1, 1], { ...ok, loss: 'logistic' }) },
  { name: 'one logistic class, λ_max', fn: 'lambdaMax', error: ValueError, message: /^logistic labels are all 0: with an intercept the fit has no finite optimum$/, call: () => lambdaMax(X, [0, 0, 0, 0], { groups, loss: 'logistic' }) },
  { name: 'negative Poisson target', fn: F, error: ValueError, message: /^Poisson loss needs targets ≥ 0, got -1 at position 1$/, call: () => fitGroupLasso(X, [1, -1, 2, 0], { ...ok, loss: 'poisson' }) },
  { name: 'all-zero Poisson targets with an intercept', fn: F, error: ValueError, message: /^Poisson targets are all 0: with an intercept the fit has no finite optimum$/, call: () => fitGroupLasso(X, [0, 0, 0, 0], { ...ok, loss: 'poisson' }) },
  { name: 'separable logistic data at lambda = 0', fn: F, error: ValueError, message: /^the unpenalized part \(intercept and unpenalized groups\) has no finite optimum for this logistic response/, call: () => fitGroupLasso(X, labels.map((_, i) => (X[i][2] > 0.8 ? 1 : 0)), { groups, lambda: 0, loss: 'logistic' }) },

  // Names: options, solvers, losses, modes (typos get a suggestion).
  { name: 'misspelt option lamda', fn: F, error: OptionError, message: /^unknown option 'lamda' \(did you mean 'lambda'\?\); allowed: lambda, groups/, call: () => fitGroupLasso(X, y, { groups, lamda: 0.1 } as never) },
  { name: 'misspelt option fitIntercpt', fn: F, error: OptionError, message: /^unknown option 'fitIntercpt' \(did you mean 'fitIntercept'\?\)/, call: () => fitGroupLasso(X, y, { ...ok, fitIntercpt: false } as never) },
  { name: 'misspelt option maxIters', fn: S, error: OptionError, message: /^unknown option 'maxIters' \(did you mean 'maxIter'\?\)/, call: () => fitSparseGroupLasso(X, y, { ...ok, maxIters: 10 } as never) },
  { name: 'alpha given to the group lasso', fn: F, error: OptionError, message: /^unknown option 'alpha'; allowed: /, call: () => fitGroupLasso(X, y, { ...ok, alpha: 0.5 } as never) },
  { name: 'unknown solver', fn: F, error: OptionError, message: /^unknown solver 'fsta' \(did you mean '(fista|ista)'\?\); expected one of .*'fista'/, call: () => fitGroupLasso(X, y, { ...ok, solver: 'fsta' as never }) },
  { name: 'unknown loss', fn: F, error: OptionError, message: /^unknown loss 'logstic' \(did you mean 'logistic'\?\); expected one of 'squared', 'logistic', 'poisson', 'multitask', 'cox', 'multinomial'$/, call: () => fitGroupLasso(X, y, { ...ok, loss: 'logstic' as never }) },
  { name: 'unknown stopping rule', fn: F, error: OptionError, message: /^unknown stopping rule 'gpa' \(did you mean 'gap'\?\)/, call: () => fitGroupLasso(X, y, { ...ok, stopOn: 'gpa' as never }) },
  { name: 'unknown ungrouped mode', fn: F, error: OptionError, message: /^unknown ungrouped mode 'unpenalised' \(did you mean 'unpenalized'\?\)/, call: () => fitGroupLasso(X, y, { ...ok, ungrouped: 'unpenalised' as never }) },
  { name: 'unknown weight rule', fn: F, error: OptionError, message: /^unknown weight rule 'sqr' \(did you mean 'sqrt'\?\)/, call: () => fitGroupLasso(X, y, { ...ok, weights: 'sqr' as never }) },
  { name: 'misspelt warm-start key', fn: `${F} (warmStart)`, error: OptionError, message: /^unknown option 'intrcept' \(did you mean 'intercept'\?\)/, call: () => fitGroupLasso(X, y, { ...ok, warmStart: { coef: [0, 0, 0], intrcept: 1 } as never }) },
  { name: 'options not an object', fn: F, error: OptionError, message: /^options must be an object, got string$/, call: () => fitGroupLasso(X, y, 'lambda=1' as never) },
  { name: 'options missing', fn: F, error: ValueError, message: /^options \{ groups, lambda \} are required$/, call: () => fitGroupLasso(X, y, undefined as never) },
  { name: 'lambda given to lambdaMax', fn: 'lambdaMax', error: OptionError, message: /^unknown option 'lambda'; allowed: groups, loss, weights, fitIntercept, ungrouped, penalty, alpha, gamma, tau, sampleWeight, ties$/, call: () => lambdaMax(X, y, { groups, lambda: 1 } as never) },
  { name: 'NaN in X, λ_max', fn: 'lambdaMax', error: ValueError, message: /^X contains a non-finite value \(NaN\) at row 2, column 0$/, call: () => lambdaMax(withX(2, 0, NaN), y, { groups }) },

  // Prox operators.
  { name: 'NaN in the prox argument', fn: 'proxGroupLasso', error: ValueError, message: /^v contains a non-finite value \(NaN\) at position 1$/, call: () => proxGroupLasso([1, NaN], [[0, 1]], 1) },
  { name: 'negative prox step', fn: 'proxGroupLasso', error: ValueError, message: /^tau must be ≥ 0, got -1$/, call: () => proxGroupLasso([1, 2], [[0, 1]], -1) },
  { name: 'negative prox weight', fn: 'proxGroupLasso', error: ValueError, message: /^weight of group g0 is negative \(-2\)$/, call: () => proxGroupLasso([1, 2], [[0, 1]], 1, [-2]) },
  { name: 'overlapping groups in the prox', fn: 'proxGroupLasso', error: GroupError, message: /^groups overlap: the prox of an overlapping sum has no closed form/, call: () => proxGroupLasso([1, 2, 3], [[0, 1], [1, 2]], 1) },
  { name: 'prox group index out of range', fn: 'proxGroupLasso', error: ShapeError, message: /^group 0 has index 5 out of range \[0, 2\)$/, call: () => proxGroupLasso([1, 2], [[0, 5]], 1) },
  { name: 'null prox argument', fn: 'proxL1', error: ShapeError, message: /^v must be an array of numbers, got null$/, call: () => proxL1(null as never, 1) },
  { name: 'number as prox argument', fn: 'proxL1', error: ShapeError, message: /^v must be an array of numbers, got number$/, call: () => proxL1(3 as never, 1) },
  { name: 'NaN soft-threshold', fn: 'proxL1', error: ValueError, message: /^tau must be a finite number, got NaN$/, call: () => proxL1([1, 2], NaN) },
  { name: 'sparse-group prox with alpha > 1', fn: 'proxSparseGroup', error: ValueError, message: /^alpha must be a number in \[0, 1\], got 2$/, call: () => proxSparseGroup([1, 2], [[0, 1]], 1, 2) },
  { name: 'sparse-group prox with Infinity', fn: 'proxSparseGroup', error: ValueError, message: /^v contains a non-finite value \(Infinity\) at position 0$/, call: () => proxSparseGroup([Infinity, 2], [[0, 1]], 1, 0.5) },
  { name: 'negative ball radius', fn: 'projectL2Ball', error: ValueError, message: /^radius must be ≥ 0, got -1$/, call: () => projectL2Ball([1, 2], -1) },
  { name: 'NaN in the projected vector', fn: 'projectL2Ball', error: ValueError, message: /^v contains a non-finite value \(NaN\) at position 2$/, call: () => projectL2Ball([1, 2, NaN], 1) },

  // Groups, matrices, operators on their own.
  { name: 'makeGroups with a negative feature count', fn: 'makeGroups', error: ShapeError, message: /^invalid number of features -1$/, call: () => makeGroups([[0]], -1) },
  { name: 'makeGroups with a misspelt option', fn: 'makeGroups', error: OptionError, message: /^unknown option 'weight' \(did you mean 'weights'\?\)/, call: () => makeGroups([[0], [1]], 2, { weight: [1, 1] } as never) },
  { name: 'makeGroups with no groups', fn: 'makeGroups', error: GroupError, message: /^groups are missing$/, call: () => makeGroups(null as never, 2) },
  { name: 'structure built for another width', fn: 'makeGroups', error: ShapeError, message: /^groups were built for 2 features but the design has 3 columns$/, call: () => makeGroups(makeGroups([[0], [1]], 2), 3) },
  { name: 'names for the wrong number of groups', fn: 'makeGroups', error: ShapeError, message: /^names has 1 entries for 2 groups$/, call: () => makeGroups([[0], [1]], 2, { names: ['a'] }) },
  { name: 'DenseMatrix with a negative size', fn: 'DenseMatrix', error: ShapeError, message: /^invalid shape -1 × 2$/, call: () => new DenseMatrix(-1, 2) },
  { name: 'DenseMatrix with data of the wrong length', fn: 'DenseMatrix', error: ShapeError, message: /^data has length 3, expected 2 × 2 = 4$/, call: () => new DenseMatrix(2, 2, new Float64Array(3)) },
  { name: 'DenseMatrix over a plain array', fn: 'DenseMatrix', error: ShapeError, message: /^data must be a Float64Array/, call: () => new DenseMatrix(2, 2, [1, 2, 3, 4] as never) },
  { name: 'DenseMatrix.fromRows with ragged rows', fn: 'DenseMatrix.fromRows', error: ShapeError, message: /^row 1 has 1 entries, row 0 has 2 \(ragged rows\)$/, call: () => DenseMatrix.fromRows([[1, 2], [3]]) },
  { name: 'DenseMatrix.fromRows(null)', fn: 'DenseMatrix.fromRows', error: ShapeError, message: /^expected an array of rows$/, call: () => DenseMatrix.fromRows(null as never) },
  { name: 'DenseMatrix.fromColumns with ragged columns', fn: 'DenseMatrix.fromColumns', error: ShapeError, message: /^column 1 has 1 entries, expected 2$/, call: () => DenseMatrix.fromColumns([[1, 2], [3]]) },
  { name: 'toOperator on an unrelated object', fn: 'f', error: ShapeError, message: /^X must be an array of rows, an ml-matrix Matrix, a DenseMatrix or a LinearOperator$/, call: () => toOperator({ a: 1 }, 'f') },
  { name: 'toOperator on an operator with NaN size', fn: 'f', error: ShapeError, message: /^X is a LinearOperator with an invalid shape NaN × 2$/, call: () => toOperator(fakeOp(NaN, 2), 'f') },
];

badInputTable('core', coreRows);
