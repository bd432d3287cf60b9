import type { ResponseInput } from '../../linalg/input.ts';
import type { Design } from '../../data/design.ts';
import type { CliIO } from '../command.ts';
import { GroupLasso } from '../../estimators/groupLasso.ts';
import { Pipeline, type PipelineReadOptions } from '../../estimators/pipeline.ts';
import type { PathResult } from '../../path/path.ts';
import { loadDesign, type DesignValues, type LoadedResponse } from '../data.ts';
import { CliError } from '../errors.ts';
import { modelOptions, type ModelValues } from '../model.ts';
import { checkOutputs, writeOutput, type OutputRequest } from '../outputs.ts';
import { CliInterrupt, progressBar } from '../progress.ts';

/** Flags every command has. */
export const COMMON_FLAGS = {
  quiet: { type: 'boolean', help: 'no progress bar' },
  force: { type: 'boolean', help: 'overwrite existing output files' },
  help: { type: 'boolean', short: 'h', help: 'this help' },
} as const;

/** The --save flag of the commands that fit. */
export const SAVE_FLAG = {
  save: { type: 'string', arg: 'FILE.json', help: "the design coding and the chosen fit, for 'groupsparse predict'" },
} as const;

/** The output request of --save (checked with the others before any work). */
export function saveRequest(path: string | undefined): OutputRequest[] {
  return path === undefined ? [] : [{ flag: 'save', path, extensions: ['.json'] }];
}

/** Write the pipeline (design coding + model) that --save asked for. */
export function savePipeline(path: string, design: Design, model: GroupLasso, readOptions: PipelineReadOptions): void {
  writeOutput(path, JSON.stringify(new Pipeline(design, model, readOptions)) + '\n');
}

/** Order in which groups first become non-zero along a path: [group, λ at entry]. */
export function entryOrder(path: PathResult): { group: string; lambda: number; index: number }[] {
  const seen = new Set<number>();
  const out: { group: string; lambda: number; index: number }[] = [];
  path.activeGroups.forEach((act, k) => {
    for (const g of act) {
      if (seen.has(g) || !(path.groups.weights[g] > 0)) continue;
      seen.add(g);
      out.push({ group: path.groupNames[g], lambda: path.lambdas[k], index: k });
    }
  });
  return out;
}

/** What `fit` and `path` share: one CSV positional, checked outputs, the design, a fitted estimator. */
export async function fitFromFlags(
  command: 'fit' | 'path', v: DesignValues & ModelValues & { quiet?: boolean; force?: boolean }, positionals: string[],
  outputs: OutputRequest[], io: CliIO, checkOptions?: (opts: ReturnType<typeof modelOptions>) => void,
): Promise<{ file: string; design: Design; model: GroupLasso; header: string; prep: string; response: LoadedResponse; readOptions: PipelineReadOptions }> {
  const [file, ...rest] = positionals;
  if (file === undefined) throw new CliError(`${command}: the CSV file is missing ('groupsparse ${command} --help')`);
  if (rest.length > 0) throw new CliError(`unexpected argument '${rest[0]}'`);
  checkOutputs(outputs, { force: v.force, inputs: [file] });
  const { design, source, response, readOptions } = await loadDesign(file, v, io, v.loss);
  const progress = progressBar(command, 'fits', v.quiet ?? false, io.progressStream);
  let model: GroupLasso | undefined;
  let failure: unknown;
  try {
    const opts = modelOptions(v, design, command, progress.onProgress, progress.onIteration);
    checkOptions?.(opts);
    if (response.y === undefined) throw new CliError(`${command}: the design has no target column`);
    // The fit blocks the event loop, so Ctrl-C during it is seen only through the watcher: wait
    // until that is up (a signal meanwhile is caught by the main thread's handler).
    await progress.ready();
    if (progress.interrupted() === undefined) model = new GroupLasso(opts).fit(design.X, response.y as ResponseInput, response.sampleWeight);
  } catch (e) {
    failure = e;
  } finally {
    progress.stop();
  }
  // Ctrl-C first: a fit cut short may also make the selection that follows it refuse.
  const interrupted = progress.interrupted();
  if (interrupted !== undefined) {
    const what = model === undefined && failure === undefined ? 'before the fit began' : `${interrupted}, not certified`;
    throw new CliInterrupt(`${command}: interrupted (Ctrl-C) ${what}; no result printed, no file written`);
  }
  if (failure !== undefined || model === undefined) throw failure;
  const classes = model.classes ? `, classes ${model.classes.join(', ')}` : '';
  const weighted = response.sampleWeight ? `, weighted by ${v.weights}` : '';
  const header = `${source}: ${response.describe} (${model.loss} loss${classes}${weighted}), n = ${design.X.rows}, ${design.columnNames.length} columns in ${design.groupNames.length} groups`;
  const prep = model.options.orthonormalize ? 'groups orthonormalized' : model.options.standardize === false ? 'columns as given' : 'columns standardized';
  return { file, design, model, header, prep, response, readOptions };
}
