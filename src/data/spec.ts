import { OptionError } from '../errors.ts';
import { checkOptions } from '../util/validate.ts';
import { allPairs, type ColumnSpec, type TransformSpec } from './design.ts';
import { isNumericColumn, type Table } from './table.ts';

/** The compact, command-line form of a design (each field is the value of one flag). */
export interface ColumnSpecFlags {
  /** `race,ftv` or with a reference level `race:ref=3,ftv`. */
  categorical?: string;
  /** `age:poly3,lwt:rawpoly2,x:bs4,z:ns3`. */
  expand?: string;
  /** `ptl2=min(ptl,2)`; several separated by ';' (or given as an array). */
  transform?: string | readonly string[];
  /** Pairs `age:lwt,age:smoke`, or all pairs of a set `age*lwt*smoke`. */
  interactions?: string;
  /** Columns to leave out: `id,date`. */
  drop?: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;

function splitList(s: string | undefined, flag: string, fn: string): string[] {
  if (s === undefined) return [];
  if (typeof s !== 'string') throw new OptionError(fn, `--${flag} must be a string`);
  const items = s.split(',').map((x) => x.trim());
  if (items.some((x) => x === '')) throw new OptionError(fn, `--${flag} '${s}' has an empty item`);
  return items;
}

/**
 * Parse the compact syntax of the command line into column specs and transforms for
 * {@link buildDesign}:
 *
 * `--categorical race,ftv:ref=0 --expand age:poly3,lwt:bs4 --transform "ptl2=min(ptl,2)" --interactions age*lwt`
 *
 * Expansions: `polyD` (orthogonal, R's poly), `rawpolyD`, `bsDF`, `nsDF`. With the table's column
 * names (and the target), every other column is included: as listed, or numeric by default; a
 * transform whose name is new adds a column (its inputs stay unless listed in `drop`). Given the
 * table itself, unlisted string columns default to categorical. Without names only the listed
 * columns get specs. Malformed items throw an OptionError naming the item.
 *
 * @example
 * parseColumnSpecs({ categorical: 'race', expand: 'age:poly3' }, ['age', 'race', 'bwt'], 'bwt').columns;
 * // returns [{ type: 'poly', column: 'age', degree: 3 }, { type: 'categorical', column: 'race' }]
 */
export function parseColumnSpecs(
  flags: ColumnSpecFlags, namesOrTable?: readonly string[] | Table, target?: string,
): { columns: ColumnSpec[]; transforms: TransformSpec[] } {
  const fn = 'parseColumnSpecs';
  if (flags === null || typeof flags !== 'object' || Array.isArray(flags)) {
    throw new OptionError(fn, `flags must be an object ({ categorical, expand, transform, interactions, drop }), got ${flags === null ? 'null' : Array.isArray(flags) ? 'an array' : typeof flags}`);
  }
  const table = namesOrTable !== undefined && !Array.isArray(namesOrTable) ? (namesOrTable as Table) : undefined;
  const names = table ? table.names : (namesOrTable as readonly string[] | undefined);
  const isString = (c: string) => {
    const k = table ? table.names.indexOf(c) : -1;
    return k >= 0 && !isNumericColumn(table!.columns[k]);
  };
  checkOptions(fn, flags, ['categorical', 'expand', 'transform', 'interactions', 'drop']);
  const transforms: TransformSpec[] = [];
  const trItems = flags.transform === undefined ? [] : typeof flags.transform === 'string' ? flags.transform.split(';') : [...flags.transform];
  for (const raw of trItems) {
    if (typeof raw !== 'string') throw new OptionError(fn, '--transform items must be strings');
    const item = raw.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    const name = eq > 0 ? item.slice(0, eq).trim() : '';
    const expr = eq > 0 ? item.slice(eq + 1).trim() : '';
    if (!NAME.test(name) || expr === '' || expr.startsWith('=')) {
      throw new OptionError(fn, `--transform '${item}' must read name=expression, e.g. ptl2=min(ptl,2)`);
    }
    transforms.push({ name, expr });
  }
  const available = names ? [...names, ...transforms.map((t) => t.name).filter((t) => !names.includes(t))] : undefined;
  const checkColumn = (c: string, flag: string) => {
    if (!NAME.test(c)) throw new OptionError(fn, `--${flag}: '${c}' is not a column name`);
    if (available && !available.includes(c)) {
      throw new OptionError(fn, `--${flag}: unknown column '${c}'; columns are ${available.join(', ')}`);
    }
    if (c === target) throw new OptionError(fn, `--${flag}: '${c}' is the target`);
  };

  const bySource = new Map<string, ColumnSpec>();
  for (const item of splitList(flags.categorical, 'categorical', fn)) {
    const m = /^([^:]+)(?::ref=(.+))?$/.exec(item);
    if (!m) throw new OptionError(fn, `--categorical '${item}' must read column or column:ref=LEVEL`);
    checkColumn(m[1], 'categorical');
    if (bySource.has(m[1])) throw new OptionError(fn, `column '${m[1]}' is listed twice`);
    bySource.set(m[1], m[2] !== undefined ? { type: 'categorical', column: m[1], reference: m[2] } : { type: 'categorical', column: m[1] });
  }
  for (const item of splitList(flags.expand, 'expand', fn)) {
    const m = /^([^:]+):(poly|rawpoly|bs|ns)(\d+)$/.exec(item);
    if (!m) throw new OptionError(fn, `--expand '${item}' must read column:polyD, column:rawpolyD, column:bsDF or column:nsDF (e.g. age:poly3)`);
    checkColumn(m[1], 'expand');
    if (bySource.has(m[1])) throw new OptionError(fn, `column '${m[1]}' is listed twice`);
    const k = Number(m[3]);
    if (k < 1) throw new OptionError(fn, `--expand '${item}': the degree / df must be ≥ 1`);
    const spec: ColumnSpec = m[2] === 'poly' ? { type: 'poly', column: m[1], degree: k }
      : m[2] === 'rawpoly' ? { type: 'poly', column: m[1], degree: k, raw: true }
      : { type: m[2] as 'bs' | 'ns', column: m[1], df: k };
    bySource.set(m[1], spec);
  }
  const interactions: ColumnSpec[] = [];
  for (const item of splitList(flags.interactions, 'interactions', fn)) {
    if (item.includes('*')) {
      const set = item.split('*').map((x) => x.trim());
      if (set.length < 2 || set.some((x) => x === '') || new Set(set).size !== set.length) {
        throw new OptionError(fn, `--interactions '${item}' must list two or more distinct columns: a*b*c`);
      }
      set.forEach((c) => checkColumn(c, 'interactions'));
      interactions.push(...allPairs(set));
    } else {
      const pair = item.split(':').map((x) => x.trim());
      if (pair.length !== 2 || pair[0] === '' || pair[1] === '' || pair[0] === pair[1]) {
        throw new OptionError(fn, `--interactions '${item}' must read a:b (two distinct columns) or a*b*c`);
      }
      pair.forEach((c) => checkColumn(c, 'interactions'));
      interactions.push({ type: 'interaction', columns: [pair[0], pair[1]] });
    }
  }
  const drop = splitList(flags.drop, 'drop', fn);
  drop.forEach((c) => checkColumn(c, 'drop'));
  for (const c of drop) if (bySource.has(c)) throw new OptionError(fn, `column '${c}' is both dropped and specified`);

  const columns: ColumnSpec[] = [];
  if (available) {
    for (const c of available) {
      if (c === target || drop.includes(c)) continue;
      columns.push(bySource.get(c) ?? (isString(c) ? { type: 'categorical', column: c } : { type: 'numeric', column: c }));
    }
  } else {
    columns.push(...bySource.values());
  }
  columns.push(...interactions);
  return { columns, transforms };
}
