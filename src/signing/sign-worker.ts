// Worker thread entry of SigningPool: signs each document's RFC 8785 form with the key it was
// started with, and answers with the base64url signatures in order.
import { createPrivateKey, sign } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";
import { canonicalJson } from "../core/jcs.ts";

const key = createPrivateKey({ key: Buffer.from((workerData as { privateKey: Uint8Array }).privateKey), format: "der", type: "pkcs8" });

parentPort?.on("message", (m: { job: number; docs: Record<string, unknown>[] }) => {
  try {
    const signatures = m.docs.map((doc) => sign(null, Buffer.from(canonicalJson(doc), "utf8"), key).toString("base64url"));
    parentPort?.postMessage({ job: m.job, signatures });
  } catch (err) {
    parentPort?.postMessage({ job: m.job, error: err instanceof Error ? err.message : String(err) });
  }
});
