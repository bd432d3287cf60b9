import { readCsv, parseNumber, type ReadCsvOptions } from '../data/csv.ts';
import { tokenizeCsv } from '../data/tokenize.ts';
import { readTextFile } from '../util/host.ts';
import type { CliIO } from './command.ts';
import { foldList } from './format.ts';
import { choiceFlag, listFlag, numberFlag } from './values.ts';
import { buildDesignAsync, type Design } from '../data/design.ts';
import { compileExpression, loadExpressionEngine } from '../data/expressions.ts';
import { parseColumnSpecs } from '../data/spec.ts';
import { isNumericColumn, type Table } from '../data/table.ts';
import { GroupSparseError } from '../errors.ts';
import type { PipelineReadOptions } from '../estimators/pipeline.ts';
import type { FlagValues } from './args.ts';
import { CliError } from './errors.ts';

/** Entries (n · p) from which the CLI keeps a one-hot-heavy design in CSC (32 MB dense). */
const SPARSE_CLI_ENTRIES = 2 ** 22;

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
  'drop-missing': { type: 'boolean', help: 'drop rows with a missing value in a used column (default: error)' },
  delimiter: { type: 'string', arg: 'auto|,|;|tab|"|"', help: 'field separator (default auto: from the header line)' },
  decimal: { type: 'string', arg: 'auto|.|,', help: "decimal mark (default auto: ',' in a ';' file whose numbers use it)" },
  dates: { type: 'string', arg: 'error|numeric', help: 'date columns: refused (default) or days since 1970-01-01' },
  'max-levels': { type: 'string', arg: 'N', help: 'string columns with more levels need --categorical (default 50)' },
  unseen: { type: 'string', arg: 'error|zero', help: "a level 'predict' meets that the fit never saw: refused (default) or coded as the reference" },
} as const;

export type DesignValues = FlagValues<typeof DESIGN_FLAGS>;

/** Columns that look numeric but hold a stray non-number are refused (a typo, not a category). */
function checkNumericLooking(table: Table, categorical: Set<string>, reread: (name: string) => Table): void {
  for (let k = 0; k < table.names.length; k++) {
    const name = table.names[k];
    const col = table.columns[k];
    if (isNumericColumn(col) || categorical.has(name)) continue;
    let numbers = 0;
    for (const s of col) if (!Number.isNaN(parseNumber(s))) numbers++;
    if (numbers > 0 && numbers >= col.length / 2) {
      // Re-read with the column declared numeric: readCsv names the line and the entry.
      try {
        reread(name);
      } catch (e) {
        if (e instanceof CliError) throw new CliError(`${e.message} (list the column in --categorical if it is a category)`);
        throw e;
      }
    }
  }
}

/** The delimiter that splits the header line into the most fields (quotes respected by the tokenizer). */
function sniffDelimiter(text: string): string {
  const end = text.search(/\r?\n/);
  const head = end < 0 ? text : text.slice(0, end);
  let best = ',';
  let most = 1;
  for (const d of [',', ';', '\t', '|']) {
    let k: number;
    try {
      k = tokenizeCsv('readCsv', head, d, 'the header').records[0]?.length ?? 1;
    } catch {
      continue;
    }
    if (k > most) {
      best = d;
      most = k;
    }
  }
  return best;
}

