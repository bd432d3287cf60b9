export { readCsv, parseNumber, type ReadCsvOptions } from './csv.ts';
export {
  tableFromColumns, tableToRows, selectTableRows, getColumn, numericColumn, isNumericColumn,
  type Table, type TableColumn,
} from './table.ts';
export {
  buildDesign, buildDesignAsync, allPairs, compareLevels, designFromCoding,
  type Design, type DesignCoding, type CodedDesign, type TargetDesign, type TableInput, type DesignOptions, type ColumnSpec, type NumericSpec, type CategoricalSpec, type PolySpec,
  type SplineSpec, type InteractionSpec, type TransformSpec, type ColumnInfo,
} from './design.ts';
export type { EncoderState, CategoricalState, InteractionSide } from './coding.ts';
export { parseColumnSpecs, type ColumnSpecFlags } from './spec.ts';
export { loadExpressionEngine, expressionEngineLoaded, compileExpression, EXPRESSION_FUNCTIONS, type CompiledExpression } from './expressions.ts';
export {
  polyFit, polyPredict, rawPoly, bsFit, nsFit, splinePredict, splineBasisAt, type PolyCoefs, type SplineBasis,
} from './basis.ts';
export {
  standardize, orthonormalizeGroups, type Standardized, type OrthonormalizedGroups, type RawCoefficients,
} from './standardize.ts';
export { birthwtDesign, BIRTHWT_CSV, type BirthwtDesign } from './birthwt.ts';
export { SparseMatrix } from '../linalg/sparse.ts';
