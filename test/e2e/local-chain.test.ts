// The local Hardhat chain the service starts goes with it, however the service dies: after a
// SIGKILL (an OOM kill, a crash) nothing may keep holding the chain's port, or the next start
// fails. The restarted service then gets a fresh chain and re-anchors what it held.
import { connect } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/chain.ts";
import { apiClient, createTenant, readAdminKey, spawnService, tempDir, waitFor, type ServiceProcess } from "../helpers/service.ts";
import { randomDigest } from "../helpers/api.ts";

/** Whether something accepts TCP connections on 127.0.0.1:port. */
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

let service: ServiceProcess | undefined;
afterAll(async () => {
  await service?.stop("SIGTERM");
});

describe("the service's local chain", () => {
  it("stops when the service is killed with SIGKILL, so a restart can take its port again", async () => {
    const dir = tempDir();
    const chainPort = await freePort();
    const env = { DATA_DIR: dir, LOCAL_CHAIN_PORT: String(chainPort), BATCH_INTERVAL_MS: "200" };
    service = await spawnService(env);
    const tenant = await createTenant(service.url, readAdminKey(dir), "tenant-chain");
    const submitted = await apiClient(service.url, tenant.key)<{ id: string }>("POST", "/v1/evidence", { digest: randomDigest() });
    expect(submitted.status).toBe(202);
    expect(await listening(chainPort)).toBe(true);

    service.proc.kill("SIGKILL");
    await service.exited;
    // Nothing to await across processes but the port itself.
    await waitFor("the orphaned chain to exit", async () => !(await listening(chainPort)), 15_000);

    service = await spawnService(env);
    const client = apiClient(service.url, tenant.key);
    const anchored = await waitFor("the item to be anchored on the new chain", async () => {
      const r = await client<{ status: string }>("GET", `/v1/evidence/${submitted.body.id}`);
      return r.body.status === "anchored" ? r.body : undefined;
    });
    expect(anchored.status).toBe("anchored");
  });
});
