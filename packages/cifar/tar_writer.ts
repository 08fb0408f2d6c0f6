/**
 * A minimal POSIX ustar writer: 512-byte headers with checksums, data padded to 512
 * bytes, two zero blocks at the end. Enough to write CIFAR-style archives for tests.
 *
 * @module
 */

const BLOCK = 512;

/** One member to write: a regular file, or a folder when `data` is left out. */
export interface TarEntry {
  /** Path inside the archive; folders end with `/`. At most 100 bytes, or 255 with a `/` split. */
  readonly name: string;
  /** File contents; omit for a folder. */
  readonly data?: Uint8Array;
}

function putText(block: Uint8Array, at: number, length: number, value: string): void {
  const bytes = new TextEncoder().encode(value);
  if (bytes.length > length) throw new RangeError(`tar field too long: ${value}`);
  block.set(bytes, at);
}

function putOctal(block: Uint8Array, at: number, length: number, value: number): void {
  putText(block, at, length, value.toString(8).padStart(length - 1, "0"));
}

function splitName(name: string): [prefix: string, name: string] {
  const length = new TextEncoder().encode(name).length;
  if (length <= 100) return ["", name];
  for (let i = name.indexOf("/"); i >= 0; i = name.indexOf("/", i + 1)) {
    const prefix = name.slice(0, i), rest = name.slice(i + 1);
    if (
      new TextEncoder().encode(prefix).length <= 155 && new TextEncoder().encode(rest).length <= 100
    ) {
      return [prefix, rest];
    }
  }
  throw new RangeError(`tar member name too long for ustar: ${name}`);
}

/** The 512-byte ustar header of an entry (mode 644 or 755, owner 0, mtime 0). */
export function tarHeader(entry: TarEntry): Uint8Array {
  const block = new Uint8Array(BLOCK);
  const folder = entry.data === undefined;
  const [prefix, name] = splitName(entry.name);
  putText(block, 0, 100, name);
  putOctal(block, 100, 8, folder ? 0o755 : 0o644);
  putOctal(block, 108, 8, 0);
  putOctal(block, 116, 8, 0);
  putOctal(block, 124, 12, entry.data?.length ?? 0);
  putOctal(block, 136, 12, 0);
  block.fill(0x20, 148, 156);
  block[156] = folder ? 0x35 : 0x30;
  putText(block, 257, 6, "ustar");
  putText(block, 263, 2, "00");
  putText(block, 345, 155, prefix);
  let sum = 0;
  for (const b of block) sum += b;
  putText(block, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return block;
}

/** Encodes entries as a complete tar archive. */
export function encodeTar(entries: readonly TarEntry[]): Uint8Array {
  let size = 2 * BLOCK;
  for (const e of entries) size += BLOCK + Math.ceil((e.data?.length ?? 0) / BLOCK) * BLOCK;
  const out = new Uint8Array(size);
  let at = 0;
  for (const e of entries) {
    out.set(tarHeader(e), at);
    at += BLOCK;
    if (e.data) {
      out.set(e.data, at);
      at += Math.ceil(e.data.length / BLOCK) * BLOCK;
    }
  }
  return out;
}
