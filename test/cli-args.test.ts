import { describe, expect, it } from 'vitest';
import { parseFlags } from '../src/cli/args.ts';
import { CliError } from '../src/cli/errors.ts';
import { foldList } from '../src/cli/format.ts';
import { closest, editDistance } from '../src/cli/suggest.ts';

const FLAGS = {
  lambda: { type: 'string', help: '' },
  'lambda-min-ratio': { type: 'string', help: '' },
  transform: { type: 'string', multiple: true, help: '' },
  quiet: { type: 'boolean', help: '' },
  help: { type: 'boolean', short: 'h', help: '' },
} as const;

describe('command-line flag parsing', () => {
  it('takes values in both forms, negative numbers included, and keeps - as a positional', () => {
    const r = parseFlags(['fit', '-', '--lambda', '-1', '--transform', 'a=1', '--transform=b=2', '--quiet'], FLAGS, 'fit');
    expect(r.positionals).toEqual(['fit', '-']);
    expect(r.values).toEqual({ lambda: '-1', transform: ['a=1', 'b=2'], quiet: true });
    expect(parseFlags(['-h', '--', '--lambda'], FLAGS, 'fit')).toEqual({ values: { help: true }, positionals: ['--lambda'] });
  });

  it('refuses repeats, unknown flags (with a suggestion), missing values and values on booleans', () => {
    const msg = (argv: string[]) => {
      try {
        parseFlags(argv, FLAGS, 'fit');
      } catch (e) {
        expect(e).toBeInstanceOf(CliError);
        return (e as Error).message;
      }
      throw new Error('not refused');
    };
    expect(msg(['--lambda', '1', '--lambda=2'])).toMatch(/--lambda is given twice \('1' and '2'\)/);
    expect(msg(['--lamda', '1'])).toMatch(/unknown option '--lamda' for fit; did you mean --lambda\?/);
    expect(msg(['--qiet'])).toMatch(/did you mean --quiet\?/);
    expect(msg(['--zzzzzz'])).not.toMatch(/did you mean/);
    expect(msg(['--lambda'])).toMatch(/--lambda needs a value/);
    expect(msg(['--lambda', '--quiet'])).toMatch(/--lambda needs a value/);
    expect(msg(['--quiet=yes'])).toMatch(/--quiet takes no value/);
  });
});

describe('did-you-mean', () => {
  it('measures edits as Levenshtein does', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('lamda', 'lambda')).toBe(1);
  });
  it('suggests only close candidates', () => {
    expect(closest('lamda', ['lambda', 'loss', 'cv'])).toEqual(['lambda']);
    expect(closest('cc', ['cv', 'tol'])).toEqual(['cv']);
    expect(closest('banana', ['cv', 'tol'])).toEqual([]);
  });
});

describe('folded lists', () => {
  it('wraps under an indent and counts what it leaves out', () => {
    const items = Array.from({ length: 500 }, (_, i) => `column_${i}`);
    const s = foldList(items, { width: 60, maxItems: 20 });
    for (const line of s.split('\n')) expect(line.length).toBeLessThanOrEqual(60);
    expect(s).toMatch(/… and 480 more$/);
    expect(s).toMatch(/^column_0, column_1,/);
    expect(foldList(['a', 'b'])).toBe('a, b');
    expect(foldList([])).toBe('(none)');
  });
});
