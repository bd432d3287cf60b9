import type { Command } from '../command.ts';
import { CliError } from '../errors.ts';
import { checkOutputFolder } from '../outputs.ts';
import { CliInterrupt, progressBar } from '../progress.ts';
import { COMMON_FLAGS } from './common.ts';
import { inputSizeOf, NEURAL_INPUT_FLAGS } from './inspect.ts';

const PRUNE_FLAGS = {
  flops: { type: 'string', arg: 'R', help: 'FLOP budget as a fraction of the original, in (0, 1]' },
  method: { type: 'string', arg: 'M', help: "'channel-selection' (least-squares reconstruction, needs --calibration) or 'norm' (default)" },
  'norm-scope': { type: 'string', arg: 'S', help: "norm scores compared 'global' (raw norms across the network, default) or per 'layer' (each over its layer's mean)" },
  calibration: { type: 'string', arg: 'DIR', help: 'folder of .png photographs for calibration (random crops and flips)' },
  out: { type: 'string', arg: 'DIR', help: 'folder for the pruned model, written in the format it came in' },
  ...NEURAL_INPUT_FLAGS,
} as const;

export const pruneCommand: Command = {
  name: 'prune',
  summary: 'prune a network model to a FLOP budget by dependency groups and write it back',
  usage: ['prune <MODEL> --flops R [--method channel-selection|norm] [--norm-scope layer|global] [--calibration DIR] --out DIR'],
  sections: [{ title: 'Pruning', flags: PRUNE_FLAGS }, { title: 'Output', flags: COMMON_FLAGS }],
  notes: ['Example:', '  groupsparse prune datasets/face-api/tiny_face_detector_model-weights_manifest.json --flops 0.5 --out pruned/'],
  async run(values, positionals, io) {
    const v = values as { flops?: string; method?: string; 'norm-scope'?: string; calibration?: string; out?: string; 'input-size'?: string; quiet?: boolean; force?: boolean };
    if (positionals.length !== 1) throw new CliError(`prune takes one MODEL path, got ${positionals.length}`);
    if (v.flops === undefined) throw new CliError('prune needs --flops R (a fraction of the original FLOPs)');
    const ratio = Number(v.flops);
    if (!(ratio > 0 && ratio <= 1)) throw new CliError(`--flops must be a number in (0, 1], got '${v.flops}'`);
    const method = v.method ?? 'norm';
    if (method !== 'norm' && method !== 'channel-selection') throw new CliError(`--method must be 'channel-selection' or 'norm', got '${method}'`);
    const normScope = v['norm-scope'];
    if (normScope !== undefined && normScope !== 'layer' && normScope !== 'global') throw new CliError(`--norm-scope must be 'layer' or 'global', got '${normScope}'`);
    if (method === 'channel-selection' && v.calibration === undefined) throw new CliError('--method channel-selection needs --calibration DIR');
    if (v.out === undefined) throw new CliError('prune needs --out DIR');
    checkOutputFolder('out', v.out, { force: v.force });
    const size = inputSizeOf(v);
    const neural = await import('../../neural/index.ts');
    const info = await neural.initRuntime();
    const g = neural.readModel(positionals[0], { inputSize: size });
    const dg = neural.dependencyGraph(g);
    const inShape = dg.shapes.get(g.inputs[0].name)!;
    let calibration;
    if (v.calibration !== undefined) {
      if (inShape.length !== 4) throw new CliError(`--calibration reads photographs, but the model's input '${g.inputs[0].name}' is [${inShape.join(', ')}], not an image batch; use --method norm`);
      const files = neural.imageFiles(v.calibration);
      calibration = neural.readImages(files, { size: inShape[1], crops: 4, flips: true, seed: 1, channels: inShape[3] === 1 ? 1 : 3 });
    }
    const bar = progressBar('channel selection', 'layers', Boolean(v.quiet));
    await bar.ready();
    const res = bar.interrupted() === undefined ? neural.pruneGraph(dg, ratio, { method, normScope, calibration, onProgress: bar.onProgress }) : undefined;
    bar.stop();
    const interrupted = bar.interrupted();
    if (interrupted !== undefined || res === undefined) {
      calibration?.dispose();
      throw new CliInterrupt(`prune: interrupted (Ctrl-C) ${interrupted ?? 'before the work began'}; no file written`);
    }
    calibration?.dispose();
    const { files } = neural.writeModel(res.graph, v.out);
    // Both graphs once before timing either: the first graph run in a process also pays the
    // backend's kernel set-up, which would otherwise be counted as the original model's latency.
    neural.measureLatency(g, inShape, { runs: 3 });
    neural.measureLatency(res.graph, inShape, { runs: 3 });
    const before = neural.measureLatency(g, inShape, { runs: 20 });
    const after = neural.measureLatency(res.graph, inShape, { runs: 20 });
    const pct = (a: number, b: number): string => `${((a / b) * 100).toFixed(1)} %`;
    io.stdout([
      `method: ${method}; removed ${res.removed.size} of ${dg.groups.length} dependency groups`,
      `FLOPs per sample: ${res.flopsBefore.toLocaleString('en-US')} → ${res.flopsAfter.toLocaleString('en-US')} (${pct(res.flopsAfter, res.flopsBefore)})`,
      `parameters: ${res.paramsBefore.toLocaleString('en-US')} → ${res.paramsAfter.toLocaleString('en-US')} (${pct(res.paramsAfter, res.paramsBefore)})`,
      `latency (tfjs ${info.backend}${info.simd ? ' SIMD' : ''}, batch 1, median of 20): ${before.toFixed(2)} ms → ${after.toFixed(2)} ms (speed-up ${(before / after).toFixed(2)}×)`,
      `wrote ${files.join(', ')}`,
    ].join('\n') + '\n');
    return 0;
  },
};
