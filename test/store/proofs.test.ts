// The proof read (src/store/proofs.ts): the path nodes found in SQL are exactly nodesForPath's,
// in its order, for every leaf of many tree sizes; and the row comes back whole, or not at all
// outside the caller's scope.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../../src/core/bytes.ts";
import { buildLevels, nodeFromLevels, nodesForPath } from "../../src/core/levels.ts";
import { queryRows } from "../../src/store/db.ts";
import { pathNodes } from "../../src/store/proofs.ts";
import { insertSealedBatch } from "../../src/store/batches.ts";
import { describeDbKind, freshDatabase, type TestDatabase } from "../helpers/db.ts";
import { xorshiftLeaves } from "../helpers/leaves.ts";

// Every size up to 70 (all shapes of the right border up to 6 bits), powers of two and their
// neighbours, and a few odd larger ones.
const SIZES = [...Array.from({ length: 70 }, (_, i) => i + 1), 127, 128, 129, 255, 256, 257, 1000, 1023, 1024, 1025, 1537];

describe(`path nodes read in SQL on ${describeDbKind()}`, () => {
  let h: TestDatabase;
  beforeAll(async () => {
    h = await freshDatabase();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("are nodesForPath's nodes, in its order, for every leaf of every size tried", async () => {
    const failures: string[] = [];
    for (const n of SIZES) {
      const { root, levels } = buildLevels(xorshiftLeaves(n, n), n);
      // The batch's seq is its size: one batch per size.
      await insertSealedBatch(h.db, { seq: n, size: n, root, sealedAt: new Date() }, levels);
      const rows = await queryRows<{ i: number; nodes: Uint8Array | null }>(
        h.db,
        sql`select g.i, ${pathNodes(sql`g.i`, sql`${n}::int`, sql`${n}::bigint`)} as nodes
            from generate_series(0, ${n - 1}::int) as g(i) order by g.i`,
      );
      expect(rows).toHaveLength(n);
      for (const r of rows) {
        const want = nodesForPath(r.i, n).map((ref) => toHex(nodeFromLevels(levels, ref.level, ref.index)).slice(2)).join("");
        const got = r.nodes === null ? "" : Buffer.from(r.nodes).toString("hex");
        if (got !== want) failures.push(`leaf ${r.i} of ${n}: got ${got.length / 64} nodes, want ${want.length / 64}${got.length === want.length ? " (different)" : ""}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("are fewer when a level is missing, so a damaged tree cannot pass for a path", async () => {
    const n = 6;
    const { root, levels } = buildLevels(xorshiftLeaves(n, 1), n);
    await insertSealedBatch(h.db, { seq: 10_000, size: n, root, sealedAt: new Date() }, levels);
    await h.db.execute(sql`delete from batch_levels where batch_seq = 10000 and level = 1`);
    // Leaf 0 of 6: siblings (0, 1), (1, 1) and the border node (1, 2); both of level 1 are gone.
    const [row] = await queryRows<{ nodes: Uint8Array | null }>(h.db, sql`select ${pathNodes(sql`0`, sql`6`, sql`10000`)} as nodes`);
    expect(row!.nodes?.length).toBe(32);
  });
});
