/**
 * A usage or data problem on the command line: printed as one line (`groupsparse: …`), exit code 2.
 * Library refusals (GroupSparseError) are reported the same way by `run`.
 */
export class CliError extends Error {
  override name = 'CliError';
}
