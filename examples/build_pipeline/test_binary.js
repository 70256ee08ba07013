#!/usr/bin/env node
// Phase 4 of build_pipeline: exercises the built binary against the manifest, then does memory-heavy
// work on the same data (records, sorting, a Map index) so the Node.js process has a real peak to measure.
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

// SIZE -> copies of the record set kept alive at once (the heap grows with it).
const COPIES = { small: 6, medium: 8, large: 10 };

function parseArgs(argv) {
  const args = {};
  for (let i = 2; i + 1 < argv.length; i += 2) args[argv[i].replace(/^--/, '')] = argv[i + 1];
  for (const key of ['bin', 'data', 'size', 'out']) {
    if (!args[key]) throw new Error(`missing --${key}`);
  }
  return args;
}

function fnv1a32(values) {
  let h = 0x811c9dc5;
  for (const v of values) {
    for (let shift = 0; shift < 32; shift += 8) {
      h ^= (v >>> shift) & 0xff;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return h >>> 0;
}

function run(bin, args) {
  const r = spawnSync(bin, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function loadTables(dataDir, manifest) {
  const buf = fs.readFileSync(path.join(dataDir, 'tables.bin'));
  const tables = new Map();
  let offset = 0;
  for (const t of manifest.tables) {
    const values = new Uint32Array(t.length);
    for (let i = 0; i < t.length; i++) values[i] = buf.readUInt32LE(offset + 4 * i);
    offset += 4 * t.length;
    tables.set(t.name, values);
  }
  if (offset !== buf.length) throw new Error(`tables.bin holds ${buf.length} bytes, manifest says ${offset}`);
  return tables;
}

function checkBinary(bin, manifest, tables) {
  const failures = [];
  const lines = run(bin, ['checksums']).trim().split('\n');
  if (lines.length !== manifest.tables.length) failures.push(`binary lists ${lines.length} tables`);
  manifest.tables.forEach((t, i) => {
    const [name, len, fnv, sum] = (lines[i] || '').split(' ');
    if (name !== t.name || Number(len) !== t.length || fnv !== t.fnv1a32 || BigInt(sum) !== BigInt(t.sum))
      failures.push(`binary disagrees on ${t.name}: '${lines[i]}'`);
    if (fnv1a32(tables.get(t.name)).toString(16).padStart(8, '0') !== t.fnv1a32)
      failures.push(`tables.bin disagrees with the manifest on ${t.name}`);
  });
  const first = manifest.tables[0].name;
  const dumped = run(bin, ['dump', first]).trim().split('\n').map(Number);
  const expected = tables.get(first);
  if (dumped.length !== expected.length || dumped.some((v, i) => v !== expected[i]))
    failures.push(`dump ${first} differs from tables.bin`);
  return failures;
}

// Builds COPIES record sets, each sorted and indexed, all alive together: JS objects and strings, so
// the V8 heap (not only a typed array) is what grows.
function heavyWork(tables, copies) {
  const kept = [];
  let digest = 0;
  for (let c = 0; c < copies; c++) {
    const records = [];
    for (const [name, values] of tables) {
      for (let i = 0; i < values.length; i++)
        records.push({ table: name, index: i, value: values[i] ^ c, label: `${name}:${i}:${c}` });
    }
    records.sort((a, b) => a.value - b.value);
    const index = new Map();
    for (const r of records) index.set(r.label, r);
    digest = (digest + records[records.length >> 1].value + index.size) >>> 0;
    kept.push({ records, index });
  }
  const records = kept.reduce((n, k) => n + k.records.length, 0);
  return { records, digest };
}

function main() {
  const args = parseArgs(process.argv);
  const manifest = JSON.parse(fs.readFileSync(path.join(args.data, 'manifest.json'), 'utf8'));
  const tables = loadTables(args.data, manifest);
  const version = run(args.bin, ['version']).trim();
  const failures = checkBinary(args.bin, manifest, tables);
  const heavy = heavyWork(tables, COPIES[args.size] || COPIES.small);
  const result = {
    binary: version,
    tables: manifest.tables.length,
    records: heavy.records,
    digest: heavy.digest,
    rss_mib: Math.round(process.memoryUsage().rss / 1048576),
    failures,
  };
  fs.writeFileSync(args.out, JSON.stringify(result, null, 1) + '\n');
  for (const f of failures) console.error(`test_binary.js: FAIL ${f}`);
  console.error(`test_binary.js: ${failures.length ? 'FAILED' : 'ok'}: ${version}, ` +
    `${heavy.records} records, rss ${result.rss_mib} MiB`);
  process.exitCode = failures.length ? 1 : 0;
}

main();
