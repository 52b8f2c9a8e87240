CREATE TABLE "reports" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"case_id" text,
	"requested_by" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"body" text NOT NULL,
	"digest" "bytea" NOT NULL,
	"evidence_id" uuid NOT NULL
);
--> statement-breakpoint
CREATE TABLE "signing_keys" (
	"kid" text PRIMARY KEY NOT NULL,
	"public_key" "bytea" NOT NULL,
	"first_used_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "evidence" ADD COLUMN "receipt_kid" text;--> statement-breakpoint
ALTER TABLE "evidence" ADD COLUMN "receipt_signature" "bytea";--> statement-breakpoint
CREATE INDEX "reports_tenant_case_idx" ON "reports" USING btree ("tenant_id","case_id");