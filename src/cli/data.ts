import { readCsv, parseNumber, type ReadCsvOptions } from '../data/csv.ts';
import { buildDesignAsync, type Design } from '../data/design.ts';
import { parseColumnSpecs } from '../data/spec.ts';
import { isNumericColumn, type Table } from '../data/table.ts';
import { GroupSparseError } from '../errors.ts';
import type { FlagValues } from './args.ts';
import { CliError } from './errors.ts';

/** Flags that say how a CSV file becomes a design (shared by every command that reads a table). */
export const DESIGN_FLAGS = {
  target: { type: 'string', arg: 'COL', help: 'the column to predict (required, except with --loss cox)' },
  time: { type: 'string', arg: 'COL', help: 'with --loss cox: follow-up times (> 0)' },
  status: { type: 'string', arg: 'COL', help: 'with --loss cox: 1 = event, 0 = censored' },
  weights: { type: 'string', arg: 'COL', help: 'sample weights (≥ 0), normalised to mean 1' },
  categorical: { type: 'string', arg: 'a,b[:ref=L]', help: 'dummy-coded groups (string columns are categorical anyway)' },
  expand: { type: 'string', arg: 'age:poly3,...', help: 'polyD (orthogonal), rawpolyD, bsDF, nsDF expansions' },
  transform: { type: 'string', multiple: true, arg: '"x2=min(x,2);..."', help: 'derived columns (mathjs expressions; repeatable)' },
  interactions: { type: 'string', arg: 'a:b,c*d*e', help: 'pairwise interaction groups' },
  drop: { type: 'string', arg: 'id,date', help: 'columns to leave out' },
  'drop-missing': { type: 'boolean', help: 'drop rows with a missing value (default: error)' },
} as const;

export type DesignValues = FlagValues<typeof DESIGN_FLAGS>;

/** Columns that look numeric but hold a stray non-number are refused (a typo, not a category). */
function checkNumericLooking(table: Table, file: string, categorical: Set<string>, readOpts: ReadCsvOptions): void {
  for (let k = 0; k < table.names.length; k++) {
    const name = table.names[k];
    const col = table.columns[k];
    if (isNumericColumn(col) || categorical.has(name)) continue;
    let numbers = 0;
    for (const s of col) if (!Number.isNaN(parseNumber(s))) numbers++;
    if (numbers > 0 && numbers >= col.length / 2) {
      // Re-read with the column declared numeric: readCsv names the line and the entry.
      try {
        readCsv(file, { ...readOpts, numeric: [name] });
      } catch (e) {
        if (e instanceof GroupSparseError) {
          throw new CliError(`${e.message.replace(/^readCsv: /, '')} (list the column in --categorical if it is a category)`);
        }
        throw e;
      }
    }
  }
}

/** What the model is fitted to: the response in the form its loss reads, and sample weights. */
export interface LoadedResponse {
  /** Numbers (squared, logistic, Poisson), class labels (multinomial) or { time, status } (Cox). */
  y: unknown;
  sampleWeight?: Float64Array;
  /** How the response is described in the output header. */
  describe: string;
}

/** A numeric column of the table, by flag (a clear error if absent or not numeric). */
function numericColumn(table: Table, file: string, name: string, flag: string, readOpts: ReadCsvOptions): Float64Array {
  if (!table.names.includes(name)) throw new CliError(`--${flag} column '${name}' is not in ${file}; columns are ${table.names.join(', ')}`);
  const col = table.columns[table.names.indexOf(name)];
  if (isNumericColumn(col)) return col;
  try {
    readCsv(file, { ...readOpts, numeric: [name] });
  } catch (e) {
    if (e instanceof GroupSparseError) throw new CliError(`--${flag} ${e.message.replace(/^readCsv: /, '')}`);
    throw e;
  }
  throw new CliError(`--${flag} column '${name}' is not numeric`);
}

