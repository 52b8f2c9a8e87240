-- The tree is stored once per batch (batch_levels) instead of a path per leaf, and a leaf's
-- place is fixed when its row is committed (sequencer) instead of by an UPDATE at sealing.
CREATE TABLE "batch_levels" (
	"batch_seq" bigint NOT NULL,
	"level" integer NOT NULL,
	"hashes" "bytea" NOT NULL,
	CONSTRAINT "batch_levels_batch_seq_level_pk" PRIMARY KEY("batch_seq","level")
);
--> statement-breakpoint
CREATE TABLE "sequencer" (
	"id" integer PRIMARY KEY NOT NULL,
	"open_batch" bigint NOT NULL,
	"next_index" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "batch_levels" ADD CONSTRAINT "batch_levels_batch_seq_batches_seq_fk" FOREIGN KEY ("batch_seq") REFERENCES "public"."batches"("seq") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- Uncompressed and out of line: substring() of a level then reads only the chunks it needs.
ALTER TABLE "batch_levels" ALTER COLUMN "hashes" SET STORAGE EXTERNAL;--> statement-breakpoint
-- Every sealed batch's levels, from its leaf hashes in leaf order: level k+1 node j is
-- SHA-256(0x01 || node 2j || node 2j+1) of level k (RFC 6962), complete subtrees only.
DO $$
DECLARE
  b record;
  lvl bytea;
  k integer;
  cnt integer;
BEGIN
  FOR b IN SELECT "seq" FROM "batches" ORDER BY "seq" LOOP
    SELECT string_agg("leaf_hash", ''::bytea ORDER BY "leaf_index") INTO lvl FROM "evidence" WHERE "batch_seq" = b.seq;
    CONTINUE WHEN lvl IS NULL;
    k := 0;
    LOOP
      INSERT INTO "batch_levels" ("batch_seq", "level", "hashes") VALUES (b.seq, k, lvl);
      cnt := length(lvl) / 32;
      EXIT WHEN cnt < 2;
      SELECT string_agg(sha256('\x01'::bytea || substring(lvl FROM g * 64 + 1 FOR 64)), ''::bytea ORDER BY g)
        INTO lvl FROM generate_series(0, cnt / 2 - 1) AS g;
      k := k + 1;
    END LOOP;
  END LOOP;
END $$;--> statement-breakpoint
-- Leaves not sealed yet go, in arrival order, into the batch after the last sealed one,
-- which becomes the open batch.
UPDATE "evidence" AS e SET "batch_seq" = p."open_batch", "leaf_index" = p."rn" - 1
FROM (
  SELECT "id", row_number() OVER (ORDER BY "seq") AS "rn",
         (SELECT coalesce(max("seq") + 1, 0) FROM "batches") AS "open_batch"
  FROM "evidence" WHERE "batch_seq" IS NULL
) AS p
WHERE e."id" = p."id";--> statement-breakpoint
INSERT INTO "sequencer" ("id", "open_batch", "next_index")
SELECT 1, (SELECT coalesce(max("seq") + 1, 0) FROM "batches"),
       (SELECT count(*) FROM "evidence" WHERE "batch_seq" = (SELECT coalesce(max("seq") + 1, 0) FROM "batches"));--> statement-breakpoint
DROP INDEX "evidence_pending_idx";--> statement-breakpoint
ALTER TABLE "evidence" DROP COLUMN "path";
