/** @module */
export function benchCommand(
  _args: readonly string[],
  _log: (line: string) => void,
): Promise<unknown> {
  return Promise.reject(new Error("bench: not implemented yet"));
}
