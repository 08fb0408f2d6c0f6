import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import {
  CheckpointError,
  conv3x3BnRelu,
  createRng,
  decodeSafetensors,
  disposeTree,
  encodeSafetensors,
  type NamedArray,
  type SafetensorsFile,
  treeLeaves,
  UsageError,
} from "@slimming/tensor-utils";
import {
  type Cfg,
  cfgForDepth,
  type CfgItem,
  checkpointMetadata,
  convChannels,
  countFlops,
  countParams,
  featureIndices,
  forward,
  fromStateDict,
  gammaKeys,
  initVgg,
  parseCfg,
  scaleCfg,
  toStateDict,
  trainableLeaves,
  validateCfg,
  VGG_CFGS,
  type VggParams,
} from "@slimming/vgg";

await tf.setBackend("cpu");

// ---------------------------------------------------------------------------------------------
// Helpers

/** The reference's `defaultcfg` (models/vgg.py), written out independently of cfg.ts. */
const REFERENCE_CFGS: Record<number, CfgItem[]> = {
  11: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512],
  13: [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512],
  16: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512],
  19: [
    ...[64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M"] as CfgItem[],
    ...[512, 512, 512, 512, "M", 512, 512, 512, 512] as CfgItem[],
  ],
};

/**
 * Random valid 32x32 cfgs: five stages of conv layers (1 to 4 in the first, 0 to 4 in the
 * others, 1 to 6 channels each) separated by exactly four "M", so 32x32 ends at 2x2.
 */
const arbCfg: fc.Arbitrary<CfgItem[]> = fc.tuple(
  fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
  fc.array(fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 4 }), {
    minLength: 4,
    maxLength: 4,
  }),
).map(([first, rest]) => [...first, ...rest.flatMap((stage) => ["M" as const, ...stage])]);

function randomImages(batch: number, seed: number): tf.Tensor4D {
  const rng = createRng(seed, 99);
  const values = Float32Array.from({ length: batch * 32 * 32 * 3 }, () => rng.normal());
  return tf.tensor4d(values, [batch, 32, 32, 3]);
}

function stats(values: ArrayLike<number>): { mean: number; std: number } {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  const mean = sum / values.length;
  let sq = 0;
  for (let i = 0; i < values.length; i++) sq += (values[i] - mean) ** 2;
  return { mean, std: Math.sqrt(sq / values.length) };
}

