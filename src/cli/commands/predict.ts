import { readCsv, type ReadCsvOptions } from '../../data/csv.ts';
import { tableFromColumns, type Table } from '../../data/table.ts';
import { tokenizeCsv } from '../../data/tokenize.ts';
import { DataError, GroupSparseError } from '../../errors.ts';
import { Pipeline } from '../../estimators/pipeline.ts';
import { readTextFile } from '../../util/host.ts';
import type { Command } from '../command.ts';
import { asFlags, decimalOf, delimiterOf } from '../data.ts';
import { CliError } from '../errors.ts';
import { foldList } from '../format.ts';
import { checkOutputs, writeOutput } from '../outputs.ts';
import { choiceFlag, listFlag } from '../values.ts';
import { COMMON_FLAGS } from './common.ts';

const FLAGS = {
  out: { type: 'string', arg: 'FILE.csv', help: 'write the predictions here (default: standard output)' },
  type: { type: 'string', arg: 'response|link', help: 'the mean / probability / risk (default), or the linear predictor Xw + b' },
  keep: { type: 'string', arg: 'id,...', help: 'copy these columns of the input into the output (row ids)' },
  'drop-missing': { type: 'boolean', help: 'skip rows with a missing value in a column the model reads (default: error)' },
  delimiter: { type: 'string', arg: 'auto|,|;|tab|"|"', help: 'field separator of the new file (default auto)' },
  decimal: { type: 'string', arg: 'auto|.|,', help: 'decimal mark of the new file (default auto)' },
} as const;

type Values = { out?: string; type?: string; keep?: string; 'drop-missing'?: boolean; delimiter?: string; decimal?: string; force?: boolean };

/** Column names of the output for a model's loss. */
function outputNames(loss: string, type: 'response' | 'link', classes: (number | string)[] | undefined): string[] {
  if (classes) return classes.map((c) => `${type === 'link' ? 'link' : 'p'}_${String(c)}`);
  if (type === 'link') return ['link'];
  return [loss === 'logistic' ? 'probability' : loss === 'poisson' ? 'mean' : loss === 'cox' ? 'risk' : 'prediction'];
}

