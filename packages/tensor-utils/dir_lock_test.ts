import assert from "node:assert/strict";
import { LOCK_FILE, lockDir } from "./dir_lock.ts";
import { UsageError } from "./errors.ts";

const holderScript = (dir: string) =>
  `import { lockDir } from "${new URL("./dir_lock.ts", import.meta.url)}";\n` +
  `lockDir(${JSON.stringify(dir)}, "holder");\nconsole.log("locked");\n` +
  `await new Promise((r) => setTimeout(r, 60_000));\n`;

async function startHolder(dir: string): Promise<Deno.ChildProcess> {
  const script = `${dir}/../holder.ts`;
  await Deno.writeTextFile(script, holderScript(dir));
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  assert.match(new TextDecoder().decode(value), /locked/);
  reader.releaseLock();
  return child;
}

Deno.test("lockDir: one holder at a time; release lets the next in", () => {
  const dir = Deno.makeTempDirSync();
  const first = lockDir(dir, "train");
  assert.equal(first.stale, undefined);
  assert.equal(JSON.parse(Deno.readTextFileSync(`${dir}/${LOCK_FILE}`)).command, "train");
  first.release();
  const second = lockDir(dir, "prune");
  assert.equal(second.stale, undefined, "a released lock is not stale");
  second.release();
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("lockDir: a live holder in another process is named; a killed one is reported stale", async () => {
  const root = Deno.makeTempDirSync();
  const dir = `${root}/run`;
  Deno.mkdirSync(dir);
  const child = await startHolder(dir);
  try {
    assert.throws(
      () => lockDir(dir, "train"),
      (e: unknown) =>
        e instanceof UsageError && e.message.includes(`pid ${child.pid}`) &&
        e.message.includes("'holder'") && !e.message.includes("\n"),
    );
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await child.stdout.cancel().catch(() => {});
  }
  const taken = lockDir(dir, "train");
  assert.equal(taken.stale?.pid, child.pid);
  assert.equal(taken.stale?.command, "holder");
  taken.release();
  Deno.removeSync(root, { recursive: true });
});
