CREATE TABLE "batch_timestamps" (
	"batch_seq" bigint PRIMARY KEY NOT NULL,
	"tsa_url" text NOT NULL,
	"token" "bytea" NOT NULL,
	"gen_time" timestamp (3) with time zone NOT NULL,
	"serial_number" text NOT NULL,
	"policy" text NOT NULL,
	"tsa_name" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "batch_timestamps" ADD CONSTRAINT "batch_timestamps_batch_seq_batches_seq_fk" FOREIGN KEY ("batch_seq") REFERENCES "public"."batches"("seq") ON DELETE no action ON UPDATE no action;