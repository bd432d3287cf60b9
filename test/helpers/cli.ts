import { run } from '../../src/cli/index.ts';

export interface CliRun { code: number; stdout: string; stderr: string }

/** The command line in this process, its streams (progress included) captured: what the binary runs after reading argv. */
export async function cliInProcess(args: string[], stdin = ''): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const progressStream = { isTTY: false, write: (x: string) => { stderr += x; return true; } } as unknown as NodeJS.WriteStream;
  const code = await run(args, { stdout: (x) => { stdout += x; }, stderr: (x) => { stderr += x; }, readStdin: async () => stdin, progressStream });
  return { code, stdout, stderr };
}
