// Public surface of the pure core. (src/verify imports the modules directly so that browser
// bundles do not pull in merkletreejs and its Buffer dependency.)
export * from "./errors.ts";
export * from "./bytes.ts";
export * from "./hash.ts";
export * from "./jcs.ts";
export * from "./leaf.ts";
export * from "./merkle.ts";
export * from "./rfc9162.ts";
export * from "./bundle.ts";
