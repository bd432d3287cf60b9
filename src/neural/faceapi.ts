import { fileURLToPath } from 'node:url';
import { ValueError } from '../errors.ts';
import { checkOptions } from '../util/validate.ts';
import { readFaceApiManifest } from './formats/faceapi-graph.ts';
import type { Graph } from './ir/graph.ts';

/**
 * The Tiny Face Detector of face-api.js, shipped in `datasets/face-api/` (MIT): its weights manifest
 * and shard, read into the graph IR by the face-api importer. Input NHWC S × S × 3 after face-api's
 * normalization ((pixel − mean RGB) / 255), output the 25-channel grid of box and class logits.
 */

/** Path of the shipped manifest. */
export function tinyFaceDetectorPath(): string {
  return fileURLToPath(new URL('../../datasets/face-api/tiny_face_detector_model-weights_manifest.json', import.meta.url));
}

/** The shipped Tiny Face Detector as an IR graph for S × S inputs (S ≥ 34, default 64). */
export function loadTinyFaceDetector(options: { inputSize?: number; path?: string } = {}): Graph {
  checkOptions('loadTinyFaceDetector', options, ['inputSize', 'path']);
  const S = options.inputSize ?? 64;
  if (!Number.isInteger(S) || S < 34) throw new ValueError('loadTinyFaceDetector', `inputSize must be a whole number ≥ 34, got ${String(S)}`);
  return readFaceApiManifest(options.path ?? tinyFaceDetectorPath(), { inputSize: S });
}
