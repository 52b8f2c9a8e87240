// Scenario reorg: on a chain the service treats as public (id 4242, CONFIRMATIONS=2), blocks
// holding confirmed anchors are taken back (evm_snapshot … evm_revert) and replaced by new
// ones, while proofs are fetched continuously and each served bundle is checked at once with
// the independent verifier library. No served proof may fail; every affected batch must be
// anchored again.
import { sql } from "drizzle-orm";
import type { ProofBundleV1 } from "../../src/core/bundle.ts";
import { queryRows } from "../../src/store/db.ts";
import { jsonRpcReader, verifyBundle } from "../../src/verify/index.ts";
import { apiClient } from "../../test/helpers/service.ts";
import {
  Load,
  closeStack,
  countRows,
  finishStack,
  headNumber,
  log,
  rpc,
  sleep,
  spread,
  startStack,
  timeUntil,
  unanchoredCount,
  type ScenarioContext,
  type Stack,
} from "./lib.ts";

const CHAIN_ID = 4242;
const CONFIRMATIONS = 2;

interface Served {
  requestedAt: number;
  verifiedAt: number;
  valid: boolean;
  detail: string;
}

/**
 * Fetches proofs of acknowledged digests (the newest half the time: those are the ones a
 * reorg takes back) and verifies every bundle that carries an anchor right after it arrives.
 */
