// The EvidenceAnchor contract as the service sees it: its compiled artifact (ABI and
// bytecode produced by `hardhat build`) and an ethers Interface over that ABI.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Interface } from "ethers";
import { PROJECT_ROOT } from "../runtime.ts";

export interface ContractArtifact {
  contractName: string;
  abi: unknown[];
  bytecode: string;
}

const artifactPath = join(PROJECT_ROOT, "artifacts/contracts/EvidenceAnchor.sol/EvidenceAnchor.json");

let cached: ContractArtifact | undefined;

/** Loads the compiled contract. Requires `npm run compile` (npm start and npm test do it). */
export function loadArtifact(): ContractArtifact {
  if (!cached) {
    try {
      cached = JSON.parse(readFileSync(artifactPath, "utf8")) as ContractArtifact;
    } catch (cause) {
      throw new Error(`contract artifact missing at ${artifactPath}: run \`npm run compile\` first`, { cause });
    }
  }
  return cached;
}

export function anchorInterface(): Interface {
  return new Interface(loadArtifact().abi as never);
}
