/** @module */
export function labCommand(
  _args: readonly string[],
  _log: (line: string) => void,
): Promise<unknown> {
  return Promise.reject(new Error("lab: not implemented yet"));
}
