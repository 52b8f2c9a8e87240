// Every sentence the verification page shows that is not the library's own wording, in one
// table, so that a translation is one more table of the same shape (MESSAGES satisfies
// Messages). Parameterised sentences are functions. Pure data: no DOM.
import type { VerdictKind } from "../../verify/index.ts";

export type CheckState = "ok" | "failed" | "skipped" | "unavailable";

export const MESSAGES = {
  verdictLabels: {
    valid: "VALID",
    invalid: "NOT VALID",
    pending: "NOT YET ANCHORED",
    consistent: "CONSISTENT — ANCHOR NOT CHECKED",
    inconclusive: "COULD NOT VERIFY",
  } satisfies Record<VerdictKind, string>,
  /** A valid proof whose document was given but not checked: never the plain VALID. */
  validDocumentUnchecked: "VALID — DOCUMENT NOT CHECKED",
  stateWords: { ok: "passed", failed: "failed", skipped: "skipped", unavailable: "could not run" } satisfies Record<CheckState, string>,
  checkTitles: {
    format: "The proof file is a well-formed evidence proof",
    document: "The document is the one the proof was made for",
    leaf: "The evidence record is intact",
    root: "The record is part of the anchored batch",
    chain: "The blockchain is the one the proof names",
    transaction: "The anchoring transaction is on the blockchain",
    block: "The block and its time match",
    log: "The transaction recorded this batch",
    contract: "The anchoring contract confirms the batch",
    confirmations: "Enough blocks have followed",
  } as Record<string, string>,
  checksSummary: (ok: number, failed: number, skipped: number, unavailable: number) =>
    `${ok} passed, ${failed} failed, ${skipped} skipped${unavailable > 0 ? `, ${unavailable} could not run` : ""} (– means the check was not asked for${unavailable > 0 ? ", ? that it could not run" : ""}).`,
  inconclusiveChain: (relay: boolean) =>
    relay
      ? "The blockchain could not be reached through this service, so the anchor could not be checked. Nothing found so far is wrong with the proof: this is not a verdict against it. Try again later, or use your own node."
      : "The blockchain could not be reached at the address you gave, so the anchor could not be checked. Nothing found so far is wrong with the proof: this is not a verdict against it. Check the RPC URL (and that the node accepts requests from this page), or try again later.",
  inconclusiveDocument:
    "Your document could not be checked here, so this does not show that the proof is about it. Nothing found so far is wrong with the proof.",
  validDocumentUncheckedMeaning: "The proof itself verified, but your document was not checked.",
  beijingLabel: "The same in Beijing time (UTC+08:00)",
  // The form and its errors.
  verifyButton: "Verify",
  verifyingButton: "Verifying…",
  chooseProof: "Choose the proof file, or paste the proof text.",
  minConfirmations: "Minimum confirmations must be a whole number, 0 or more.",
  rpcUrlMissing: "Enter the RPC URL of your node (starting with https:// or http://), or choose another blockchain source.",
  rpcUrlScheme: "The RPC URL must start with https:// or http://.",
  inputsChanged: "The inputs changed. Press Verify to check again.",
  emptyResult: "Add a proof and press Verify. The result appears here.",
  checking: (offline: boolean) => (offline ? "Checking the proof…" : "Checking the proof and the blockchain…"),
  couldNotRun: (why: string) => `Verification could not run: ${why}`,
  proofTooLarge: (name: string, size: string) =>
    `“${name}” is ${size}: far too large to be a proof (proofs are a few kilobytes). Did you choose the document as the proof?`,
  proofUnreadable: (why: string) => `The proof file could not be read: ${why}. Choose it again.`,
  // A file in the proof box that is not a proof (src/verify/identify.ts says what it is).
  notAProofTitle: "This is not a proof file",
  notAProof: (what: string, advice: string) => `${what.charAt(0).toUpperCase()}${what.slice(1)}. Instead: ${advice}.`,
  // The document's digest.
  documentTooLargeForSm3: (size: string) =>
    `Your document (${size}) is too large to hash with SM3 in this browser, so it was not checked. Check it with the command-line verifier: npx evidence verify proof.json --file <document>`,
  documentUnknownAlg: (alg: string) => `The proof names a hash algorithm this page does not know (${alg}), so your document was not checked.`,
  documentNoAlg: "The proof could not be read, so it does not say how to hash your document: your document was not checked.",
  documentUnreadable: (why: string) => `Your document could not be read (${why}), so it was not checked.`,
  // Reports.
  report: {
    title: "Evidence report",
    labels: {
      valid: "REPORT VALID",
      consistent: "REPORT CONSISTENT — ANCHORS NOT CHECKED",
      inconclusive: "COULD NOT VERIFY THE REPORT",
      invalid: "REPORT NOT VALID",
    } as Record<"valid" | "consistent" | "inconclusive" | "invalid", string>,
    keysFrom: (url: string) => `Signature checked against the keys this service publishes (${url}).`,
    keysUnavailable: (why: string) => `The service's published keys could not be fetched (${why}), so the report's signature could not be checked.`,
    signature: "Signature",
    event: (n: number) => `Event ${n}`,
    timeline: "Timeline",
    warnings: "Warnings about the times the platform claims",
    warningsNote: "These times are the platform's own statements; the anchor times come from the blockchain.",
    eventState: { valid: "verified", consistent: "consistent, anchor not checked", pending: "not anchored yet", inconclusive: "could not verify", invalid: "failed" } as Record<
      VerdictKind,
      string
    >,
    anchoredAt: (utc: string, beijing: string) => `anchored ${utc} (UTC) · ${beijing}`,
    claimed: (at: string) => `occurred at ${at}, as the platform claims`,
  },
} as const;

export type Messages = typeof MESSAGES;