function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what: string,
) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol,
      `${what}[${i}]: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

/** Asserts `fn` throws a one-line CheckpointError matching `pattern`. */
function assertCheckpointError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof CheckpointError, `not a CheckpointError: ${error}`);
    assert.ok(!/[\n\r]/.test(error.message), error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// forward

Deno.test("forward: logits [batch, classes] for random cfgs, and running stats per conv", () => {
  fc.assert(
    fc.property(
      arbCfg,
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 2, max: 5 }),
      fc.nat(),
      (cfg, batch, numClasses, seed) => {
        const start = tf.memory().numTensors;
        const params = initVgg({ cfg, numClasses, seed });
        const x = randomImages(batch, seed);
        const owned = tf.memory().numTensors;
        assert.equal(owned, start + treeLeaves(params).length + 1);

        const evalOut = forward(params, x, { training: false });
        assert.deepEqual(evalOut.logits.shape, [batch, numClasses]);
        assert.equal(evalOut.runningStats, undefined);
        assert.ok((evalOut.logits.dataSync() as Float32Array).every(Number.isFinite));
        // Only the logits are new.
        assert.equal(tf.memory().numTensors, owned + 1);
        evalOut.logits.dispose();

        const trainOut = forward(params, x, { training: true });
        assert.deepEqual(trainOut.logits.shape, [batch, numClasses]);
        const channels = convChannels(cfg);
        assert.equal(trainOut.runningStats?.length, channels.length);
        trainOut.runningStats!.forEach((s, i) => {
          assert.deepEqual(s.runningMean.shape, [channels[i]]);
          assert.deepEqual(s.runningVar.shape, [channels[i]]);
          // The inputs' running stats are not reused or changed in place.
          assert.notEqual(s.runningMean, params.features[i].bn.runningMean);
          assert.notEqual(s.runningVar, params.features[i].bn.runningVar);
        });
        assert.equal(tf.memory().numTensors, owned + 1 + 2 * channels.length);
        disposeTree(trainOut);
        assert.equal(tf.memory().numTensors, owned);
        // Parameters untouched: initial running statistics still 0 and 1.
        for (const { bn } of params.features) {
          assert.ok((bn.runningMean.dataSync() as Float32Array).every((v) => v === 0));
          assert.ok((bn.runningVar.dataSync() as Float32Array).every((v) => v === 1));
        }
        disposeTree(params);
        x.dispose();
        assert.equal(tf.memory().numTensors, start);
      },
    ),
    { numRuns: 25 },
  );
});

Deno.test("forward: eval mode is per-example, training mode uses the batch statistics", () => {
  const cfg: CfgItem[] = [3, "M", 4, "M", "M", 2, "M"];
  const params = initVgg({ cfg, seed: 5 });
  const x = randomImages(3, 1);
  const first = tf.slice(x, [0, 0, 0, 0], [1, 32, 32, 3]);
  const [evalAll, evalOne] = [x, first].map((input) => {
    const { logits } = forward(params, input, { training: false });
    const values = logits.dataSync().slice();
    logits.dispose();
    return values;
  });
  // Eval: the first row does not depend on the rest of the batch.
  assertClose(evalAll.subarray(0, 10), evalOne, 1e-5, "eval logits");
  // Training: it does (batch statistics), so the rows differ from eval.
  const train = forward(params, x, { training: true });
  const trainValues = train.logits.dataSync();
  assert.ok(
    trainValues.some((v, i) => Math.abs(v - evalAll[i]) > 1e-6),
    "training logits equal eval logits",
  );
  disposeTree(train);
  disposeTree(params);
  x.dispose();
  first.dispose();
});

// ---------------------------------------------------------------------------------------------
// conv3x3BnRelu against a hand computation

Deno.test("conv3x3BnRelu: BN train and eval match a hand computation", () => {
  const [n, h, w, c] = [2, 2, 2, 3];
  const xs = Float32Array.from({ length: n * h * w * c }, (_, i) => ((i * 7) % 11) / 3 - 1.5);
  const gamma = [1.5, -0.5, 2];
  const beta = [0.1, 0.2, -0.3];
  const runningMean = [0.5, -1, 0];
  const runningVar = [2, 0.5, 1];
  // HWIO weight, identity at the centre tap: the conv output is the input.
  const wv = new Float32Array(3 * 3 * c * c);
  for (let ch = 0; ch < c; ch++) wv[((1 * 3 + 1) * c + ch) * c + ch] = 1;

  for (const [eps, momentum] of [[1e-5, 0.1], [0.1, 0.3]] as const) {
    const options = eps === 1e-5 ? {} : { eps, momentum }; // defaults: eps 1e-5, momentum 0.1
    const at = (i: number, ch: number) => xs[i * c + ch];
    const count = n * h * w;
    const mean = gamma.map((_, ch) => {
      let s = 0;
      for (let i = 0; i < count; i++) s += at(i, ch);
      return s / count;
    });
    const biasedVar = gamma.map((_, ch) => {
      let s = 0;
      for (let i = 0; i < count; i++) s += (at(i, ch) - mean[ch]) ** 2;
      return s / count;
    });
    const expectY = (m: number[], v: number[]) =>
      Array.from(xs, (value, k) => {
        const ch = k % c;
        return Math.max(0, (gamma[ch] * (value - m[ch])) / Math.sqrt(v[ch] + eps) + beta[ch]);
      });
    const expectedMean = runningMean.map((r, ch) => (1 - momentum) * r + momentum * mean[ch]);
    const expectedVar = runningVar.map((r, ch) =>
      (1 - momentum) * r + momentum * biasedVar[ch] * count / (count - 1)
    );

    const before = tf.memory().numTensors;
    const [y, trainMean, trainVar, evalY] = tf.tidy((): tf.Tensor[] => {
      const x = tf.tensor4d(xs, [n, h, w, c]);
      const weight = tf.tensor4d(wv, [3, 3, c, c]);
      const bn = {
        gamma: tf.tensor1d(gamma),
        beta: tf.tensor1d(beta),
        runningMean: tf.tensor1d(runningMean),
        runningVar: tf.tensor1d(runningVar),
      };
      const t = conv3x3BnRelu(x, weight, bn, { training: true, ...options });
      const e = conv3x3BnRelu(x, weight, bn, { training: false, ...options });
      assert.equal(e.runningMean, undefined);
      return [t.y, t.runningMean!, t.runningVar!, e.y];
    });
    assert.deepEqual(y.shape, [n, h, w, c]);
    assertClose(y.dataSync(), expectY(mean, biasedVar), 1e-5, `train y (eps ${eps})`);
    assertClose(trainMean.dataSync(), expectedMean, 1e-5, "running mean");
    assertClose(trainVar.dataSync(), expectedVar, 1e-5, "running var (unbiased)");
    assertClose(evalY.dataSync(), expectY(runningMean, runningVar), 1e-5, "eval y");
    assert.ok(Array.from(y.dataSync()).some((v) => v === 0), "relu clips something");
    tf.dispose([y, trainMean, trainVar, evalY]);
    assert.equal(tf.memory().numTensors, before);
  }
});

// ---------------------------------------------------------------------------------------------
// cfg and initVgg

Deno.test("cfg: depths 11/13/16/19 are the reference's, anything else is a UsageError", () => {
  for (const depth of [11, 13, 16, 19] as const) {
    assert.deepEqual([...cfgForDepth(depth)], REFERENCE_CFGS[depth], `depth ${depth}`);
    assert.deepEqual([...VGG_CFGS[depth]], REFERENCE_CFGS[depth]);
    assert.equal(validateCfg(cfgForDepth(depth)), cfgForDepth(depth));
    // Width 1/64 keeps the structure: every channel count divided by 64.
    const params = initVgg({ depth, width: 1 / 64, seed: 0 });
    assert.deepEqual(
      params.cfg,
      REFERENCE_CFGS[depth].map((v) => (v === "M" ? v : v / 64)),
    );
    assert.equal(params.features.length, convChannels(REFERENCE_CFGS[depth]).length);
    disposeTree(params);
  }
  // No depth and no cfg: VGG-19.
  const params = initVgg({ width: 1 / 64, seed: 0 });
  assert.deepEqual(params.cfg, REFERENCE_CFGS[19].map((v) => (v === "M" ? v : v / 64)));
  disposeTree(params);
  for (const depth of [0, 12, 18, 20, 19.5, NaN]) {
    assert.throws(() => cfgForDepth(depth), UsageError, `depth ${depth}`);
    assert.throws(() => initVgg({ depth, seed: 0 }), UsageError, `initVgg depth ${depth}`);
  }
});

Deno.test("cfg: scaleCfg rounds each width to the nearest integer, at least 1", () => {
  assert.deepEqual(scaleCfg([64, "M", 128, 256, 512], 0.3), [19, "M", 38, 77, 154]);
  assert.deepEqual(scaleCfg([64, "M", 1, 3], 0.5), [32, "M", 1, 2]);
  assert.deepEqual(scaleCfg([64, "M", 1], 0.001), [1, "M", 1]);
  assert.deepEqual(scaleCfg([64, 10], 2), [128, 20]);
  fc.assert(
    fc.property(arbCfg, fc.double({ min: 0.001, max: 8, noNaN: true }), (cfg, width) => {
      const scaled = scaleCfg(cfg, width);
      assert.equal(scaled.length, cfg.length);
      scaled.forEach((v, i) => {
        const orig = cfg[i];
        if (orig === "M") return assert.equal(v, "M");
        assert.ok(typeof v === "number" && Number.isInteger(v) && v >= 1);
        assert.ok(v === 1 || Math.abs(v - orig * width) <= 0.5 + 1e-9, `${orig}*${width} -> ${v}`);
      });
      assert.doesNotThrow(() => validateCfg(scaled));
    }),
    { numRuns: 200 },
  );
  for (const width of [0, -1, NaN, Infinity]) {
    assert.throws(() => scaleCfg([64], width), UsageError, `width ${width}`);
  }
});

Deno.test("cfg: validateCfg rejects bad pool counts, a leading M and non-integers", () => {
  const good: CfgItem[] = [4, "M", 6, "M", 8, "M", 8, "M", 8];
  assert.deepEqual(validateCfg(good), good);
  assert.deepEqual(validateCfg([4, "M", 4, "M", 4, "M"], 16), [4, "M", 4, "M", 4, "M"]);
  const bad: Array<[unknown, RegExp]> = [
    [[4, "M", 6, "M", 8, "M", 8], /3 max-pools/],
    [[4, "M", 6, "M", 8, "M", 8, "M", 8, "M"], /5 max-pools/],
    [[4, 6, 8], /0 max-pools/],
    [["M", 4, "M", 6, "M", 8, "M", 8], /start with a conv/],
    [["M", "M", "M", "M"], /start with a conv/],
    [[4.5, "M", 6, "M", 8, "M", 8, "M"], /positive integers/],
    [[0, "M", 6, "M", 8, "M", 8, "M"], /positive integers/],
    [[-4, "M", 6, "M", 8, "M", 8, "M"], /positive integers/],
    [["4", "M", 6, "M", 8, "M", 8, "M"], /positive integers/],
    [[4, "m", 6, "M", 8, "M", 8, "M"], /positive integers/],
    [[4, null, 6, "M", 8, "M", 8, "M"], /positive integers/],
    [[], /non-empty list/],
    ["4,M", /non-empty list/],
    [{ 0: 4 }, /non-empty list/],
  ];
  for (const [cfg, pattern] of bad) {
    assert.throws(() => validateCfg(cfg), (error: unknown) => {
      assert.ok(error instanceof UsageError, `${JSON.stringify(cfg)}: ${error}`);
      assert.match(error.message, pattern, JSON.stringify(cfg));
      assert.ok(!error.message.includes("\n"));
      return true;
    });
  }
  assert.throws(() => initVgg({ cfg: [4, "M", 4], seed: 0 }), UsageError);
  // parseCfg: both spellings.
  assert.deepEqual(parseCfg(" 64, M,128 ,m"), [64, "M", 128, "M"]);
  assert.deepEqual(parseCfg('[64, "M", 128]'), [64, "M", 128]);
  assert.throws(() => parseCfg("64,x"), UsageError);
  assert.throws(() => parseCfg("64,1.5"), UsageError);
});

Deno.test("initVgg: the reference initialisation (statistically) and seeded determinism", async () => {
  // VGG-11 at width 1/4: 16..128 channels, about 570k conv weights.
  const params = initVgg({ depth: 11, width: 0.25, numClasses: 100, seed: 3 });
  assert.deepEqual(params.cfg, scaleCfg(REFERENCE_CFGS[11], 0.25));
  let inChannels = 3;
  for (const [layer, out] of convChannels(params.cfg).entries()) {
    const { conv, bn } = params.features[layer];
    assert.deepEqual(conv.weight.shape, [3, 3, inChannels, out]);
    const w = await conv.weight.data();
    const { mean, std } = stats(w);
    const expected = Math.sqrt(2 / (9 * out));
    // Standard error of the std is std/sqrt(2N) (N >= 432): 15% is ~4 sigma for the smallest.
    assert.ok(Math.abs(std / expected - 1) < 0.15, `layer ${layer}: std ${std} vs ${expected}`);
    assert.ok(
      Math.abs(mean) < (4 * expected) / Math.sqrt(w.length),
      `layer ${layer}: mean ${mean}`,
    );
    for (
      const [name, value] of [["gamma", 0.5], ["beta", 0], ["runningMean", 0], [
        "runningVar",
        1,
      ]] as const
    ) {
      const t = bn[name];
      assert.deepEqual(t.shape, [out], name);
      assert.ok((await t.data()).every((v) => v === value), `${name} = ${value}`);
    }
    inChannels = out;
  }
  // Conv layers are drawn independently: layers of the same shape differ.
  const [a, b] = [params.features[6].conv.weight, params.features[7].conv.weight];
  assert.deepEqual(a.shape, b.shape);
  assert.notDeepEqual(await a.data(), await b.data());
  const { weight, bias } = params.classifier;
  assert.deepEqual(weight.shape, [128, 100]);
  const head = stats(await weight.data());
  assert.ok(Math.abs(head.std - 0.01) < 0.0005, `classifier std ${head.std}`);
  assert.ok(Math.abs(head.mean) < 0.0005, `classifier mean ${head.mean}`);
  assert.deepEqual(bias.shape, [100]);
  assert.ok((await bias.data()).every((v) => v === 0));

  // Same seed: identical values; another seed: different ones.
  const again = initVgg({ depth: 11, width: 0.25, numClasses: 100, seed: 3 });
  const other = initVgg({ depth: 11, width: 0.25, numClasses: 100, seed: 4 });
  const leaves = treeLeaves(params), same = treeLeaves(again), diff = treeLeaves(other);
  for (let i = 0; i < leaves.length; i++) {
    assert.deepEqual(await same[i].data(), await leaves[i].data(), `leaf ${i}`);
  }
  assert.notDeepEqual(await diff[0].data(), await leaves[0].data());
  assert.notDeepEqual(
    await other.classifier.weight.data(),
    await params.classifier.weight.data(),
  );
  [params, again, other].forEach(disposeTree);
});

// ---------------------------------------------------------------------------------------------
// counts

/** Trainable parameters computed from the layer list: 9*in*out + 2*out per conv + linear. */
function independentParams(cfg: Cfg, numClasses = 10): number {
  const convs = cfg.filter((v): v is number => typeof v === "number");
  const ins = [3, ...convs.slice(0, -1)];
  const conv = convs.reduce((s, out, i) => s + 9 * ins[i] * out + 2 * out, 0);
  const last = convs[convs.length - 1];
  return conv + last * numClasses + numClasses;
}

Deno.test("countParams: VGG-19 has 20.04M trainable parameters, as in the paper", () => {
  const n = countParams(VGG_CFGS[19]);
  assert.equal(n, independentParams(REFERENCE_CFGS[19]));
  // The paper's Table 1 gives 20.04M for the CIFAR VGGNet (bias-free convs, BN, one linear).
  assert.equal(Math.round(n / 1e4) / 100, 20.04);
  assert.equal(countParams(VGG_CFGS[19], 100), independentParams(REFERENCE_CFGS[19], 100));
  for (const depth of [11, 13, 16] as const) {
    assert.equal(countParams(VGG_CFGS[depth]), independentParams(REFERENCE_CFGS[depth]));
  }
});

Deno.test("countParams equals the size of initVgg's trainable tensors", () => {
  fc.assert(
    fc.property(arbCfg, fc.integer({ min: 1, max: 12 }), (cfg, numClasses) => {
      const params = initVgg({ cfg, numClasses, seed: 1 });
      const size = trainableLeaves(params).reduce((s, [, t]) => s + t.size, 0);
      assert.equal(countParams(cfg, numClasses), size);
      assert.equal(countParams(cfg, numClasses), independentParams(cfg, numClasses));
      disposeTree(params);
    }),
    { numRuns: 50 },
  );
});

Deno.test("countFlops: VGG-19 is ~7.97e8 FLOPs (2 x multiply-adds of conv and linear)", () => {
  const flops = countFlops(VGG_CFGS[19]);
  assert.ok(Math.abs(flops / 7.97e8 - 1) < 0.005, `${flops}`);
  // By hand: [4, M, 8] on 4x4 with 3 classes: 4*4*9*3*4 + 2*2*9*4*8 + 8*3 multiply-adds.
  assert.equal(countFlops([4, "M", 8], 3, 4), 2 * (1728 + 1152 + 24));
  // Pools alone cost nothing; halving the image quarters the conv part.
  assert.equal(countFlops([4, "M", "M"], 1, 8) - 2 * 4, 2 * 8 * 8 * 9 * 3 * 4);
  assert.equal(
    countFlops(VGG_CFGS[19], 0, 16) * 4,
    countFlops(VGG_CFGS[19], 0, 32),
  );
});

// ---------------------------------------------------------------------------------------------
// state_dict

const SD_CFG: CfgItem[] = [4, "M", 6, "M", 5, "M", 3, "M", 2];

async function encodedModel(cfg: Cfg = SD_CFG, seed = 11): Promise<{
  params: VggParams;
  dict: Record<string, NamedArray>;
  file: SafetensorsFile;
}> {
  const params = initVgg({ cfg, seed });
  // Non-trivial BN values so that a swapped gamma/beta/mean/var would show.
  const rng = createRng(seed, 5);
  const bnVals = (n: number) => tf.tensor1d(Float32Array.from({ length: n }, () => rng.normal()));
  const varied: VggParams = {
    ...params,
    features: params.features.map((f) => ({
      conv: f.conv,
      bn: {
        gamma: bnVals(f.bn.gamma.size),
        beta: bnVals(f.bn.gamma.size),
        runningMean: bnVals(f.bn.gamma.size),
        runningVar: tf.abs(bnVals(f.bn.gamma.size)) as tf.Tensor1D,
      },
    })),
  };
  params.features.forEach((f) => disposeTree(f.bn));
  const dict = await toStateDict(varied, { numBatchesTracked: 1234 });
  const file = decodeSafetensors(encodeSafetensors(dict, checkpointMetadata(cfg, { epoch: "3" })));
  return { params: varied, dict, file };
}

Deno.test("state_dict: PyTorch names, indices and layouts (OIHW, [out, in])", async () => {
  const { params, dict } = await encodedModel();
  assert.deepEqual(featureIndices(SD_CFG), [
    { conv: 0, bn: 1 },
    { conv: 4, bn: 5 },
    { conv: 8, bn: 9 },
    { conv: 12, bn: 13 },
    { conv: 16, bn: 17 },
  ]);
  assert.deepEqual(gammaKeys(SD_CFG), [1, 5, 9, 13, 17].map((i) => `feature.${i}.weight`));
  const expectedKeys: string[] = ["classifier.bias", "classifier.weight"];
  let inChannels = 3;
  for (const [layer, out] of convChannels(SD_CFG).entries()) {
    const conv = [0, 4, 8, 12, 16][layer];
    expectedKeys.push(`feature.${conv}.weight`);
    for (const k of ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]) {
      expectedKeys.push(`feature.${conv + 1}.${k}`);
    }
    const w = dict[`feature.${conv}.weight`];
    assert.equal(w.dtype, "F32");
    assert.deepEqual(w.shape, [out, inChannels, 3, 3]);
    const oihw = tf.tidy(() => tf.transpose(params.features[layer].conv.weight, [3, 2, 0, 1]));
    assert.deepEqual(w.data, await oihw.data());
    oihw.dispose();
    const bn = params.features[layer].bn;
    assert.deepEqual(dict[`feature.${conv + 1}.weight`].data, await bn.gamma.data());
    assert.deepEqual(dict[`feature.${conv + 1}.bias`].data, await bn.beta.data());
    assert.deepEqual(dict[`feature.${conv + 1}.running_mean`].data, await bn.runningMean.data());
    assert.deepEqual(dict[`feature.${conv + 1}.running_var`].data, await bn.runningVar.data());
    const tracked = dict[`feature.${conv + 1}.num_batches_tracked`];
    assert.equal(tracked.dtype, "I64");
    assert.deepEqual(tracked.shape, []);
    assert.equal(new DataView(tracked.data.buffer).getBigInt64(0, true), 1234n);
    inChannels = out;
  }
  assert.deepEqual(Object.keys(dict).sort(), expectedKeys.sort());
  assert.deepEqual(dict["classifier.weight"].shape, [10, 2]);
  const head = tf.tidy(() => tf.transpose(params.classifier.weight));
  assert.deepEqual(dict["classifier.weight"].data, await head.data());
  head.dispose();
  assert.deepEqual(dict["classifier.bias"].shape, [10]);
  disposeTree(params);
});

Deno.test("state_dict: toStateDict -> safetensors -> fromStateDict is exact", async () => {
  await fc.assert(
    fc.asyncProperty(arbCfg, fc.nat(), async (cfg, seed) => {
      const { params, file } = await encodedModel(cfg, seed);
      const back = fromStateDict(file, { expectedCfg: cfg });
      assert.deepEqual(back.cfg, cfg);
      const a = treeLeaves(params), b = treeLeaves(back);
      assert.equal(a.length, b.length);
      for (let i = 0; i < a.length; i++) {
        assert.deepEqual(b[i].shape, a[i].shape, `leaf ${i}`);
        assert.deepEqual(await b[i].data(), await a[i].data(), `leaf ${i}`);
      }
      disposeTree(params);
      disposeTree(back);
    }),
    { numRuns: 15 },
  );
});

Deno.test("state_dict: fromStateDict accepts without num_batches_tracked and other head sizes", async () => {
  const { params, file } = await encodedModel();
  const tensors = Object.fromEntries(
    Object.entries(file.tensors).filter(([k]) => !k.endsWith("num_batches_tracked")),
  );
  const back = fromStateDict({ tensors, metadata: file.metadata });
  assert.equal(back.features.length, 5);
  disposeTree(back);
  disposeTree(params);
  const hundred = initVgg({ cfg: SD_CFG, numClasses: 100, seed: 1 });
  const dict = await toStateDict(hundred);
  const loaded = fromStateDict({ tensors: dict, metadata: checkpointMetadata(SD_CFG) });
  assert.deepEqual(loaded.classifier.weight.shape, [2, 100]);
  assertCheckpointError(
    () =>
      fromStateDict({ tensors: dict, metadata: checkpointMetadata(SD_CFG) }, { numClasses: 10 }),
    /classifier\.weight has shape \[100,2\], the cfg needs \[10,2\]/,
  );
  disposeTree(loaded);
  disposeTree(hundred);
});

Deno.test("state_dict: fromStateDict rejects bad checkpoints with one-line errors and no leaks", async () => {
  const { params, file } = await encodedModel();
  disposeTree(params);
  const withTensors = (edit: (t: Record<string, NamedArray>) => void): SafetensorsFile => {
    const tensors = { ...file.tensors };
    edit(tensors);
    return { tensors, metadata: file.metadata };
  };
  const withMetadata = (metadata: Record<string, string>): SafetensorsFile => ({
    tensors: file.tensors,
    metadata,
  });
  const f32 = (shape: number[]): NamedArray => ({
    dtype: "F32",
    shape,
    data: new Float32Array(shape.reduce((a, b) => a * b, 1)),
  });
  const cases: Array<[string, () => unknown, RegExp]> = [
    [
      "missing conv weight",
      () => fromStateDict(withTensors((t) => delete t["feature.4.weight"]), { source: "m.st" }),
      /^m\.st: missing tensor feature\.4\.weight$/,
    ],
    [
      "missing running var",
      () => fromStateDict(withTensors((t) => delete t["feature.13.running_var"])),
      /missing tensor feature\.13\.running_var/,
    ],
    [
      "missing classifier bias",
      () => fromStateDict(withTensors((t) => delete t["classifier.bias"])),
      /missing tensor classifier\.bias/,
    ],
    [
      "wrong conv shape",
      () => fromStateDict(withTensors((t) => (t["feature.8.weight"] = f32([5, 6, 1, 9])))),
      /feature\.8\.weight has shape \[5,6,1,9\], the cfg needs \[5,6,3,3\]/,
    ],
    [
      "wrong gamma shape",
      () => fromStateDict(withTensors((t) => (t["feature.5.weight"] = f32([7])))),
      /feature\.5\.weight has shape \[7\], the cfg needs \[6\]/,
    ],
    [
      "wrong dtype",
      () =>
        fromStateDict(
          withTensors((t) =>
            t["feature.1.bias"] = { dtype: "F64", shape: [4], data: new Float64Array(4) }
          ),
        ),
      /feature\.1\.bias is F64, not F32/,
    ],
    [
      "extra tensor",
      () => fromStateDict(withTensors((t) => (t["feature.20.weight"] = f32([2])))),
      /unexpected tensor feature\.20\.weight/,
    ],
    [
      "extra tensor with a line break in its name",
      () => fromStateDict(withTensors((t) => (t["evil\nname"] = f32([2])))),
      /unexpected tensor evil/,
    ],
    [
      "no cfg",
      () => fromStateDict(withMetadata({ format: "pt" })),
      /no cfg in the header metadata/,
    ],
    [
      "cfg not JSON",
      () => fromStateDict(withMetadata({ cfg: "[4, M" })),
      /cfg in the metadata is not JSON/,
    ],
    [
      "cfg with 3 pools",
      () => fromStateDict(withMetadata({ cfg: '[4,"M",6,"M",5,"M",3]' })),
      /3 max-pools/,
    ],
    [
      "cfg not a list",
      () => fromStateDict(withMetadata({ cfg: '{"a":1}' })),
      /cfg must be a non-empty list/,
    ],
    [
      "cfg with a string",
      () => fromStateDict(withMetadata({ cfg: '["4","M","M","M","M"]' })),
      /positive integers/,
    ],
    [
      "cfg of another model",
      () =>
        fromStateDict(withMetadata({ cfg: JSON.stringify([4, "M", 6, "M", 5, "M", 3, "M", 3]) })),
      /feature\.16\.weight has shape \[2,3,3,3\], the cfg needs \[3,3,3,3\]/,
    ],
    [
      "expectedCfg mismatch",
      () => fromStateDict(file, { expectedCfg: [4, "M", 6, "M", 5, "M", 3, "M", 3] }),
      /its cfg \[4,"M",6,"M",5,"M",3,"M",2\] is not the expected \[4,"M",6,"M",5,"M",3,"M",3\]/,
    ],
  ];
  for (const [name, fn, pattern] of cases) {
    const before = tf.memory().numTensors;
    assert.throws(fn, (error: unknown) => {
      assert.ok(error instanceof CheckpointError, `${name}: ${error}`);
      assert.ok(!/[\n\r]/.test(error.message), `${name}: ${error.message}`);
      assert.match(error.message, pattern, name);
      return true;
    });
    assert.equal(tf.memory().numTensors, before, `${name}: tensors leaked`);
  }
  // And the unedited file loads.
  const ok = fromStateDict(file, { expectedCfg: SD_CFG });
  assert.deepEqual(ok.cfg, SD_CFG);
  disposeTree(ok);
});
