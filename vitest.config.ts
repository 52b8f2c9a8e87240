// Test runner configuration. Tests talk to real components (PGlite or PostgreSQL, Hardhat's
// in-process chain or Hardhat nodes), so timeouts are generous and files run in forks.
// End-to-end files start whole service processes; they run alone, after everything else,
// so their timings (a digest anchored within 5 s) are not at the mercy of parallel files.
import { defineConfig } from "vitest/config";

const shared = {
  testTimeout: 60_000,
  hookTimeout: 180_000,
  pool: "forks" as const,
};

export default defineConfig({
  test: {
    reporters: ["default"],
    globalSetup: ["test/global-setup.ts"],
    projects: [
      {
        test: { ...shared, name: "unit+integration", include: ["test/**/*.test.ts"], exclude: ["test/e2e/**"], sequence: { groupOrder: 0 } },
      },
      {
        test: { ...shared, name: "e2e", include: ["test/e2e/**/*.test.ts"], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
