// Group commit: who shares a statement with whom, and that a failure stays its writer's own.
// The unit tests drive GroupCommit with a recording writer; the last one runs concurrent
// submissions through IngestService on the database and checks every row committed, placed
// once, in one of few statements.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { randomBytes } from "node:crypto";
import { GroupCommit } from "../../src/store/group-commit.ts";
import { queryRows } from "../../src/store/db.ts";
import { IngestService } from "../../src/services/ingest.ts";
import { Signer } from "../../src/signing/signer.ts";
import { generateSigningKey } from "../../src/signing/keys.ts";
import { freshDatabase, type TestDatabase } from "../helpers/db.ts";

/** A writer whose statements are held until released, recording what each one carried. */
function heldWriter(fail?: (items: number[]) => boolean) {
  const calls: number[][] = [];
  const releases: (() => void)[] = [];
  const write = (items: number[]) => {
    calls.push(items);
    return new Promise<void>((resolve, reject) => {
      releases.push(() => (fail?.(items) ? reject(new Error(`bad ${items.join(",")}`)) : resolve()));
    });
  };
  /** Lets the oldest held statement finish, then lets the committer start the next. */
  const releaseNext = async () => {
    releases.shift()!();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { calls, write, releaseNext };
}

describe("GroupCommit", () => {
  it("sends the first write at once, and those that arrive during it together after it", async () => {
    const w = heldWriter();
    const group = new GroupCommit(w.write, { maxItems: 100 });
    const first = group.write([1]);
    expect(w.calls).toEqual([[1]]); // not held back by a timer
    const rest = [group.write([2]), group.write([3, 4]), group.write([5])];
    expect(w.calls).toHaveLength(1);
    await w.releaseNext();
    await first;
    expect(w.calls).toEqual([[1], [2, 3, 4, 5]]);
    await w.releaseNext();
    await Promise.all(rest);
  });

  it("keeps a group within maxItems, but never splits one writer's items", async () => {
    const w = heldWriter();
    const group = new GroupCommit(w.write, { maxItems: 3 });
    const all = [group.write([1]), group.write([2, 3]), group.write([4, 5]), group.write([6, 7, 8, 9])];
    for (let i = 0; i < 4; i++) await w.releaseNext();
    await Promise.all(all);
    expect(w.calls).toEqual([[1], [2, 3], [4, 5], [6, 7, 8, 9]]);
  });

  it("retries a failed group writer by writer: only the writer whose rows fail gets the error", async () => {
    const w = heldWriter((items) => items.includes(13));
    const group = new GroupCommit(w.write, { maxItems: 100 });
    const first = group.write([1]);
    const good = group.write([2]);
    const bad = group.write([13]);
    const alsoGood = group.write([3]);
    const outcomes = Promise.allSettled([first, good, bad, alsoGood]);
    for (let i = 0; i < 5; i++) await w.releaseNext();
    expect((await outcomes).map((o) => o.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    expect(w.calls).toEqual([[1], [2, 13, 3], [2], [13], [3]]);
  });
});

describe("group commit of submissions", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await freshDatabase();
  });
  afterAll(async () => {
    await database.close();
  });

  it("commits every concurrent submission once, each answered after its row is stored, at consecutive places", async () => {
    const ingest = new IngestService({ db: database.db, signer: new Signer(generateSigningKey()) });
    const digest = () => "0x" + randomBytes(32).toString("hex");
    const answers = await Promise.all(Array.from({ length: 50 }, () => ingest.submit("tenant-a", [{ digest: digest() }])));
    const rows = await queryRows<{ id: string; leaf_index: number; xmin: string }>(
      database.db,
      sql`select id::text, leaf_index, xmin::text from evidence order by leaf_index`,
    );
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(answers.map((a) => a[0]!.id)));
    expect(rows.map((r) => r.leaf_index)).toEqual(rows.map((_, i) => i));
    // Fewer transactions than submissions: they shared commits.
    expect(new Set(rows.map((r) => r.xmin)).size).toBeLessThan(50);
  });
});
