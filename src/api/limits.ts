// Request body limits, in bytes. The route registry (./operations.ts) assigns one to every
// route that reads a body; handlers read no more than it.
const KIB = 1024;

/** Any single-object body: one evidence item, a tenant, a key, a disclosure. */
export const SMALL_BODY = 16 * KIB;
// 10,000 items with every optional field at its longest (a 256-character CJK caseId is
// 768 bytes of UTF-8, 1,536 when written as \u escapes) stay under this.
export const BATCH_BODY = 24 * KIB * KIB;
/** A proof bundle: a path of at most 64 hashes and bounded meta are far below this. */
export const VERIFY_BODY = KIB * KIB;
