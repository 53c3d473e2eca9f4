// Interop: the official Node client (@zilliz/milvus2-sdk-node 2.5.6) against
// cove-server. Usage: node node_scenario.js HOST:PORT ROOT_PASSWORD
// Exits 0 when every check passes; prints the first failure otherwise.
'use strict';
const { MilvusClient, DataType } = require('@zilliz/milvus2-sdk-node');

const [address, rootPassword] = process.argv.slice(2);

function check(cond, what, got) {
  if (!cond) {
    throw new Error(`check failed: ${what} (got ${JSON.stringify(got)})`);
  }
}

function ok(res, what) {
  const status = res.status || res;
  check(status.error_code === 'Success' && (status.code || 0) === 0,
        `${what} succeeds`, status);
}

async function main() {
  // Wrong password: refused.
  const intruder = new MilvusClient({ address, username: 'root',
                                      password: 'wrong-password' });
  let refused = false;
  try {
    await intruder.connectPromise;
    await intruder.hasCollection({ collection_name: 'docs' });
  } catch (e) {
    refused = true;
  }
  check(refused, 'wrong password is refused', null);
  intruder.closeConnection && intruder.closeConnection();

  const client = new MilvusClient({ address, username: 'root',
                                    password: rootPassword });
  await client.connectPromise;
  const version = await client.getVersion();
  check(version.version === 'v2.5.6', 'getVersion', version);
  const health = await client.checkHealth();
  check(health.isHealthy === true, 'checkHealth', health);

  // Quick create: id, vector (dim 4), dynamic field, AUTOINDEX, loaded.
  await client.createCollection({ collection_name: 'docs', dimension: 4,
                                  metric_type: 'L2' });
  const has = await client.hasCollection({ collection_name: 'docs' });
  check(has.value === true, 'hasCollection', has);
  const desc = await client.describeCollection({ collection_name: 'docs' });
  ok(desc, 'describeCollection');
  const names = desc.schema.fields.map(f => f.name);
  check(JSON.stringify(names) === '["id","vector"]', 'fields without $meta',
        names);
  check(desc.schema.enable_dynamic_field === true, 'dynamic field on',
        desc.schema);
  const state = await client.getLoadState({ collection_name: 'docs' });
  check(state.state === 'LoadStateLoaded', 'loaded', state);

  // Insert rows with a dynamic key.
  const data = [];
  for (let i = 0; i < 10; ++i) {
    data.push({ id: i, vector: [i, 0, 0, 1], color: i % 2 ? 'red' : 'blue' });
  }
  const inserted = await client.insert({ collection_name: 'docs', data });
  ok(inserted, 'insert');
  check(Number(inserted.insert_cnt) === 10, 'insert count', inserted);

  // Search two vectors with a filter and output fields.
  const found = await client.search({
    collection_name: 'docs',
    data: [[3.1, 0, 0, 1], [7.9, 0, 0, 1]],
    limit: 2,
    filter: 'color == "red"',
    output_fields: ['color'],
  });
  ok(found, 'search');
  check(found.results.length === 2, 'one result list per query', found);
  check(String(found.results[0][0].id) === '3', 'nearest red to 3.1',
        found.results[0]);
  check(found.results[0][0].color === 'red', 'dynamic output field',
        found.results[0][0]);
  check(String(found.results[1][0].id) === '7', 'nearest red to 7.9',
        found.results[1]);

  // The same search with nprobe on an HNSW (AUTOINDEX) collection, as the
  // SDK's Data spec sends it: accepted, without effect, as in Milvus.
  const withNprobe = await client.search({
    collection_name: 'docs',
    data: [[3.1, 0, 0, 1], [7.9, 0, 0, 1]],
    limit: 2,
    filter: 'color == "red"',
    output_fields: ['color'],
    params: { nprobe: 1024 },
  });
  ok(withNprobe, 'search with nprobe on HNSW');
  check(JSON.stringify(withNprobe.results.map(r => r.map(h => h.id))) ===
        JSON.stringify(found.results.map(r => r.map(h => h.id))),
        'nprobe has no effect on HNSW', withNprobe.results);

  // Query and count.
  const rows = await client.query({ collection_name: 'docs',
                                    filter: 'id in [2, 4]',
                                    output_fields: ['id', 'color'] });
  ok(rows, 'query');
  // Node 2.5.6 builds query rows from the column names: dynamic keys come
  // back inside "$meta" (as with Milvus), or spread.
  const color = r => (r.color !== undefined ? r.color : (r.$meta || {}).color);
  check(rows.data.length === 2 && rows.data.every(r => color(r) === 'blue'),
        'query rows', rows.data);
  const count = await client.count({ collection_name: 'docs' });
  check(Number(count.data) === 10, 'count(*)', count);

  // Delete by ids, then count again.
  const deleted = await client.delete({ collection_name: 'docs',
                                        ids: [1, 2, 3] });
  ok(deleted, 'delete');
  const after = await client.count({ collection_name: 'docs' });
  check(Number(after.data) === 7, 'count after delete', after);

  // Compaction: the SDK sends ManualCompaction with the collection id only,
  // then the state of the returned compaction id.
  const compaction = await client.compact({ collection_name: 'docs' });
  ok(compaction, 'compact');
  const compactionState = await client.getCompactionState({
    compactionID: compaction.compactionID });
  ok(compactionState, 'getCompactionState');
  check(compactionState.state === 'Completed', 'compaction completed',
        compactionState);
  const compacted = await client.count({ collection_name: 'docs' });
  check(Number(compacted.data) === 7, 'count after compaction', compacted);

  // The SDK's own query iterator (pk cursor over plain queries, with its
  // usual consistency settings) works unchanged. (It must be given `expr`:
  // a `filter` would win over the cursor expression it writes to `expr`.)
  const iterator = await client.queryIterator({ collection_name: 'docs',
                                                expr: 'id >= 0',
                                                batchSize: 3,
                                                output_fields: ['id'] });
  const iterated = [];
  for await (const batch of iterator) {
    for (const r of batch) iterated.push(Number(r.id));
  }
  check(JSON.stringify(iterated) === '[0,4,5,6,7,8,9]', 'queryIterator',
        iterated);

  // The SDK's search iterator (Milvus' search_iter_v2: a token and the last
  // page's bound) pages through every row once, in the order of one search.
  const whole = await client.search({ collection_name: 'docs',
                                      data: [[6, 0, 0, 1]], limit: 7 });
  const searchIt = await client.searchIterator({ collection_name: 'docs',
                                                 data: [6, 0, 0, 1],
                                                 batchSize: 2 });
  const paged = [];
  for await (const batch of searchIt) {
    for (const h of batch) paged.push(Number(h.id));
  }
  check(JSON.stringify(paged) ===
        JSON.stringify(whole.results.map(h => Number(h.id))) &&
        paged.length === 7, 'searchIterator', paged);

  // Errors travel in the status.
  const missing = await client.describeCollection({ collection_name: 'nope' });
  check(missing.status.error_code === 'CollectionNotExists' &&
        missing.status.code === 100, 'collection not found codes',
        missing.status);

  // Users.
  ok(await client.createUser({ username: 'alice', password: 'alice-pw1' }),
     'createUser');
  const users = await client.listUsers();
  check(users.usernames.includes('alice'), 'listUsers', users);

  // Settings are stored and returned.
  ok(await client.alterCollectionProperties({
       collection_name: 'docs',
       properties: { 'collection.ttl.seconds': 120 } }),
     'alterCollectionProperties');
  const altered = await client.describeCollection({ collection_name: 'docs' });
  const ttl = altered.properties.find(p => p.key === 'collection.ttl.seconds');
  check(ttl && ttl.value === '120', 'collection properties', altered.properties);
  ok(await client.createDatabase({ db_name: 'books',
                                   properties: { 'database.replica.number': 1 } }),
     'createDatabase with properties');
  const books = await client.describeDatabase({ db_name: 'books' });
  ok(books, 'describeDatabase');
  check(books.properties.some(p => p.key === 'database.replica.number' &&
                                   p.value === '1'),
        'database properties', books);
  ok(await client.dropDatabase({ db_name: 'books' }), 'dropDatabase');
  ok(await client.dropDatabase({ db_name: 'books' }),
     'dropping a missing database succeeds');
  ok(await client.dropAlias({ alias: 'never_created' }),
     'dropping a missing alias succeeds');

  // Cluster information the SDK parses.
  const metrics = await client.getMetric({
    request: { metric_type: 'system_info' } });
  ok(metrics, 'getMetric');
  check(Array.isArray(metrics.response.nodes_info), 'metrics JSON', metrics);
  const groups = await client.listResourceGroups();
  check(JSON.stringify(groups.resource_groups) ===
        '["__default_resource_group"]', 'listResourceGroups', groups);
  const described = await client.describeCollection({ collection_name: 'docs' });
  const replicas = await client.getReplicas({
    collectionID: described.collectionID });
  check(replicas.replicas.length === 1, 'getReplicas', replicas);
  const segs = await client.getQuerySegmentInfo({ collectionName: 'docs' });
  ok(segs, 'getQuerySegmentInfo');
  check(segs.infos.reduce((n, s) => n + Number(s.num_rows), 0) === 7,
        'segments hold the rows', segs.infos);

  // An index on a missing field: Milvus' wording and code (the SDK's
  // HighLevel and Index specs match "non-exist" and UnexpectedError).
  const badIndex = await client.createIndex({
    collection_name: 'docs', field_name: 'vector2322',
    index_type: 'HNSW', metric_type: 'L2', params: { M: 4, efConstruction: 8 } });
  check(badIndex.error_code === 'UnexpectedError' &&
        badIndex.reason.includes('non-exist'),
        'createIndex on a missing field', badIndex);
  // LoadBalance without a collection: CollectionNotExists, as Milvus.
  const balance = await client.loadBalance({ src_nodeID: 1 });
  check(balance.error_code === 'CollectionNotExists', 'loadBalance', balance);

  // Grouping search is refused by name, never ignored.
  const grouped = await client.search({ collection_name: 'docs',
                                        data: [1, 0, 0, 0], limit: 3,
                                        group_by_field: 'tag' });
  check(grouped.status.code !== 0 &&
        grouped.status.reason.includes('group_by_field'),
        'group_by_field refused', grouped.status);

  // RBAC v2: privilege groups.
  ok(await client.createPrivilegeGroup({ group_name: 'readers' }),
     'createPrivilegeGroup');
  ok(await client.addPrivilegesToGroup({ group_name: 'readers',
                                         privileges: ['Query', 'Search'] }),
     'addPrivilegesToGroup');
  const pgs = await client.listPrivilegeGroups();
  const readers = pgs.privilege_groups.find(g => g.group_name === 'readers');
  check(readers && readers.privileges.length === 2, 'listPrivilegeGroups',
        pgs.privilege_groups);
  check(pgs.privilege_groups.some(g => g.group_name === 'ClusterReadOnly'),
        'built-in groups listed', pgs.privilege_groups);
  ok(await client.createRole({ roleName: 'reader' }), 'createRole');
  ok(await client.grantPrivilegeV2({ role: 'reader', privilege: 'readers',
                                     db_name: 'default',
                                     collection_name: 'docs' }),
     'grantPrivilegeV2');
  ok(await client.revokePrivilegeV2({ role: 'reader', privilege: 'readers',
                                      db_name: 'default',
                                      collection_name: 'docs' }),
     'revokePrivilegeV2');
  // Grants are listed in Milvus' order (by privilege name), as the SDK's
  // own User spec reads them.
  for (const privilege of ['Search', 'Query']) {
    ok(await client.grantPrivilegeV2({ role: 'reader', privilege,
                                       db_name: 'default',
                                       collection_name: 'docs' }),
       `grantPrivilegeV2 ${privilege}`);
  }
  const grants = await client.listGrants({ roleName: 'reader' });
  const granted = grants.entities.map(e => e.grantor.privilege.name);
  check(JSON.stringify(granted) === '["Query","Search"]',
        'listGrants in Milvus order', granted);
  for (const privilege of ['Search', 'Query']) {
    ok(await client.revokePrivilegeV2({ role: 'reader', privilege,
                                        db_name: 'default',
                                        collection_name: 'docs' }),
       `revokePrivilegeV2 ${privilege}`);
  }
  ok(await client.dropRole({ roleName: 'reader' }), 'dropRole');
  ok(await client.dropRole({ roleName: 'reader' }),
     'dropping a missing role succeeds');

  ok(await client.dropCollection({ collection_name: 'docs' }),
     'dropCollection');
  ok(await client.dropCollection({ collection_name: 'docs' }),
     'dropping a missing collection succeeds');
  client.closeConnection && client.closeConnection();
  console.log('node interop: all checks passed');
}

main().then(() => process.exit(0), e => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