/** A CSV field: quoted when it holds the delimiter, a quote or a line break. */
function field(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const predictCommand: Command = {
  name: 'predict',
  summary: "score a new CSV file with a model saved by 'fit --save' (or 'path --save')",
  usage: ['predict <model.json> <new.csv | -> [--out FILE.csv] [--type response|link] [--keep id]'],
  sections: [{ title: 'Options', flags: { ...FLAGS, ...COMMON_FLAGS } }],
  notes: [
    'The new file is coded as the training file was: the same levels and reference, polynomial and spline',
    'bases, transforms; it needs the columns the model reads (the response may be absent). A level the fit',
    "never saw is refused unless the fit used '--unseen zero'. Numbers are written in full precision.",
    'Example:',
    '  groupsparse fit birthwt.csv --target bwt --categorical race --cv 5 --save model.json',
    '  groupsparse predict model.json new.csv --out predictions.csv --keep id',
  ],
  async run(values, positionals, io) {
    const v = values as Values;
    const [modelFile, dataFile, ...rest] = positionals;
    if (modelFile === undefined) throw new CliError("predict: the model file is missing ('groupsparse predict --help')");
    if (dataFile === undefined) throw new CliError("predict: the CSV file to score is missing (a file name, or - for standard input)");
    if (rest.length > 0) throw new CliError(`unexpected argument '${rest[0]}'`);
    if (modelFile === '-') throw new CliError('predict: the model must be a file (standard input is for the data)');
    const type = choiceFlag(v.type, 'type', ['response', 'link'] as const) ?? 'response';
    if (v.out !== undefined) checkOutputs([{ flag: 'out', path: v.out, extensions: ['.csv'] }], { force: v.force, inputs: [modelFile, dataFile] });
    const keep = listFlag(v.keep, 'keep');

    const pipe = await Pipeline.load(readTextFile('predict', modelFile)).catch((e: unknown) => {
      if (e instanceof GroupSparseError) throw new CliError(`${modelFile}: ${e.message}`);
      throw e;
    });
    const source = dataFile === '-' ? 'standard input' : `'${dataFile}'`;
    const text = dataFile === '-' ? await io.readStdin() : readTextFile('readCsv', dataFile);
    if (text.trim() === '') throw new CliError(`${source} is empty`);
    const delimiter = delimiterOf(v.delimiter, text);
    const decimal = decimalOf(v.decimal, delimiter, text);
    const end = text.search(/\r?\n/);
    let header: string[];
    try {
      header = (tokenizeCsv('predict', end < 0 ? text : text.slice(0, end), delimiter, 'the header').records[0] ?? []).map((h) => h.trim());
    } catch (e) {
      if (e instanceof GroupSparseError) throw new CliError(`${source}: ${e.message.replace(/^predict: /, '')}`);
      throw e;
    }
    const needed = pipe.design.inputColumns;
    const absent = needed.filter((c) => !header.includes(c));
    if (absent.length > 0) {
      throw new CliError(`${source} has no column ${absent.map((c) => `'${c}'`).join(', ')}, which the model reads (it reads ${foldList(needed, { maxItems: 20 })}); its columns are ${foldList([...header], { maxItems: 20 })}`);
    }
    for (const k of keep) if (!header.includes(k)) throw new CliError(`--keep: ${source} has no column '${k}'`);
    const ro = pipe.readOptions ?? {};
    const read = [...new Set([...needed, ...keep])];
    const opts: ReadCsvOptions = {
      source: 'text', delimiter, decimal, columns: read, missing: v['drop-missing'] ? 'drop-rows' : 'error',
      dates: ro.dates === 'numeric' ? 'numeric' : 'error',
      // Kept id columns as text ('007' stays '007'), unless the model reads them.
      strings: [...new Set([...(ro.strings ?? []).filter((c) => read.includes(c)), ...keep.filter((k) => !needed.includes(k))])],
      ...(ro.naValues ? { naValues: ro.naValues } : {}),
    };
    let table: Table;
    try {
      table = readCsv(text, opts);
    } catch (e) {
      if (e instanceof GroupSparseError) throw new CliError(asFlags(e.message.replace(/the CSV text/g, source)));
      throw e;
    }
    if (table.droppedLines.length > 0) {
      io.stderr(`groupsparse: skipped ${table.droppedLines.length} of ${table.nRows + table.droppedLines.length} rows with a missing value in a column the model reads (lines ${foldList(table.droppedLines.map(String), { maxItems: 10 })})\n`);
    }
    if (table.nRows === 0) throw new CliError(`${source} has no rows to score`);
    // Only the model's columns go to the pipeline: a kept id column is not an input.
    const inputs = tableFromColumns(Object.fromEntries(needed.map((c) => [c, table.columns[table.names.indexOf(c)]])), 'predict');
    let out: Float64Array;
    try {
      out = type === 'link' ? pipe.predictLinear(inputs) : pipe.predict(inputs);
    } catch (e) {
      if (e instanceof DataError) {
        throw new CliError(e.message.replace(/^Pipeline\.predict: /, '')
          .replace(/at row (\d+)/, (_, r) => `on data row ${r}`)
          .replace("use { unseen: 'zero' } in its spec to code it like the reference", 'a model fitted with --unseen zero codes such levels like the reference'));
      }
      throw e;
    }
    const names = outputNames(pipe.model.loss, type, pipe.model.classes);
    const n = table.nRows;
    const K = names.length;
    const keepCols = keep.map((k) => table.columns[table.names.indexOf(k)]);
    const lines = [[...keep, ...names].map(field).join(',')];
    for (let i = 0; i < n; i++) {
      const row = keepCols.map((c) => field(String(c[i])));
      for (let k = 0; k < K; k++) row.push(String(out[k * n + i]));
      lines.push(row.join(','));
    }
    const csv = lines.join('\n') + '\n';
    if (v.out !== undefined) {
      writeOutput(v.out, csv);
      io.stderr(`groupsparse: wrote ${n} predictions to ${v.out}\n`);
    } else io.stdout(csv);
    return 0;
  },
};
