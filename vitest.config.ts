// Test runner configuration. Tests talk to real components (PGlite or PostgreSQL, Hardhat's
// in-process chain or a Hardhat node), so timeouts are generous and files run in forks.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: "forks",
    reporters: ["default"],
  },
});
