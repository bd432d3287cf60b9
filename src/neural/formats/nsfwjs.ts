import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError } from '../../errors.ts';
import { checkChoice } from '../../util/validate.ts';
import type { Graph } from '../ir/graph.ts';
import type { ModelJson } from './files.ts';
import { manifestWeights } from './tfjs-graph.ts';
import { graphFromTfjsLayersModel } from './tfjs-layers.ts';

/**
 * The models `nsfwjs` (MIT) ships inside its package as UMD `.min.js` modules: `model.min.js`
 * exports the tfjs `model.json` object, each `group1-shardKofN.min.js` a base64 string of the shard.
 * `mobilenet_v2` is a Keras MobileNetV2 (224 × 224 × 3, inverted residuals, 5 classes) stored as a
 * tfjs layers model with uint8-quantized weights.
 */
export type NsfwjsModel = 'mobilenet_v2' | 'mobilenet_v2_mid';

/** The classes of the nsfwjs models' outputs, in output order (the package's `NSFW_CLASSES`). */
export const nsfwjsClasses: readonly string[] = Object.freeze(['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy']);

export function nsfwjsModelFolder(name: NsfwjsModel = 'mobilenet_v2'): string {
  return modelFolder('nsfwjsModelFolder', name);
}

const NSFWJS_MODELS: readonly NsfwjsModel[] = ['mobilenet_v2', 'mobilenet_v2_mid'];

/** Folder of a model shipped in the nsfwjs package; errors carry the caller's name. */
function modelFolder(fn: string, name: unknown): string {
  const model = checkChoice(fn, 'nsfwjs model', name, NSFWJS_MODELS);
  const req = createRequire(import.meta.url);
  let main: string;
  try {
    main = req.resolve('nsfwjs');
  } catch {
    throw new DataError(fn, 'the nsfwjs package is not installed');
  }
  // main is <pkg>/dist/cjs/index.js
  return join(dirname(dirname(main)), 'models', model);
}

export function readNsfwjsModel(name: NsfwjsModel = 'mobilenet_v2'): Graph {
  const fn = 'readNsfwjsModel';
  const dir = modelFolder(fn, name);
  const req = createRequire(import.meta.url);
  const json = req(join(dir, 'model.min.js')) as ModelJson;
  if (!json || !Array.isArray(json.weightsManifest)) throw new DataError(fn, `${dir}/model.min.js does not export a model.json object`);
  const shards = json.weightsManifest.map((g) => g.paths.map((p) => {
    const b64 = req(join(dir, `${p}.min.js`)) as unknown;
    if (typeof b64 !== 'string') throw new DataError(fn, `${dir}/${p}.min.js does not export a base64 string`);
    return new Uint8Array(Buffer.from(b64, 'base64'));
  }));
  const g = graphFromTfjsLayersModel(json, manifestWeights(fn, json.weightsManifest, shards));
  return g;
}
