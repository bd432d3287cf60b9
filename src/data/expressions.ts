/**
 * Column transforms written as mathjs expressions (`log(x)`, `x^2`, `min(ptl, 2)`, `ftv >= 3`).
 *
 * mathjs is loaded lazily, on the first call to {@link loadExpressionEngine}: importing it costs about
 * a second, which a user who never writes a string transform should not pay when importing this
 * library. Only the number-typed build with a small set of functions is instantiated. mathjs is an
 * optional peer dependency: its module name is kept out of reach of bundlers (a browser bundle of
 * the library does not carry 18 MB of mathjs); a browser page that wants string transforms imports
 * `mathjs/number` itself and passes it: `await loadExpressionEngine(await import('mathjs/number'))`.
 */
import { OptionError } from '../errors.ts';
import { callerName } from '../util/validate.ts';

/** A compiled expression: evaluate with a scope of variable values. */
export interface CompiledExpression {
  evaluate(scope: Record<string, number>): unknown;
  /** The variables the expression reads (function names and the constants pi, e left out). */
  symbols: string[];
}

interface MathNode {
  isSymbolNode?: boolean;
  isFunctionNode?: boolean;
  name?: string;
  traverse(cb: (node: MathNode, path: string, parent: MathNode | null) => void): void;
}

let compiler: ((expr: string) => CompiledExpression) | undefined;
let loading: Promise<void> | undefined;

/** Functions and operators available in string transforms. */
export const EXPRESSION_FUNCTIONS = [
  'add', 'subtract', 'multiply', 'divide', 'unaryMinus', 'unaryPlus', 'pow', 'mod',
  'equal', 'unequal', 'larger', 'largerEq', 'smaller', 'smallerEq', 'and', 'or', 'not', 'xor',
  'abs', 'sqrt', 'cbrt', 'square', 'cube', 'exp', 'expm1', 'log', 'log10', 'log2', 'log1p',
  'min', 'max', 'floor', 'ceil', 'round', 'fix', 'sign', 'hypot', 'nthRoot',
  'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'pi', 'e',
] as const;

/**
 * Load the expression engine (mathjs, number build, only {@link EXPRESSION_FUNCTIONS}); resolves once
 * it is ready. Safe to call many times.
 *
 * @example
 * await loadExpressionEngine();
 * compileExpression('min(ptl, 2)').evaluate({ ptl: 3 });
 * // returns 2
 */
export function loadExpressionEngine(mathjs?: object): Promise<void> {
  if (compiler) return Promise.resolve();
  if (mathjs !== undefined) loading = undefined;
  loading ??= (mathjs !== undefined ? Promise.resolve(mathjs) : importMathjs()).then((m) => {
    const mod = m as unknown as Record<string, unknown> & {
      create: (deps: object, config?: object) => { compile(e: string): { evaluate(scope: object): unknown }; parse(e: string): MathNode };
    };
    const deps: Record<string, unknown> = { compileDependencies: mod.compileDependencies };
    for (const f of EXPRESSION_FUNCTIONS) deps[`${f}Dependencies`] = mod[`${f}Dependencies`];
    const math = mod.create(deps);
    compiler = (expr: string) => {
      const code = math.compile(expr);
      const symbols = new Set<string>();
      math.parse(expr).traverse((node, path, parent) => {
        // A function's own name is a symbol node under its call: not a variable.
        if (node.isSymbolNode && !(parent?.isFunctionNode && path === 'fn') && node.name !== 'pi' && node.name !== 'e') symbols.add(node.name!);
      });
      return { evaluate: (scope) => code.evaluate(scope), symbols: [...symbols] };
    };
  });
  return loading;
}

// A variable, not a literal: bundlers then leave the import to run time instead of inlining mathjs.
const MATHJS_NUMBER = 'mathjs/number';

async function importMathjs(): Promise<object> {
  try {
    return await import(/* @vite-ignore */ MATHJS_NUMBER) as object;
  } catch (e) {
    loading = undefined;
    throw new OptionError('loadExpressionEngine', `string transforms need mathjs (an optional peer dependency): install it with 'npm install mathjs@15', or pass the module: loadExpressionEngine(await import('mathjs/number')) (${(e as Error).message})`);
  }
}

/** True once {@link loadExpressionEngine} has finished. */
export function expressionEngineLoaded(): boolean {
  return compiler !== undefined;
}

/** Compile a string expression; the engine must be loaded (see {@link loadExpressionEngine}). */
export function compileExpression(expr: string, fn = 'compileExpression'): CompiledExpression {
  fn = callerName(fn, 'compileExpression');
  if (typeof expr !== 'string' || expr.trim() === '') throw new OptionError(fn, `expression must be a non-empty string, got ${typeof expr === 'string' ? "''" : String(expr)}`);
  if (!compiler) {
    throw new OptionError(fn, `string transforms need the expression engine: call 'await loadExpressionEngine()' first (or use buildDesignAsync)`);
  }
  try {
    return compiler(expr);
  } catch (e) {
    throw new OptionError(fn, `cannot parse expression '${expr}': ${(e as Error).message}`);
  }
}
