CREATE TABLE "anchors" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "anchors_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"batch_seq" bigint NOT NULL,
	"chain_id" integer NOT NULL,
	"contract" text NOT NULL,
	"sender" text NOT NULL,
	"nonce" integer NOT NULL,
	"tx_hash" text NOT NULL,
	"raw_tx" text,
	"status" text NOT NULL,
	"block_number" bigint,
	"block_hash" text,
	"block_timestamp" bigint,
	"sent_at" timestamp (3) with time zone NOT NULL,
	"confirmed_at" timestamp (3) with time zone,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "batches" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"size" integer NOT NULL,
	"root" "bytea" NOT NULL,
	"sealed_at" timestamp (3) with time zone NOT NULL,
	"anchor_id" bigint,
	CONSTRAINT "batches_root_unique" UNIQUE("root")
);
--> statement-breakpoint
CREATE TABLE "deployments" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "deployments_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"chain_id" integer NOT NULL,
	"address" text NOT NULL,
	"tx_hash" text NOT NULL,
	"block_number" bigint NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "evidence" (
	"id" uuid PRIMARY KEY NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "evidence_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"submitter" text NOT NULL,
	"digest" "bytea" NOT NULL,
	"salt" "bytea" NOT NULL,
	"hash_alg" text NOT NULL,
	"case_id" text,
	"event_type" text,
	"meta" jsonb NOT NULL,
	"leaf_hash" "bytea" NOT NULL,
	"received_at" timestamp (3) with time zone NOT NULL,
	"batch_seq" bigint,
	"leaf_index" integer,
	"path" "bytea",
	CONSTRAINT "evidence_seq_unique" UNIQUE("seq")
);
--> statement-breakpoint
ALTER TABLE "anchors" ADD CONSTRAINT "anchors_batch_seq_batches_seq_fk" FOREIGN KEY ("batch_seq") REFERENCES "public"."batches"("seq") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "anchors_live_batch_idx" ON "anchors" USING btree ("batch_seq") WHERE "anchors"."status" in ('sent', 'confirmed');--> statement-breakpoint
CREATE UNIQUE INDEX "anchors_live_tx_idx" ON "anchors" USING btree ("tx_hash") WHERE "anchors"."status" in ('sent', 'confirmed');--> statement-breakpoint
CREATE UNIQUE INDEX "evidence_leaf_hash_idx" ON "evidence" USING btree ("leaf_hash");--> statement-breakpoint
CREATE INDEX "evidence_digest_idx" ON "evidence" USING btree ("digest");--> statement-breakpoint
CREATE INDEX "evidence_submitter_case_idx" ON "evidence" USING btree ("submitter","case_id","seq");--> statement-breakpoint
CREATE INDEX "evidence_batch_idx" ON "evidence" USING btree ("batch_seq","leaf_index");--> statement-breakpoint
CREATE INDEX "evidence_pending_idx" ON "evidence" USING btree ("seq") WHERE "evidence"."batch_seq" is null;