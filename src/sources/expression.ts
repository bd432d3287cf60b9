/**
 * String transforms (`log(lwt)`, `min(ptl, 2)`, `ftv >= 3`, `age^2`) translated into SQL. The
 * grammar is the part of the mathjs syntax that {@link buildDesign} transforms commonly use, with
 * mathjs's meaning: `^` binds tighter than unary minus and associates to the right, `log` is the
 * natural logarithm, comparisons give 1 or 0. Anything else is refused with an OptionError, never
 * guessed.
 */
import { OptionError } from '../errors.ts';
import { num } from './sql.ts';

const FUNCTIONS: Record<string, { arity: [number, number]; sql: (a: string[]) => string }> = {
  log: { arity: [1, 1], sql: ([a]) => `LN(${a})` },
  log10: { arity: [1, 1], sql: ([a]) => `(LN(${a}) / LN(${num(10)}))` },
  log2: { arity: [1, 1], sql: ([a]) => `(LN(${a}) / LN(${num(2)}))` },
  log1p: { arity: [1, 1], sql: ([a]) => `LN(${num(1)} + ${a})` },
  exp: { arity: [1, 1], sql: ([a]) => `EXP(${a})` },
  expm1: { arity: [1, 1], sql: ([a]) => `(EXP(${a}) - ${num(1)})` },
  sqrt: { arity: [1, 1], sql: ([a]) => `SQRT(${a})` },
  abs: { arity: [1, 1], sql: ([a]) => `ABS(${a})` },
  square: { arity: [1, 1], sql: ([a]) => `(${a} * ${a})` },
  cube: { arity: [1, 1], sql: ([a]) => `(${a} * ${a} * ${a})` },
  floor: { arity: [1, 1], sql: ([a]) => `FLOOR(${a})` },
  ceil: { arity: [1, 1], sql: ([a]) => `CEIL(${a})` },
  sign: { arity: [1, 1], sql: ([a]) => `SIGN(${a})` },
  min: { arity: [2, 8], sql: (a) => `LEAST(${a.join(', ')})` },
  max: { arity: [2, 8], sql: (a) => `GREATEST(${a.join(', ')})` },
};

const COMPARE: Record<string, string> = { '<': '<', '<=': '<=', '>': '>', '>=': '>=', '==': '=', '!=': '<>' };

/**
 * Translate `expr` into a double-valued SQL expression; `lookup(name)` gives the SQL of a numeric
 * variable (or throws).
 */
export function expressionToSql(expr: string, lookup: (name: string) => string, fn: string): string {
  const tokens = expr.match(/\s*(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|[A-Za-z_][A-Za-z0-9_.]*|<=|>=|==|!=|[-+*/^(),<>])/g);
  if (!tokens || tokens.join('').replace(/\s/g, '') !== expr.replace(/\s/g, '')) {
    throw new OptionError(fn, `cannot translate transform '${expr}' to SQL: only numbers, column names, + - * / ^, comparisons and ${Object.keys(FUNCTIONS).join(', ')} are supported`);
  }
  const t = tokens.map((s) => s.trim());
  let k = 0;
  const fail = (why: string): never => {
    throw new OptionError(fn, `cannot translate transform '${expr}' to SQL: ${why}`);
  };
  const peek = () => t[k];
  const eat = (s: string) => {
    if (t[k] !== s) fail(`expected '${s}' at '${t[k] ?? 'end'}'`);
    k++;
  };
  const bool = (cond: string) => `(CASE WHEN ${cond} THEN ${num(1)} ELSE ${num(0)} END)`;
  function comparison(): string {
    const a = additive();
    const op = peek();
    if (op in COMPARE) {
      k++;
      const b = additive();
      return bool(`${a} ${COMPARE[op]} ${b}`);
    }
    return a;
  }
  function additive(): string {
    let a = multiplicative();
    while (peek() === '+' || peek() === '-') {
      const op = t[k++];
      a = `(${a} ${op} ${multiplicative()})`;
    }
    return a;
  }
  function multiplicative(): string {
    let a = unary();
    while (peek() === '*' || peek() === '/') {
      const op = t[k++];
      a = `(${a} ${op} ${unary()})`;
    }
    return a;
  }
  function unary(): string {
    if (peek() === '-') {
      k++;
      return `(-${unary()})`;
    }
    if (peek() === '+') {
      k++;
      return unary();
    }
    return power();
  }
  function power(): string {
    const base = primary();
    if (peek() === '^') {
      k++;
      return `POWER(${base}, ${unary()})`;
    }
    return base;
  }
  function primary(): string {
    const s = t[k++];
    if (s === undefined) return fail('unexpected end');
    if (s === '(') {
      const e = comparison();
      eat(')');
      return e;
    }
    if (/^[\d.]/.test(s)) return num(Number(s));
    if (/^[A-Za-z_]/.test(s)) {
      if (peek() === '(') {
        const f = FUNCTIONS[s];
        if (!f) fail(`unknown function '${s}'`);
        k++;
        const args = [comparison()];
        while (peek() === ',') {
          k++;
          args.push(comparison());
        }
        eat(')');
        if (args.length < f.arity[0] || args.length > f.arity[1]) fail(`${s} takes ${f.arity.join('–')} argument(s)`);
        return f.sql(args);
      }
      if (s === 'pi') return num(Math.PI);
      if (s === 'e') return num(Math.E);
      return lookup(s);
    }
    return fail(`unexpected '${s}'`);
  }
  const out = comparison();
  if (k !== t.length) fail(`unexpected '${t[k]}'`);
  return out;
}
