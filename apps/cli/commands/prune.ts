/** @module */
export function pruneCommand(
  _args: readonly string[],
  _log: (line: string) => void,
): Promise<unknown> {
  return Promise.reject(new Error("prune: not implemented yet"));
}
