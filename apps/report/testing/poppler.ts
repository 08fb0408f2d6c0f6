/**
 * Test helpers around poppler-utils (pdfinfo, pdftotext, pdftoppm). Tests that need them
 * skip themselves when `pdfinfo` is not installed.
 *
 * @module
 */

/** Output of a finished command. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command` with `args` (in `cwd`, default the current folder) and collects its output. */
export async function run(command: string, args: string[], cwd?: string): Promise<CommandResult> {
  const output = await new Deno.Command(command, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

let available: Promise<boolean> | undefined;

/** Whether poppler's `pdfinfo` can be run here. */
export function hasPoppler(): Promise<boolean> {
  available ??= run("pdfinfo", ["-v"]).then(() => true, () => false);
  return available;
}

/** The text of a PDF (`pdftotext`), failing loudly when poppler cannot read it. */
export async function pdfText(pdfPath: string): Promise<string> {
  const result = await run("pdftotext", ["-enc", "UTF-8", pdfPath, "-"]);
  if (result.code !== 0) throw new Error(`pdftotext failed: ${result.stderr}`);
  return result.stdout;
}

/** `pdfinfo` fields as a map (e.g. `Pages`, `Page size`). */
export async function pdfInfo(pdfPath: string): Promise<Record<string, string>> {
  const result = await run("pdfinfo", [pdfPath]);
  if (result.code !== 0) throw new Error(`pdfinfo failed: ${result.stderr}`);
  const fields: Record<string, string> = {};
  for (const line of result.stdout.split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) fields[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return fields;
}

/**
 * Text without whitespace and hyphens, for matching across pdftotext's spacing, line breaks
 * and the hyphens it drops when it joins a word broken at a line end.
 */
export function compact(text: string): string {
  return text.replace(/[\s-]+/g, "");
}

/** One word of a PDF page with its bounding box in points (from `pdftotext -bbox`). */
export interface WordBox {
  readonly page: number;
  readonly text: string;
  readonly xMin: number;
  readonly yMin: number;
  readonly xMax: number;
  readonly yMax: number;
}

/** Every word of the PDF with its page and bounding box. */
export async function pdfWords(pdfPath: string): Promise<WordBox[]> {
  const result = await run("pdftotext", ["-bbox", "-enc", "UTF-8", pdfPath, "-"]);
  if (result.code !== 0) throw new Error(`pdftotext -bbox failed: ${result.stderr}`);
  const words: WordBox[] = [];
  const pages = result.stdout.split("<page ").slice(1);
  const word =
    /<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g;
  pages.forEach((page, index) => {
    for (const match of page.matchAll(word)) {
      words.push({
        page: index + 1,
        text: match[5],
        xMin: Number(match[1]),
        yMin: Number(match[2]),
        xMax: Number(match[3]),
        yMax: Number(match[4]),
      });
    }
  });
  return words;
}

/** Pairs of words on the same page whose boxes overlap by more than `tolerance` points. */
export function overlappingWords(words: readonly WordBox[], tolerance = 0.5): [WordBox, WordBox][] {
  const pairs: [WordBox, WordBox][] = [];
  for (let i = 0; i < words.length; i++) {
    for (let j = i + 1; j < words.length; j++) {
      const a = words[i];
      const b = words[j];
      if (a.page !== b.page) continue;
      const overlapX = Math.min(a.xMax, b.xMax) - Math.max(a.xMin, b.xMin);
      const overlapY = Math.min(a.yMax, b.yMax) - Math.max(a.yMin, b.yMin);
      if (overlapX > tolerance && overlapY > tolerance) pairs.push([a, b]);
    }
  }
  return pairs;
}
