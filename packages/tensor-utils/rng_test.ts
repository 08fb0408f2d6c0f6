import assert from "node:assert/strict";
import fc from "fast-check";
import { createRng, deriveSeed, permutation } from "./rng.ts";

const arbPath = fc.array(fc.nat({ max: 2 ** 31 - 1 }), { maxLength: 4 });
const arbSeed = fc.nat({ max: 2 ** 32 - 1 });

function draws(seed: number, path: number[], n = 8): number[] {
  const rng = createRng(seed, ...path);
  return Array.from({ length: n }, () => rng.next());
}

Deno.test("rng: same seed and path give the same stream of next, int and normal", () => {
  fc.assert(
    fc.property(arbSeed, arbPath, (seed, path) => {
      const a = createRng(seed, ...path), b = createRng(seed, ...path);
      for (let i = 0; i < 50; i++) {
        assert.equal(a.next(), b.next());
        assert.equal(a.int(1000), b.int(1000));
        assert.equal(a.normal(), b.normal());
      }
      assert.equal(deriveSeed(seed, ...path), deriveSeed(seed, ...path));
    }),
    { numRuns: 100 },
  );
});

Deno.test("rng: different seeds or paths give different streams (order matters)", () => {
  fc.assert(
    fc.property(arbSeed, arbPath, arbSeed, arbPath, (s1, p1, s2, p2) => {
      fc.pre(s1 !== s2 || JSON.stringify(p1) !== JSON.stringify(p2));
      assert.notDeepEqual(draws(s1, p1), draws(s2, p2));
    }),
    { numRuns: 300 },
  );
  // Hand-picked neighbours: prefix, extension, swapped order, adjacent values.
  const streams = [
    draws(7, []),
    draws(7, [0]),
    draws(7, [1]),
    draws(7, [1, 2]),
    draws(7, [2, 1]),
    draws(7, [1, 2, 0]),
    draws(8, [1, 2]),
    draws(0, []),
    draws(1, []),
  ];
  const unique = new Set(streams.map((s) => s.join(",")));
  assert.equal(unique.size, streams.length);
});

Deno.test("rng: next is in [0, 1) and int(n) is an integer in [0, n)", () => {
  fc.assert(
    fc.property(arbSeed, arbPath, fc.integer({ min: 1, max: 2 ** 31 }), (seed, path, n) => {
      const rng = createRng(seed, ...path);
      for (let i = 0; i < 100; i++) {
        const u = rng.next();
        assert.ok(u >= 0 && u < 1, `${u}`);
        const k = rng.int(n);
        assert.ok(Number.isInteger(k) && k >= 0 && k < n, `${k} for n=${n}`);
      }
      assert.equal(createRng(seed, ...path).int(1), 0);
    }),
    { numRuns: 100 },
  );
});

Deno.test("rng: int(10) is roughly uniform over 20k draws", () => {
  const rng = createRng(123, 4);
  const counts = new Array(10).fill(0);
  for (let i = 0; i < 20_000; i++) counts[rng.int(10)]++;
  // Expected 2000 each, standard deviation ~42: +-200 is a loose ~5 sigma bound.
  for (const c of counts) assert.ok(c > 1800 && c < 2200, `${counts}`);
});

Deno.test("rng: normal() has mean ~0 and std ~1 over 20k samples", () => {
  for (const seed of [0, 1, 42]) {
    const rng = createRng(seed, 9);
    const n = 20_000;
    const z = Array.from({ length: n }, () => rng.normal());
    assert.ok(z.every(Number.isFinite));
    const stats = (xs: number[]) => {
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
      return { mean, std };
    };
    // Standard errors: mean ~0.007, std ~0.005 (0.01 for each half): bounds are ~5 sigma.
    const all = stats(z);
    assert.ok(Math.abs(all.mean) < 0.035, `mean ${all.mean}`);
    assert.ok(Math.abs(all.std - 1) < 0.025, `std ${all.std}`);
    // Box-Muller yields pairs: both members of a pair must be standard normal.
    for (const half of [0, 1]) {
      const { mean, std } = stats(z.filter((_, i) => i % 2 === half));
      assert.ok(Math.abs(mean) < 0.05 && Math.abs(std - 1) < 0.04, `${half}: ${mean} ${std}`);
    }
    const beyond3 = z.filter((v) => Math.abs(v) > 3).length;
    // P(|z| > 3) = 0.27%: about 54 of 20k; a uniform or clipped generator gives ~0.
    assert.ok(beyond3 > 20 && beyond3 < 110, `${beyond3} beyond 3 sigma`);
  }
});

Deno.test("rng: permutation is a permutation of 0..n-1 and deterministic", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 300 }), arbSeed, (n, seed) => {
      const p = permutation(n, createRng(seed));
      assert.ok(p instanceof Int32Array);
      assert.equal(p.length, n);
      assert.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
      assert.deepEqual(permutation(n, createRng(seed)), p);
    }),
    { numRuns: 200 },
  );
  // It actually shuffles: every position of a 5-permutation is reached by each value.
  const seen = Array.from({ length: 5 }, () => new Set<number>());
  for (let s = 0; s < 200; s++) {
    permutation(5, createRng(s)).forEach((v, i) => seen[i].add(v));
  }
  for (const values of seen) assert.equal(values.size, 5);
});
