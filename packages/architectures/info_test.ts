import assert from "node:assert/strict";
import fc from "fast-check";
import { CheckpointError, UsageError } from "@slimming/tensor-utils/core";
import {
  ARCH_INFOS,
  ARCH_NAMES,
  archChoices,
  archesWithOption,
  archField,
  archInfo,
  archInfoOfTag,
  archTitles,
  DEFAULT_ARCH,
  depthChoices,
  isArchName,
  modelName,
} from "./info.ts";

/** The first architectures, in the registry's order; later ones are appended. */
const FIRST = ["vgg", "resnet", "densenet"];

Deno.test("the registry lists each architecture once, by its tag", () => {
  assert.deepEqual(ARCH_NAMES.slice(0, FIRST.length), FIRST);
  assert.equal(new Set(ARCH_NAMES).size, ARCH_NAMES.length);
  assert.equal(DEFAULT_ARCH, "vgg");
  assert.equal(
    archChoices(),
    `${ARCH_NAMES.slice(0, -1).join(", ")} or ${ARCH_NAMES[ARCH_NAMES.length - 1]}`,
  );
  assert.match(
    archChoices({ notes: true }),
    /^vgg, resnet \(pre-activation, bottleneck\)(,| or) densenet/,
  );
  assert.ok(archTitles().startsWith("VGG, pre-activation ResNet"));
  assert.match(
    depthChoices(),
    /^vgg 11, 13, 16 or 19 \(19\); resnet 9n\+2 \(164\); densenet 3n\+4 \(40\)/,
  );
  assert.match(depthChoices({ rules: false }), /^vgg 19, resnet 164, densenet 40/);
  assert.match(
    depthChoices({ defaults: false }),
    /^vgg 11, 13, 16 or 19; resnet 9n\+2; densenet 3n\+4/,
  );
  assert.equal(archesWithOption("cfg"), "vgg");
  assert.equal(archesWithOption("growthRate"), "densenet");
});

Deno.test("a tag looks its descriptor up; a file's field and tag round-trip", () => {
  fc.assert(
    fc.property(fc.constantFrom(...ARCH_NAMES), (name) => {
      const info = archInfo(name);
      assert.equal(info.name, name);
      assert.ok(isArchName(name));
      assert.equal(archInfoOfTag(archField(name).arch, "x.json"), info);
      assert.equal(info.specFor({ width: 1 }).arch, name);
    }),
  );
});

Deno.test("an untagged file is an old VGG's; an unknown tag is a one-line error", () => {
  assert.equal(archInfoOfTag(undefined, "a.st").name, "vgg");
  assert.deepEqual(archField("vgg"), {});
  assert.deepEqual(archField("resnet"), { arch: "resnet" });
  assert.throws(
    () => archInfoOfTag("lenet", "a.st"),
    (e: Error) =>
      e instanceof CheckpointError &&
      e.message === `a.st: arch "lenet" is none of ${ARCH_NAMES.join(", ")}`,
  );
  assert.throws(() => archInfo("lenet"), UsageError);
  assert.throws(
    () => archInfo("lenet"),
    (e: Error) => e.message === `--arch must be one of ${ARCH_NAMES.join(", ")}, got "lenet"`,
  );
  assert.ok(!isArchName("lenet") && !isArchName(undefined));
});

Deno.test("descriptors name their networks, scripts and defaults", () => {
  assert.equal(modelName({ depth: 19 }), "VGG-19");
  assert.equal(modelName({ arch: "resnet", depth: 164 }), "pre-activation ResNet-164");
  assert.equal(
    modelName({ arch: "densenet", depth: 40, growthRate: 12 }),
    "DenseNet-40 (growth rate 12)",
  );
  const first = ARCH_INFOS.slice(0, FIRST.length);
  assert.deepEqual(first.map((i) => i.referenceScript), [
    "vggprune.py",
    "resprune.py",
    "denseprune.py",
  ]);
  assert.deepEqual(first.map((i) => i.defaultDepth), [19, 164, 40]);
  assert.deepEqual(first.map((i) => modelName({ arch: i.name, ...i.paperNetwork })), [
    "VGG-19",
    "pre-activation ResNet-164",
    "DenseNet-40 (growth rate 12)",
  ]);
});

Deno.test("every descriptor counts its default model and names one layer per BN", () => {
  for (const info of ARCH_INFOS) {
    const spec = info.specFor({ width: 1 });
    assert.ok(info.countParams(spec, 10) > 0, info.name);
    assert.ok(info.countFlops(spec, 10) > info.countParams(spec, 10), info.name);
    assert.ok(info.layerNames(spec).length > 0, info.name);
  }
});

/** `typeof globalThis._tfengine` (tfjs's engine, made when tfjs loads) after importing `url`. */
async function tfjsEngineAfter(url: string): Promise<string> {
  const code = `await import(${JSON.stringify(url)}); console.log(typeof globalThis._tfengine);`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    cwd: new URL("../..", import.meta.url).pathname,
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("importing the registry's info part loads no tfjs; its tfjs part does", async () => {
  assert.equal(await tfjsEngineAfter(new URL("./info.ts", import.meta.url).href), "undefined");
  assert.equal(await tfjsEngineAfter(new URL("./mod.ts", import.meta.url).href), "object");
});
