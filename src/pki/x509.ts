// @peculiar/x509, loaded after the Reflect metadata polyfill its tsyringe container needs
// (it throws on import without one). Import the library from here, never directly.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

export { x509 };
