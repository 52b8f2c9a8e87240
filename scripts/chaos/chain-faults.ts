// Scenarios where the chain misbehaves under a running service: fee-spike (base fee held
// high, then above the ceiling), empty-account (no funds, then refunded), node-hang (the node
// stopped with SIGSTOP, then continued) and node-loss (the node killed and replaced by an
// empty one on the same port).
import { sql } from "drizzle-orm";
import { queryRows } from "../../src/store/db.ts";
import {
  ANCHOR_SENDER,
  Load,
  anchoredSinceCount,
  countRows,
  evidenceStates,
  finishStack,
  closeStack,
  gwei,
  headNumber,
  log,
  ms,
  quantity,
  readyz,
  rpc,
  senderNonce,
  sleep,
  spread,
  startNode,
  startStack,
  timeUntil,
  unanchoredCount,
  type ScenarioContext,
  type Stack,
} from "./lib.ts";

/** After a fault starts, a chain step already under way may still finish what it began. */
const GRACE_MS = 2000;

/**
 * Re-sets the next block's base fee every ~200 ms until stopped, so every block mined
 * meanwhile (one a second) charges it: Hardhat's setting holds for one block only.
 */
function holdBaseFee(url: string, wei: bigint): { stop: () => Promise<{ calls: number; errors: number }> } {
  let running = true;
  let calls = 0;
  let errors = 0;
  const loop = (async () => {
    while (running) {
      calls++;
      await rpc(url, "hardhat_setNextBlockBaseFeePerGas", [quantity(wei)]).catch(() => errors++);
      await sleep(200);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { calls, errors };
    },
  };
}

/**
 * Polls /readyz every `everyMs` while `until` is in the future; returns what it saw, and when
 * (ms after `since`, the fault's start) it first said "degraded" with a reason matching `match`.
 */
async function watchReadyz(url: string, since: number, until: number, everyMs: number, match: RegExp) {
  const statuses = new Map<string, number>();
  let firstMatchMs: number | null = null;
  let matched: string | null = null;
  while (Date.now() < until) {
    // The service gives its own probes 3 s: wait longer, to see its answer rather than ours.
    const r = await readyz(url, 6000);
    const body = r.body as { status?: string; reasons?: string[] };
    const key = r.status === 200 ? (body.status ?? "200") : String(r.status);
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
    const reason = body.reasons?.find((x) => match.test(x));
    if (r.status === 200 && body.status === "degraded" && reason && firstMatchMs === null) {
      firstMatchMs = Date.now() - since;
      matched = reason;
    }
    await sleep(Math.max(0, everyMs - r.ms));
  }
  return { statuses: [...statuses].map(([k, n]) => `${k} ${n}`).join(", "), firstMatchMs, matched };
}

async function anchorTxsSentBetween(stack: Stack, from: number, to: number): Promise<number> {
  return countRows(
    stack.database.db,
    sql`select count(*) as n from anchor_txs where sent_at > ${new Date(from).toISOString()}::timestamptz
        and sent_at < ${new Date(to).toISOString()}::timestamptz`,
  );
}

/** Submit → confirmed delay (ms) of every digest acknowledged in [from, to], and those not confirmed by `by`. */
async function delays(stack: Stack, load: Load, from: number, to: number, by: number) {
  const states = await evidenceStates(stack.database.db);
  const out: number[] = [];
  const late: string[] = [];
  for (const a of load.ackedBetween(from, to)) {
    const s = states.get(a.id);
    const at = s?.status === "confirmed" ? s.confirmedAt?.getTime() : undefined;
    if (at !== undefined) out.push(at - a.sentAt);
    if (at === undefined || at > by) late.push(a.id);
  }
  return { delays: out, late, count: load.ackedBetween(from, to).length };
}

// ---------------------------------------------------------------------------------------

export async function feeSpike(ctx: ScenarioContext): Promise<void> {
  const { report } = ctx;
  const spikeMs = (ctx.opts.seconds ?? (ctx.opts.quick ? 20 : 90)) * 1000;
  const aboveMs = (ctx.opts.quick ? 10 : 30) * 1000;
  const ceiling = gwei(200);
  const stack: Partial<Stack> = {};
  let load: Load | undefined;
  try {
    const s = await startStack(ctx, stack, {
      env: { MAX_FEE_PER_GAS_GWEI: "200" },
      // Blocks every second whether or not a transaction waits, as on a public chain.
      beforeService: async (node) => {
        await rpc(node.url, "evm_setAutomine", [false]);
        await rpc(node.url, "evm_setIntervalMining", [1000]);
      },
    });
    const url = s.node.url;
    const genesis = BigInt((await rpc<{ baseFeePerGas: string }>(url, "eth_getBlockByNumber", ["0x0", false])).baseFeePerGas);
    const high = genesis * 100n;
    report.figure("base fee: start (genesis) / spike / above the ceiling", `${genesis / 1_000_000n / 1000n} gwei / ${high / gwei(1)} gwei / ${(ceiling * 2n) / gwei(1)} gwei (ceiling ${ceiling / gwei(1)})`);
    load = new Load({ targets: () => [s.service.url], key: s.key, perSecond: 10, items: 2 }).start();
    const l = load;

    // Baseline: the same load at the start fee, once the first start's work is done.
    await sleep(5000);
    const b0 = Date.now();
    await sleep(ctx.opts.quick ? 5000 : 15_000);
    const b1 = Date.now();

    // Phase 1: 100x, below the ceiling. Anchoring must go on, paying the spiked fee. It
    // begins while a transaction priced for the old fee is in flight, so that one is stuck.
    // A version just signed: the next block (within a second) is the first at the spiked fee.
    const versions = () => countRows(s.database.db, sql`select count(*) as n from anchor_txs`);
    const before = await versions();
    await timeUntil("an anchoring transaction to be sent", async () => (await versions()) > before, 30_000, 20);
    log(`fee-spike: base fee held at ${high / gwei(1)} gwei for ${ms(spikeMs)}`);
    const s1 = Date.now();
    const firstBlock = (await headNumber(url)) + 1;
    const hold1 = holdBaseFee(url, high);
    const seen1 = await watchReadyz(s.service.url, s1, s1 + spikeMs, 1000, /fee/i);
    const held1 = await hold1.stop();
    const e1 = Date.now();
    const lastBlock = await headNumber(url);
    await rpc(url, "hardhat_setNextBlockBaseFeePerGas", [quantity(genesis)]);
    report.figure("spike: base-fee settings sent (errors)", `${held1.calls} (${held1.errors})`);
    let atSpike = 0;
    for (let n = firstBlock; n <= lastBlock; n++) {
      const b = await rpc<{ baseFeePerGas: string }>(url, "eth_getBlockByNumber", [quantity(n), false]);
      if (BigInt(b.baseFeePerGas) === high) atSpike++;
    }
    report.check(
      "the base fee was held at 100x through the spike",
      atSpike === lastBlock - firstBlock + 1 && atSpike > 0,
      `${atSpike} of the ${lastBlock - firstBlock + 1} blocks mined during it charged ${high / gwei(1)} gwei`,
    );
    report.figure("spike: /readyz answers", seen1.statuses);

    const base = await delays(s, l, b0, b1, Date.now());
    report.figure("baseline submit → anchored min / median / p95 / max", spread(base.delays));
    // A digest sent in the spike's last seconds cannot be confirmed before it ends: those
    // sent up to 10 s before the end must be.
    const d1 = await delays(s, l, s1, e1 - 10_000, e1);
    report.figure("spike: submit → anchored min / median / p95 / max", spread(d1.delays));
    report.check(
      "digests submitted during the 100x spike are anchored during it",
      d1.count > 0 && d1.late.length === 0,
      `${d1.count - d1.late.length} of ${d1.count} (sent up to 10 s before its end) confirmed before the spike ended`,
    );
    const replaced = await countRows(
      s.database.db,
      sql`select count(*) as n from (select nonce from anchor_txs group by chain_id, sender, nonce
          having count(*) > 1 and max(sent_at) > ${new Date(s1).toISOString()}::timestamptz
          and max(sent_at) < ${new Date(e1).toISOString()}::timestamptz) t`,
    );
    report.check(
      "the transaction in flight when the spike began was re-priced during it",
      replaced > 0,
      `${replaced} nonces got a replacement version during the spike`,
    );
    const prices = await queryRows<{ tx_hash: string }>(
      s.database.db,
      sql`select distinct tx_hash from anchors where status = 'confirmed'
          and confirmed_at > ${new Date(s1 + 5000).toISOString()}::timestamptz and confirmed_at < ${new Date(e1).toISOString()}::timestamptz`,
    );
    const paid: number[] = [];
    for (const p of prices) {
      const r = await rpc<{ effectiveGasPrice: string } | null>(url, "eth_getTransactionReceipt", [p.tx_hash]);
      if (r) paid.push(Number(BigInt(r.effectiveGasPrice) / 1_000_000n) / 1000);
    }
    paid.sort((a, b) => a - b);
    report.figure(
      "spike: price paid per gas (gwei) min / median / max",
      paid.length ? `${paid[0]} / ${paid[Math.floor(paid.length / 2)]} / ${paid.at(-1)} (${paid.length} transactions)` : "none",
    );

    // Phase 2: above the ceiling. Nothing may be sent; /readyz says why; then it resumes.
    await sleep(ctx.opts.quick ? 5000 : 10_000);
    log(`fee-spike: base fee held at ${(ceiling * 2n) / gwei(1)} gwei (above the ceiling) for ${ms(aboveMs)}`);
    const s2 = Date.now();
    const hold2 = holdBaseFee(url, ceiling * 2n);
    const seen2 = await watchReadyz(s.service.url, s2, s2 + aboveMs, 500, /fee|MAX_FEE_PER_GAS/i);
    await hold2.stop();
    const e2 = Date.now();
    await rpc(url, "hardhat_setNextBlockBaseFeePerGas", [quantity(genesis)]);
    const sentAbove = await anchorTxsSentBetween(s, s2 + GRACE_MS, e2);
    report.figure("above the ceiling: /readyz answers", seen2.statuses);
    report.check(
      "nothing sent above the fee ceiling",
      sentAbove === 0,
      `${sentAbove} anchor_txs rows signed between ${GRACE_MS} ms after the spike began and its end`,
    );
    report.check(
      "/readyz degraded, naming the fee",
      seen2.firstMatchMs !== null,
      seen2.firstMatchMs !== null ? `after ${ms(seen2.firstMatchMs)}: "${seen2.matched}"` : "never seen",
    );
    const resume = await timeUntil(
      "anchoring to resume after the fee fell",
      async () => (await unanchoredCount(s.database.db, new Date(e2))) === 0,
      120_000,
      200,
    );
    report.figure("above the ceiling: fee back down → backlog anchored", ms(resume));
    const d2 = await delays(s, l, s2, e2, Date.now());
    report.figure("above the ceiling: digests held back, then anchored", `${d2.count - d2.late.length} of ${d2.count}`);
    await sleep(3000);
    await finishStack(ctx, s, load);
  } finally {
    await load?.stop();
    await closeStack(stack);
  }
}

// ---------------------------------------------------------------------------------------

export async function emptyAccount(ctx: ScenarioContext): Promise<void> {
  const { report } = ctx;
  const emptyMs = (ctx.opts.seconds ?? (ctx.opts.quick ? 10 : 30)) * 1000;
  const stack: Partial<Stack> = {};
  let load: Load | undefined;
  try {
    const s = await startStack(ctx, stack);
    const url = s.node.url;
    load = new Load({ targets: () => [s.service.url], key: s.key, perSecond: 10, items: 2 }).start();
    await sleep(ctx.opts.quick ? 5000 : 10_000);
    const balance = await rpc<string>(url, "eth_getBalance", [ANCHOR_SENDER, "latest"]);

    log(`empty-account: balance 0 for ${ms(emptyMs)}`);
    const s1 = Date.now();
    await rpc(url, "hardhat_setBalance", [ANCHOR_SENDER, "0x0"]);
    const watching = watchReadyz(s.service.url, s1, s1 + emptyMs, 500, /holds .*ETH|fund/i);
    await sleep(GRACE_MS);
    const nonceAfterGrace = await senderNonce(url);
    const seen = await watching;
    const nonceAtEnd = await senderNonce(url);
    const e1 = Date.now();
    const sent = await anchorTxsSentBetween(s, s1 + GRACE_MS, e1);
    const failedTx = await countRows(
      s.database.db,
      sql`select count(*) as n from anchors where status = 'failed' and sent_at > ${new Date(s1).toISOString()}::timestamptz`,
    );
    await rpc(url, "hardhat_setBalance", [ANCHOR_SENDER, balance]);
    const refunded = Date.now();

    report.figure("empty: /readyz answers", seen.statuses);
    report.check(
      "nothing sent while the account is empty",
      sent === 0 && nonceAtEnd === nonceAfterGrace,
      `${sent} anchor_txs rows signed; the account's nonce went ${nonceAfterGrace} → ${nonceAtEnd}`,
    );
    report.check("no failing transaction", failedTx === 0, `${failedTx} anchors marked failed since the balance went to 0`);
    report.check(
      "/readyz degraded, naming the balance",
      seen.firstMatchMs !== null,
      seen.firstMatchMs !== null ? `after ${ms(seen.firstMatchMs)}: "${seen.matched}"` : "never seen",
    );
    const resume = await timeUntil(
      "anchoring to resume after the refund",
      async () => (await unanchoredCount(s.database.db, new Date(refunded))) === 0,
      120_000,
      200,
    );
    report.figure("refund → backlog anchored", ms(resume));
    report.figure("digests acknowledged while empty", load.ackedBetween(s1, e1).length);
    await sleep(3000);
    await finishStack(ctx, s, load);
  } finally {
    await load?.stop();
    await closeStack(stack);
  }
}

// ---------------------------------------------------------------------------------------

export async function nodeHang(ctx: ScenarioContext): Promise<void> {
  const { report } = ctx;
  const hangMs = (ctx.opts.seconds ?? (ctx.opts.quick ? 15 : 120)) * 1000;
  const intervalMs = 1000;
  const stack: Partial<Stack> = {};
  let load: Load | undefined;
  try {
    const s = await startStack(ctx, stack, { env: { BATCH_INTERVAL_MS: String(intervalMs) } });
    const pid = s.node.process.pid!;
    load = new Load({ targets: () => [s.service.url], key: s.key, perSecond: 50, items: 1, maxInFlight: 1000, timeoutMs: 60_000 }).start();
    const l0 = Date.now();
    await sleep(ctx.opts.quick ? 5000 : 10_000);

    log(`node-hang: SIGSTOP the node (pid ${pid}) for ${ms(hangMs)}`);
    const s1 = Date.now();
    process.kill(pid, "SIGSTOP");
    let seen;
    try {
      seen = await watchReadyz(s.service.url, s1, s1 + hangMs, 2000, /chain/i);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    const resumed = Date.now();
    const backlog = await unanchoredCount(s.database.db, new Date(resumed));
    report.figure("hang: /readyz answers", seen.statuses);
    report.figure("hang: backlog when the node continued (digests)", backlog);
    const recovery = await timeUntil(
      "the backlog to be anchored",
      async () => (await unanchoredCount(s.database.db, new Date(resumed))) === 0,
      180_000,
      100,
    );
    report.figure("SIGCONT → backlog anchored", ms(recovery));
    // Where that time went: the first chain step that worked, and how many transactions the
    // backlog took (one in flight at a time, at most MAX_ROOTS_PER_TX batches in each).
    const [after] = await queryRows<{ first: Date | string | null; last: Date | string | null; batches: unknown; txs: unknown }>(
      s.database.db,
      sql`select min(a.confirmed_at) as first, max(a.confirmed_at) as last, count(*) as batches, count(distinct a.tx_hash) as txs
          from batches b join anchors a on a.id = b.anchor_id
          where b.sealed_at <= ${new Date(resumed).toISOString()}::timestamptz
            and a.confirmed_at > ${new Date(resumed).toISOString()}::timestamptz`,
    );
    if (after?.first) report.figure("SIGCONT → first anchor confirmed", ms(new Date(after.first).getTime() - resumed));
    // Digests that arrived in the last interval before SIGCONT were sealed after it, into a
    // batch of their own: this is the part of the backlog that was already sealed.
    if (after?.last) report.figure("SIGCONT → every batch sealed before it anchored", ms(new Date(after.last).getTime() - resumed));
    report.figure("backlog: batches anchored after SIGCONT / transactions", `${Number(after?.batches ?? 0)} / ${Number(after?.txs ?? 0)}`);
    report.check(
      "backlog anchored within two batch intervals of recovery",
      recovery <= 2 * intervalMs,
      `${ms(recovery)} (two intervals: ${ms(2 * intervalMs)}; BATCH_INTERVAL_MS ${intervalMs})`,
    );
    await sleep(10_000);
    const l1 = Date.now();
    await load.stop();
    const during = load.latencies.filter((x) => x.sentAt >= s1 && x.sentAt <= resumed).map((x) => x.ms);
    report.figure("submit latency during the hang min / median / p95 / max", spread(during));
    report.figure("submit latency overall, max", ms(Math.max(...load.latencies.map((x) => x.ms))));
    const failures = load.failuresBetween(l0, l1);
    report.check(
      "every submission answered 2xx",
      failures.count === 0 && load.skipped === 0,
      `${load.sent} sent, ${failures.count} not 2xx${failures.kinds ? ` (${failures.kinds})` : ""}, ${load.skipped} skipped`,
    );
    await finishStack(ctx, s, load);
  } finally {
    if (stack.node?.process.pid) {
      try {
        process.kill(stack.node.process.pid, "SIGCONT");
      } catch {
        // gone already
      }
    }
    await load?.stop();
    await closeStack(stack);
  }
}

// ---------------------------------------------------------------------------------------

export async function nodeLoss(ctx: ScenarioContext): Promise<void> {
  const { report } = ctx;
  const rounds = ctx.opts.rounds ?? (ctx.opts.quick ? 1 : 3);
  const downMs = 5000;
  const stack: Partial<Stack> = {};
  let load: Load | undefined;
  try {
    const s = await startStack(ctx, stack);
    const port = Number(new URL(s.node.url).port);
    load = new Load({ targets: () => [s.service.url], key: s.key, perSecond: 10, items: 2 }).start();
    const l0 = Date.now();
    const reanchor: number[] = [];
    let done = 0;
    for (let i = 0; i < rounds && Date.now() < ctx.deadline; i++) {
      await sleep(10_000 + ctx.random() * 5000);
      const lost = Date.now();
      const old = s.node;
      old.process.kill("SIGKILL");
      await new Promise<void>((r) => (old.process.exitCode !== null || old.process.signalCode !== null ? r() : old.process.once("exit", () => r())));
      await sleep(downMs);
      s.node = await startNode(port);
      stack.node = s.node;
      const up = Date.now();
      log(`node-loss: round ${i + 1}: node replaced, waiting for everything acknowledged before the loss to be anchored anew`);
      const t = await timeUntil(
        "re-anchoring on the new chain",
        async () => {
          const c = await anchoredSinceCount(s.database.db, new Date(lost), new Date(up));
          return c.total > 0 && c.done === c.total;
        },
        180_000,
        200,
      );
      reanchor.push(t);
      done++;
    }
    await sleep(3000);
    const failures = load.failuresBetween(l0, Date.now());
    const deployments = await countRows(s.database.db, sql`select count(*) as n from deployments`);
    report.figure("rounds", `${done} of ${rounds}`);
    report.figure("new node up → everything from before the loss anchored on it", spread(reanchor));
    report.figure("contract deployments recorded", deployments);
    report.figure("submit latency min / median / p95 / max", spread(load.latencies.map((x) => x.ms)));
    report.check("every round ran", done === rounds, `${done} of ${rounds} within the time budget`);
    report.check("the contract was deployed again on each new chain", deployments === rounds + 1, `${deployments} deployments for ${rounds} replacements`);
    report.check(
      "digests accepted while the node was gone",
      failures.count === 0 && load.skipped === 0,
      `${failures.count} requests not answered 2xx${failures.kinds ? ` (${failures.kinds})` : ""}, ${load.skipped} not sent because 64 were still waiting for an answer`,
    );
    await finishStack(ctx, s, load);
  } finally {
    await load?.stop();
    await closeStack(stack);
  }
}
