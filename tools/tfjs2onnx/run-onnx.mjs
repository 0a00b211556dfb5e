#!/usr/bin/env node
// Runs an ONNX model with onnxruntime-node on raw float32 inputs and writes
// the outputs in the same layout as tools/tfjs-reference/run-tfjs.mjs
// (DIR/results.json, DIR/<index>/<output>.f32). Used only by verify.py.
//
// onnxruntime-node is deliberately NOT a dependency of the repository (it
// downloads native binaries); install it in a scratch directory and point
// --ort-module at it:
//   (cd /tmp/ort && npm init -y && npm install onnxruntime-node)
//   node tools/tfjs2onnx/run-onnx.mjs --ort-module /tmp/ort/node_modules/onnxruntime-node \
//        --model onnx-models/facemesh.onnx --shape 1,192,192,3 --input a.f32 --out dir

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

function fail(msg) {
  process.stderr.write(`error: ${msg}\n`);
  process.exit(2);
}

const opts = { inputs: [] };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const v = argv[i + 1];
  if (v === undefined) fail(`${a} needs a value`);
  i += 1;
  if (a === '--ort-module') opts.ort = path.resolve(v);
  else if (a === '--model') opts.model = path.resolve(v);
  else if (a === '--shape') opts.shape = v.split(',').map((s) => Number.parseInt(s, 10));
  else if (a === '--input') opts.inputs.push(path.resolve(v));
  else if (a === '--input-list') {
    const dir = path.dirname(path.resolve(v));
    for (const line of fs.readFileSync(v, 'utf8').split(/\r?\n/)) if (line.trim()) opts.inputs.push(path.resolve(dir, line.trim()));
  } else if (a === '--out') opts.out = path.resolve(v);
  else fail(`unknown argument ${a}`);
}
if (!opts.ort || !opts.model || !opts.shape || !opts.inputs.length || !opts.out) fail('missing arguments');

const require = createRequire(import.meta.url);
const ort = require(opts.ort);

const session = await ort.InferenceSession.create(opts.model, {
  executionProviders: ['cpu'],
  graphOptimizationLevel: 'all',
  intraOpNumThreads: 1,
});
const inputName = session.inputNames[0];
const count = opts.shape.reduce((a, b) => a * b, 1);
fs.mkdirSync(opts.out, { recursive: true });
const runs = [];
for (let k = 0; k < opts.inputs.length; k++) {
  const buf = fs.readFileSync(opts.inputs[k]);
  if (buf.length !== count * 4) fail(`${opts.inputs[k]}: wrong size for shape`);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = buf.readFloatLE(i * 4);
  const res = await session.run({ [inputName]: new ort.Tensor('float32', data, opts.shape) });
  const dirName = String(k).padStart(4, '0');
  fs.mkdirSync(path.join(opts.out, dirName), { recursive: true });
  const meta = [];
  for (const name of [...session.outputNames].sort()) {
    const t = res[name];
    const out = Buffer.alloc(t.data.length * 4);
    for (let i = 0; i < t.data.length; i++) out.writeFloatLE(t.data[i], i * 4);
    fs.writeFileSync(path.join(opts.out, dirName, `${name}.f32`), out);
    meta.push({ name, shape: t.dims.map(Number), file: `${dirName}/${name}.f32` });
  }
  runs.push({ index: k, input: opts.inputs[k], outputs: meta });
}
fs.writeFileSync(path.join(opts.out, 'results.json'), `${JSON.stringify({ model: opts.model, inputNames: session.inputNames, outputNames: session.outputNames, runs }, null, 2)}\n`);
