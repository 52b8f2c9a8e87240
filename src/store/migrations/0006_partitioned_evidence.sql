-- Evidence becomes a table partitioned by the day of the row's id (see src/store/partitions.ts).
-- Rows stored so far (UUIDv4 ids) go, unchanged, into the first partition with part 0; the
-- partitions for new rows are made when the database is opened. The rows are copied once,
-- with the columns reordered so that a row carries no alignment padding. Written by hand:
-- drizzle-kit does not know partitioning.
--
-- Also:
-- - meta_rest replaces meta: it leaves out hashAlg and submitter, which every meta has and the
--   row's columns hold (src/store/evidence.ts evidenceMeta puts them back when reading);
-- - a receipt's key is stored as its number in receipt_keys (2 bytes) instead of the
--   43-character key id on every row;
-- - the unique index on seq (an identity, unique by construction, that no query looks up by)
--   is gone;
-- - audit_anchors.evidence_id is no longer a foreign key (a partitioned table's keys include
--   the partition key).
CREATE TABLE "receipt_keys" (
	"ref" smallint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "receipt_keys_ref_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 32767 START WITH 1 CACHE 1),
	"kid" text NOT NULL,
	CONSTRAINT "receipt_keys_kid_unique" UNIQUE("kid")
);
--> statement-breakpoint
INSERT INTO "receipt_keys" ("kid")
SELECT "kid" FROM (
  SELECT "kid", "first_used_at" AS "at" FROM "signing_keys"
  UNION ALL
  SELECT "receipt_kid", min("received_at") FROM "evidence" WHERE "receipt_kid" IS NOT NULL GROUP BY "receipt_kid"
) AS k
GROUP BY "kid" ORDER BY min("at"), "kid";--> statement-breakpoint
ALTER TABLE "audit_anchors" DROP CONSTRAINT "audit_anchors_evidence_id_evidence_id_fk";--> statement-breakpoint
ALTER TABLE "evidence" RENAME TO "evidence_unpartitioned";--> statement-breakpoint
ALTER SEQUENCE "evidence_seq_seq" RENAME TO "evidence_unpartitioned_seq_seq";--> statement-breakpoint
DROP INDEX "evidence_digest_idx";--> statement-breakpoint
DROP INDEX "evidence_submitter_case_idx";--> statement-breakpoint
DROP INDEX "evidence_batch_idx";--> statement-breakpoint
CREATE TABLE "evidence" (
	"id" uuid NOT NULL,
	"part" integer NOT NULL,
	"leaf_index" integer,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "evidence_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"batch_seq" bigint,
	"received_at" timestamp (3) with time zone NOT NULL,
	"receipt_key" smallint,
	"submitter" text NOT NULL,
	"digest" "bytea" NOT NULL,
	"salt" "bytea" NOT NULL,
	"hash_alg" text NOT NULL,
	"case_id" text,
	"event_type" text,
	"meta_rest" jsonb NOT NULL,
	"leaf_hash" "bytea" NOT NULL,
	"receipt_signature" "bytea",
	CONSTRAINT "evidence_id_part_pk" PRIMARY KEY("id","part"),
	CONSTRAINT "evidence_receipt_key_check" CHECK (("evidence"."receipt_key" is null) = ("evidence"."receipt_signature" is null))
) PARTITION BY RANGE ("part");
--> statement-breakpoint
CREATE TABLE "evidence_p0" PARTITION OF "evidence" FOR VALUES FROM (MINVALUE) TO (1);--> statement-breakpoint
INSERT INTO "evidence" ("id", "part", "leaf_index", "seq", "batch_seq", "received_at", "receipt_key", "submitter",
                        "digest", "salt", "hash_alg", "case_id", "event_type", "meta_rest", "leaf_hash", "receipt_signature")
OVERRIDING SYSTEM VALUE
SELECT e."id", 0, e."leaf_index", e."seq", e."batch_seq", e."received_at", k."ref", e."submitter",
       e."digest", e."salt", e."hash_alg", e."case_id", e."event_type",
       CASE WHEN e."meta"->>'hashAlg' = e."hash_alg" AND e."meta"->>'submitter' = e."submitter"
            THEN e."meta" - 'hashAlg' - 'submitter' ELSE e."meta" END,
       e."leaf_hash", e."receipt_signature"
FROM "evidence_unpartitioned" e LEFT JOIN "receipt_keys" k ON k."kid" = e."receipt_kid"
ORDER BY e."seq";--> statement-breakpoint
SELECT setval(pg_get_serial_sequence('evidence', 'seq'), coalesce((SELECT max("seq") FROM "evidence"), 0) + 1, false);--> statement-breakpoint
DROP TABLE "evidence_unpartitioned";--> statement-breakpoint
CREATE INDEX "evidence_digest_idx" ON "evidence" USING hash ("digest");--> statement-breakpoint
CREATE INDEX "evidence_submitter_case_idx" ON "evidence" USING btree ("submitter","case_id","seq");--> statement-breakpoint
CREATE INDEX "evidence_batch_idx" ON "evidence" USING btree ("batch_seq","leaf_index");
