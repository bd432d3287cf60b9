/**
 * A table in, predictions out: the design's fitted coding (levels with their reference,
 * polynomial recurrences, spline knots, string transforms) together with a fitted GroupLasso, as
 * one value that can be saved to JSON and applied to new raw tables. Standardization needs no
 * state of its own here: the estimator maps its coefficients back to the original design scale
 * (w_j = w̃_j / s_j, b = b̃ − Σ m_j w_j), so a prediction is X_new·w + b on the coded columns.
 */
import { buildDesign, designFromCoding, type CodedDesign, type Design, type DesignCoding, type DesignOptions, type TableInput } from '../data/design.ts';
import { expressionEngineLoaded, loadExpressionEngine } from '../data/expressions.ts';
import type { ReadCsvOptions } from '../data/csv.ts';
import { DataError, ShapeError, ValueError } from '../errors.ts';
import type { DenseMatrix } from '../linalg/dense.ts';
import type { ResponseInput } from '../linalg/input.ts';
import type { SparseMatrix } from '../linalg/sparse.ts';
import { checkOptions } from '../util/validate.ts';
import { GroupLasso, type GroupLassoJSON, type GroupLassoOptions, type PredictOptions } from './groupLasso.ts';

/** How a CSV for this pipeline should be read (what the training table was read with). */
export type PipelineReadOptions = Pick<ReadCsvOptions, 'dates' | 'naValues' | 'strings'>;

/** Options of {@link Pipeline.fit}. */
export interface PipelineFitOptions {
  /** How the table becomes a design (target, column specs, transforms). */
  design: DesignOptions;
  /** The estimator's options; groups and feature names come from the design. */
  model: Omit<GroupLassoOptions, 'groups' | 'featureNames'>;
  /** The response when it is not the design's numeric target (class labels, `{ time, status }`). */
  y?: ResponseInput;
  /** One weight ≥ 0 per row. */
  sampleWeight?: ArrayLike<number>;
  /** How to read CSV files for {@link Pipeline.predict} (recorded in the JSON). */
  readOptions?: PipelineReadOptions;
}

/** The JSON form of a {@link Pipeline}. */
export interface PipelineJSON {
  format: 'groupsparse.Pipeline';
  version: 1;
  design: DesignCoding;
  model: GroupLassoJSON;
  readOptions?: PipelineReadOptions;
}

const FORMAT = 'groupsparse.Pipeline';

/**
 * A fitted design coding and model: `predict(table)` codes a new raw table exactly as the training
 * table was coded and applies the model. Categorical levels not seen at fit time follow the policy
 * of their spec (`unseen: 'error'`, the default, refuses them naming the column, row and level;
 * `'zero'` codes them like the reference level).
 *
 * @example
 * const pipe = Pipeline.fit(table, { design: { target: 'bwt', columns }, model: { cv: 5 } });
 * const again = Pipeline.fromJSON(JSON.stringify(pipe));
 * again.predict(newTable) // returns the same predictions as pipe.predict(newTable)
 */
export class Pipeline {
  /** The design mapping (column names, groups, input columns, `transform` of new tables). */
  readonly design: CodedDesign;
  readonly model: GroupLasso;
  readonly readOptions: PipelineReadOptions | undefined;
  private readonly source: Design | DesignCoding;

  /**
   * A pipeline from a design (or its saved coding) and a model fitted on that design's columns. A
   * design with function transforms works in memory; only `toJSON` refuses it.
   */
  constructor(design: Design | DesignCoding, model: GroupLasso, readOptions?: PipelineReadOptions) {
    const fn = 'Pipeline';
    if (!(model instanceof GroupLasso)) throw new ValueError(fn, 'the model must be a GroupLasso');
    if (!model.fitted) throw new ValueError(fn, 'the model is not fitted yet');
    this.source = design;
    this.design = typeof (design as Design).coding === 'function' ? design as Design : designFromCoding(design, fn);
    const names = model.featureNames;
    const cols = this.design.columnNames;
    if (names.length !== cols.length) throw new ShapeError(fn, `the model has ${names.length} features, the design ${cols.length} columns`);
    const k = names.findIndex((nm, j) => nm !== cols[j]);
    if (k >= 0) throw new ValueError(fn, `feature ${k + 1} of the model is '${names[k]}', column ${k + 1} of the design is '${cols[k]}': the model was not fitted on this design`);
    this.model = model;
    this.readOptions = readOptions ? { ...readOptions } : undefined;
  }

  /**
   * Build the design of `table` and fit the estimator on it. String transforms need the
   * expression engine (`await loadExpressionEngine()` first, or use {@link Pipeline.fitAsync}).
   */
  static fit(table: TableInput, options: PipelineFitOptions): Pipeline {
    const fn = 'Pipeline.fit';
    if (options === null || typeof options !== 'object') throw new ValueError(fn, 'options { design, model } are required');
    checkOptions(fn, options, ['design', 'model', 'y', 'sampleWeight', 'readOptions']);
    const design = buildDesign(table, options.design ?? {});
    const y = options.y ?? design.y;
    if (y === undefined) throw new ValueError(fn, 'no response: give design.target (a numeric column) or y');
    const model = new GroupLasso({ ...(options.model ?? {}), groups: design.groups, featureNames: design.columnNames });
    model.fit(design.X, y, options.sampleWeight);
    return new Pipeline(design, model, options.readOptions);
  }

