// The remote benchmark's workload driven by the official Node client
// (@zilliz/milvus2-sdk-node), for comparison with Cove's remote backend.
// Usage: node node_remote_bench.js HOST:PORT ROOT_PASSWORD ROWS DIM BATCH
//                                   QUERIES INFLIGHT_LIST
// Prints one JSON object on its last line: insert rows per second and, per
// number of requests in flight, QPS and latency p50/p99 in milliseconds.
'use strict';
const { MilvusClient } = require('@zilliz/milvus2-sdk-node');

const [address, password, rowsArg, dimArg, batchArg, queriesArg, inflightArg] =
    process.argv.slice(2);
const rows = Number(rowsArg);
const dim = Number(dimArg);
const batch = Number(batchArg);
const queries = Number(queriesArg);
const inflight = inflightArg.split(',').map(Number);

// Deterministic pseudo-random unit vectors (xorshift + Box-Muller).
let seed = 12345;
function rand() {
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return (seed + 1) / 4294967297;
}
function unitVector() {
  const v = new Array(dim);
  let norm = 0;
  for (let i = 0; i < dim; ++i) {
    v[i] = Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
    norm += v[i] * v[i];
  }
  norm = Math.sqrt(norm);
  for (let i = 0; i < dim; ++i) v[i] /= norm;
  return v;
}
function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1,
                         Math.round(p * (sorted.length - 1)))];
}
function check(status, what) {
  const s = status.status || status;
  if (s.error_code !== 'Success') {
    throw new Error(`${what}: ${JSON.stringify(s)}`);
  }
}

async function main() {
  const client = new MilvusClient({ address, username: 'root', password });
  await client.connectPromise;
  const name = 'node_bench';
  await client.dropCollection({ collection_name: name });
  check(await client.createCollection({ collection_name: name, dimension: dim,
                                        metric_type: 'COSINE' }),
        'createCollection');
  const t0 = process.hrtime.bigint();
  for (let first = 0; first < rows; first += batch) {
    const data = [];
    for (let i = first; i < Math.min(rows, first + batch); ++i) {
      data.push({ id: i, vector: unitVector() });
    }
    check(await client.insert({ collection_name: name, data }), 'insert');
  }
  const insertSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const qs = [];
  for (let i = 0; i < 1000; ++i) qs.push(unitVector());
  const search = [];
  for (const c of inflight) {
    const total = Math.max(queries, 20 * c);
    const lat = [];
    let next = 0;
    const start = process.hrtime.bigint();
    async function worker() {
      while (next < total) {
        const i = next++;
        const q0 = process.hrtime.bigint();
        const res = await client.search({ collection_name: name,
                                          data: [qs[i % qs.length]],
                                          limit: 10 });
        lat.push(Number(process.hrtime.bigint() - q0) / 1e6);
        check(res, 'search');
      }
    }
    const workers = [];
    for (let w = 0; w < c; ++w) workers.push(worker());
    await Promise.all(workers);
    const wall = Number(process.hrtime.bigint() - start) / 1e9;
    lat.sort((a, b) => a - b);
    search.push({ inflight: c, qps: total / wall,
                  p50_ms: percentile(lat, 0.5), p99_ms: percentile(lat, 0.99) });
  }
  await client.dropCollection({ collection_name: name });
  console.log(JSON.stringify({ insert_rows_per_s: rows / insertSeconds,
                               search }));
  client.closeConnection && client.closeConnection();
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
