import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataError, Random, readCsv, type ReadCsvOptions, type Table } from '../src/index.ts';
import { readNumericCsv } from '../src/data/csv-numeric.ts';
import { readCsvGeneral } from '../src/data/csv.ts';

const NA = new Set(['', 'NA', 'NaN']);

/** Numbers written the ways a CSV holds them: integers, fixed, exponent, signs, long digit strings. */
const field = fc.oneof(
  fc.integer({ min: -1e9, max: 1e9 }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 }).map(String),
  fc.tuple(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), fc.integer({ min: 0, max: 12 })).map(([v, d]) => v.toFixed(d)),
  fc.tuple(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), fc.integer({ min: 1, max: 20 })).map(([v, d]) => v.toExponential(d)),
  fc.stringMatching(/^[+-]?\d{1,25}(\.\d{0,25})?([eE][+-]?\d{1,3})?$/),
  fc.stringMatching(/^[+-]?\.\d{1,20}$/),
);

describe('readCsv numeric fast path', () => {
  it('gives bit for bit the values of Number(field) and the same table as the general path', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.array(field, { minLength: 5, maxLength: 5 }), { minLength: 1, maxLength: 30 }), fc.boolean(), (p, rows, crlf) => {
        const eol = crlf ? '\r\n' : '\n';
        const names = Array.from({ length: p }, (_, k) => `c${k}`);
        const text = names.join(',') + eol + rows.map((r) => r.slice(0, p).join(',')).join(eol) + eol;
        const fast = readNumericCsv(text, { delimiter: ',', naValues: NA });
        const general = readCsvGeneral(text, { source: 'text' });
        const finite = rows.every((r) => r.slice(0, p).every((s) => Number.isFinite(Number(s))));
        fc.pre(finite); // '1e400' overflows: readCsv's general rules decide those
        expect(fast).not.toBeNull();
        expect(fast!.names).toEqual(general.names);
        expect(fast!.nRows).toBe(rows.length);
        for (let k = 0; k < p; k++) {
          const col = fast!.columns[k] as Float64Array;
          for (let i = 0; i < rows.length; i++) expect(Object.is(col[i], Number(rows[i][k]))).toBe(true);
          expect(Array.from(col)).toEqual(Array.from(general.columns[k] as Float64Array));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('parses tricky numbers exactly as Number(field): negative zero, subnormals, long digit strings, exponents', () => {
    const tricky = [
      '-0', '-0.0', '+0', '0e5', '-0e-5', '.0', '-.0e3',
      '5e-324', '4.9406564584124654e-324', '2.4703282292062328e-324', '2.2250738585072011e-308', '2.2250738585072014e-308',
      '1.7976931348623157e308', '8.98846567431158e307', '9007199254740993', '9007199254740992.5', '900719925474099.3',
      '0.1', '0.30000000000000004', '123456789012345678901234567890', '1234567890.12345678901234567890e-10',
      '1e22', '1e23', '9.999999999999999e22', '1e-22', '1e-23', '0.000001', '1E+10', '-1.5E-10', '00012.5000',
      '3.141592653589793238462643383279', '-2.7182818284590452353602874713527e-300', '1e-400', '7.2057594037927933e16',
      '1e-320', '-1e-320', '+.5', '+1.5e+3', '5.', '-0e-0', '4.9e-324', '2.5e-324', '1.7976931348623158e308', '0.000000000000000000000000001e25',
    ];
    const r = new Random(11);
    // Random 1-25 digit mantissas at random exponents (many fall outside the exact fast parse).
    for (let k = 0; k < 300; k++) {
      const digits = Array.from({ length: 1 + Math.floor(r.uniform() * 25) }, () => Math.floor(r.uniform() * 10)).join('');
      const dot = Math.floor(r.uniform() * (digits.length + 1));
      const f = `${r.uniform() < 0.5 ? '-' : ''}${digits.slice(0, dot)}.${digits.slice(dot)}e${Math.floor(r.uniform() * 640) - 330}`.replace(/^(-?)\.e/, '$10e');
      if (Number.isFinite(Number(f))) tricky.push(f); // overflow is readCsv's general rules' call

    }
    const text = 'x\n' + tricky.join('\n') + '\n';
    const fast = readNumericCsv(text, { delimiter: ',', naValues: NA });
    expect(fast).not.toBeNull();
    const col = fast!.columns[0] as Float64Array;
    expect(col.length).toBe(tricky.length);
    for (let i = 0; i < tricky.length; i++) {
      if (!Object.is(col[i], Number(tricky[i]))) throw new Error(`${tricky[i]}: ${col[i]} vs Number ${Number(tricky[i])}`);
    }
    expect(Object.is(col[0], -0)).toBe(true);
    expect(col[7]).toBe(5e-324);
  });

  it('declines (null) whatever it does not handle, and readCsv then decides as before', () => {
    const o = { delimiter: ',', naValues: NA };
    expect(readNumericCsv('a,b\n1,NA\n', o)).toBeNull();
    expect(() => readCsv('a,b\n1,NA\n', { source: 'text' })).toThrow(DataError);
    expect(readNumericCsv('a,b\n1,x\n', { ...o, numeric: ['b'] })).toBeNull();
    expect(() => readCsv('a,b\n1,x\n', { source: 'text', numeric: ['b'] })).toThrow(/declared numeric/);
    expect(readNumericCsv('a,b,c\n1,x\n', o)).toBeNull(); // too few fields after a text field
    expect(readNumericCsv('a,b\n1,2,3\n', o)).toBeNull(); // ragged
    expect(() => readCsv('a,b\n1,2,3\n', { source: 'text' })).toThrow(/fields/);
    expect(readNumericCsv('a,a\n1,2\n', o)).toBeNull(); // duplicate names: the policy is readCsv's
    expect(readNumericCsv('a,b\n"1""",2\n', o)).toBeNull(); // a doubled quote
    expect(readNumericCsv('a,b\n"1\n",2\n', o)).toBeNull(); // a line break inside quotes
    expect(readNumericCsv('a,b\n1"",2\n', o)).toBeNull(); // a quote inside an unquoted field
    expect(readNumericCsv('a,b\n"1" x,2\n', o)).toBeNull(); // text after the closing quote
    expect(readNumericCsv('a,b\n1\r2,2\n', o)).toBeNull(); // a lone CR
    expect(readNumericCsv('a,b\n1,2\n', { ...o, numeric: ['a'], strings: ['a'] })).toBeNull(); // listed in both
    expect(() => readCsv('a,b\n1,2\n', { source: 'text', numeric: ['a'], strings: ['a'] })).toThrow(/both/);
    expect(readNumericCsv('a,b\n1,\n', o)).toBeNull(); // empty field = missing
    expect(readNumericCsv('a,b\n1,-999\n', { ...o, naValues: new Set(['-999']) })).toBeNull();
    expect(readNumericCsv('a,b\n1,1e999\n', o)).toBeNull();
    expect(readNumericCsv('a,b\n1,2\n', { ...o, numeric: ['zz'] })).toBeNull();
    expect(() => readCsv('a,b\n1,2\n', { source: 'text', numeric: ['zz'] })).toThrow(/unknown column 'zz'/);
  });

  it('text columns (found, or listed in strings) come out as the general path gives them', () => {
    const text = 'x,race,y,code\n1.50, black ,2,007\n-3,white,4e2,12\n.5,other,6,3\n';
    const fast = readNumericCsv(text, { delimiter: ',', naValues: NA, strings: ['code'] });
    const general = readCsvGeneral(text, { source: 'text', strings: ['code'] });
    expect(fast).not.toBeNull();
    expect(fast!.names).toEqual(general.names);
    expect(fast!.columns[1]).toEqual(['black', 'white', 'other']);
    expect(fast!.columns[3]).toEqual(['007', '12', '3']);
    for (let k = 0; k < 4; k++) {
      const a = fast!.columns[k], b = general.columns[k];
      expect(a instanceof Float64Array ? Array.from(a) : a).toEqual(b instanceof Float64Array ? Array.from(b) : b);
    }
  });

  it('honours delimiter, column selection, blank lines, a BOM and blanks around fields', () => {
    const t = readCsv('\uFEFFa; b ;c\n 1 ;2; 3\n\n4;5;6', { source: 'text', delimiter: ';', columns: ['c', 'a'] });
    expect(t.names).toEqual(['c', 'a']);
    expect(Array.from(t.columns[0] as Float64Array)).toEqual([3, 6]);
    expect(Array.from(t.columns[1] as Float64Array)).toEqual([1, 4]);
    expect(t.nRows).toBe(2);
    expect(t.droppedLines).toEqual([]);
  });
});

describe('readCsv fast path with a decimal comma', () => {
  it("gives Number(field with '.') bit for bit, and the general path's table", () => {
    fc.assert(
      fc.property(fc.array(field, { minLength: 1, maxLength: 40 }), fc.boolean(), (fields, crlf) => {
        fc.pre(fields.every((s) => Number.isFinite(Number(s))));
        const eol = crlf ? '\r\n' : '\n';
        const text = 'x;y' + eol + fields.map((s, i) => `${s.replace('.', ',')};${i}`).join(eol);
        const options = { source: 'text' as const, delimiter: ';', decimal: ',' as const };
        const fast = readNumericCsv(text, { ...options, naValues: NA });
        expect(fast).not.toBeNull();
        const col = fast!.columns[0] as Float64Array;
        for (let i = 0; i < fields.length; i++) expect(Object.is(col[i], Number(fields[i]))).toBe(true);
        const general = readCsvGeneral(text, options);
        expect(Array.from(general.columns[0] as Float64Array)).toEqual(Array.from(col));
      }),
      { numRuns: 200 },
    );
  });
});

describe('long significands (16–19 digits) without Number: the double-double path', () => {
  /** One column of fields through the fast path, each value compared with Number(field) by its bits. */
  const check = (all: string[]) => {
    const fields = all.filter((f) => Number.isFinite(Number(f))); // overflow ('1.8e308') is readCsv's to decide
    if (fields.length === 0) return;
    const t = readNumericCsv('x\n' + fields.join('\n') + '\n', { delimiter: ',', naValues: NA });
    expect(t).not.toBeNull();
    const col = t!.columns[0] as Float64Array;
    for (let i = 0; i < fields.length; i++) {
      if (!Object.is(col[i], Number(fields[i]))) expect(`${fields[i]} → ${col[i]}`).toBe(`${fields[i]} → ${Number(fields[i])}`);
    }
  };
  const anyDouble = fc.double({ noNaN: true, noDefaultInfinity: true });

  it('every double in its shortest form (String), in 17 significant digits and in exponent form', () => {
    fc.assert(fc.property(fc.array(anyDouble, { minLength: 1, maxLength: 50 }), (vs) => {
      check(vs.flatMap((v) => [String(v), v.toPrecision(17), v.toExponential(16), v.toPrecision(16), v.toExponential(18)]));
    }), { numRuns: 400 });
  });

  it('random digit strings of 16–19 significant digits at every scale: subnormal, normal, huge', () => {
    const digits = fc.tuple(fc.integer({ min: 1, max: 9 }), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 15, maxLength: 18 }));
    const form = fc.tuple(digits, fc.integer({ min: -345, max: 330 }), fc.integer({ min: 0, max: 3 }), fc.boolean());
    fc.assert(fc.property(fc.array(form, { minLength: 1, maxLength: 40 }), (fs) => {
      check(fs.map(([[d0, ds], e, shape, neg]) => {
        const s = `${d0}${ds.join('')}`;
        const sign = neg ? '-' : '';
        // The same significand placed four ways: integer with exponent, a point inside, leading zeros, E+.
        if (shape === 0) return `${sign}${s}e${e}`;
        if (shape === 1) return `${sign}${s.slice(0, 3)}.${s.slice(3)}E${e}`;
        if (shape === 2) return `${sign}0.000${s}e${e}`;
        return `${sign}${s.slice(0, 1)}.${s.slice(1)}e+${Math.abs(e)}`;
      }));
    }), { numRuns: 400 });
  });

  it('decimals at midpoints between two doubles and next to them (where rounding is decided by the last digits)', () => {
    // m·2^k + 2^(k−1) written exactly is a midpoint; its neighbours differ in the 19th digit.
    const r = new Random(5);
    const fields: string[] = [];
    for (let t = 0; t < 300; t++) {
      const mant = 2n ** 52n + BigInt(Math.floor(r.uniform() * 2 ** 52));
      const shift = BigInt(Math.floor(r.uniform() * 12));
      const mid = (2n * mant + 1n) << shift; // (mant + 1/2)·2^(shift+1): an exact integer midpoint
      const s = mid.toString();
      fields.push(s, (mid + 1n).toString(), (mid - 1n).toString(), `${s.slice(0, 1)}.${s.slice(1)}e${s.length - 1}`);
    }
    check(fields);
  });

  it('fields past 19 digits, subnormals, overflow edges and zeros still equal Number(field)', () => {
    check([
      '0.1000000000000000055511151231257827', '1.00000000000000000000001', '123456789012345678901234567890',
      '4.9406564584124654e-324', '2.2250738585072011e-308', '2.2250738585072014e-308', '1.7976931348623157e308',
      '9007199254740993', '9007199254740992.5', '-0.0000000000000000000', '0000000000000000000012345678901234567',
      '1.2345678901234567e-290', '1.2345678901234567e300', '8.98846567431158e307', '1e-300', '123456789012345678e-10',
    ]);
  });
});