  /** {@link Pipeline.fit} after loading the expression engine when a transform is a string. */
  static async fitAsync(table: TableInput, options: PipelineFitOptions): Promise<Pipeline> {
    const tr = options?.design?.transforms;
    const list = tr === undefined ? [] : Array.isArray(tr) ? tr.map((t) => t.expr) : Object.values(tr);
    if (list.some((e) => typeof e === 'string')) await loadExpressionEngine();
    return Pipeline.fit(table, options);
  }

  /** The coded design matrix of a new table (and its target, when the table has that column). */
  transform(table: TableInput): { X: DenseMatrix | SparseMatrix; y: Float64Array | undefined } {
    try {
      return this.design.transform(table);
    } catch (e) {
      if (e instanceof DataError) throw new DataError('Pipeline.predict', e.message.slice(e.fn.length + 2));
      throw e;
    }
  }

  /** Predictions on the response scale for a new raw table (see {@link GroupLasso.predict}). */
  predict(table: TableInput, options: PredictOptions = {}): Float64Array {
    return this.model.predict(this.transform(table).X, options);
  }

  /** The linear predictor X_new·w + b for a new raw table. */
  predictLinear(table: TableInput, options: PredictOptions = {}): Float64Array {
    return this.model.predictLinear(this.transform(table).X, options);
  }

  /** The most probable class per row (multinomial). */
  predictClass(table: TableInput): (number | string)[] {
    return this.model.predictClass(this.transform(table).X);
  }

  /** R² / D² on a new table (its target column, or `y`). */
  score(table: TableInput, y?: ResponseInput): number {
    const t = this.transform(table);
    const resp = y ?? t.y;
    if (resp === undefined) throw new ValueError('Pipeline.score', `the table has no target column '${this.design.target ?? ''}': pass y`);
    return this.model.score(t.X, resp);
  }

  summary(): string {
    return this.model.summary();
  }

  toString(): string {
    return this.summary();
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Pipeline (${this.design.inputColumns.length} input columns → ${this.design.columnNames.length} design columns)\n${this.summary()}`;
  }

  /** Plain JSON (versioned): the design coding, the fitted model and how to read new CSV files. */
  toJSON(): PipelineJSON {
    return {
      format: FORMAT, version: 1, design: typeof (this.source as Design).coding === 'function' ? (this.source as Design).coding() : structuredClone(this.source as DesignCoding),
      model: this.model.toJSON(),
      ...(this.readOptions ? { readOptions: { ...this.readOptions } } : {}),
    };
  }

  /**
   * Rebuild a pipeline from {@link Pipeline.toJSON} (an object or its text). Every part is checked:
   * a file of another kind, another version, or with a field missing or of the wrong type is
   * refused with a ValueError naming it. String transforms need the expression engine: use
   * {@link Pipeline.load} to have it loaded.
   */
  static fromJSON(json: unknown): Pipeline {
    const fn = 'Pipeline.fromJSON';
    let j: Record<string, unknown>;
    try {
      j = (typeof json === 'string' ? JSON.parse(json) : json) as Record<string, unknown>;
    } catch (e) {
      throw new ValueError(fn, `not JSON: ${(e as Error).message}`);
    }
    if (j === null || typeof j !== 'object') throw new ValueError(fn, 'expected a saved pipeline (a JSON object)');
    if (j.format !== FORMAT) {
      const hint = j.format === 'groupsparse.GroupLasso' ? ' (this is a bare model: load it with GroupLasso.fromJSON; it has no table coding)' : '';
      throw new ValueError(fn, `not a saved pipeline: format is ${JSON.stringify(j.format)}, expected '${FORMAT}'${hint}`);
    }
    if (j.version !== 1) throw new ValueError(fn, `pipeline version ${JSON.stringify(j.version)} is not supported (this version of groupsparse reads version 1)`);
    if (j.design === null || typeof j.design !== 'object') throw new ValueError(fn, 'the design coding is missing');
    if (j.model === null || typeof j.model !== 'object') throw new ValueError(fn, 'the model is missing');
    const ro = j.readOptions as PipelineReadOptions | undefined;
    if (ro !== undefined) {
      if (ro === null || typeof ro !== 'object') throw new ValueError(fn, 'readOptions must be an object');
      checkOptions(fn, ro, ['dates', 'naValues', 'strings']);
      if (ro.dates !== undefined && !['strings', 'error', 'numeric'].includes(ro.dates)) throw new ValueError(fn, `readOptions.dates must be 'strings', 'error' or 'numeric'`);
      for (const k of ['naValues', 'strings'] as const) {
        const v = ro[k];
        if (v !== undefined && (!Array.isArray(v) || v.some((s) => typeof s !== 'string'))) throw new ValueError(fn, `readOptions.${k} must be a list of strings`);
      }
    }
    const needsEngine = Array.isArray((j.design as DesignCoding).transforms) && (j.design as DesignCoding).transforms.length > 0;
    if (needsEngine && !expressionEngineLoaded()) {
      throw new ValueError(fn, "this pipeline has string transforms: call 'await loadExpressionEngine()' first, or use 'await Pipeline.load(json)'");
    }
    designFromCoding(j.design, fn); // refused here with this function's name, before the model is read
    return new Pipeline(j.design as DesignCoding, GroupLasso.fromJSON(j.model), ro);
  }

  /** {@link Pipeline.fromJSON}, loading the expression engine first when the pipeline needs it. */
  static async load(json: unknown): Promise<Pipeline> {
    const j = (typeof json === 'string' ? (() => { try { return JSON.parse(json); } catch { return json; } })() : json) as { design?: { transforms?: unknown[] } };
    if (Array.isArray(j?.design?.transforms) && j.design.transforms.length > 0) await loadExpressionEngine();
    return Pipeline.fromJSON(j);
  }
}
