// Reading PDFs back in tests: page count, text per page and PNG pages, from poppler
// (pdfinfo, pdftotext -layout, pdftoppm) when the machine has it, from the `mupdf` npm package
// (WebAssembly) when it does not; and the EVIDENCE_TEST_TOOLS switch that browser.ts shares.
//
// EVIDENCE_TEST_TOOLS picks where the test helpers take outside programs from:
//   unset or "auto": the system program when it is on PATH, else the npm package;
//   "npm":    the npm packages only, whatever the machine has (what a fresh machine with
//             only Node 22 gets; CI's main run forces it so that path is proved every time);
//   "system": the system programs only; a missing one is an error, never a silent fallback.
import { execFile } from "node:child_process";
import { accessSync, constants, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export type TestTools = "auto" | "npm" | "system";

export function testTools(): TestTools {
  const v = process.env.EVIDENCE_TEST_TOOLS ?? "auto";
  if (v === "" || v === "auto") return "auto";
  if (v === "npm" || v === "system") return v;
  throw new Error(`EVIDENCE_TEST_TOOLS is "${v}"; expected "npm", "system" or "auto" (or unset)`);
}

/** The first executable `name` on PATH, or null. Looked up here so that not even `which` is needed. */
export function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here; next directory
    }
  }
  return null;
}

/**
 * The system program to use for `name`, or null when the npm package is to be used instead,
 * as EVIDENCE_TEST_TOOLS says. Throws when the switch demands the system program and there is none.
 */
export function systemProgram(name: string, debianPackage = "poppler-utils"): string | null {
  const tools = testTools();
  if (tools === "npm") return null;
  const path = onPath(name);
  if (path === null && tools === "system") throw new Error(`EVIDENCE_TEST_TOOLS=system, but there is no ${name} on PATH (Debian: apt-get install ${debianPackage})`);
  return path;
}

type Mupdf = typeof import("mupdf");
let mupdfModule: Promise<Mupdf> | undefined;
// Loaded on first use only: the WebAssembly module is 10 MB, and the system path never needs it.
const mupdf = (): Promise<Mupdf> => (mupdfModule ??= import("mupdf"));

async function openPdf(file: string) {
  const m = await mupdf();
  return { m, doc: m.Document.openDocument(readFileSync(file), "application/pdf") };
}

export async function pdfPageCount(file: string): Promise<number> {
  const pdfinfo = systemProgram("pdfinfo");
  if (pdfinfo !== null) {
    const { stdout } = await run(pdfinfo, [file]);
    const m = /^Pages:\s+(\d+)/m.exec(stdout);
    if (!m) throw new Error(`pdfinfo printed no page count for ${file}`);
    return Number(m[1]);
  }
  const { doc } = await openPdf(file);
  try {
    return doc.countPages();
  } finally {
    doc.destroy();
  }
}

/**
 * The text of each page, laid out the way `pdftotext -layout` does: one output line per text
 * baseline, so the cells of a table row share a line. Line breaks and runs of spaces can differ
 * between the two tools; the characters of a line and their order do not.
 */
export async function pdfPageTexts(file: string): Promise<string[]> {
  const pdftotext = systemProgram("pdftotext");
  if (pdftotext !== null) {
    const { stdout } = await run(pdftotext, ["-layout", file, "-"], { maxBuffer: 64 << 20 });
    // Every page ends with a form feed, the last one too.
    return stdout.split("\f").slice(0, -1);
  }
  const { doc } = await openPdf(file);
  try {
    const out: string[] = [];
    for (let i = 0; i < doc.countPages(); i++) {
      const page = doc.loadPage(i);
      const text = page.toStructuredText("preserve-whitespace");
      out.push(layoutText(text));
      text.destroy();
      page.destroy();
    }
    return out;
  } finally {
    doc.destroy();
  }
}

interface TextLine {
  text: string;
  x0: number;
  x1: number;
  /** Baseline. */
  y: number;
  size: number;
}

/**
 * MuPDF gives text lines per block (a table cell is a block of its own); this joins the lines
 * that sit on one baseline, left to right, as pdftotext -layout does, so a table row is one line.
 */
function layoutText(text: { walk(w: object): void }): string {
  const lines: TextLine[] = [];
  let cur: TextLine | null = null;
  text.walk({
    beginLine() {
      cur = { text: "", x0: Infinity, x1: -Infinity, y: 0, size: 0 };
    },
    onChar(c: string, origin: [number, number], _font: unknown, size: number, quad: number[]) {
      const l = cur!;
      if (l.text === "") {
        l.y = origin[1];
        l.size = size;
      }
      l.text += c;
      l.x0 = Math.min(l.x0, quad[0]!);
      l.x1 = Math.max(l.x1, quad[2]!);
    },
    endLine() {
      if (cur !== null && cur.text.trim() !== "") lines.push(cur);
      cur = null;
    },
  });
  lines.sort((a, b) => a.y - b.y || a.x0 - b.x0);
  const rows: TextLine[][] = [];
  for (const line of lines) {
    const row = rows.at(-1);
    // Same baseline, give or take a third of the smaller font (a superscript or a symbol
    // from another font sits a little off it).
    if (row && Math.abs(row[0]!.y - line.y) <= Math.min(row[0]!.size, line.size) / 3) row.push(line);
    else rows.push([line]);
  }
  return (
    rows
      .map((row) => {
        row.sort((a, b) => a.x0 - b.x0);
        let s = row[0]!.text;
        for (let i = 1; i < row.length; i++) {
          // Lines that touch are one run of text split by MuPDF (a change of font); others
          // are separate cells, kept apart by two spaces as pdftotext keeps columns apart.
          const touching = row[i]!.x0 - row[i - 1]!.x1 < row[i]!.size * 0.1;
          s += (touching ? "" : "  ") + row[i]!.text;
        }
        return s.trimEnd();
      })
      .join("\n") + "\n"
  );
}

/**
 * Renders every page to `dir/<prefix>-<n>.png` at `dpi`, named as pdftoppm names them (`n`
 * zero-padded to the width of the page count), and returns the files in page order.
 */
export async function renderPdfPages(file: string, dir: string, dpi: number, prefix = "page"): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const pdftoppm = systemProgram("pdftoppm");
  if (pdftoppm !== null) {
    await run(pdftoppm, ["-r", String(dpi), "-png", file, join(dir, prefix)]);
  } else {
    const { m, doc } = await openPdf(file);
    try {
      const n = doc.countPages();
      const width = String(n).length;
      for (let i = 0; i < n; i++) {
        const page = doc.loadPage(i);
        const pixmap = page.toPixmap(m.Matrix.scale(dpi / 72, dpi / 72), m.ColorSpace.DeviceRGB, false, true);
        writeFileSync(join(dir, `${prefix}-${String(i + 1).padStart(width, "0")}.png`), pixmap.asPNG());
        pixmap.destroy();
        page.destroy();
      }
    } finally {
      doc.destroy();
    }
  }
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(`^${escaped}-(\\d+)\\.png$`);
  return readdirSync(dir)
    .filter((f) => pattern.test(f))
    .sort((a, b) => Number(pattern.exec(a)![1]) - Number(pattern.exec(b)![1]))
    .map((f) => join(dir, f));
}
