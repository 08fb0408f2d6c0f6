/**
 * Writing a whole output folder at once: the files go into a temporary sibling folder that is
 * renamed into place at the end, so a failed export leaves nothing behind.
 *
 * @module
 */
import { UsageError, WriteError } from "@slimming/tensor-utils/core";

/** A UsageError when `dir` exists and is not an empty folder (the export would overwrite it). */
export async function checkOutputFolder(dir: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw new WriteError(`${dir}: ${(error as Error).message}`);
  }
  if (!info.isDirectory) throw new UsageError(`${dir} exists and is not a folder`);
  for await (const _ of Deno.readDir(dir)) {
    throw new UsageError(`${dir} exists and is not empty (choose a new --out folder)`);
  }
}

function parentOf(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  const cut = trimmed.lastIndexOf("/");
  return cut < 0 ? "." : cut === 0 ? "/" : trimmed.slice(0, cut);
}

/**
 * Writes `files` (name -> bytes or text) as the folder `dir`: checked with
 * {@linkcode checkOutputFolder}, written into a temporary sibling and renamed into place.
 * Any failure removes the temporary folder and is a WriteError (or the UsageError above).
 */
export async function writeFolderAtomic(
  dir: string,
  files: Readonly<Record<string, Uint8Array | string>>,
): Promise<void> {
  await checkOutputFolder(dir);
  const parent = parentOf(dir);
  const name = dir.replace(/\/+$/, "").slice(parent === "." ? 0 : parent.length + 1);
  let temp: string | undefined;
  try {
    await Deno.mkdir(parent, { recursive: true });
    temp = await Deno.makeTempDir({ dir: parent, prefix: `.${name}.tmp-` });
    for (const [file, content] of Object.entries(files)) {
      if (typeof content === "string") await Deno.writeTextFile(`${temp}/${file}`, content);
      else await Deno.writeFile(`${temp}/${file}`, content);
    }
    await Deno.rename(temp, dir);
    temp = undefined;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new WriteError(`cannot write ${dir}: ${(error as Error).message.split("\n")[0]}`);
  } finally {
    if (temp) await Deno.remove(temp, { recursive: true }).catch(() => {});
  }
}
