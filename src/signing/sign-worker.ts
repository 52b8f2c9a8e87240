// Worker thread entry of SigningPool: signs each request's documents, in their RFC 8785 form,
// with the key it was started with, and answers with each request's base64url signatures in
// order, or the error of that request alone.
import { createPrivateKey, sign } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";
import { canonicalJson } from "../core/jcs.ts";
import type { SignResult } from "./pool.ts";

const key = createPrivateKey({ key: Buffer.from((workerData as { privateKey: Uint8Array }).privateKey), format: "der", type: "pkcs8" });

parentPort?.on("message", (m: { job: number; requests: Record<string, unknown>[][] }) => {
  const results = m.requests.map((docs): SignResult => {
    try {
      return { signatures: docs.map((doc) => sign(null, Buffer.from(canonicalJson(doc), "utf8"), key).toString("base64url")) };
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  });
  parentPort?.postMessage({ job: m.job, results });
});
