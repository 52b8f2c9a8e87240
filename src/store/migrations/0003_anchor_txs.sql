CREATE TABLE "anchor_txs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "anchor_txs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"chain_id" integer NOT NULL,
	"sender" text NOT NULL,
	"nonce" integer NOT NULL,
	"tx_hash" text NOT NULL,
	"raw_tx" text NOT NULL,
	"sent_block" bigint NOT NULL,
	"sent_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
DROP INDEX "anchors_live_tx_idx";--> statement-breakpoint
CREATE INDEX "anchor_txs_nonce_idx" ON "anchor_txs" USING btree ("chain_id","sender","nonce");--> statement-breakpoint
CREATE INDEX "anchors_tx_idx" ON "anchors" USING btree ("tx_hash");--> statement-breakpoint
-- Transactions in flight from before versions were recorded become their first version,
-- counted as sent at block 0 so that one the chain is not mining is re-priced at once.
INSERT INTO "anchor_txs" ("chain_id", "sender", "nonce", "tx_hash", "raw_tx", "sent_block", "sent_at")
SELECT DISTINCT ON ("tx_hash") "chain_id", "sender", "nonce", "tx_hash", "raw_tx", 0, "sent_at"
FROM "anchors" WHERE "status" = 'sent' AND "raw_tx" IS NOT NULL;
