/**
 * The report names the lab's data set: a CIFAR-100 lab's PDF is titled and described as
 * CIFAR-100 and set beside the reference's CIFAR-100 results; a lab.json naming an unknown
 * data set is a one-line error.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { renderReport } from "@slimming/report";
import { compact, hasPoppler, pdfInfo, pdfText, writeSyntheticLab } from "@slimming/report/testing";
import { DataError } from "@slimming/tensor-utils/core";

const poppler = await hasPoppler();

Deno.test("a CIFAR-100 lab's report says CIFAR-100 in its title, settings and comparison", async () => {
  const root = await Deno.makeTempDir({ prefix: "report_c100_" });
  try {
    const lab = await writeSyntheticLab(join(root, "runs"), {
      dataset: "cifar100",
      convWeights: false,
    });
    const result = await renderReport({ runsDir: lab.dir, outDir: join(root, "out") });
    if (poppler) {
      assert.equal((await pdfInfo(result.pdfPath)).Title, "Network Slimming on CIFAR-100");
      const text = compact(await pdfText(result.pdfPath));
      for (
        const needle of [
          "Network Slimming on CIFAR-100",
          "CIFAR-100: synthetic fixture",
          "VGGNet on CIFAR-100",
          "72.12%",
          "73.32%",
        ]
      ) {
        assert.ok(text.includes(compact(needle)), `the PDF lacks ${needle}`);
      }
      assert.doesNotMatch(text, /CIFAR10(?!0)/, "the PDF still names CIFAR-10");
    } else {
      console.warn("report dataset: no poppler; only the rendering is checked");
    }

    const path = join(lab.dir, "lab.json");
    const json = JSON.parse(await Deno.readTextFile(path));
    await Deno.writeTextFile(path, JSON.stringify({ ...json, dataset: "mnist" }));
    await assert.rejects(
      renderReport({ runsDir: lab.dir, outDir: join(root, "out2") }),
      (e) =>
        e instanceof DataError && /"dataset" should be one of cifar10, cifar100/.test(e.message),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
