import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { tf } from '../runtime.ts';
import { readModelJson } from './files.ts';
import { checkFile, checkString } from '../check.ts';

/**
 * The stock tfjs loaders fed from files in Node (tfjs' own `file://` handler lives in tfjs-node,
 * which is not used here): a `tf.io.IOHandler` that reads `model.json` and its shards.
 */
export function fileIOHandler(path: string): tf.io.IOHandler {
  checkString('fileIOHandler', 'path', path);
  checkFile('fileIOHandler', path);
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const fn = 'fileIOHandler';
      const j = readModelJson(fn, path);
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Uint8Array[] = [];
      for (const g of j.weightsManifest) {
        specs.push(...(g.weights as tf.io.WeightsManifestEntry[]));
        for (const p of g.paths) buffers.push(new Uint8Array(readFileSync(join(dirname(path), p))));
      }
      const total = buffers.reduce((a, b) => a + b.length, 0);
      const all = new Uint8Array(total);
      let o = 0;
      for (const b of buffers) {
        all.set(b, o);
        o += b.length;
      }
      return {
        modelTopology: j.modelTopology as tf.io.ModelArtifacts['modelTopology'],
        format: j.format, generatedBy: j.generatedBy, convertedBy: j.convertedBy ?? undefined,
        userDefinedMetadata: j.userDefinedMetadata as tf.io.ModelArtifacts['userDefinedMetadata'],
        signature: j.signature as tf.io.ModelArtifacts['signature'],
        trainingConfig: j.trainingConfig as tf.io.ModelArtifacts['trainingConfig'],
        weightSpecs: specs,
        weightData: all.buffer,
      };
    },
  };
}

/** `tf.loadGraphModel` on a `model.json` path. */
export function loadStockGraphModel(path: string): Promise<GraphModel> {
  checkString('loadStockGraphModel', 'path', path);
  checkFile('loadStockGraphModel', path);
  return loadGraphModel(fileIOHandler(path));
}

/** `tf.loadLayersModel` on a `model.json` path. */
export async function loadStockLayersModel(path: string): Promise<import('@tensorflow/tfjs-layers').LayersModel> {
  checkString('loadStockLayersModel', 'path', path);
  checkFile('loadStockLayersModel', path);
  const { loadLayersModel } = await import('@tensorflow/tfjs-layers');
  return loadLayersModel(fileIOHandler(path));
}
