#!/usr/bin/env node
// The `evidence` command (package.json "bin"). Runs the built CLI (dist/server/, `npm run
// build`) when it is at least as new as every source file, else the TypeScript sources through
// tsx, so that in a checkout an edit takes effect without a rebuild. The CLI itself is
// src/cli/evidence.ts; its entry is src/cli/evidence-main.ts.
import { readdirSync, statSync } from "node:fs";

const root = new URL("../", import.meta.url);
const built = new URL("dist/server/cli/evidence-main.js", root);

/** Newest modification time of the files under `dir`, or 0 when there is no such folder. */
function newest(dir) {
  let t = 0;
  let entries;
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) if (e.isFile()) t = Math.max(t, statSync(`${e.parentPath}/${e.name}`).mtimeMs);
  return t;
}

function builtIsCurrent() {
  try {
    return statSync(built).mtimeMs >= newest(new URL("src/", root));
  } catch {
    return false;
  }
}

if (builtIsCurrent()) {
  await import(built.href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(new URL("src/cli/evidence-main.ts", root).href);
}
