import fc from 'fast-check';

// Property tests replay the same cases by default so CI is reproducible; FC_SEED=random explores
// new cases (a failure prints its seed, which FC_SEED=<seed> replays).
const env = process.env.FC_SEED;
if (env !== 'random') fc.configureGlobal({ seed: env ? Number(env) : 20261126 });
