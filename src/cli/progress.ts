import cliProgress from 'cli-progress';

/** A progress reporter for long work: `(done, total)` calls, and `stop()` when the work ends. */
export interface Progress {
  readonly onProgress: ((done: number, total: number) => void) | undefined;
  stop(): void;
}

/**
 * A progress bar on stderr (plain lines once a second when stderr is not a terminal), or nothing
 * when `quiet`. The bar starts at the first report, so quick work prints nothing.
 */
export function progressBar(label: string, unit: string, quiet: boolean, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (quiet) return { onProgress: undefined, stop() {} };
  const bar = new cliProgress.SingleBar({
    stream, noTTYOutput: true, notTTYSchedule: 1000, hideCursor: false, clearOnComplete: false,
    format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit}`,
  }, cliProgress.Presets.legacy);
  let started = false;
  let total = 0;
  return {
    onProgress(done: number, t: number) {
      if (!started) {
        bar.start(t, 0);
        started = true;
        total = t;
      } else if (t !== total) {
        bar.setTotal(t);
        total = t;
      }
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
