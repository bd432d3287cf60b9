import { fileURLToPath } from 'node:url';
import { DataError, ValueError } from '../errors.ts';
import { sequential, type LayerSpec, type Sequential } from './layers.ts';
import { readWeightsManifest, type ManifestTensor } from './manifest.ts';

/**
 * The Tiny Face Detector of face-api.js (shipped in `datasets/face-api/`, MIT) as a `Sequential`,
 * following face-api's `runMobilenet`: conv0 (3×3, 3→16, no padding) → leaky ReLU(0.1) → maxpool 2;
 * five blocks [depthwise 3×3 (pad 1) → pointwise 1×1 (+ bias) → leaky ReLU(0.1) → maxpool 2
 * ('same'; stride 2, the last one stride 1)] with 16→32→64→128→256→512 channels; head conv8 1×1
 * 512→25. Weights stay in tfjs layouts (HWIO, depthwise HWC). Input: 3 × S × S, S ≥ 34.
 */

/** Path of the shipped manifest. */
export function tinyFaceDetectorPath(): string {
  return fileURLToPath(new URL('../../datasets/face-api/tiny_face_detector_model-weights_manifest.json', import.meta.url));
}

/** Layer names of the five depthwise-separable blocks, for locating their pointwise convs. */
export const TINY_FACE_BLOCKS = ['conv1', 'conv2', 'conv3', 'conv4', 'conv5'] as const;

export function loadTinyFaceDetector(options: { inputSize?: number; path?: string } = {}): Sequential {
  const fn = 'loadTinyFaceDetector';
  const S = options.inputSize ?? 64;
  if (!Number.isInteger(S) || S < 34) throw new ValueError(fn, `inputSize must be a whole number ≥ 34, got ${String(S)}`);
  const w = readWeightsManifest(options.path ?? tinyFaceDetectorPath());
  const get = (name: string, shape: number[]): ManifestTensor => {
    const t = w.get(name);
    if (!t) throw new DataError(fn, `the manifest has no tensor '${name}'`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new DataError(fn, `tensor '${name}' has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
    return t;
  };
  const specs: LayerSpec[] = [
    { kind: 'conv2d', name: 'conv0', inChannels: 3, outChannels: 16, kernelH: 3, layout: 'HWIO', weight: get('conv0/filters', [3, 3, 3, 16]).data, bias: get('conv0/bias', [16]).data },
    { kind: 'leakyRelu', name: 'conv0/leaky', alpha: 0.10000000149011612 },
    { kind: 'maxpool2d', name: 'pool0', size: 2, stride: 2, padding: 'same' },
  ];
  let c = 16;
  TINY_FACE_BLOCKS.forEach((b, k) => {
    specs.push(
      { kind: 'depthwise2d', name: `${b}/depthwise`, channels: c, kernelH: 3, padding: 1, layout: 'HWC', weight: get(`${b}/depthwise_filter`, [3, 3, c, 1]).data },
      { kind: 'conv2d', name: `${b}/pointwise`, inChannels: c, outChannels: 2 * c, kernelH: 1, layout: 'HWIO', weight: get(`${b}/pointwise_filter`, [1, 1, c, 2 * c]).data, bias: get(`${b}/bias`, [2 * c]).data },
      { kind: 'leakyRelu', name: `${b}/leaky`, alpha: 0.10000000149011612 },
      { kind: 'maxpool2d', name: `pool${k + 1}`, size: 2, stride: k === 4 ? 1 : 2, padding: 'same' },
    );
    c *= 2;
  });
  specs.push({ kind: 'conv2d', name: 'conv8', inChannels: 512, outChannels: 25, kernelH: 1, layout: 'HWIO', weight: get('conv8/filters', [1, 1, 512, 25]).data, bias: get('conv8/bias', [25]).data });
  return sequential([3, S, S], specs, fn);
}
