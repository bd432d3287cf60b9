import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError, OptionError, readCsv, tableFromColumns, BIRTHWT_CSV } from '../src/index.ts';

/** Run `f`, which must throw a DataError; return its message. */
function dataError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return (e as Error).message;
  }
  throw new Error('expected a DataError');
}

describe('readCsv: well-formed input', () => {
  it('types columns: all-number columns become Float64Array, others strings', () => {
    const t = readCsv('age,race,w\n19,black,1.5e2\n33,other,-.5\n');
    expect(t.names).toEqual(['age', 'race', 'w']);
    expect(t.nRows).toBe(2);
    expect(t.columns[0]).toBeInstanceOf(Float64Array);
    expect(Array.from(t.columns[0] as Float64Array)).toEqual([19, 33]);
    expect(t.columns[1]).toEqual(['black', 'other']);
    expect(Array.from(t.columns[2] as Float64Array)).toEqual([150, -0.5]);
  });

  it('handles a BOM, CRLF line ends, quoted commas, escaped quotes and quoted line breaks', () => {
    const t = readCsv('\uFEFF"name",x\r\n"Smith, J.",1\r\n"say ""hi""",2\r\n"two\nlines",3\r\n');
    expect(t.names).toEqual(['name', 'x']);
    expect(t.columns[0]).toEqual(['Smith, J.', 'say "hi"', 'two\nlines']);
    expect(Array.from(t.columns[1] as Float64Array)).toEqual([1, 2, 3]);
  });

  it('reads a file path and a URL; skips blank lines; honours delimiter and strings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-csv-'));
    const f = join(dir, 'a.csv');
    writeFileSync(f, 'a;b\n1;2\n\n3;4\n');
    const t = readCsv(f, { delimiter: ';', strings: ['b'] });
    expect(Array.from(t.columns[0] as Float64Array)).toEqual([1, 3]);
    expect(t.columns[1]).toEqual(['2', '4']);
    const bw = readCsv(BIRTHWT_CSV);
    expect(bw.nRows).toBe(189);
    expect(bw.names).toEqual(['low', 'age', 'lwt', 'race', 'smoke', 'ptl', 'ht', 'ui', 'ftv', 'bwt']);
    // The embedded table is the shipped file, byte for byte (birthwtDesign reads no file).
    expect(BIRTHWT_CSV).toBe(readFileSync(new URL('../datasets/birthwt.csv', import.meta.url), 'utf8'));
    // First data row of MASS::birthwt (row name 85).
    expect(bw.columns.map((c) => c[0])).toEqual([0, 19, 182, 2, 0, 0, 0, 1, 0, 2523]);
  });

  it('columns keeps a subset in the given order, so missing values elsewhere do not matter', () => {
    const t = readCsv('a,b,c\n1,NA,x\n2,5,y\n', { columns: ['c', 'a'] });
    expect(t.names).toEqual(['c', 'a']);
    expect(Array.from(t.columns[1] as Float64Array)).toEqual([1, 2]);
  });

  it("missing: 'drop-rows' drops rows with '', NA or NaN and reports their line numbers", () => {
    const t = readCsv('a,b\n1,2\n,3\n4,NA\n5,NaN\n6,7\n', { missing: 'drop-rows' });
    expect(Array.from(t.columns[0] as Float64Array)).toEqual([1, 6]);
    expect(t.droppedLines).toEqual([3, 4, 5]);
  });

  it("duplicateNames: 'rename' makes names unique like R's make.unique and names empty headers", () => {
    const t = readCsv(',a,a,a\n0,1,2,3\n', { duplicateNames: 'rename' });
    expect(t.names).toEqual(['V1', 'a', 'a.1', 'a.2']);
  });
});

describe('readCsv: every fault is a DataError naming readCsv, the line and the column', () => {
  it('empty file, whitespace-only file, header without rows', () => {
    expect(dataError(() => readCsv('', { source: 'text' }))).toMatch(/^readCsv: the CSV text is empty/);
    expect(dataError(() => readCsv('\uFEFF \n\n', { source: 'text' }))).toMatch(/empty/);
    expect(dataError(() => readCsv('a,b\n'))).toMatch(/header but no data rows/);
    const dir = mkdtempSync(join(tmpdir(), 'gs-csv-'));
    const f = join(dir, 'empty.csv');
    writeFileSync(f, '');
    expect(dataError(() => readCsv(f))).toMatch(/empty\.csv' is empty/);
    expect(dataError(() => readCsv(join(dir, 'nope.csv')))).toMatch(/cannot read/);
  });

  it('ragged rows name their line', () => {
    expect(dataError(() => readCsv('a,b\n1,2\n3\n'))).toMatch(/line 3 .* has 1 fields, the header has 2/);
    expect(dataError(() => readCsv('a,b\n1,2\n3,4\n5,6,7\n'))).toMatch(/line 4 .* has 3 fields/);
  });

  it('an unclosed quote is reported as malformed CSV', () => {
    expect(dataError(() => readCsv('a,b\n1,"2\n3,4\n'))).toMatch(/malformed CSV/);
  });

  it('missing values are refused by default, naming line, row and column', () => {
    expect(dataError(() => readCsv('a,b\n1,2\n3,NA\n'))).toMatch(/missing value 'NA' at line 3 \(data row 2\), column 'b'/);
    expect(dataError(() => readCsv('a,b\n1,2\n,4\n'))).toMatch(/missing value '' at line 3 .*column 'a'/);
    expect(dataError(() => readCsv('a\nNA\n', { missing: 'drop-rows' }))).toMatch(/every data row/);
  });

  it('duplicate and empty header names are refused by default', () => {
    expect(dataError(() => readCsv('a,b,a\n1,2,3\n'))).toMatch(/duplicate column name 'a' \(columns 1 and 3\)/);
    expect(dataError(() => readCsv(',a\n1,2\n'))).toMatch(/column 1 of the header .* has no name/);
  });

  it('a non-number in a column declared numeric names row, column and value', () => {
    expect(dataError(() => readCsv('a,b\n1,2\n3,x7\n', { numeric: ['b'] }))).toMatch(/column 'b' is declared numeric but line 3 \(data row 2\) has 'x7'/);
    // Undeclared, the same column is simply a string column.
    expect(readCsv('a,b\n1,2\n3,x7\n').columns[1]).toEqual(['2', 'x7']);
  });

  it('unknown names in columns/numeric/strings and bad options', () => {
    expect(dataError(() => readCsv('a,b\n1,2\n', { columns: ['c'] }))).toMatch(/unknown column 'c' in columns/);
    expect(() => readCsv('a,b\n1,2\n', { missing: 'drop' as never })).toThrow(OptionError);
    expect(() => readCsv('a,b\n1,2\n', { mising: 'drop-rows' } as never)).toThrow(/did you mean 'missing'/);
  });
});

describe('tableFromColumns', () => {
  it('refuses NaN, ragged columns and mixed types', () => {
    expect(dataError(() => tableFromColumns({ a: [1, NaN] }))).toMatch(/non-finite .* at row 2/);
    expect(() => tableFromColumns({ a: [1, 2], b: [1] })).toThrow(/has 1 entries/);
    expect(dataError(() => tableFromColumns({ a: ['x', 2 as unknown as string] }))).toMatch(/mixes strings/);
  });
});
