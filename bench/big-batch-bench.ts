// Proof fetch at a 10^3-leaf and at a 10^6-leaf batch (10^5 in the quick run), on a service of
// its own: BATCH_INTERVAL_MS at an hour and BATCH_MAX_LEAVES at 10^6, so batches are cut only
// where the bench says (batcher.tick() after 10^3 digests; the 10^6th digest fills the next).
// The 10^6 digests go in through POST /v1/evidence/batch (1,000 per body, 4 connections) and
// the bench waits until they are sealed and anchored; proof ids are sampled evenly over each
// batch. Also: WAL of that ingest and of the sealing, and bytes on disk per anchored digest
// of a database that holds one big batch. HTTP and SQL only, like the other new sections.
import { sql } from "drizzle-orm";
import { queryRows } from "../src/store/db.ts";
import { checkpoint, commitsBetween, measureStorage, otherDatabaseCommits, walBytes, walLsn, type StorageReport } from "./lib/db-stats.ts";
import { runLoad, summarize } from "./lib/load.ts";
import { checkErrors, rateRow, startBenchService, waitDrained, watch, type RateRow, type RepResult } from "./service-bench.ts";

export interface BigBatchOptions {
  databaseUrl?: string | undefined;
  /** Leaves of the small batch (10^3) and of the big one (10^6; 10^5 in the quick run). */
  small: number;
  big: number;
  ingest: { batchSize: number; concurrency: number };
  proof: { total: number; concurrency: number; reps: number; sampleIds: number };
  log: (line: string) => void;
}

export interface BigBatchProofRow extends RateRow {
  /** Leaves of the batch the proofs come from. */
  batchSize: number;
  idsSampled: number;
  /** Proofs that carried an anchor (all should). */
  anchoredFraction: number;
}

export interface BigBatchResult {
  database: "pglite" | "postgres";
  databaseInfo: { kind: "pglite" | "postgres"; serverVersion?: string };
  small: number;
  big: number;
  ingest: {
    digests: number;
    perSec: number;
    p50Ms: number;
    p99Ms: number;
    errors: number;
    walBytesPerDigest: number;
  };
  /** From the last ingest answer until the big batch was sealed, then until it was anchored. */
  sealMs: number;
  sealedToAnchoredMs: number;
  /** WAL of sealing and anchoring the big batch, per leaf. */
  sealWalBytesPerLeaf: number;
  /** Commits in the server's other databases from the start of the ingest until anchored. */
  otherDatabaseCommits: number;
  proofConcurrency: number;
  proofRequestsPerRep: number;
  proofs: BigBatchProofRow[];
  storage: StorageReport;
}

