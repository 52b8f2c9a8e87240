// A callable gc() in a process started without --expose-gc (npm run bench runs plain tsx):
// V8 accepts the flag at run time, and a new context then carries the global.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

setFlagsFromString("--expose-gc");
const collect = runInNewContext("gc") as () => void;

/** Full collection, twice (the second one frees what finalizers released). */
export function gc(): void {
  collect();
  collect();
}
