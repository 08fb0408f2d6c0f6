/**
 * Whether a path exists, asked the one way every package asks it.
 *
 * @module
 */

/** Whether `path` exists (a file, a folder or anything else); errors other than "not found" throw. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Whether `path` exists, synchronously; with `isFile`, whether it is a file. Unreadable paths
 * count as absent.
 */
export function existsSync(path: string, options: { isFile?: boolean } = {}): boolean {
  try {
    const info = Deno.statSync(path);
    return options.isFile ? info.isFile : true;
  } catch {
    return false;
  }
}
