// Loads the exported model with stock TensorFlow.js (tf.loadLayersModel), classifies the test
// images one at a time and shows each prediction with its latency. The results are also left
// in globalThis.__results (and the #results block) for the browser test.
/* global tf */
const f = Math.fround;

async function fileBytes(url) {
  const response = await fetch(url);
  return (await response.arrayBuffer()).byteLength;
}

function normalise(pixels, index, mean, std) {
  // NHWC, with the float32 rounding of the training pipeline: ((v / 255) - mean) / std.
  const x = new Float32Array(3072);
  for (let p = 0; p < 1024; p++) {
    for (let c = 0; c < 3; c++) {
      const v = pixels[index * 3072 + c * 1024 + p];
      x[p * 3 + c] = f(f(f(v / 255) - f(mean[c])) / f(std[c]));
    }
  }
  return x;
}

function drawImage(pixels, index) {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 32;
  const context = canvas.getContext("2d");
  const image = context.createImageData(32, 32);
  for (let p = 0; p < 1024; p++) {
    for (let c = 0; c < 3; c++) image.data[p * 4 + c] = pixels[index * 3072 + c * 1024 + p];
    image.data[p * 4 + 3] = 255;
  }
  context.putImageData(image, 0, 0);
  return canvas;
}

async function main() {
  const backend = new URLSearchParams(location.search).get("backend") ?? "cpu";
  await tf.setBackend(backend);
  const model = await tf.loadLayersModel("/model/model.json");
  const meta = model.getUserDefinedMetadata();
  const manifest = await (await fetch("/model/model.json")).json();
  let modelBytes = await fileBytes("/model/model.json");
  for (const group of manifest.weightsManifest) {
    for (const path of group.paths) modelBytes += await fileBytes(`/model/${path}`);
  }
  const samples = await (await fetch("/samples.json")).json();
  const pixels = Uint8Array.from(atob(samples.pixels), (ch) => ch.charCodeAt(0));
  const results = {
    backend: tf.getBackend(),
    modelBytes,
    predictions: [],
    logits: [],
    latencyMs: [],
  };
  const grid = document.getElementById("grid");
  for (let i = 0; i < samples.count; i++) {
    const input = tf.tensor4d(normalise(pixels, i, meta.mean, meta.std), [1, 32, 32, 3]);
    const start = performance.now();
    const output = model.predict(input);
    const logits = Array.from(await output.data());
    const latency = performance.now() - start;
    tf.dispose([input, output]);
    const predicted = logits.indexOf(Math.max(...logits));
    results.predictions.push(predicted);
    results.logits.push(logits);
    results.latencyMs.push(latency);
    const figure = document.createElement("figure");
    figure.className = predicted === samples.labels[i] ? "right" : "wrong";
    figure.append(drawImage(pixels, i));
    const caption = document.createElement("figcaption");
    caption.textContent =
      `${meta.classes[predicted]} (true: ${meta.classes[samples.labels[i]]}) · ` +
      `${latency.toFixed(1)} ms`;
    figure.append(caption);
    grid.append(figure);
  }
  const correct = results.predictions.filter((p, i) => p === samples.labels[i]).length;
  const sorted = [...results.latencyMs].sort((a, b) => a - b);
  document.getElementById("info").textContent =
    `model: cfg ${JSON.stringify(meta.cfg)}, ${(modelBytes / 1024).toFixed(1)} KiB ` +
    `(${model.countParams()} parameters, BN folded: ${meta.foldBn}); backend ${results.backend}; ` +
    `${samples.count} images from ${samples.source}: ${correct} right; ` +
    `median latency ${sorted[Math.floor(sorted.length / 2)].toFixed(2)} ms per image`;
  document.getElementById("results").textContent = JSON.stringify({
    predictions: results.predictions,
    labels: samples.labels,
  });
  globalThis.__results = results;
}

main().catch((error) => {
  document.getElementById("info").textContent = `error: ${error.message}`;
  globalThis.__results = { error: String(error) };
});
