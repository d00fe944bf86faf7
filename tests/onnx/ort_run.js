// ort_run.js — run an ONNX model in ONNX Runtime (onnxruntime-node), for
// tests/onnx/check_onnx.py: inputs are raw float32 files, outputs are
// written as raw float32 files in the order of the graph's outputs.
//   node ort_run.js MODULE_DIR MODEL.onnx OUT_PREFIX NAME:D0,D1,...:FILE...
'use strict';
const fs = require('fs');
const path = require('path');

async function main() {
  const [moduleDir, model, outPrefix, ...specs] = process.argv.slice(2);
  const ort = require(path.join(moduleDir, 'node_modules', 'onnxruntime-node'));
  const session = await ort.InferenceSession.create(model);
  const feeds = {};
  for (const spec of specs) {
    const [name, dims, file] = spec.split(':');
    const shape = dims.split(',').map(Number);
    const buf = fs.readFileSync(file);
    const data = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
    feeds[name] = new ort.Tensor('float32', Float32Array.from(data), shape);
  }
  const results = await session.run(feeds);
  session.outputNames.forEach((name, i) => {
    const t = results[name];
    fs.writeFileSync(`${outPrefix}${i}.f32`, Buffer.from(new Float32Array(t.data).buffer));
  });
}

main().catch((e) => {
  console.error(`ort_run: ${e.message || e}`);
  process.exit(1);
});