describe('readCsv fast path against the general path on random tables', () => {
  type Outcome = { error: string } | { table: Table };
  const outcome = (f: () => Table): Outcome => {
    try {
      return { table: f() };
    } catch (e) {
      if (!(e instanceof DataError)) throw e;
      return { error: e.message };
    }
  };
  /** Both outcomes alike: the same DataError message, or the same names, rows, dropped lines, column types and values (bit for bit). */
  const expectSame = (a: Outcome, b: Outcome, text: string) => {
    const show = (o: Outcome) => ('error' in o ? o : { ...o.table, columns: o.table.columns.map((c) => (c instanceof Float64Array ? ['F64', ...Array.from(c, (v) => (Object.is(v, -0) ? '-0' : String(v)))] : c)) });
    expect(show(a), JSON.stringify(text)).toEqual(show(b));
  };

  const NUMBERS = ['0', '-0', '+7', '.5', '5.', '-2.5', '3e2', '1E-3', '1e-320', '5e-324', '1.7976931348623157e308', '-1.7976931348623157e308',
    '1e400', '12345678901234567890', '0.30000000000000004', '9007199254740993', '00012.5000', '-.0e3'];
  const TEXT = ['a', 'b', 'é', '日本', '🙂', 'a b', 'x1', 'NULL', 'na', '1e', '1.2.3', '0x10', 'Infinity', '2024-03-01'];
  const MISSING = ['', 'NA', 'NaN'];
  const NAMES = ['y', 'x', 'age', 'é', 'größe', '日本', '🙂', 'a b', '"q"', '"a,b"', '"say ""hi"""', '', 'x', ' pad ', 'NA', '1'];

  const number = fc.oneof(
    { weight: 6, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map(String) },
    { weight: 2, arbitrary: fc.constantFrom(...NUMBERS) },
    { weight: 1, arbitrary: fc.stringMatching(/^[+-]?\d{1,22}(\.\d{0,22})?([eE][+-]?\d{1,3})?$/) },
  );
  const odd = fc.oneof(fc.constantFrom(...TEXT), fc.constantFrom(...MISSING), fc.string({ maxLength: 3 }));
  /** How one field is written: bare, padded with blanks, or quoted (also with a doubled quote or a line break inside). */
  const written = (v: fc.Arbitrary<string>) => fc.tuple(v, fc.integer({ min: 0, max: 79 })).map(([s, w]) => {
    if (w < 4) return ` ${s}\t`;
    if (w < 12) return `"${s}"`;
    if (w === 2) return `"${s}""x"`;
    if (w === 3) return `"${s}\n"`;
    return s;
  });
  const column = fc.constantFrom('number', 'number', 'number', 'text', 'mixed').chain((kind) =>
    fc.constant(kind === 'number' ? fc.oneof({ weight: 30, arbitrary: written(number) }, { weight: 1, arbitrary: written(odd) })
      : kind === 'text' ? written(fc.oneof({ weight: 10, arbitrary: fc.constantFrom('a', 'b', 'é', '日本') }, { weight: 1, arbitrary: odd }))
      : written(fc.oneof(number, odd))));
  const tableArb = fc.record({
    delimiter: fc.constantFrom(',', ';', '\t', '|'),
    eol: fc.constantFrom('\n', '\r\n'),
    bom: fc.boolean(),
    trailing: fc.boolean(),
    names: fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 4 }),
    columns: fc.array(column, { minLength: 4, maxLength: 4 }),
    nRows: fc.integer({ min: 0, max: 12 }),
    seed: fc.integer(),
    missing: fc.constantFrom('error', 'drop-rows'),
    decimalComma: fc.boolean(),
    select: fc.constantFrom('all', 'some', 'strings'),
    oddLines: fc.array(fc.constantFrom('', '  ', '\r', 'extra'), { maxLength: 2 }),
  });

  it('readCsv (fast path first) and readCsvGeneral give the same table or the same error', () => {
    let fastTook = 0;
    let total = 0;
    fc.assert(
      fc.property(tableArb, fc.infiniteStream(fc.nat()), (t, stream) => {
        const p = t.names.length;
        const it = stream[Symbol.iterator]();
        const lines: string[] = [t.names.join(t.delimiter)];
        const samples = t.columns.slice(0, p).map((a) => fc.sample(a, { numRuns: t.nRows, seed: t.seed + p }));
        for (let i = 0; i < t.nRows; i++) {
          let fields = samples.map((s) => s[i]);
          const r = it.next().value as number;
          if (r % 97 === 0) fields = fields.slice(0, -1); // ragged
          if (r % 89 === 0) fields.push('1');
          lines.push(fields.join(t.delimiter));
          if (r % 11 === 0 && t.oddLines.length > 0) lines.push(t.oddLines[r % t.oddLines.length] === 'extra' ? fields.join(t.delimiter) : t.oddLines[r % t.oddLines.length]);
        }
        const text = (t.bom ? '\uFEFF' : '') + lines.join(t.eol) + (t.trailing ? t.eol : '');
        const names = t.names.map((h) => h.trim().replace(/^"(.*)"$/, '$1').replace(/""/g, '"'));
        const options: ReadCsvOptions = {
          source: 'text', delimiter: t.delimiter, missing: t.missing as 'error' | 'drop-rows',
          ...(t.decimalComma && t.delimiter !== ',' ? { decimal: ',' as const } : {}),
          ...(t.select === 'some' ? { columns: names.slice(0, 1 + (t.seed & 1)).reverse() } : {}),
          ...(t.select === 'strings' ? { strings: names.slice(-1) } : {}),
        };
        const general = outcome(() => readCsvGeneral(text, options));
        expectSame(outcome(() => readCsv(text, options)), general, text);
        if (readNumericCsv(text, { ...options, delimiter: t.delimiter, naValues: NA }) !== null) fastTook++;
        total++;
      }),
      { numRuns: 600 },
    );
    // Not vacuous: a good share of the tables is read by the fast path itself.
    console.log(`fast path took ${fastTook} of ${total}`);
    expect(fastTook).toBeGreaterThan(150);
  });

  it('reads itself (not null) drop-rows, quoted fields and a column that turns to text late, as the general path does', () => {
    const text = '"id",x,g\r\n1,"2.5",a\r\n\r\n2,NA,b\r\n"3",4, "c" \r\n4,x,NA\r\n5,-0,"d,e"\r\n6,1e-320,f';
    const options = { source: 'text' as const, missing: 'drop-rows' as const };
    expect(readNumericCsv(text, { ...options, delimiter: ',', naValues: NA })).not.toBeNull();
    const fast = readCsv(text, options);
    expect(fast.droppedLines).toEqual([4, 6]);
    expect(fast.columns[2]).toEqual(['a', 'c', 'd,e', 'f']);
    expect(Array.from(fast.columns[1] as Float64Array)).toEqual([2.5, 4, -0, 1e-320]);
    expect(Object.is((fast.columns[1] as Float64Array)[2], -0)).toBe(true);
    expectSame({ table: fast }, outcome(() => readCsvGeneral(text, options)), text);
    // Column x holds text from its fourth row on: the earlier fields come back as their text.
    const late = 'x,y\n1.50,1\n"2",2\n 3 ,3\nabc,4\n';
    expect(readNumericCsv(late, { delimiter: ',', naValues: NA })!.columns[0]).toEqual(['1.50', '2', '3', 'abc']);
    expectSame(outcome(() => readCsv(late, { source: 'text' })), outcome(() => readCsvGeneral(late, { source: 'text' })), late);
  });

  it('a file (read as bytes) gives what its text gives', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-csvfast-'));
    try {
      const texts = [
        '\uFEFFé,"日本",x\r\n1.5,a,-0\r\n.5,"b",+7\r\n',
        'a;b\n1,5;x\n2;y\n', 'a,b\n1,NA\n2,3\n', 'a,b\n1e400,2\n', 'a,b\n\u00a0,1\n', '\u00a0\n\u00a0\n', 'a,b\n"1""",2\n',
      ];
      for (const [i, text] of texts.entries()) {
        const f = join(dir, `${i}.csv`);
        writeFileSync(f, text);
        for (const options of [{}, { delimiter: ';', decimal: ',' as const }, { missing: 'drop-rows' as const }]) {
          expectSame(outcome(() => readCsv(f, options)), outcome(() => readCsvGeneral(f, options)), text);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
