// Section 9 of `npm run bench` (BENCH_SECTIONS=webhooks): what webhooks add to confirming an
// anchor. enqueueAnchorEvents (src/store/webhooks.ts) runs inside the transaction that
// confirms a batch's anchor; here on one batch of `items` leaves of two tenants (90 % / 10 %),
// with no endpoint registered (one probe) and with an endpoint per tenant (grouping the batch's
// rows by tenant and listing the first 1,000 ids of each). The baseline, in the same run and on
// the same rows: reading the batch once (`count(*)` by tenant through the same index), the
// least any per-tenant event must cost. Medians of `reps`.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { createDb, queryRows } from "../src/store/db.ts";
import { enqueueAnchorEvents } from "../src/store/webhooks.ts";
import { evidencePart, newEvidenceId } from "../src/store/partitions.ts";
import { createBenchDatabase } from "./lib/pg.ts";
import { median } from "./lib/stats.ts";

export interface WebhookEventsBenchOptions {
  items: number;
  reps: number;
  databaseUrl?: string | undefined;
  log: (s: string) => void;
}

export interface WebhookEventsBenchResult {
  database: string;
  items: number;
  reps: number;
  /** Median ms: the batch's rows read once, grouped by tenant (the baseline). */
  scanMs: number;
  /** Median ms of the events' writes with no endpoint registered. */
  noEndpointMs: number;
  /** Median ms with an endpoint for each of the two tenants. */
  withEndpointsMs: number;
  deliveriesPerConfirm: number;
  /** withEndpointsMs / scanMs. */
  ratio: number;
}

export async function runWebhookEventsBench(opts: WebhookEventsBenchOptions): Promise<WebhookEventsBenchResult> {
  const pg = opts.databaseUrl ? await createBenchDatabase(opts.databaseUrl) : undefined;
  const database = await createDb(pg ? { url: pg.url } : { dataDir: join(await mkdtemp(join(tmpdir(), "evidence-bench-webhooks-")), "pglite") });
  const db = database.db;
  try {
    const N = opts.items;
    await db.execute(sql`insert into principals values ('bench-a','tenant','A','active',now(),null),('bench-b','tenant','B','active',now(),null) on conflict do nothing`);
    const seq = 900000;
    const id0 = newEvidenceId();
    const part = evidencePart(id0);
    await db.execute(sql`insert into evidence (id, part, leaf_index, batch_seq, received_at, submitter, digest, salt, hash_alg, meta_rest, leaf_hash)
      select (substr(${id0}, 1, 24) || lpad(to_hex(i), 12, '0'))::uuid, ${part}, i, ${seq}, now(), case when i % 10 = 0 then 'bench-b' else 'bench-a' end,
             sha256(int4send(i)), sha256(int4send(-i)), 'sha256', '{}'::jsonb, sha256(int4send(i + 7))
      from generate_series(0, ${N - 1}) i`);
    await db.execute(sql`insert into batches values (${seq}, ${N}, sha256(int4send(${seq})), now(), null)`);
    const a = await queryRows<{ id: number }>(db, sql`insert into anchors (batch_seq, chain_id, contract, sender, nonce, tx_hash, raw_tx, status, block_number, block_hash, block_timestamp, sent_at)
      values (${seq}, 31337, '0xc', '0xs', 1, '0xt', null, 'sent', 10, '0xb', 1700000000, now()) returning id`);
    const anchorId = Number(a[0]!.id);
    await db.execute(sql`analyze evidence`);
    const timed = async (run: () => Promise<unknown>): Promise<number> => {
      const t = performance.now();
      await run();
      return performance.now() - t;
    };
    const scan = () => db.execute(sql`select submitter, count(*) from evidence where batch_seq = ${seq} group by submitter`);
    const enqueue = () => db.transaction((tx) => enqueueAnchorEvents(tx, [anchorId], new Date()));
    await scan(); // warm
    const scanMs: number[] = [];
    const noEndpointMs: number[] = [];
    for (let r = 0; r < opts.reps; r++) {
      scanMs.push(await timed(scan));
      noEndpointMs.push(await timed(enqueue));
    }
    await db.execute(sql`insert into webhook_endpoints (id, tenant_id, url, secret, created_at)
      values (gen_random_uuid(), 'bench-a', 'https://a.example', '\\x00', now()), (gen_random_uuid(), 'bench-b', 'https://b.example', '\\x00', now())`);
    const withMs: number[] = [];
    let deliveries = 0;
    for (let r = 0; r < opts.reps; r++) {
      scanMs.push(await timed(scan));
      withMs.push(await timed(async () => (deliveries = await enqueue())));
    }
    const result: WebhookEventsBenchResult = {
      database: database.kind,
      items: N,
      reps: opts.reps,
      scanMs: median(scanMs),
      noEndpointMs: median(noEndpointMs),
      withEndpointsMs: median(withMs),
      deliveriesPerConfirm: deliveries,
      ratio: median(withMs) / median(scanMs),
    };
    opts.log(`webhook events on ${N} items: scan ${result.scanMs.toFixed(1)} ms, none ${result.noEndpointMs.toFixed(1)} ms, two endpoints ${result.withEndpointsMs.toFixed(1)} ms`);
    return result;
  } finally {
    await database.close();
    await pg?.drop();
  }
}
