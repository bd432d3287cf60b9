import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../../errors.ts';
import { checkOptions } from '../../util/validate.ts';
import type { Graph } from '../ir/graph.ts';
import { readFaceApiManifest, writeFaceApiManifest } from './faceapi-graph.ts';
import { readJson } from './files.ts';
import { writeOnnx } from './onnx.ts';
import { readOnnx } from './onnx-read.ts';
import { readTfjsGraphModel, writeTfjsGraphModel } from './tfjs-graph.ts';
import { readTfjsLayersModel, writeTfjsLayersModel } from './tfjs-layers.ts';
import { checkGraph, checkInputOptions, checkString } from '../check.ts';

/**
 * One entry for every model file the neural part reads: the format is recognised from the file
 * (`*.onnx`, or a folder searched for `model.json`, `model.onnx` or one `*-weights_manifest.json`), and `writeModel` writes
 * a graph back in the format it came from.
 */

export interface ReadModelOptions {
  /** Input size for formats whose input has unknown spatial size (face-api: S of S × S). */
  readonly inputSize?: number;
  /** Full input shape for graph models with unknown placeholder dimensions, e.g. [1, 224, 224, 3]. */
  readonly inputShape?: readonly number[];
}

function locate(fn: string, path: string): string {
  if (!existsSync(path)) throw new DataError(fn, `${path} does not exist`);
  if (!statSync(path).isDirectory()) return path;
  if (existsSync(join(path, 'model.json'))) return join(path, 'model.json');
  if (existsSync(join(path, 'model.onnx'))) return join(path, 'model.onnx');
  const manifests = readdirSync(path).filter((f) => f.endsWith('-weights_manifest.json'));
  if (manifests.length === 1) return join(path, manifests[0]);
  throw new DataError(fn, `${path} holds no model.json and ${manifests.length} weight manifests`);
}

export function readModel(path: string, options: ReadModelOptions = {}): Graph {
  const fn = 'readModel';
  checkOptions(fn, options, ['inputSize', 'inputShape']);
  checkInputOptions(fn, options);
  const file = locate(fn, path);
  if (file.endsWith('.onnx')) return readOnnx(file, { inputShape: options.inputShape ?? (options.inputSize ? [1, options.inputSize, options.inputSize, 3] : undefined) });
  const json = readJson(fn, file) as { format?: string; modelTopology?: { node?: unknown; class_name?: unknown } } | unknown[];
  if (Array.isArray(json)) return readFaceApiManifest(file, { inputSize: options.inputSize });
  if (json && typeof json === 'object') {
    if (json.format === 'graph-model' || Array.isArray(json.modelTopology?.node)) {
      return readTfjsGraphModel(file, { inputShape: options.inputShape, inputSize: options.inputSize });
    }
    if (json.format === 'layers-model' || json.modelTopology?.class_name !== undefined) {
      return readTfjsLayersModel(file);
    }
  }
  throw new DataError(fn, `${file} is neither a tfjs graph model.json nor a face-api weights manifest`);
}

/**
 * Write `g` into folder `dir` in its source format (or as `dir/model.onnx` with `format: 'onnx'`);
 * returns the files written.
 */
export function writeModel(g: Graph, dir: string, options: { format?: 'source' | 'onnx' } = {}): { files: string[] } {
  checkGraph('writeModel', g);
  checkString('writeModel', 'dir', dir);
  checkOptions('writeModel', options, ['format']);
  if (options.format === 'onnx') return writeOnnx(g, dir);
  switch (g.source.kind) {
    case 'tfjs-graph': return writeTfjsGraphModel(g, dir);
    case 'faceapi-manifest': return writeFaceApiManifest(g, dir);
    case 'tfjs-layers': return writeTfjsLayersModel(g, dir);
    case 'onnx': return writeOnnx(g, dir);
    default: throw new DataError('writeModel', `writing ${g.source.kind} models is not supported`);
  }
}
