// reference.js - the TF.js reference runtime for USE-lite, used two ways:
//   node reference.js golden MODEL_DIR TEXTS.json OUT.json   -> {texts, ids, embeddings}
//   node reference.js bench  MODEL_DIR TEXTS.json BATCH      -> one JSON line of throughput
// TEXTS.json is a JSON array of strings.  Needs the packages bench/embed/setup_js.sh
// installs (pinned versions) on NODE_PATH.  The tokenizer is the reference's own, the graph
// runs on the tfjs CPU backend: this is the runtime plait's C inference is checked against.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const converter = require('@tensorflow/tfjs-converter');
const { Tokenizer } = require('use/dist/tokenizer');

async function loadModel(dir) {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'model.json')));
  const group = manifest.weightsManifest[0];
  const shards = Buffer.concat(group.paths.map((p) => fs.readFileSync(path.join(dir, p))));
  const weightData = shards.buffer.slice(shards.byteOffset, shards.byteOffset + shards.length);
  const handler = tf.io.fromMemory({ modelTopology: manifest.modelTopology, weightSpecs: group.weights, weightData });
  return converter.loadGraphModel(handler);
}

// Runs one batch: the graph takes the ids as a sparse [row, position] -> id tensor.
async function embed(model, idLists) {
  const idx = [], vals = [];
  idLists.forEach((ids, row) => ids.forEach((id, pos) => { idx.push([row, pos]); vals.push(id); }));
  const indices = tf.tensor2d(idx, [idx.length, 2], 'int32');
  const values = tf.tensor1d(vals, 'int32');
  const out = await model.executeAsync({ indices, values });
  const arr = await out.array();
  tf.dispose([indices, values, out]);
  return arr;
}

async function main() {
  const [mode, dir, textsPath, arg] = process.argv.slice(2);
  await tf.setBackend('cpu');
  const tok = new Tokenizer(JSON.parse(fs.readFileSync(path.join(dir, 'vocab.json'))));
  const texts = JSON.parse(fs.readFileSync(textsPath));
  const model = await loadModel(dir);
  if (mode === 'golden') {
    const ids = texts.map((t) => tok.encode(t));
    const embeddings = [];
    for (const one of ids) embeddings.push((await embed(model, [one]))[0]); // one at a time
    fs.writeFileSync(arg, JSON.stringify({ source: 'bench/embed/reference.js (tfjs 4.22 cpu)', texts, ids, embeddings }));
    return;
  }
  const batch = parseInt(arg || '64', 10);
  await embed(model, [tok.encode('warm up the graph')]);
  const t0 = process.hrtime.bigint();
  let tokens = 0;
  for (let i = 0; i < texts.length; i += batch) {
    const ids = texts.slice(i, i + batch).map((t) => tok.encode(t).slice(0, 128));
    ids.forEach((x) => { tokens += x.length; });
    await embed(model, ids);
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(JSON.stringify({ runtime: 'tfjs-cpu', texts: texts.length, tokens, seconds: secs,
                               nodes_per_s: texts.length / secs, tokens_per_s: tokens / secs }));
}

main().catch((e) => { console.error(e); process.exit(1); });
