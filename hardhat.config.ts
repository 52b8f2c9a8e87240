// Hardhat 3 configuration. solc comes from the `solc` npm package (soljson.js) so that
// compiling never needs a download: CI and developer machines reach only the npm registry.
import { createRequire } from "node:module";
import { defineConfig } from "hardhat/config";
import hardhatEthers from "@nomicfoundation/hardhat-ethers";

const require = createRequire(import.meta.url);

export default defineConfig({
  plugins: [hardhatEthers],
  solidity: {
    version: "0.8.28",
    path: require.resolve("solc/soljson.js"),
    settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "cancun" },
  },
  networks: {
    // In-process simulated chain used by the contract tests.
    default: { type: "edr-simulated", chainType: "l1" },
  },
});
