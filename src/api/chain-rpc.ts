// POST /v1/chain/rpc: a read-only JSON-RPC relay to the chain node this service anchors to,
// so the public verification page can check an anchor without the visitor running a node.
// Only the six reads verification needs pass, each with its parameters checked; the node's
// answer is handed back as it came. The page says the data came through us, and offers the
// visitor's own node for full independence.
import { Hono } from "hono";
import { z } from "zod";
import { ServiceError, validationFailed } from "../errors.ts";
import type { Logger } from "../log.ts";
import { fieldErrors, readBody } from "./body.ts";
import type { AppEnv } from "./context.ts";
import { SMALL_BODY } from "./limits.ts";

const hash32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected 0x and 64 hex digits");
const quantity = z.string().regex(/^0x(0|[1-9a-fA-F][0-9a-fA-F]{0,15})$/, "expected a hex quantity");
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected 0x and 40 hex digits");
// anchorOf(bytes32) is 36 bytes of call data; a little room for other views of the contract.
const callData = z.string().regex(/^0x([0-9a-fA-F]{2}){0,1024}$/, "expected 0x and at most 1024 bytes of hex");
const blockTag = z.union([quantity, z.literal("latest")]);

/** Every method the relay passes on, with the exact parameters each may carry. */
export const RELAYED_METHODS = {
  eth_chainId: z.tuple([]),
  eth_blockNumber: z.tuple([]),
  eth_getTransactionByHash: z.tuple([hash32]),
  eth_getTransactionReceipt: z.tuple([hash32]),
  eth_getBlockByNumber: z.tuple([blockTag, z.literal(false)]),
  eth_call: z.tuple([z.strictObject({ to: address, data: callData }), blockTag]),
} as const;
type RelayedMethod = keyof typeof RELAYED_METHODS;

export const RpcRequestSchema = z.strictObject({
  jsonrpc: z.literal("2.0"),
  id: z.union([z.number().int().safe(), z.string().max(64), z.null()]),
  method: z.enum(Object.keys(RELAYED_METHODS) as [RelayedMethod, ...RelayedMethod[]], {
    error: `expected one of ${Object.keys(RELAYED_METHODS).join(", ")}`,
  }),
  params: z.array(z.unknown()).max(2).default([]),
});

export const RpcResponseSchema = z.looseObject({ jsonrpc: z.literal("2.0"), id: z.unknown() });

export interface ChainRpcDeps {
  /** JSON-RPC URL of the chain node the service anchors to; absent when none is configured. */
  chainRpcUrl: () => string | undefined;
  log: Logger;
  /** Per upstream request; default 10 s. */
  timeoutMs?: number;
}

export function chainRpcRoutes(deps: ChainRpcDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post("/", async (c) => {
    const req = await readBody(c, RpcRequestSchema, SMALL_BODY);
    const params = RELAYED_METHODS[req.method].safeParse(req.params);
    if (!params.success) {
      throw validationFailed(fieldErrors(params.error).map((e) => ({ ...e, field: `/params${e.field}` })));
    }
    const url = deps.chainRpcUrl();
    if (url === undefined) throw new ServiceError("service-unavailable", "this service has no chain node to relay to");
    let answer: unknown;
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        // Our own id upstream: the node never sees the caller's id, and its answer is re-labelled.
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: req.method, params: req.params }),
        signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      answer = await res.json();
    } catch (err) {
      deps.log.warn("chain relay: the node did not answer", { method: req.method, error: (err as Error).message });
      throw new ServiceError("service-unavailable", "the chain node did not answer; try again, or use your own node");
    }
    const parsed = RpcResponseSchema.safeParse(answer);
    if (!parsed.success) throw new ServiceError("service-unavailable", "the chain node gave a malformed answer");
    const { result, error } = parsed.data as { result?: unknown; error?: unknown };
    return c.json(error !== undefined ? { jsonrpc: "2.0", id: req.id, error } : { jsonrpc: "2.0", id: req.id, result: result ?? null });
  });
  return app;
}
