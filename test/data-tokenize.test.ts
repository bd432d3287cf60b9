import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataError } from '../src/index.ts';
import { tokenizeCsv } from '../src/data/tokenize.ts';

/** A field as written in the file, and the value a reader must return for it. */
const field = (delimiter: string) => fc.oneof(
  // Unquoted: no delimiter, quote or line break; blanks around it are trimmed.
  fc.tuple(fc.string({ unit: fc.constantFrom('a', 'Z', '0', '7', '.', 'é', '_', '-', ' '), maxLength: 7 }), fc.constantFrom('', ' ', '  ', delimiter === '\t' ? ' ' : '\t'), fc.constantFrom('', ' '))
    .map(([v, pre, post]) => ({ raw: pre + v + post, value: v.trim() })),
  // Quoted: anything goes inside, quotes doubled.
  fc.tuple(fc.string({ unit: fc.constantFrom('a', ' ', '"', '\n', '\r\n', delimiter, 'ü', '1'), maxLength: 6 }), fc.constantFrom('', ' '))
    .map(([v, pre]) => ({ raw: `${pre}"${v.replaceAll('"', '""')}"${pre}`, value: v })),
);

describe('tokenizeCsv against csv-parse', () => {
  it('splits random tables (quotes, delimiters, CRLF, blank lines, BOM) as csv-parse does', () => {
    const tableArb = fc.constantFrom(',', ';', '\t', '|').chain((delimiter) => fc.integer({ min: 2, max: 4 }).chain((p) => fc.record({
      delimiter: fc.constant(delimiter),
      table: fc.array(fc.array(field(delimiter), { minLength: p, maxLength: p }), { minLength: 1, maxLength: 6 }),
    })));
    fc.assert(fc.property(
      tableArb, fc.constantFrom('\n', '\r\n'), fc.boolean(), fc.boolean(),
      ({ delimiter, table }, eol, bom, blankLines) => {
        let text = bom ? '\uFEFF' : '';
        table.forEach((row, r) => {
          text += row.map((f) => f.raw).join(delimiter) + eol;
          if (blankLines && r % 2 === 0) text += eol;
        });
        const ours = tokenizeCsv('t', text, delimiter, 'the text').records;
        // csv-parse trims only spaces around a tab-separated field if told to trim, and then refuses a
        // blank before a quote: compare with it on the other delimiters.
        if (delimiter !== '\t') {
          expect(ours).toEqual(parse(text, { bom: true, delimiter, relax_column_count: true, skip_empty_lines: true, trim: true }));
        }
        expect(ours).toEqual(table.map((row) => row.map((f) => f.value)));
      },
    ), { numRuns: 300, seed: 20261201 });
  });

  it('reports the line a record starts on, counting line breaks inside quotes', () => {
    const { records, lines } = tokenizeCsv('t', 'a,b\n"x\ny",1\n\n2,3\r\n4,5', ',', 'the text');
    expect(records).toEqual([['a', 'b'], ['x\ny', '1'], ['2', '3'], ['4', '5']]);
    expect(lines).toEqual([1, 2, 5, 6]);
  });

  it('takes a multi-character delimiter', () => {
    expect(tokenizeCsv('t', 'a::b\n1::"2::3"\n', '::', 'x').records).toEqual([['a', 'b'], ['1', '2::3']]);
  });

  it('refuses unclosed quotes, quotes inside fields and text after a closing quote, naming the line', () => {
    const bad = (s: string) => () => tokenizeCsv('readCsv', s, ',', 'the text');
    expect(bad('a,b\n1,"2\n3,4\n')).toThrow(DataError);
    expect(bad('a,b\n1,"2\n3,4\n')).toThrow(/near line 2: a quoted field is never closed/);
    expect(bad('a,b\n1,2"x\n')).toThrow(/near line 2: a quote inside an unquoted field/);
    expect(bad('a,b\n\n1,"2"x\n')).toThrow(/near line 3: text after the closing quote/);
  });
});
