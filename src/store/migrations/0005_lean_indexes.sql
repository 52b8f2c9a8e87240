-- Indexes no query needs, or that a smaller kind serves as well: nothing looks evidence up
-- by leaf hash, and lookups by digest are equality only (a hash index keeps a 4-byte hash
-- code per row instead of the digest).
DROP INDEX "evidence_leaf_hash_idx";--> statement-breakpoint
DROP INDEX "evidence_digest_idx";--> statement-breakpoint
CREATE INDEX "evidence_digest_idx" ON "evidence" USING hash ("digest");