/**
 * A minimal streaming tar reader (POSIX ustar, with GNU long names and pax `path`/`size`
 * records). Bytes are pushed in chunks of any size; only the members the caller selects
 * are kept, as the chunks they arrived in, so memory grows with the bytes actually read,
 * never with a size a header merely declares. Every problem is a {@linkcode DataError}
 * naming the archive and, where there is one, the member.
 *
 * @module
 */
import { DataError } from "@slimming/tensor-utils/core";

const BLOCK = 512;
/** Largest pax header or GNU long name accepted, in bytes. */
const MAX_META_BYTES = 1 << 20;

/** What a tar header says about a member. */
export interface TarHeader {
  /** Path inside the archive (leading `./` removed). */
  readonly name: string;
  /** Type flag: `"0"` regular file, `"5"` folder, and so on. */
  readonly type: string;
  /** Data size in bytes. */
  readonly size: number;
}

/** A member whose data was kept. */
export interface TarMember extends TarHeader {
  /** The data, in the chunks it arrived in. */
  readonly chunks: Uint8Array[];
}

/** Options for {@linkcode TarReader}. */
export interface TarReaderOptions {
  /** Name of the archive, used in every error message. */
  readonly source: string;
  /**
   * Called for each member; return the most bytes to keep it (a larger member is a
   * {@linkcode DataError}), or `undefined` to skip its data.
   */
  readonly select: (header: TarHeader) => number | undefined;
  /** Total bytes of the tar stream, when known: a member that claims more is an error at once. */
  readonly totalBytes?: number;
}

function isZero(block: Uint8Array): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

function text(block: Uint8Array, start: number, length: number): string {
  let end = start;
  while (end < start + length && block[end] !== 0) end++;
  return new TextDecoder().decode(block.subarray(start, end));
}

type Field = { readonly value: number } | { readonly error: string };

function numeric(block: Uint8Array, start: number, length: number): Field {
  if (block[start] & 0x80) { // GNU base-256
    if (block[start] !== 0x80) return { error: "negative or huge base-256 number" };
    let value = 0;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + block[i];
    return Number.isSafeInteger(value) ? { value } : { error: "base-256 number too large" };
  }
  const digits = text(block, start, length).trim();
  if (digits === "") return { value: 0 };
  if (!/^[0-7]+$/.test(digits)) return { error: `${JSON.stringify(digits)} is not octal` };
  return { value: parseInt(digits, 8) };
}

function checksumOk(block: Uint8Array): boolean {
  const stored = numeric(block, 148, 8);
  if (!("value" in stored)) return false;
  let unsigned = 0, signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i];
    unsigned += b;
    signed += b < 128 ? b : b - 256;
  }
  return stored.value === unsigned || stored.value === signed;
}

function parsePax(source: string, bytes: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  const all = new TextDecoder().decode(bytes);
  let at = 0;
  while (at < all.length) {
    const space = all.indexOf(" ", at);
    const length = space > at ? Number(all.slice(at, space)) : NaN;
    const record = all.slice(space + 1, at + length);
    const eq = record.indexOf("=");
    if (!Number.isSafeInteger(length) || length <= 0 || eq < 0 || !record.endsWith("\n")) {
      throw new DataError(`${source}: malformed pax extended header`);
    }
    out.set(record.slice(0, eq), record.slice(eq + 1, -1));
    at += length;
  }
  return out;
}

type State = "header" | "data" | "padding" | "end";

/** A push parser over a tar byte stream; see the module doc. */
export class TarReader {
  readonly #options: TarReaderOptions;
  readonly #members: TarMember[] = [];
  readonly #names: string[] = [];
  #state: State = "header";
  #offset = 0; // bytes consumed so far
  #header = new Uint8Array(BLOCK);
  #headerFill = 0;
  #zeroBlocks = 0;
  #current: TarHeader | undefined;
  #remaining = 0; // data bytes of the current member still to come
  #padding = 0;
  #keep: Uint8Array[] | undefined; // chunks of the current member, if kept
  #meta: Uint8Array[] | undefined; // chunks of a pax header or GNU long name
  #metaKind = "";
  #longName: string | undefined;
  #pax: Map<string, string> | undefined;

  /** A reader that keeps the members `options.select` asks for. */
  constructor(options: TarReaderOptions) {
    this.#options = options;
  }

  /** The names of all members seen so far, in archive order. */
  get names(): readonly string[] {
    return this.#names;
  }

  /** Whether the end-of-archive blocks have been read. */
  get ended(): boolean {
    return this.#state === "end";
  }