export function delimiterOf(v: string | undefined, text: string): string {
  if (v === undefined || v === 'auto') return sniffDelimiter(text);
  if (v === 'tab' || v === '\\t') return '\t';
  if (v.length !== 1 || /[\r\n"]/.test(v)) throw new CliError(`--delimiter must be auto, tab or one character (not a quote or line break), got '${v}'`);
  return v;
}

/** ',' when fields are not comma-separated and a number is written with a decimal comma. */
export function decimalOf(v: string | undefined, delimiter: string, text: string): '.' | ',' {
  const d = choiceFlag(v, 'decimal', ['auto', '.', ','] as const) ?? 'auto';
  if (d !== 'auto') {
    if (d === ',' && delimiter === ',') throw new CliError("--decimal , needs another --delimiter (the fields are comma-separated)");
    return d;
  }
  if (delimiter === ',') return '.';
  const sample = text.slice(0, 200_000);
  const sep = delimiter === '\t' ? '\\t' : delimiter.replace(/[|]/g, '\\|');
  return new RegExp(`(^|${sep})\\s*-?\\d+,\\d+\\s*(${sep}|\\r?$)`, 'm').test(sample) ? ',' : '.';
}

/** A readCsv message with its JS option hints turned into the flags that do the same. */
export function asFlags(message: string): string {
  return message.replace(/^readCsv: /, '')
    .replace("use { missing: 'drop-rows' } to drop such rows", 'add --drop-missing to drop such rows, or --drop the column')
    .replace("with { dates: 'numeric' } (days since 1970-01-01) or leave the column out", 'with --dates numeric (days since 1970-01-01), or --drop the column')
    .replace("use { duplicateNames: 'rename' } to make names unique", 'rename the column in the file')
    .replace(/use \{ duplicateNames: 'rename' \} to name it V\d+/, 'name the column in the file, or remove the extra delimiter');
}

/** What the model is fitted to: the response in the form its loss reads, and sample weights. */
export interface LoadedResponse {
  /** Numbers (squared, logistic, Poisson), class labels (multinomial) or { time, status } (Cox). */
  y: unknown;
  sampleWeight?: Float64Array;
  /** How the response is described in the output header. */
  describe: string;
}

/**
 * Read the CSV named on the command line (`-`: standard input) and build the design the flags
 * describe. The Cox model takes `--time` and `--status` in place of `--target`; the multinomial
 * takes a categorical target (strings or whole numbers); every response column and the
 * `--weights` column stay out of X.
 */
export async function loadDesign(
  file: string, v: DesignValues, io: CliIO, loss = 'squared',
): Promise<{ design: Design; table: Table; source: string; response: LoadedResponse; readOptions: PipelineReadOptions }> {
  const cox = loss === 'cox';
  const multinomial = loss === 'multinomial';
  if (cox) {
    if (v.target !== undefined) throw new CliError('--loss cox takes --time COL and --status COL in place of --target');
    if (v.time === undefined || v.status === undefined) throw new CliError('--loss cox needs --time COL and --status COL (status 1 = event, 0 = censored)');
  } else {
    if (v.time !== undefined || v.status !== undefined) throw new CliError('--time and --status go with --loss cox');
    if (v.target === undefined) throw new CliError('--target COL is required (the column to predict)');
  }
  // One column cannot play two parts: weights equal to the response would fit y against itself
  // (and vanish from X), a time equal to the status is no survival data.
  const parts: [string, string | undefined][] = cox ? [['time', v.time], ['status', v.status], ['weights', v.weights]] : [['target', v.target], ['weights', v.weights]];
  for (let i = 0; i < parts.length; i++) {
    for (let j = i + 1; j < parts.length; j++) {
      if (parts[i][1] !== undefined && parts[i][1] === parts[j][1]) throw new CliError(`--${parts[j][0]} '${parts[j][1]}' is also the --${parts[i][0]} column; give each its own column`);
    }
  }
  const target = v.target;
  const source = file === '-' ? '<stdin>' : file;
  const text = file === '-' ? await io.readStdin() : readTextFile('readCsv', file);
  if (text.trim() === '') throw new CliError(`${file === '-' ? 'standard input' : `'${file}'`} is empty`);
  const delimiter = delimiterOf(v.delimiter, text);
  const decimal = decimalOf(v.decimal, delimiter, text);
  const dates = choiceFlag(v.dates, 'dates', ['error', 'numeric'] as const) ?? 'error';
  const unseen = choiceFlag(v.unseen, 'unseen', ['error', 'zero'] as const) ?? 'error';
  const maxLevels = numberFlag(v['max-levels'], 'max-levels', (x) => Number.isInteger(x) && x >= 2, 'a whole number ≥ 2') ?? 50;
  const header = (() => {
    try {
      return readCsv(text, { source: 'text', delimiter, decimal, missing: 'drop-rows', dates: 'strings' }).names;
    } catch {
      return undefined; // the full read below reports the problem
    }
  })();
  // Only the columns the model uses: a missing value in a dropped column does not matter.
  const dropped = new Set(listFlag(v.drop, 'drop'));
  const transform = v.transform?.flatMap((t) => t.split(';')).map((t) => t.trim()).filter((t) => t !== '');
  // A dropped column that a transform reads is still read (`--drop ptl --transform ptl2=min(ptl,2)`):
  // it stays out of X, its derived column goes in.
  const readByTransforms = new Set<string>();
  if (transform && transform.length > 0 && dropped.size > 0) {
    await loadExpressionEngine();
    for (const t of transform) {
      const eq = t.indexOf('=');
      if (eq <= 0) continue; // parseColumnSpecs names the malformed item
      try {
        for (const s of compileExpression(t.slice(eq + 1), 'transform').symbols) if (dropped.has(s)) readByTransforms.add(s);
      } catch {
        // a bad expression is reported where the design is built
      }
    }
  }
  const used = header?.filter((c) => !dropped.has(c) || readByTransforms.has(c));
  for (const d of dropped) {
    if (header && !header.includes(d)) throw new CliError(`--drop: unknown column '${d}'; columns are ${foldList(header, { maxItems: 30 })}`);
  }
  const readOpts: ReadCsvOptions = {
    source: 'text', delimiter, decimal, dates, missing: v['drop-missing'] ? 'drop-rows' : 'error',
    ...(used && dropped.size > 0 ? { columns: used } : {}),
  };
  const read = (extra: ReadCsvOptions = {}): Table => {
    try {
      return readCsv(text, { ...readOpts, ...extra });
    } catch (e) {
      if (e instanceof GroupSparseError) throw new CliError(asFlags(e.message.replace(/the CSV text/g, source === '<stdin>' ? 'standard input' : `'${source}'`)));
      throw e;
    }
  };
  const table = read();
  if (table.droppedLines.length > 0) {
    io.stderr(`groupsparse: dropped ${table.droppedLines.length} of ${table.nRows + table.droppedLines.length} rows with a missing value in a used column (lines ${foldList(table.droppedLines.map(String), { maxItems: 10 })})\n`);
  }
  /** A numeric column named by a flag (a clear error if absent or not numeric). */
  const numericColumn = (name: string, flag: string): Float64Array => {
    if (!table.names.includes(name)) throw new CliError(`--${flag} column '${name}' is not in ${source}; columns are ${foldList(table.names, { maxItems: 30 })}`);
    const col = table.columns[table.names.indexOf(name)];
    if (isNumericColumn(col)) return col;
    try {
      readCsv(text, { ...readOpts, numeric: [name] });
    } catch (e) {
      if (e instanceof GroupSparseError) throw new CliError(`--${flag} ${asFlags(e.message)}`);
      throw e;
    }
    throw new CliError(`--${flag} column '${name}' is not numeric`);
  };
  const responseCols = cox ? [v.time!, v.status!] : [target!];
  if (v.weights !== undefined) responseCols.push(v.weights);
  const sampleWeight = v.weights === undefined ? undefined : numericColumn(v.weights, 'weights');
  let y: unknown;
  let describe: string;
  if (cox) {
    const time = numericColumn(v.time!, 'time');
    const status = numericColumn(v.status!, 'status');
    y = { time, status };
    let events = 0;
    for (let i = 0; i < status.length; i++) events += status[i] === 1 ? 1 : 0;
    describe = `time ${v.time}, status ${v.status} (${events} events)`;
  } else {
    if (!table.names.includes(target!)) {
      throw new CliError(`target column '${target}' is not in ${source}; columns are ${foldList(table.names, { maxItems: 30 })}`);
    }
    const tcol = table.columns[table.names.indexOf(target!)];
    if (!multinomial && !isNumericColumn(tcol)) {
      try {
        readCsv(text, { ...readOpts, numeric: [target!] });
      } catch (e) {
        if (e instanceof GroupSparseError) throw new CliError(`the target ${asFlags(e.message)}`);
        throw e;
      }
    }
    y = multinomial ? tcol : undefined; // the design's y for the other losses
    describe = `target ${target}`;
  }
  const responseSet = new Set(responseCols);
  const categorical = new Set((v.categorical ?? '').split(',').map((s) => s.trim().replace(/:ref=.*$/, '')).filter(Boolean));
  checkNumericLooking(table, new Set([...categorical, ...responseSet]), (name) => read({ numeric: [name] }));
  // A string column with very many levels is an id, a name or free text, not a category to dummy-code.
  for (let k = 0; k < table.names.length; k++) {
    const name = table.names[k];
    const col = table.columns[k];
    if (isNumericColumn(col) || categorical.has(name) || responseSet.has(name)) continue;
    const levels = new Set(col).size;
    if (levels > maxLevels) {
      throw new CliError(`column '${name}' has ${levels} distinct values (an id or free text?); it would become ${levels - 1} dummy columns: --drop it, or list it in --categorical to use it anyway (or raise --max-levels)`);
    }
  }
  // Response columns other than a numeric target stay out of X.
  const designTarget = cox || multinomial ? undefined : target;
  const outOfX = [...responseCols.filter((c) => c !== designTarget), ...readByTransforms];
  const specs = parseColumnSpecs({
    categorical: v.categorical, expand: v.expand, transform, interactions: v.interactions,
    ...(outOfX.length > 0 ? { drop: outOfX.join(',') } : {}),
  }, table, designTarget);
  const columns = unseen === 'error' ? specs.columns : specs.columns.map((c) => (c.type === 'categorical' ? { ...c, unseen } : c));
  // Large one-hot-heavy designs (a wide categorical) in CSC: dense, a 5000-level column is
  // n × 4999 doubles to write, standardize and fit on. Small ones stay dense, where the dense
  // kernels are faster and nothing is big.
  const designOptions = { ...(designTarget !== undefined ? { target: designTarget } : {}), columns, transforms: specs.transforms };
  let design = await buildDesignAsync(table, { ...designOptions, sparse: 'auto' });
  if (design.X.rows * design.X.cols < SPARSE_CLI_ENTRIES) design = await buildDesignAsync(table, { ...designOptions, sparse: false });
  // How 'predict' must read a new file: the same dates policy, and category codes that were text
  // here kept as text there ('01' must not become the number 1).
  const textCategories = columns.filter((c) => c.type === 'categorical' && !isNumericColumn(table.columns[table.names.indexOf(c.column)])).map((c) => (c as { column: string }).column);
  const readOptions: PipelineReadOptions = { dates: dates === 'numeric' ? 'numeric' : 'error', ...(textCategories.length ? { strings: textCategories } : {}) };
  return { design, table, source, response: { y: y ?? design.y, sampleWeight, describe }, readOptions };
}