function proofChecker(serviceUrl: string, key: string, chainUrl: string, load: Load, random: () => number, concurrency = 2) {
  const tenant = apiClient(serviceUrl, key);
  const chain = jsonRpcReader(chainUrl);
  const served: Served[] = [];
  let fetched = 0;
  let errors = 0;
  let running = true;
  const worker = async () => {
    while (running) {
      const acked = load.acked;
      if (acked.length === 0) {
        await sleep(100);
        continue;
      }
      const pick = random() < 0.5 ? acked[acked.length - 1 - Math.floor(random() * Math.min(100, acked.length))]! : acked[Math.floor(random() * acked.length)]!;
      const requestedAt = Date.now();
      try {
        const r = await tenant<ProofBundleV1>("GET", `/v1/evidence/${pick.id}/proof`);
        fetched++;
        if (r.status !== 200) {
          errors++;
          continue;
        }
        if (!r.body.anchor) continue;
        const v = await verifyBundle(r.body, { chain, minConfirmations: CONFIRMATIONS });
        served.push({
          requestedAt,
          verifiedAt: Date.now(),
          valid: v.valid,
          detail: v.valid ? "" : `${pick.id}: ${v.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`).join("; ")}`,
        });
      } catch {
        errors++;
      }
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    served,
    stats: () => ({ fetched, errors }),
    stop: async () => {
      running = false;
      await Promise.all(workers);
    },
  };
}

export async function reorg(ctx: ScenarioContext): Promise<void> {
  const { report } = ctx;
  const rounds = ctx.opts.rounds ?? (ctx.opts.quick ? 2 : 5);
  const stack: Partial<Stack> = {};
  let load: Load | undefined;
  let checker: ReturnType<typeof proofChecker> | undefined;
  try {
    const s = await startStack(ctx, stack, {
      chainId: CHAIN_ID,
      // Debug: the log then shows every anchor sent, for reading a failed run.
      env: { CONFIRMATIONS: String(CONFIRMATIONS), LOG_LEVEL: "debug" },
      // Blocks every second: confirmations accrue without waiting for the next anchor.
      beforeService: async (node) => {
        await rpc(node.url, "evm_setAutomine", [false]);
        await rpc(node.url, "evm_setIntervalMining", [1000]);
      },
    });
    const url = s.node.url;
    load = new Load({ targets: () => [s.service.url], key: s.key, perSecond: 10, items: 2 }).start();
    checker = proofChecker(s.service.url, s.key, url, load, ctx.random);

    /** When blocks were being taken back: a proof verified across one of these may have raced it. */
    const windows: { from: number; to: number }[] = [];
    const reanchor: number[] = [];
    const depths: number[] = [];
    let affected = 0;
    let done = 0;
    for (let i = 0; i < rounds && Date.now() < ctx.deadline; i++) {
      await sleep(5000);
      const snapHead = await headNumber(url);
      const snap = await rpc<string>(url, "evm_snapshot");
      // Let anchors be confirmed (and their proofs served) in blocks that will be taken back.
      await timeUntil(
        "anchors confirmed after the snapshot",
        async () =>
          (await countRows(s.database.db, sql`select count(*) as n from anchors where status = 'confirmed' and block_number > ${snapHead}`)) >= 3,
        60_000,
        250,
      );
      await sleep(2000);
      const orphanedBefore = await countRows(s.database.db, sql`select count(*) as n from anchors where status = 'orphaned'`);
      const oldHead = await headNumber(url);
      const from = Date.now();
      if (!(await rpc<boolean>(url, "evm_revert", [snap]))) throw new Error(`evm_revert ${snap} refused`);
      // A longer branch than the one taken back, as a real reorg brings.
      for (let b = 0; b < oldHead - snapHead + 2; b++) await rpc(url, "evm_mine");
      const to = Date.now();
      windows.push({ from, to });
      depths.push(oldHead - snapHead);
      log(`reorg: round ${i + 1}: ${oldHead - snapHead} blocks taken back (${snapHead + 1}..${oldHead}), ${oldHead - snapHead + 2} new`);
      let state = "";
      const t = await timeUntil(
        "the affected batches re-anchored",
        async () => {
          // Every confirmed anchor above the fork point must now be in the new branch...
          const rows = await queryRows<{ id: unknown; batch_seq: unknown; block_number: unknown; block_hash: string }>(
            s.database.db,
            sql`select id, batch_seq, block_number, block_hash from anchors where status = 'confirmed' and block_number > ${snapHead}`,
          );
          const stale: string[] = [];
          for (const r of rows) {
            const b = await rpc<{ hash: string } | null>(url, "eth_getBlockByNumber", [`0x${Number(r.block_number).toString(16)}`, false]);
            if (!b || b.hash !== r.block_hash) stale.push(`anchor ${r.id} (batch ${r.batch_seq}, block ${r.block_number})`);
          }
          // ...and everything submitted before the reorg anchored.
          const open = await unanchoredCount(s.database.db, new Date(from));
          state = `${stale.length} confirmed anchors in blocks the chain no longer has${stale.length ? ` (${stale.slice(0, 5).join(", ")})` : ""}; ${open} digests from before the reorg not anchored`;
          return stale.length === 0 && open === 0;
        },
        120_000,
        250,
      ).catch((err: Error) => {
        throw new Error(`round ${i + 1} (fork after block ${snapHead}, old head ${oldHead}): ${err.message}: ${state}`);
      });
      const orphaned = (await countRows(s.database.db, sql`select count(*) as n from anchors where status = 'orphaned'`)) - orphanedBefore;
      affected += orphaned;
      reanchor.push(t);
      done++;
    }
    await sleep(5000);
    await checker.stop();
    const { served } = checker;
    const raced = (x: Served) => windows.some((w) => x.requestedAt < w.to && x.verifiedAt > w.from);
    const failing = served.filter((x) => !x.valid);
    const real = failing.filter((x) => !raced(x));
    const stats = checker.stats();
    report.figure("rounds / blocks taken back per round", `${done} of ${rounds} / ${depths.join(", ")}`);
    report.figure("anchors withdrawn by the reorgs (orphaned)", affected);
    report.figure("reorg → affected batches anchored again", spread(reanchor));
    report.figure(
      "proofs fetched / with an anchor, verified / failing",
      `${stats.fetched} / ${served.length} / ${failing.length} (${failing.length - real.length} of them fetched while blocks were being taken back)`,
    );
    report.check("every round ran", done === rounds, `${done} of ${rounds} within the time budget`);
    report.check("the reorgs took back confirmed anchors", affected > 0, `${affected} anchors orphaned`);
    report.check(
      "0 served proofs fail verification (outside the instant of a reorg)",
      real.length === 0,
      real.length === 0 ? `${served.length} verified` : `${real.length} failed, e.g. ${real[0]!.detail.slice(0, 400)}`,
    );
    report.figure("proof requests not answered 200", stats.errors);
    await finishStack(ctx, s, load);
  } finally {
    await checker?.stop();
    await load?.stop();
    await closeStack(stack);
  }
}
