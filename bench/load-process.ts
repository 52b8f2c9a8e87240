// Child-process entry of the HTTP load generator: runs one load job against the service
// (batch ingest, single ingest, proof fetch, or single ingest at a fixed rate until told to
// stop) and sends back timings, counts and the ids it was given. A separate process, so the
// client's CPU neither shares the service's event loop nor counts in the service's CPU time.
// The tenant's API key arrives with the job over the IPC channel (not argv or the
// environment, which other users of the machine can read).
import { closedLoop, makeClient, openLoop, randomDigest, type LoadOutcome } from "./lib/http-load.ts";

/** Where the load goes, and the API key of the tenant it is sent as. */
export interface LoadTarget {
  url: string;
  key: string;
}

export type LoadJob = LoadTarget &
  (
    /** `keepIds`: how many of the receipts' ids to send back (all when absent). */
    | { kind: "batch-ingest"; total: number; batchSize: number; concurrency: number; keepIds?: number }
    | { kind: "single-ingest"; total: number; concurrency: number }
    | { kind: "proof-fetch"; ids: string[]; total: number; concurrency: number }
    | { kind: "single-ingest-rate"; ratePerSec: number }
    /** GETs of one path; `anonymous` sends no key. */
    | { kind: "get"; path: string; anonymous: boolean; total: number; concurrency: number }
  );

export interface LoadResult extends LoadOutcome {
  /** Evidence ids from ingest receipts. */
  ids: string[];
  /** Digests (items) sent, for ingest jobs. */
  items: number;
  /** Digests acknowledged (2xx), for ingest jobs. */
  accepted?: number;
  /** Proof fetches whose bundle carried an anchor. */
  anchoredProofs: number;
  sent?: number;
  skipped?: number;
}

async function run(job: LoadJob): Promise<LoadResult> {
  switch (job.kind) {
    case "batch-ingest": {
      const requests = Math.ceil(job.total / job.batchSize);
      const client = makeClient(job.url, job.key, job.concurrency);
      const ids: string[] = [];
      const keep = job.keepIds ?? Infinity;
      let accepted = 0;
      const out = await closedLoop(
        client,
        requests,
        job.concurrency,
        (i) => {
          const n = Math.min(job.batchSize, job.total - i * job.batchSize);
          const items = Array.from({ length: n }, () => ({ digest: randomDigest() }));
          return { method: "POST", path: "/v1/evidence/batch", body: JSON.stringify({ items }) };
        },
        (i, res) => {
          accepted += Math.min(job.batchSize, job.total - i * job.batchSize);
          if (ids.length >= keep) return;
          for (const r of (JSON.parse(res.body) as { items: { id: string }[] }).items) if (ids.length < keep) ids.push(r.id);
        },
      );
      client.close();
      return { ...out, ids, items: job.total, accepted, anchoredProofs: 0 };
    }
    case "single-ingest": {
      const client = makeClient(job.url, job.key, job.concurrency);
      const ids: string[] = [];
      const out = await closedLoop(
        client,
        job.total,
        job.concurrency,
        () => ({ method: "POST", path: "/v1/evidence", body: JSON.stringify({ digest: randomDigest() }) }),
        (_, res) => ids.push((JSON.parse(res.body) as { id: string }).id),
      );
      client.close();
      return { ...out, ids, items: job.total, anchoredProofs: 0 };
    }
    case "proof-fetch": {
      const client = makeClient(job.url, job.key, job.concurrency);
      let anchoredProofs = 0;
      const out = await closedLoop(
        client,
        job.total,
        job.concurrency,
        (i) => {
          // A spread of ids, not one hot row: a multiplicative walk over the list.
          const id = job.ids[(i * 7919) % job.ids.length]!;
          return { method: "GET", path: `/v1/evidence/${id}/proof` };
        },
        (_, res) => {
          if ((JSON.parse(res.body) as { anchor: unknown }).anchor) anchoredProofs++;
        },
      );
      client.close();
      return { ...out, ids: [], items: 0, anchoredProofs };
    }
    case "get": {
      const client = makeClient(job.url, job.anonymous ? undefined : job.key, job.concurrency);
      const out = await closedLoop(client, job.total, job.concurrency, () => ({ method: "GET", path: job.path }), () => {});
      client.close();
      return { ...out, ids: [], items: 0, anchoredProofs: 0 };
    }
    case "single-ingest-rate": {
      const client = makeClient(job.url, job.key, 64);
      let stop = false;
      process.on("message", (m: unknown) => {
        if (m === "stop") stop = true;
      });
      const out = await openLoop(
        client,
        job.ratePerSec,
        () => stop,
        () => ({ method: "POST", path: "/v1/evidence", body: JSON.stringify({ digest: randomDigest() }) }),
      );
      client.close();
      return { ...out, ids: [], items: out.sent, anchoredProofs: 0 };
    }
  }
}

// The job arrives as the first IPC message; the answer goes back the same way (latencies as
// a plain array: IPC is JSON).
process.once("message", (job: LoadJob) => {
  run(job).then(
    (result) => process.send?.({ result: { ...result, latencies: Array.from(result.latencies) } }, () => process.exit(0)),
    (err: unknown) =>
      process.send?.({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) }, () => process.exit(1)),
  );
});
