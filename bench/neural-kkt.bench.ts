/**
 * `npm run bench neural-kkt`: where the KKT residual of a polished ReLU MLP 64-H-10 (first N digits)
 * lies — the groups carrying it, its projection on the hidden units' scaling directions (incoming
 * column and bias × c, outgoing row / c), the (sample, unit) pairs near a ReLU kink and the residual
 * left when ReLU′(0) ∈ [0, 1] is chosen for them. Every EVERY-th polishing step prints steps, evaluations,
 * P, kktRelative, kktClarkeRelative (the generalized residual, δ = 10⁻⁴), pairs in the band, active groups.
 * Env: N (600), H (8), LAMBDA (5e-3), EVALS (1500), EVERY (100), METHOD ('newton'), RESCALE (0),
 * GSET ('incoming' for unitGroups' incoming groups; default outgoing).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { loadDigits } from '../src/neural/digits.ts';
import { FlatParams, fullBatch, groupStructureOf, initBackend, netStructure, rescalableUnits, trainProximal, unitGroups, type ImageSet } from '../src/neural/train/index.ts';

export async function main(): Promise<void> {
  await initBackend();
  const d = loadDigits();
  const n = Number(process.env.N ?? 600);
  const H = Number(process.env.H ?? 8);
  const lambda = Number(process.env.LAMBDA ?? 5e-3);
  const evals = Number(process.env.EVALS ?? 1500);
  const method = (process.env.METHOD ?? 'newton') as 'newton';
  const rescale = Number(process.env.RESCALE ?? 0);
  const EVERY = Number(process.env.EVERY ?? 100);
  const data: ImageSet = { x: Float32Array.from(d.x.subarray(0, n * 64)), y: d.y.subarray(0, n), n, shape: [64], classes: 10 };
  const model = tfl.sequential({ layers: [
    tfl.layers.dense({ inputShape: [64], units: H, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }),
    tfl.layers.dense({ units: 10, kernelInitializer: tfl.initializers.glorotUniform({ seed: 9 }) }),
  ] });
  const net = netStructure(model);
  const groups = process.env.GSET === 'incoming' ? unitGroups(net, { mode: 'incoming' }) : unitGroups(net);
  const gs = groupStructureOf(net, groups);
  let best = Infinity;
  let bestClarke = Infinity;
  const t0 = Date.now();
  const r = trainProximal(net, data, { lambda, epochs: 10, lr: 0.05, momentum: 0.9, schedule: 'cosine', polish: 100000, polishTol: 1e-5, polishMethod: method, polishRescale: rescale, groups,
    onProgress: (p) => { if (p.phase === 'polish') { best = Math.min(best, p.kktRelative); bestClarke = Math.min(bestClarke, p.kktClarkeRelative ?? Infinity); if (p.steps % EVERY === 0) console.log(p.steps, p.evaluations, p.objective.toFixed(7), p.kktRelative.toExponential(2), p.kktClarkeRelative?.toExponential(2), p.kinkPairs, p.activeGroups); return p.evaluations! < evals; } } });
  console.log(`time ${(Date.now() - t0) / 1000}s status ${r.polish.status} P ${r.objective} kktRel ${r.kktRelative} best ${best}; kktClarkeRel ${r.kktClarkeRelative} (${r.kinkPairs} pairs in the band) best ${bestClarke}`);
  // Residual analysis
  const params = new FlatParams(net);
  const th = params.theta;
  const fb = fullBatch(params, data, 'softmax', true);
  const g = fb.grad!;
  const res = new Float64Array(th.length);
  const where: string[] = [];
  for (let k = 0; k < gs.nGroups; k++) {
    let n2 = 0, g2 = 0;
    for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) { const i = gs.indices[j]; n2 += th[i] ** 2; g2 += g[i] ** 2; }
    const nn = Math.sqrt(n2), gn = Math.sqrt(g2), dd = gs.weights[k];
    let r2 = 0;
    for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) {
      const i = gs.indices[j];
      res[i] = nn > 0 ? g[i] + lambda * dd * th[i] / nn : (gn > lambda * dd ? g[i] * (1 - lambda * dd / gn) : 0);
      r2 += res[i] ** 2;
    }
    where.push(`${gs.names![k]} norm ${nn.toExponential(2)} res ${Math.sqrt(r2).toExponential(2)}`);
  }
  for (let i = 0; i < th.length; i++) if (gs.groupOf[i] < 0) res[i] = g[i];
  const scale = lambda * Math.max(...gs.weights);
  const sorted = where.map((w, k) => [w, k] as const).sort((a, b) => Number(b[0].split('res ')[1]) - Number(a[0].split('res ')[1]));
  console.log('top groups by residual:', sorted.slice(0, 6).map((s) => s[0]).join('; '));
  const small = where.filter((w) => Number(w.split('norm ')[1].split(' ')[0]) > 0).sort((a, b) => Number(a.split('norm ')[1].split(' ')[0]) - Number(b.split('norm ')[1].split(' ')[0]));
  console.log('smallest nonzero groups:', small.slice(0, 5).join('; '));
  let biasMax = 0; for (let i = 0; i < th.length; i++) if (gs.groupOf[i] < 0) biasMax = Math.max(biasMax, Math.abs(g[i]));
  console.log('bias max |grad|', biasMax.toExponential(2), 'scale', scale);
  // Projection onto rescaling tangents (least squares, small system).
  const units = rescalableUnits(net);
  const T = units.map((u) => { const t = new Float64Array(th.length); for (const i of u.incoming) t[i] = th[i]; for (const i of u.outgoing) t[i] = -th[i]; return t; });
  const m = T.length;
  const A = Array.from({ length: m }, (_, a) => Array.from({ length: m }, (_, b) => T[a].reduce((s, v, i) => s + v * T[b][i], 0) + (a === b ? 1e-30 : 0)));
  const bvec = T.map((t) => t.reduce((s, v, i) => s + v * res[i], 0));
  // solve
  const M = A.map((row, i) => [...row, bvec[i]]);
  for (let c = 0; c < m; c++) { let p = c; for (let r2 = c + 1; r2 < m; r2++) if (Math.abs(M[r2][c]) > Math.abs(M[p][c])) p = r2; [M[c], M[p]] = [M[p], M[c]]; if (M[c][c] === 0) continue; for (let r2 = 0; r2 < m; r2++) if (r2 !== c) { const f = M[r2][c] / M[c][c]; for (let k = c; k <= m; k++) M[r2][k] -= f * M[c][k]; } }
  const coef = M.map((row, i) => (row[i] === 0 ? 0 : row[m] / row[i]));
  const proj = new Float64Array(th.length); coef.forEach((c, a) => { for (let i = 0; i < th.length; i++) proj[i] += c * T[a][i]; });
  const nr = Math.hypot(...res), np = Math.hypot(...proj);
  console.log(`‖r‖ ${nr.toExponential(3)}, ‖proj onto rescaling tangents‖ ${np.toExponential(3)} (${(100 * np * np / (nr * nr)).toFixed(2)} % of ‖r‖²); per-unit slopes r·T_u / ‖T_u‖:`, T.map((t, a) => (bvec[a] / Math.hypot(...t)).toExponential(1)).join(' '));
  // pre-activation distance to kink, dead units
  const x = data.x; const W1 = th.subarray(0, 64 * H); const b1 = th.subarray(64 * H, 64 * H + H);
  let minAbs = Infinity; const activeCount = new Array(H).fill(0);
  for (let s = 0; s < n; s++) for (let u = 0; u < H; u++) { let z = b1[u]; for (let j = 0; j < 64; j++) z += x[s * 64 + j] * W1[j * H + u]; minAbs = Math.min(minAbs, Math.abs(z)); if (z > 0) activeCount[u]++; }
  console.log('min |pre-activation|', minAbs.toExponential(2), 'samples active per unit', activeCount.join(','));
  // residual on dead units' incoming kernel entries
  let deadR2 = 0, deadW2 = 0;
  for (let u = 0; u < H; u++) if (activeCount[u] === 0) for (let j = 0; j < 64; j++) { deadR2 += res[j * H + u] ** 2; deadW2 += W1[j * H + u] ** 2; }
  let outDead = 0; for (let u = 0; u < H; u++) if (activeCount[u] === 0) for (let o = 0; o < 10; o++) outDead += th[64 * H + H + u * 10 + o] ** 2;
  console.log(`dead units: residual² on incoming ${deadR2.toExponential(2)} of ‖r‖² ${(nr * nr).toExponential(2)}; their incoming ‖w‖ ${Math.sqrt(deadW2).toExponential(2)}, outgoing ‖w‖ ${Math.sqrt(outDead).toExponential(2)}`);
  let maxLive = 0; for (let k = 0; k < gs.nGroups; k++) { let r2 = 0; for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) { const i = gs.indices[j]; const u = i < 64 * H ? i % H : -1; if (u >= 0 && activeCount[u] === 0) continue; r2 += res[i] ** 2; } maxLive = Math.max(maxLive, Math.sqrt(r2)); }
  console.log(`max group residual without dead units' entries ${maxLive.toExponential(2)} (relative ${(maxLive / scale).toExponential(2)}), bias ${(biasMax / scale).toExponential(2)}`);
  // Clarke-type residual: choose relu'(z) ∈ [0,1] for pairs with |z| < eps to minimize ‖r‖.
  const W2 = th.subarray(64 * H + H, 64 * H + H + H * 10); const b2 = th.subarray(64 * H + H + H * 10);
  for (const eps of [1e-4, 1e-3, 1e-2]) {
    const cols: { idx: number[]; val: number[]; s0: number }[] = [];
    for (let s = 0; s < n; s++) {
      const h = new Array(H).fill(0); const zz = new Array(H).fill(0);
      for (let u = 0; u < H; u++) { let z = b1[u]; for (let j = 0; j < 64; j++) z += x[s * 64 + j] * W1[j * H + u]; zz[u] = z; h[u] = Math.max(0, z); }
      const lo = new Array(10).fill(0); for (let o = 0; o < 10; o++) { let v = b2[o]; for (let u = 0; u < H; u++) v += h[u] * W2[u * 10 + o]; lo[o] = v; }
      const mx = Math.max(...lo); const e = lo.map((v) => Math.exp(v - mx)); const se = e.reduce((a, b) => a + b, 0);
      const dl = e.map((v, o) => v / se - (o === data.y[s] ? 1 : 0));
      for (let u = 0; u < H; u++) if (Math.abs(zz[u]) < eps) {
        let gsu = 0; for (let o = 0; o < 10; o++) gsu += W2[u * 10 + o] * dl[o];
        const idx: number[] = [], val: number[] = [];
        for (let j = 0; j < 64; j++) if (x[s * 64 + j] !== 0) { idx.push(j * H + u); val.push(gsu * x[s * 64 + j] / n); }
        idx.push(64 * H + u); val.push(gsu / n);
        cols.push({ idx, val, s0: zz[u] > 0 ? 1 : 0 });
      }
    }
    const K = cols.length; const sig = cols.map((c) => c.s0);
    const rr = Float64Array.from(res);
    const Ldiag = cols.reduce((a, c) => a + c.val.reduce((s, v) => s + v * v, 0), 0);
    for (let it = 0; it < 20000 && K > 0; it++) {
      for (let k = 0; k < K; k++) { const c = cols[k]; let gk = 0; for (let q = 0; q < c.idx.length; q++) gk += c.val[q] * rr[c.idx[q]]; const ns = Math.min(1, Math.max(0, sig[k] - gk / Ldiag)); const dlt = ns - sig[k]; if (dlt !== 0) { for (let q = 0; q < c.idx.length; q++) rr[c.idx[q]] += dlt * c.val[q]; sig[k] = ns; } }
    }
    let mg = 0; for (let k = 0; k < gs.nGroups; k++) { let r2 = 0; for (let j = gs.ptr[k]; j < gs.ptr[k + 1]; j++) r2 += rr[gs.indices[j]] ** 2; mg = Math.max(mg, Math.sqrt(r2)); }
    for (let i = 0; i < th.length; i++) if (gs.groupOf[i] < 0) mg = Math.max(mg, Math.abs(rr[i]));
    console.log(`eps ${eps}: ${K} sample-unit pairs near a kink; best relu' choice gives ‖r‖ ${Math.hypot(...rr).toExponential(3)} (was ${nr.toExponential(3)}), max-group relative ${(mg / scale).toExponential(2)}`);
  }

}
