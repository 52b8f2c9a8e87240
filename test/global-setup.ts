// Runs once before any test file: builds the verification page into dist/web/, so every app
// a test creates serves the page from the current sources (as `npm start` does).
import { buildWeb } from "../scripts/build-web.ts";

export default async function setup(): Promise<void> {
  await buildWeb();
}
