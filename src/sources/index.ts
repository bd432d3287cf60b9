/**
 * `groupsparse/sql`: group lasso on tables that stay in a database (DuckDB over Parquet/CSV/DuckDB
 * files, PostgreSQL), through sufficient statistics computed by the engine. Kept out of the main
 * entry point: importing `groupsparse` never loads a database driver, and these modules load
 * theirs only when a source is opened.
 */
export { openSource, type Dialect, type OpenSourceOptions, type SourceColumn, type SqlSource, type SqlValue } from './source.ts';
export { duckdbSource, type DuckDBSourceOptions } from './duckdb.ts';
export { postgresSource } from './postgres.ts';
export { SourceError } from './sql.ts';
export { compileDesign, type SqlDesign, type SqlDesignSpec } from './design.ts';
export { foldOfKey, foldSql } from './folds.ts';
export {
  cvGroupLassoSql as cvGroupLasso, fitGroupLassoSql as fitGroupLasso, groupLassoPathSql as groupLassoPath,
  type SqlCvOptions, type SqlCvResult, type SqlFitOptions, type SqlFitResult, type SqlPathOptions, type SqlPathResult,
  type SqlProgress, type SqlSingleFitOptions,
} from './fit.ts';
export { registerSqlLoss, type LossSql } from './glm.ts';
