// The verification pipeline over an evidence-proof/v1 bundle (spec steps 1-6); imports only src/core.
import { CoreError } from "../core/errors.ts";
import type { ProofBundleV1 } from "../core/bundle.ts";
import {
  type AnchoredBundle,
  type Check,
  type CheckName,
  DOCUMENT_CHECK,
  chainContext,
  checkBlock,
  checkChain,
  checkDocument,
  checkConfirmations,
  checkContract,
  checkFormat,
  checkLeaf,
  checkLog,
  checkRoot,
  checkTransaction,
  isoSeconds,
  skipped,
  unavailable,
} from "./checks.ts";
import type { ChainReader } from "./rpc.ts";

export * from "./checks.ts";
export * from "./rpc.ts";
export * from "./verdict.ts";
export * from "./signature.ts";
export * from "./report.ts";
export * from "./identify.ts";
export * from "./times.ts";

export interface VerificationResult {
  /** Every check passed: the bundle is anchored and everything agrees on chain. */
  valid: boolean;
  /** No check was skipped. */
  complete: boolean;
  checks: Check[];
  /** ISO 8601 UTC of anchor.blockTimestamp, once the block check passed. */
  anchoredAt: string | null;
  confirmations: number | null;
  bundle: ProofBundleV1 | null;
}

export interface VerifyOptions {
  /** Without a reader only the offline checks run (format, leaf, root). */
  chain?: ChainReader;
  /** Default 1. */
  minConfirmations?: number;
  /**
   * The digest of the document in hand (0x-hex), computed with the bundle's `meta.hashAlg`.
   * When given, a `document` check after `format` compares it with `evidence.digest`.
   */
  documentDigest?: string;
  /**
   * The document was given but could not be hashed here (why, in words): the `document`
   * check is then unavailable, and the verdict can be no better than "could not verify".
   * Ignored when `documentDigest` is given.
   */
  documentUnavailable?: string;
  /** Deliberately unsupported: verification reads no clock, the chain is the only time source. */
  now?: never;
}

const CHAIN_CHECKS: CheckName[] = ["chain", "transaction", "block", "log", "contract", "confirmations"];

/**
 * Runs every check in order and reports each; never throws for anything about the bundle
 * or the chain (RPC failures make checks `unavailable`, never failed). `input` is a parsed JSON value or bundle text.
 * Throws CoreError "invalid-argument" only for a bad `minConfirmations`.
 */
export async function verifyBundle(input: unknown, opts: VerifyOptions = {}): Promise<VerificationResult> {
  const minimum = opts.minConfirmations ?? 1;
  if (!Number.isSafeInteger(minimum) || minimum < 0) {
    throw new CoreError("invalid-argument", `minConfirmations ${minimum} is not a non-negative safe integer`);
  }
  if (opts.documentDigest !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(opts.documentDigest)) {
    throw new CoreError("invalid-argument", "documentDigest is not 0x followed by 64 hex digits");
  }
  const checks: Check[] = [];
  const done = (bundle: ProofBundleV1 | null, anchoredAt: string | null = null, confirmations: number | null = null): VerificationResult => ({
    valid: checks.every((c) => c.ok),
    complete: checks.every((c) => c.skipped !== true),
    checks,
    anchoredAt,
    confirmations,
    bundle,
  });

  const format = checkFormat(input);
  checks.push(format.check);
  const bundle = format.bundle;
  const withDocument = opts.documentDigest !== undefined || opts.documentUnavailable !== undefined;
  if (bundle === null) {
    const rest: CheckName[] = [...(withDocument ? [DOCUMENT_CHECK] : []), "leaf", "root", ...CHAIN_CHECKS];
    for (const name of rest) checks.push(skipped(name, "skipped: the bundle is not well-formed"));
    return done(null);
  }
  if (opts.documentDigest !== undefined) checks.push(checkDocument(bundle, opts.documentDigest));
  else if (opts.documentUnavailable !== undefined) checks.push(unavailable(DOCUMENT_CHECK, opts.documentUnavailable));

  // The parser guarantees leaf and batch are both set or both null.
  const { leaf, batch, anchor } = bundle;
  if (leaf === null || batch === null) {
    checks.push(skipped("leaf", "skipped: the evidence is not in a batch yet"), skipped("root", "skipped: the evidence is not in a batch yet"));
  } else {
    checks.push(checkLeaf({ ...bundle, leaf }), checkRoot({ ...bundle, leaf, batch }));
  }

  if (anchor === null || opts.chain === undefined) {
    const reason = anchor === null ? "skipped: the batch is not anchored yet" : "skipped: no chain reader given (offline verification)";
    for (const name of CHAIN_CHECKS) checks.push(skipped(name, reason));
    return done(bundle);
  }

  const ctx = chainContext(bundle as AnchoredBundle, opts.chain);
  const chain = await checkChain(ctx);
  checks.push(chain);
  if (!chain.ok) {
    // Asking a different (or unreachable) chain about the transaction would only add noise.
    const why = chain.unavailable === true ? "skipped: the chain could not be asked" : "skipped: the chain check failed";
    for (const name of CHAIN_CHECKS.slice(1)) checks.push(skipped(name, why));
    return done(bundle);
  }
  const [transaction, block, log, contract, conf] = await Promise.all([
    checkTransaction(ctx),
    checkBlock(ctx),
    checkLog(ctx),
    checkContract(ctx),
    checkConfirmations(ctx, minimum),
  ]);
  checks.push(transaction, block, log, contract, conf.check);
  return done(bundle, block.ok ? isoSeconds(anchor.blockTimestamp) : null, conf.confirmations);
}

/** Every check that ran passed (skipped ones aside): what offline verification can promise. */
export function offlineOk(result: VerificationResult): boolean {
  return result.checks.every((c) => c.ok || c.skipped === true);
}
