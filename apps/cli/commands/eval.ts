/** @module */
export function evalCommand(
  _args: readonly string[],
  _log: (line: string) => void,
): Promise<unknown> {
  return Promise.reject(new Error("eval: not implemented yet"));
}