/**
 * Read the CSV named on the command line and build the design the flags describe. The Cox model
 * takes `--time` and `--status` in place of `--target`; the multinomial takes a categorical target
 * (strings or whole numbers); every response column and the `--weights` column stay out of X.
 */
export async function loadDesign(file: string, v: DesignValues, loss = 'squared'): Promise<{ design: Design; table: Table; response: LoadedResponse }> {
  const readOpts: ReadCsvOptions = { source: 'path', missing: v['drop-missing'] ? 'drop-rows' : 'error' };
  const cox = loss === 'cox';
  if (cox) {
    if (v.target !== undefined) throw new CliError('--loss cox takes --time COL and --status COL in place of --target');
    if (v.time === undefined || v.status === undefined) throw new CliError('--loss cox needs --time COL and --status COL (status 1 = event, 0 = censored)');
  } else {
    if (v.time !== undefined || v.status !== undefined) throw new CliError('--time and --status go with --loss cox');
    if (v.target === undefined) throw new CliError('--target COL is required (the column to predict)');
  }
  const table = readCsv(file, readOpts);
  const responseCols = cox ? [v.time!, v.status!] : [v.target!];
  if (v.weights !== undefined) responseCols.push(v.weights);
  const sampleWeight = v.weights === undefined ? undefined : numericColumn(table, file, v.weights, 'weights', readOpts);
  if (cox || loss === 'multinomial') {
    let y: unknown;
    let describe: string;
    if (cox) {
      const time = numericColumn(table, file, v.time!, 'time', readOpts);
      const status = numericColumn(table, file, v.status!, 'status', readOpts);
      y = { time, status };
      let events = 0;
      for (let i = 0; i < status.length; i++) events += status[i] === 1 ? 1 : 0;
      describe = `time ${v.time}, status ${v.status} (${events} events)`;
    } else {
      const target = v.target!;
      if (!table.names.includes(target)) throw new CliError(`target column '${target}' is not in ${file}; columns are ${table.names.join(', ')}`);
      y = table.columns[table.names.indexOf(target)];
      describe = `target ${target}`;
    }
    const dropped = [v.drop, ...responseCols].filter(Boolean).join(',');
    const categorical = new Set((v.categorical ?? '').split(',').map((s) => s.trim().replace(/:ref=.*$/, '')).filter(Boolean));
    checkNumericLooking(table, file, new Set([...categorical, ...responseCols]), readOpts);
    const specs = parseColumnSpecs({
      categorical: v.categorical, expand: v.expand, transform: v.transform, interactions: v.interactions, drop: dropped,
    }, table);
    const design = await buildDesignAsync(table, { columns: specs.columns, transforms: specs.transforms });
    return { design, table, response: { y, sampleWeight, describe } };
  }
  const target = v.target!;
  if (!table.names.includes(target)) {
    throw new CliError(`target column '${target}' is not in ${file}; columns are ${table.names.join(', ')}`);
  }
  const tcol = table.columns[table.names.indexOf(target)];
  if (!isNumericColumn(tcol)) {
    try {
      readCsv(file, { ...readOpts, numeric: [target] });
    } catch (e) {
      if (e instanceof GroupSparseError) throw new CliError(`the target ${e.message.replace(/^readCsv: /, '')}`);
      throw e;
    }
  }
  const categorical = new Set((v.categorical ?? '').split(',').map((s) => s.trim().replace(/:ref=.*$/, '')).filter(Boolean));
  if (v.weights !== undefined) categorical.add(v.weights);
  checkNumericLooking(table, file, categorical, readOpts);
  const specs = parseColumnSpecs({
    categorical: v.categorical, expand: v.expand, transform: v.transform, interactions: v.interactions,
    drop: v.weights === undefined ? v.drop : [v.drop, v.weights].filter(Boolean).join(','),
  }, table, target);
  const design = await buildDesignAsync(table, { target, columns: specs.columns, transforms: specs.transforms });
  return { design, table, response: { y: design.y, sampleWeight, describe: `target ${target}` } };
}