  #fail(why: string): never {
    const member = this.#current ? `member ${this.#current.name}: ` : "";
    throw new DataError(`${this.#options.source}: ${member}${why}`);
  }

  /** Feeds the next bytes of the tar stream. */
  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      switch (this.#state) {
        case "end":
          this.#offset += chunk.length - i;
          return;
        case "header": {
          const take = Math.min(BLOCK - this.#headerFill, chunk.length - i);
          this.#header.set(chunk.subarray(i, i + take), this.#headerFill);
          this.#headerFill += take;
          i += take;
          this.#offset += take;
          if (this.#headerFill === BLOCK) {
            this.#headerFill = 0;
            this.#readHeader();
          }
          break;
        }
        case "data": {
          const take = Math.min(this.#remaining, chunk.length - i);
          const piece = chunk.subarray(i, i + take);
          if (this.#keep) this.#keep.push(piece);
          if (this.#meta) this.#meta.push(piece);
          this.#remaining -= take;
          i += take;
          this.#offset += take;
          if (this.#remaining === 0) this.#endData();
          break;
        }
        case "padding": {
          const take = Math.min(this.#padding, chunk.length - i);
          this.#padding -= take;
          i += take;
          this.#offset += take;
          if (this.#padding === 0) this.#state = "header";
          break;
        }
      }
    }
  }

  #readHeader(): void {
    const block = this.#header;
    const at = this.#offset - BLOCK;
    if (isZero(block)) {
      this.#zeroBlocks++;
      if (this.#zeroBlocks === 2) this.#state = "end";
      return;
    }
    this.#zeroBlocks = 0;
    if (!checksumOk(block)) {
      throw new DataError(
        `${this.#options.source}: bad tar header checksum at byte ${at} (not a tar archive, or corrupt)`,
      );
    }
    const type = String.fromCharCode(block[156] || 0x30);
    const size = numeric(block, 124, 12);
    const prefix = text(block, 345, 155);
    let name = text(block, 0, 100);
    if (prefix !== "" && text(block, 257, 6) === "ustar") name = `${prefix}/${name}`;
    if (this.#longName !== undefined) name = this.#longName;
    const pax = this.#pax;
    if (pax?.has("path")) name = pax.get("path")!;
    name = name.replace(/^(\.\/)+/, "");
    let bytes = "value" in size ? size.value : NaN;
    if (pax?.has("size")) {
      bytes = /^\d+$/.test(pax.get("size")!) ? Number(pax.get("size")) : NaN;
    }
    this.#longName = undefined;
    this.#pax = undefined;
    this.#current = { name, type, size: bytes };
    if (!Number.isSafeInteger(bytes)) {
      this.#fail(`bad size field (${"error" in size ? size.error : "pax size"}) at byte ${at}`);
    }
    const left = this.#options.totalBytes === undefined
      ? undefined
      : this.#options.totalBytes - this.#offset;
    if (left !== undefined && bytes > left) {
      this.#fail(
        `declares ${bytes} bytes but only ${Math.max(0, left)} remain in the archive (truncated?)`,
      );
    }
    this.#keep = undefined;
    this.#meta = undefined;
    if (type === "x" || type === "L") {
      if (bytes > MAX_META_BYTES) this.#fail(`extended header of ${bytes} bytes is too large`);
      this.#meta = [];
      this.#metaKind = type;
    } else if (type !== "g" && type !== "K") {
      this.#names.push(name);
      const limit = this.#options.select(this.#current);
      if (limit !== undefined) {
        if (bytes > limit) {
          this.#fail(`${bytes} bytes is over the ${limit}-byte limit for this member`);
        }
        this.#keep = [];
      }
    }
    this.#remaining = bytes;
    this.#state = "data";
    if (bytes === 0) this.#endData();
  }

  #endData(): void {
    if (this.#keep && this.#current) {
      this.#members.push({ ...this.#current, chunks: this.#keep });
    }
    if (this.#meta) {
      const bytes = new Uint8Array(this.#meta.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of this.#meta) {
        bytes.set(c, at);
        at += c.length;
      }
      if (this.#metaKind === "L") {
        const nul = bytes.indexOf(0);
        this.#longName = new TextDecoder().decode(nul >= 0 ? bytes.subarray(0, nul) : bytes);
      } else {
        this.#pax = parsePax(this.#options.source, bytes);
      }
    }
    this.#keep = undefined;
    this.#meta = undefined;
    this.#padding = (BLOCK - (this.#current!.size % BLOCK)) % BLOCK;
    this.#state = this.#padding === 0 ? "header" : "padding";
  }

  /**
   * Ends the stream and returns the kept members. A stream that stops inside a header or
   * a member, or before the end-of-archive blocks, is a {@linkcode DataError}.
   */
  finish(): TarMember[] {
    const current = this.#current;
    if (this.#state === "data" && current) {
      this.#fail(
        `truncated: the archive ends after ${
          current.size - this.#remaining
        } of its ${current.size} bytes`,
      );
    }
    if (this.#state === "padding") this.#fail("truncated: the archive ends inside its padding");
    if (this.#state === "header" && this.#headerFill > 0) {
      throw new DataError(
        `${this.#options.source}: truncated: the archive ends inside a tar header`,
      );
    }
    if (this.#state === "header" && this.#offset === 0) {
      throw new DataError(`${this.#options.source}: empty archive`);
    }
    if (this.#state === "header" && this.#zeroBlocks === 0) {
      throw new DataError(
        `${this.#options.source}: truncated: the archive ends without its end-of-archive blocks`,
      );
    }
    return this.#members;
  }
}
