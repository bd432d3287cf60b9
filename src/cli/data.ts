import { readCsv, parseNumber, type ReadCsvOptions } from '../data/csv.ts';
import { buildDesignAsync, type Design } from '../data/design.ts';
import { parseColumnSpecs } from '../data/spec.ts';
import { isNumericColumn, type Table } from '../data/table.ts';
import { GroupSparseError } from '../errors.ts';
import type { FlagValues } from './args.ts';
import { CliError } from './errors.ts';

/** Flags that say how a CSV file becomes a design (shared by every command that reads a table). */
export const DESIGN_FLAGS = {
  target: { type: 'string', arg: 'COL', help: 'the column to predict (required)' },
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

/** Read the CSV named on the command line and build the design the flags describe. */
export async function loadDesign(file: string, v: DesignValues): Promise<{ design: Design; table: Table }> {
  const target = v.target;
  if (target === undefined) throw new CliError('--target COL is required (the column to predict)');
  const readOpts: ReadCsvOptions = { source: 'path', missing: v['drop-missing'] ? 'drop-rows' : 'error' };
  const table = readCsv(file, readOpts);
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
  checkNumericLooking(table, file, categorical, readOpts);
  const specs = parseColumnSpecs({
    categorical: v.categorical, expand: v.expand, transform: v.transform, interactions: v.interactions, drop: v.drop,
  }, table, target);
  const design = await buildDesignAsync(table, { target, columns: specs.columns, transforms: specs.transforms });
  return { design, table };
}