export async function runBigBatchBench(opts: BigBatchOptions): Promise<BigBatchResult> {
  const { log } = opts;
  const bench = await startBenchService({
    databaseUrl: opts.databaseUrl,
    env: { BATCH_INTERVAL_MS: "3600000", BATCH_MAX_LEAVES: String(Math.max(opts.big, opts.small)) },
    log,
  });
  const { service, target, dbPids, q } = bench;
  try {
    const sealed: { seq: number; size: number; at: number }[] = [];
    service.batcher.on("sealed", (b) => sealed.push({ seq: b.seq, size: b.size, at: performance.now() }));
    const tick = () => service.batcher.tick();
    const { batchSize, concurrency } = opts.ingest;

    // Whatever the start wrote (creating the tenant is itself recorded) goes in a batch of its
    // own first; then the small batch: one tick seals what is there.
    await waitDrained(service, 120_000, tick);
    const small = await runLoad({ kind: "batch-ingest", ...target, total: opts.small, batchSize, concurrency, keepIds: 0 });
    checkErrors("small batch ingest", small, log);
    await waitDrained(service, 120_000, tick);
    const smallBatch = sealed.find((b) => b.size === opts.small);
    if (!smallBatch) throw new Error(`no batch of ${opts.small} leaves was sealed (sealed: ${sealed.map((b) => b.size).join(", ")})`);
    log(`  big batch: batch ${smallBatch.seq} of ${opts.small} leaves anchored`);

    // The big batch: the last digest fills it, which closes it.
    const checkpointed = await checkpoint(q);
    const other0 = await otherDatabaseCommits(q);
    const lsn0 = await walLsn(q);
    const big = await runLoad({ kind: "batch-ingest", ...target, total: opts.big, batchSize, concurrency, keepIds: 0 });
    const ingestEnd = performance.now();
    const lsn1 = await walLsn(q);
    checkErrors("big batch ingest", big, log);
    const accepted = big.accepted ?? 0;
    const perSec = accepted / (big.elapsedMs / 1000);
    const lat = summarize(big.latencies);
    log(`  big batch: ${accepted} digests in ${(big.elapsedMs / 1000).toFixed(1)} s (${perSec.toFixed(0)} digests/s)${checkpointed ? "" : " (no CHECKPOINT allowed)"}`);
    await waitDrained(service, 900_000, tick);
    const anchoredAt = performance.now();
    const lsn2 = await walLsn(q);
    const other2 = await otherDatabaseCommits(q);
    const bigBatch = sealed.find((b) => b.size === opts.big);
    if (!bigBatch) throw new Error(`no batch of ${opts.big} leaves was sealed (sealed: ${sealed.map((b) => b.size).join(", ")})`);
    log(`  big batch: batch ${bigBatch.seq} of ${opts.big} leaves sealed ${((bigBatch.at - ingestEnd) / 1000).toFixed(1)} s after the last answer, anchored ${((anchoredAt - bigBatch.at) / 1000).toFixed(1)} s later`);

    // Proof ids spread evenly over each batch.
    const sample = async (seq: number, size: number) => {
      const step = Math.max(1, Math.floor(size / opts.proof.sampleIds));
      return (
        await queryRows<{ id: string }>(
          service.database.db,
          sql`select id::text as id from evidence where batch_seq = ${seq} and leaf_index % ${step} = 0 order by leaf_index`,
        )
      ).map((r) => r.id);
    };
    const batches = [
      { size: opts.small, ids: await sample(smallBatch.seq, opts.small) },
      { size: opts.big, ids: await sample(bigBatch.seq, opts.big) },
    ];
    const pf = opts.proof;
    const results = batches.map(() => ({ reps: [] as RepResult[], anchored: 0, ok: 0 }));
    for (const b of batches) await runLoad({ kind: "proof-fetch", ...target, ids: b.ids, total: Math.min(500, pf.total), concurrency: pf.concurrency });
    // Repetitions interleaved (small, big, small, big…) so both see the same machine.
    for (let r = 0; r < pf.reps; r++) {
      for (const [i, b] of batches.entries()) {
        const w = await watch(dbPids);
        const res = await runLoad({ kind: "proof-fetch", ...target, ids: b.ids, total: pf.total, concurrency: pf.concurrency });
        const span = await w.stop();
        checkErrors(`proof fetch at ${b.size}`, res, log);
        const l = summarize(res.latencies);
        const rate = res.ok / (res.elapsedMs / 1000);
        results[i]!.reps.push({ perSec: rate, lat: l, errors: res.errors, span, units: res.ok });
        results[i]!.anchored += res.anchoredProofs;
        results[i]!.ok += res.ok;
        log(`  proof fetch at a ${b.size}-leaf batch rep ${r + 1}/${pf.reps}: ${rate.toFixed(0)} req/s, p50 ${l.p50Ms.toFixed(1)} ms, p99 ${l.p99Ms.toFixed(1)} ms`);
      }
    }
    const proofs = batches.map((b, i) => ({
      ...rateRow(results[i]!.reps, "request"),
      batchSize: b.size,
      idsSampled: b.ids.length,
      anchoredFraction: results[i]!.ok ? results[i]!.anchored / results[i]!.ok : NaN,
    }));

    const storage = await measureStorage(q);
    return {
      database: service.database.kind,
      databaseInfo: { kind: service.database.kind, ...(bench.pg ? { serverVersion: bench.pg.serverVersion } : {}) },
      small: opts.small,
      big: opts.big,
      ingest: {
        digests: accepted,
        perSec,
        p50Ms: lat.p50Ms,
        p99Ms: lat.p99Ms,
        errors: big.errors,
        walBytesPerDigest: (await walBytes(q, lsn0, lsn1)) / accepted,
      },
      sealMs: bigBatch.at - ingestEnd,
      sealedToAnchoredMs: anchoredAt - bigBatch.at,
      sealWalBytesPerLeaf: (await walBytes(q, lsn1, lsn2)) / opts.big,
      otherDatabaseCommits: commitsBetween(other0, other2),
      proofConcurrency: pf.concurrency,
      proofRequestsPerRep: pf.total,
      proofs,
      storage,
    };
  } finally {
    await bench.close();
  }
}
