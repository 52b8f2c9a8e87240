// What webhooks add to confirming an anchor: enqueueAnchorEvents (src/store/webhooks.ts) on a
// batch of 100,000 items of two tenants, inside the confirming transaction, with no endpoint
// registered (one probe) and with an endpoint for each tenant (the grouping over the batch's rows
// and the first 1,000 ids of each). Standalone, not part of `npm run bench` yet:
//   npx tsx bench/webhook-events-bench.ts [postgres://… of an empty database; PGlite in memory without]
import { sql } from "drizzle-orm";
import { createDb, queryRows } from "../src/store/db.ts";
import { enqueueAnchorEvents } from "../src/store/webhooks.ts";
import { newEvidenceId, evidencePart } from "../src/store/partitions.ts";

const url = process.argv[2];
const database = await createDb(url ? { url } : {});
const db = database.db;
const N = 100_000;
await db.execute(sql`insert into principals values ('bench-a','tenant','A','active',now(),null),('bench-b','tenant','B','active',now(),null) on conflict do nothing`);
const seq = 900000 + Math.floor(Math.random() * 1000);
const id0 = newEvidenceId();
const part = evidencePart(id0);
// 100k items in one batch: 90% of tenant A, 10% of tenant B.
await db.execute(sql`insert into evidence (id, part, leaf_index, batch_seq, received_at, submitter, digest, salt, hash_alg, meta_rest, leaf_hash)
  select (substr(${id0}, 1, 24) || lpad(to_hex(i), 12, '0'))::uuid, ${part}, i, ${seq}, now(), case when i % 10 = 0 then 'bench-b' else 'bench-a' end,
         sha256(int4send(i)), sha256(int4send(-i)), 'sha256', '{}'::jsonb, sha256(int4send(i + 7))
  from generate_series(0, ${N - 1}) i`);
await db.execute(sql`insert into batches values (${seq}, ${N}, sha256(int4send(${seq})), now(), null)`);
const a = await queryRows<{ id: number }>(db, sql`insert into anchors (batch_seq, chain_id, contract, sender, nonce, tx_hash, raw_tx, status, block_number, block_hash, block_timestamp, sent_at)
  values (${seq}, 31337, '0xc', '0xs', 1, '0xt', null, 'sent', 10, '0xb', 1700000000, now()) returning id`);
await db.execute(sql`analyze evidence`);
const time = async (what: string) => {
  const t = performance.now();
  const n = await db.transaction((tx) => enqueueAnchorEvents(tx, [Number(a[0]!.id)], new Date()));
  console.log(`${database.kind} ${what}: ${(performance.now() - t).toFixed(1)} ms, ${n} deliveries`);
};
await time("no endpoint registered");
await db.execute(sql`insert into webhook_endpoints (id, tenant_id, url, secret, created_at) values (gen_random_uuid(), 'bench-a', 'https://x', '\\x00', now()), (gen_random_uuid(), 'bench-b', 'https://y', '\\x00', now())`);
await time("two tenants with endpoints (1st)");
await time("two tenants with endpoints (2nd)");
await database.close();
