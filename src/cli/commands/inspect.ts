import type { Command } from '../command.ts';
import { CliError } from '../errors.ts';
import { COMMON_FLAGS } from './common.ts';

export const NEURAL_INPUT_FLAGS = {
  'input-size': { type: 'string', arg: 'S', help: 'input side for models whose input size is not fixed (face-api: default 416)' },
} as const;

export function inputSizeOf(v: { 'input-size'?: string }): number | undefined {
  if (v['input-size'] === undefined) return undefined;
  const s = Number(v['input-size']);
  if (!Number.isInteger(s) || s < 1) throw new CliError(`--input-size must be a positive whole number, got '${v['input-size']}'`);
  return s;
}

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'show a network model: format, ops, dependency groups with FLOPs and parameters',
  usage: ['inspect <MODEL> [--json] [--input-size S]'],
  sections: [{ title: 'Options', flags: { json: { type: 'boolean', help: 'one JSON object on stdout (top-level `flops` is the total)' }, ...NEURAL_INPUT_FLAGS, help: COMMON_FLAGS.help } }],
  notes: ['MODEL: a tfjs graph or layers model.json (or its folder), a face-api *-weights_manifest.json, or an ONNX model.onnx.', 'Example:', '  groupsparse inspect datasets/face-api/tiny_face_detector_model-weights_manifest.json'],
  async run(values, positionals, io) {
    const v = values as { json?: boolean; 'input-size'?: string };
    if (positionals.length !== 1) throw new CliError(`inspect takes one MODEL path, got ${positionals.length}`);
    const size = inputSizeOf(v);
    const neural = await import('../../neural/index.ts');
    await neural.initRuntime();
    const g = neural.readModel(positionals[0], { inputSize: size });
    const dg = neural.dependencyGraph(g);
    const ops = neural.opCounts(g);
    const inputShape = dg.shapes.get(g.inputs[0].name)!;
    if (v.json) {
      io.stdout(JSON.stringify({
        format: g.source.kind, inputs: g.inputs.map((i) => ({ name: i.name, shape: dg.shapes.get(i.name) })), outputs: g.outputs,
        ops, nodes: g.nodes.length, flops: dg.flops, params: dg.params,
        groups: dg.groups.map((x) => ({ id: x.id, label: x.label, producers: x.producers, flops: x.flops, params: x.params, slices: x.slices.length, ...(x.head ? { head: x.head } : {}) })),
      }) + '\n');
      return 0;
    }
    const byProducer = new Map<string, { n: number; flops: number; params: number }>();
    for (const x of dg.groups) {
      const k = x.producers.join(' + ') + (x.head ? ' (attention heads)' : '');
      const e = byProducer.get(k) ?? { n: 0, flops: 0, params: 0 };
      e.n++;
      e.flops += x.flops;
      e.params += x.params;
      byProducer.set(k, e);
    }
    const lines = [
      `format: ${g.source.kind}; input ${g.inputs.map((i) => `${i.name} [${dg.shapes.get(i.name)!.join(', ')}]`).join(', ')}; ${g.outputs.length} output(s)`,
      `ops (${g.nodes.length} nodes): ${Object.entries(ops).map(([k, c]) => `${k} ×${c}`).join(', ')}`,
      `FLOPs per sample: ${dg.flops.toLocaleString('en-US')}; parameters: ${dg.params.toLocaleString('en-US')}`,
      `dependency groups: ${dg.groups.length} (channels${dg.headGroups.size ? ' or attention heads' : ''} removable together), by producing layer(s):`,
      `  ${'groups'.padStart(6)}  ${'FLOPs each'.padStart(12)}  ${'params each'.padStart(11)}  producers`,
    ];
    for (const [k, e] of byProducer) lines.push(`  ${String(e.n).padStart(6)}  ${Math.round(e.flops / e.n).toLocaleString('en-US').padStart(12)}  ${Math.round(e.params / e.n).toLocaleString('en-US').padStart(11)}  ${k}`);
    void inputShape;
    io.stdout(lines.join('\n') + '\n');
    return 0;
  },
};
