// The page machinery of the evidence-report PDF (src/reports/pdf.ts says what goes on the
// pages): the embedded fonts, a cursor that breaks pages before a block would run off one,
// paragraphs, key/value lists, tables that repeat their header, monospace blocks that wrap
// without splitting a hash, the QR code, and the running header and footer. Knows nothing
// about reports. Pure apart from reading the two font files once per process.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import PDFDocument from "pdfkit";
import QRCode from "qrcode";

export type Doc = PDFKit.PDFDocument;

// Noto Sans SC covers Latin, Greek, Cyrillic and CJK (a tenant name, a case id or a purpose
// may be Chinese); pdfkit embeds only the glyphs used, so the 10 MB files cost a few dozen KB.
const FONT_FILES = {
  regular: "@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf",
  bold: "@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf",
} as const;

interface FontData {
  regular: Buffer;
  bold: Buffer;
}

let fontCache: Promise<FontData> | undefined;

/** The font files, read on first use and kept in memory: every report needs them. */
export function fontData(): Promise<FontData> {
  if (fontCache === undefined) {
    const require = createRequire(import.meta.url);
    const loading = Promise.all([readFile(require.resolve(FONT_FILES.regular)), readFile(require.resolve(FONT_FILES.bold))]).then(
      ([regular, bold]) => ({ regular, bold }),
    );
    fontCache = loading;
    // A failed read is not kept: the next report tries again rather than failing forever.
    loading.catch(() => {
      if (fontCache === loading) fontCache = undefined;
    });
  }
  return fontCache;
}

export const PAGE = { width: 595.28, height: 841.89 } as const;
// 50 pt left and right; top and bottom leave room for the running header and footer.
export const MARGIN = { top: 66, bottom: 58, left: 50, right: 50 } as const;

export const COLOR = {
  text: "#1f2328",
  muted: "#59636e",
  faint: "#8c959f",
  rule: "#d0d7de",
  green: "#1a7f37",
  greenBg: "#e9f6ed",
  red: "#c62828",
  redBg: "#fdecec",
  amber: "#9a6700",
  amberBg: "#fff6dc",
  codeBg: "#f4f6f8",
  headBg: "#e6eaef",
  zebra: "#f8f9fa",
} as const;

/** sans and bold: Noto Sans SC; mono: the PDF's built-in Courier (hashes, commands, JSON). */
export type Face = "sans" | "bold" | "mono" | "monoBold";
const FONT_NAME: Record<Face, string> = { sans: "sans", bold: "sans-bold", mono: "Courier", monoBold: "Courier-Bold" };

// Noto Sans SC's line box is 1.45 em (ascender 1.16, descender 0.29): airy for a dense
// document, so prose takes back some of it (1.27 em per line, still room for CJK).
const lineGap = (size: number): number => -0.18 * size;
/** Distance from the top of a Noto line box to its baseline. */
const SANS_ASCENT = 1.16;
/** Courier: 0.6 em per character, every character. */
export const MONO_ADVANCE = 0.6;

export interface Cell {
  text: string;
  face?: Face;
  color?: string;
  align?: "left" | "right" | "center";
}

export interface Column {
  header: string;
  width: number;
  align?: "left" | "right" | "center";
}

export interface Row {
  cells: Cell[];
  fill?: string;
  /** A monospace line under the cells, across the whole row (a hash too long for a cell). */
  sub?: string;
}

export interface KvRow {
  label: string;
  value: string;
  /** A monospace value: kept on one line when it fits (every hash fits). */
  mono?: boolean;
  face?: Face;
  color?: string;
}

export interface ContentsEntry {
  title: string;
  page: number;
  dest: string;
  level: number;
}

export class Writer {
  readonly doc: Doc;
  readonly left = MARGIN.left;
  readonly width = PAGE.width - MARGIN.left - MARGIN.right;
  readonly bottom = PAGE.height - MARGIN.bottom;
  /** Where the next block goes, on the current page. */
  y: number = MARGIN.top;
  /** Set once a character had to be written as [U+XXXX] because the font has no glyph for it. */
  substituted = false;
  readonly contents: ContentsEntry[] = [];
  readonly #covers: (cp: number) => boolean;
  readonly #coverage = new Map<number, boolean>();
  /** The last outline (bookmark) item of each level, to nest the next one under. */
  readonly #outline: PDFKit.PDFOutline[] = [];

  constructor(doc: Doc, fonts: FontData) {
    this.doc = doc;
    doc.registerFont(FONT_NAME.sans, fonts.regular);
    doc.registerFont(FONT_NAME.bold, fonts.bold);
    doc.font(FONT_NAME.sans);
    // pdfkit keeps the fontkit font of an embedded font at _font.font; its cmap says which
    // characters have a glyph. Without it (a pdfkit that changed shape) every character is
    // assumed drawable, which is what pdfkit itself would do.
    const fontkit = (doc as unknown as { _font?: { font?: { hasGlyphForCodePoint?: (cp: number) => boolean } } })._font?.font;
    this.#covers = typeof fontkit?.hasGlyphForCodePoint === "function" ? (cp) => fontkit.hasGlyphForCodePoint!(cp) : () => true;
  }

  /** The current page, 1-based. */
  get page(): number {
    const r = this.doc.bufferedPageRange();
    return r.start + r.count;
  }

  get remaining(): number {
    return this.bottom - this.y;
  }

  use(face: Face, size: number, color: string = COLOR.text): Doc {
    return this.doc.font(FONT_NAME[face]).fontSize(size).fillColor(color);
  }

  newPage(): void {
    this.doc.addPage();
    this.y = MARGIN.top;
  }

  /** Starts a new page unless `height` still fits on this one. */
  ensure(height: number): void {
    if (this.y + height > this.bottom && this.y > MARGIN.top) this.newPage();
  }

  space(h: number): void {
    this.y = Math.min(this.y + h, this.bottom);
  }

  #hasGlyph(cp: number): boolean {
    let v = this.#coverage.get(cp);
    if (v === undefined) {
      v = this.#covers(cp);
      this.#coverage.set(cp, v);
    }
    return v;
  }

  /**
   * `s` with every character the font cannot draw written as [U+XXXX]: a user-supplied
   * string is never dropped or shown as empty boxes, and invisible control characters in a
   * case id become visible. The JSON report holds the exact text.
   */
  safe(s: string): string {
    let out = "";
    for (const ch of s) {
      const cp = ch.codePointAt(0)!;
      // "\n" is a line break the caller meant (a table cell of two lines); other controls are shown.
      if (cp === 0x0a || (cp >= 0x20 && !(cp >= 0x7f && cp < 0xa0) && this.#hasGlyph(cp))) {
        out += ch;
        continue;
      }
      // Not decomposed into a base letter and a combining mark: this font does not position
      // Latin marks, and "dz´" would misstate the text where "[U+017A]" cannot.
      out += `[U+${cp.toString(16).toUpperCase().padStart(4, "0")}]`;
      this.substituted = true;
    }
    return out;
  }

  /**
   * Monospace text as runs: printable ASCII in Courier, anything else in Noto Sans SC (a
   * Chinese case id inside a JSON bundle). Courier's built-in encoding has no CJK.
   */
  #monoRuns(text: string): { text: string; mono: boolean }[] {
    const runs: { text: string; mono: boolean }[] = [];
    for (const ch of this.safe(text)) {
      const cp = ch.codePointAt(0)!;
      const mono = cp >= 0x20 && cp < 0x7f;
      const last = runs.at(-1);
      if (last !== undefined && last.mono === mono) last.text += ch;
      else runs.push({ text: ch, mono });
    }
    return runs;
  }

  /** Width of monospace text at `size`, CJK included. */
  monoWidth(text: string, size: number): number {
    let w = 0;
    for (const run of this.#monoRuns(text)) {
      if (run.mono) w += run.text.length * MONO_ADVANCE * size;
      else w += this.use("sans", size).widthOfString(run.text);
    }
    return w;
  }

  /** One line of monospace text on `baseline`, never wrapped. */
  monoLine(text: string, x: number, baseline: number, size: number, color: string = COLOR.text, bold = false): void {
    let cx = x;
    for (const run of this.#monoRuns(text)) {
      const face: Face = run.mono ? (bold ? "monoBold" : "mono") : bold ? "bold" : "sans";
      this.use(face, size, color).text(run.text, cx, baseline, { lineBreak: false, baseline: "alphabetic" });
      cx += run.mono ? run.text.length * MONO_ADVANCE * size : this.doc.widthOfString(run.text);
    }
  }

  /**
   * Breaks a monospace line into pieces no wider than `width`. Breaks fall between tokens (a
   * hex value, a word, a URL is one token), so a 66-character hash is never split while a
   * line can hold it; a token longer than a whole line is split where it must be.
   */
  wrapMono(line: string, width: number, size: number, indent: number): string[] {
    if (this.monoWidth(line, size) <= width) return [line];
    const tokens = line.match(/[0-9A-Za-z_\-+/=.:@%]+|\s+|./gu) ?? [line];
    const lead = " ".repeat(Math.min((/^ */.exec(line)?.[0].length ?? 0) + indent, 40));
    const out: string[] = [];
    let cur = "";
    const push = (): void => {
      out.push(cur.trimEnd());
      cur = lead;
    };
    for (const tok of tokens) {
      if (this.monoWidth(cur + tok, size) <= width) {
        cur += tok;
        continue;
      }
      if (/^\s+$/.test(tok)) {
        push();
        continue;
      }
      if (cur.trim() !== "") push();
      let rest = tok;
      while (this.monoWidth(cur + rest, size) > width) {
        let n = rest.length;
        while (n > 1 && this.monoWidth(cur + rest.slice(0, n), size) > width) n--;
        cur += rest.slice(0, n);
        rest = rest.slice(n);
        push();
      }
      cur += rest;
    }
    if (cur.trim() !== "") out.push(cur.trimEnd());
    return out;
  }

  /** `text` cut to `width` with an ellipsis: one line, for a running header or a title bar. */
  fit(text: string, width: number, face: Face, size: number): string {
    const safe = this.safe(text);
    this.use(face, size);
    if (this.doc.widthOfString(safe) <= width) return safe;
    const chars = [...safe];
    let n = chars.length;
    while (n > 1 && this.doc.widthOfString(`${chars.slice(0, n).join("")}…`) > width) n--;
    return `${chars.slice(0, n).join("")}…`;
  }

  /** Draws prose (Noto Sans SC) from `yTop`, wrapped to `width`; returns its height. */
  textBox(text: string, x: number, yTop: number, width: number, o: { face?: Face; size?: number; color?: string; align?: Cell["align"] } = {}): number {
    const size = o.size ?? 9;
    const safe = this.safe(text);
    const opts = { width, lineGap: lineGap(size), align: o.align ?? "left" } as const;
    this.use(o.face ?? "sans", size, o.color);
    const h = this.doc.heightOfString(safe, opts);
    this.doc.text(safe, x, yTop, opts);
    return h;
  }

  textHeight(text: string, width: number, o: { face?: Face; size?: number } = {}): number {
    const size = o.size ?? 9;
    this.use(o.face ?? "sans", size);
    return this.doc.heightOfString(this.safe(text), { width, lineGap: lineGap(size) });
  }

  /** A paragraph in the flow; pdfkit carries a long one over to the next page. */
  para(text: string, o: { face?: Face; size?: number; color?: string; indent?: number; after?: number } = {}): void {
    const size = o.size ?? 9;
    const indent = o.indent ?? 0;
    this.use(o.face ?? "sans", size, o.color);
    this.ensure(Math.min(this.doc.currentLineHeight(true) * 2, this.textHeight(text, this.width - indent, o)));
    this.use(o.face ?? "sans", size, o.color).text(this.safe(text), this.left + indent, this.y, { width: this.width - indent, lineGap: lineGap(size) });
    this.y = this.doc.y + (o.after ?? 5);
  }

  /** A paragraph whose first words are bold ("What the proofs show: …"). */
  leadPara(lead: string, rest: string, o: { size?: number; after?: number } = {}): void {
    const size = o.size ?? 9;
    const opts = { width: this.width, lineGap: lineGap(size) };
    this.use("sans", size);
    this.ensure(Math.min(this.doc.currentLineHeight(true) * 2, this.textHeight(lead + rest, this.width, { size })));
    this.use("bold", size).text(this.safe(lead), this.left, this.y, { ...opts, continued: true });
    this.use("sans", size).text(this.safe(rest), opts);
    this.y = this.doc.y + (o.after ?? 5);
  }

  /** A bulleted item. */
  bullet(text: string, o: { size?: number; after?: number } = {}): void {
    const size = o.size ?? 9;
    const h = this.textHeight(text, this.width - 14, { size });
    this.ensure(Math.min(h, 30));
    this.use("sans", size, COLOR.muted).text("•", this.left + 3, this.y, { lineBreak: false });
    this.use("sans", size).text(this.safe(text), this.left + 14, this.y, { width: this.width - 14, lineGap: lineGap(size) });
    this.y = this.doc.y + (o.after ?? 3);
  }

  /**
   * A numbered section heading, listed in the contents and the PDF outline. Level 1 starts a
   * new page when asked; every heading keeps at least `keep` points of what follows with it.
   */
  heading(title: string, o: { level?: 1 | 2 | 3; newPage?: boolean; keep?: number; contents?: boolean; color?: string } = {}): void {
    const level = o.level ?? 1;
    const size = level === 1 ? 15 : level === 2 ? 11 : 9.5;
    if (o.newPage === true && this.y > MARGIN.top) this.newPage();
    if (this.y > MARGIN.top) this.space(level === 1 ? 14 : level === 2 ? 8 : 5);
    const h = this.textHeight(title, this.width, { face: "bold", size });
    this.ensure(h + (o.keep ?? 60));
    if (o.contents !== false) {
      const dest = `s${this.contents.length + 1}`;
      this.doc.addNamedDestination(dest, "XYZ", null, this.y, null);
      this.contents.push({ title, page: this.page, dest, level });
      this.bookmark(title, level);
    }
    this.textBox(title, this.left, this.y, this.width, { face: "bold", size, color: o.color ?? COLOR.text });
    this.y += h + (level === 1 ? 3 : 2);
    if (level === 1) {
      this.doc.moveTo(this.left, this.y).lineTo(this.left + this.width, this.y).lineWidth(0.6).strokeColor(COLOR.rule).stroke();
      this.y += 8;
    }
  }

  /** An entry of the PDF outline (the viewer's bookmarks), nested under the last one of the level above. */
  bookmark(title: string, level: number): void {
    // A level can only nest one deeper than the last item: no empty intermediate levels.
    const lvl = Math.max(1, Math.min(level, this.#outline.length + 1));
    const parent = lvl === 1 ? this.doc.outline : this.#outline[lvl - 2]!;
    const item = parent.addItem(this.safe(title));
    this.#outline.length = lvl - 1;
    this.#outline.push(item);
  }

  /** Height of a key/value list, to keep it on one page. */
  kvHeight(rows: KvRow[], o: { labelWidth?: number; size?: number } = {}): number {
    return rows.reduce((h, r) => h + this.#kvRowHeight(r, o.labelWidth ?? 104, o.size ?? 8), 0);
  }

  #kvRowHeight(r: KvRow, labelWidth: number, size: number): number {
    const valueWidth = this.width - labelWidth;
    const label = this.textHeight(r.label, labelWidth - 8, { size, face: "sans" });
    const value = r.mono ? this.#monoFit(r.value, valueWidth, size).lines.length * size * 1.3 : this.textHeight(r.value, valueWidth, { size, face: r.face ?? "sans" });
    return Math.max(label, value) + 1.8;
  }

  /**
   * A monospace value at 95 % of the prose size, or smaller (down to 6.3 pt) when that keeps
   * it on one line: a signature or a hash is read and copied whole.
   */
  #monoFit(value: string, width: number, size: number): { size: number; lines: string[] } {
    let s = size * 0.95;
    const one = /^\S+$/.test(value);
    while (one && s > 6.3 && this.monoWidth(value, s) > width) s -= 0.1;
    return { size: s, lines: this.wrapMono(value, width, s, 2) };
  }

  /**
   * Label on the left, value on the right, one row per fact. Monospace values sit on the
   * prose baseline and stay on one line whenever they fit: a hash is copied or searched whole.
   */
  kv(rows: KvRow[], o: { labelWidth?: number; size?: number } = {}): void {
    const labelWidth = o.labelWidth ?? 104;
    const size = o.size ?? 8;
    const valueX = this.left + labelWidth;
    const valueWidth = this.width - labelWidth;
    for (const r of rows) {
      const h = this.#kvRowHeight(r, labelWidth, size);
      if (!r.mono && h > this.bottom - MARGIN.top) {
        // Taller than a page (the API bounds submitted text, but nothing here relies on it):
        // let pdfkit carry the value over the page break rather than draw past the footer.
        this.ensure(size * 4);
        this.textBox(r.label, this.left, this.y, labelWidth - 8, { size, color: COLOR.muted });
        this.use(r.face ?? "sans", size, r.color ?? COLOR.text).text(this.safe(r.value), valueX, this.y, { width: valueWidth, lineGap: lineGap(size) });
        this.y = this.doc.y + 1.8;
        continue;
      }
      this.ensure(h);
      this.textBox(r.label, this.left, this.y, labelWidth - 8, { size, color: COLOR.muted });
      if (r.mono) {
        const fit = this.#monoFit(r.value, valueWidth, size);
        fit.lines.forEach((line, i) => this.monoLine(line, valueX, this.y + SANS_ASCENT * size + i * size * 1.3, fit.size, r.color ?? COLOR.text));
      } else {
        this.textBox(r.value, valueX, this.y, valueWidth, { size, face: r.face ?? "sans", color: r.color ?? COLOR.text });
      }
      this.y += h;
    }
  }

  #rowHeight(columns: Column[], row: Row, size: number, pad: number): number {
    let h = 0;
    row.cells.forEach((c, i) => {
      const w = columns[i]!.width - 2 * pad;
      h = Math.max(h, this.textHeight(c.text, w, { size, face: c.face ?? "sans" }));
    });
    return h + 2 * pad + (row.sub === undefined ? 0 : size * 1.3);
  }

  tableHeight(columns: Column[], rows: Row[], o: { size?: number; pad?: number } = {}): number {
    const size = o.size ?? 7.5;
    const pad = o.pad ?? 3;
    const header = this.#rowHeight(columns, { cells: columns.map((c) => ({ text: c.header, face: "bold" })) }, size, pad);
    return rows.reduce((h, r) => h + this.#rowHeight(columns, r, size, pad), header);
  }

  /**
   * A table whose rows never split across pages; when a row does not fit, the header is
   * drawn again at the top of the next page, with `continued` above it.
   */
  table(columns: Column[], rows: Row[], o: { size?: number; pad?: number; continued?: string; zebra?: boolean } = {}): void {
    const size = o.size ?? 7.5;
    const pad = o.pad ?? 3;
    const headerRow: Row = { cells: columns.map((c) => ({ text: c.header, face: "bold", ...(c.align ? { align: c.align } : {}) })) };
    const headerH = this.#rowHeight(columns, headerRow, size, pad);
    const drawHeader = (): void => {
      this.doc.rect(this.left, this.y, this.width, headerH).fill(COLOR.headBg);
      this.#drawCells(columns, headerRow, size, pad);
      this.y += headerH;
    };
    const firstH = rows[0] === undefined ? 0 : this.#rowHeight(columns, rows[0], size, pad);
    this.ensure(headerH + firstH);
    drawHeader();
    rows.forEach((row, i) => {
      const h = this.#rowHeight(columns, row, size, pad);
      if (this.y + h > this.bottom) {
        this.newPage();
        if (o.continued !== undefined) {
          this.textBox(o.continued, this.left, this.y, this.width, { size: 7.5, color: COLOR.muted });
          this.y += 13;
        }
        drawHeader();
      }
      const fill = row.fill ?? (o.zebra !== false && i % 2 === 1 ? COLOR.zebra : undefined);
      if (fill !== undefined) this.doc.rect(this.left, this.y, this.width, h).fill(fill);
      this.#drawCells(columns, row, size, pad);
      if (row.sub !== undefined) {
        this.monoLine(row.sub, this.left + pad + (columns[0]?.width ?? 0), this.y + h - pad - size * 0.3, size * 0.92, COLOR.muted);
      }
      this.y += h;
      this.doc.moveTo(this.left, this.y).lineTo(this.left + this.width, this.y).lineWidth(0.3).strokeColor(COLOR.rule).stroke();
    });
  }

  #drawCells(columns: Column[], row: Row, size: number, pad: number): void {
    let x = this.left;
    row.cells.forEach((c, i) => {
      const col = columns[i]!;
      this.textBox(c.text, x + pad, this.y + pad, col.width - 2 * pad, { size, face: c.face ?? "sans", color: c.color ?? COLOR.text, align: c.align ?? col.align ?? "left" });
      x += col.width;
    });
  }

  /**
   * A monospace block on a grey ground (commands, JSON). Long lines wrap between tokens; a
   * wrapped line is marked in the gutter, so a reader knows it continues the line above. The
   * block breaks across pages between lines.
   */
  code(source: string[], o: { size?: number; after?: number } = {}): void {
    const size = o.size ?? 7;
    const lead = size * 1.32;
    const padX = 9;
    const padY = 4;
    const lines: { text: string; cont: boolean }[] = [];
    for (const src of source) {
      this.wrapMono(src, this.width - 2 * padX, size, 4).forEach((text, i) => lines.push({ text, cont: i > 0 }));
    }
    let i = 0;
    while (i < lines.length) {
      let fit = Math.floor((this.remaining - 2 * padY) / lead);
      // Never leave a lone line at the foot of a page when more follow.
      if (fit < Math.min(3, lines.length - i)) {
        this.newPage();
        fit = Math.floor((this.remaining - 2 * padY) / lead);
      }
      const chunk = lines.slice(i, i + fit);
      const h = chunk.length * lead + 2 * padY;
      this.doc.rect(this.left, this.y, this.width, h).fill(COLOR.codeBg);
      chunk.forEach((line, j) => {
        const baseline = this.y + padY + j * lead + size * 0.98;
        if (line.cont) {
          // a small hook in the gutter: "continues the line above"
          this.doc
            .moveTo(this.left + 3, baseline - size * 0.75)
            .lineTo(this.left + 3, baseline - size * 0.3)
            .lineTo(this.left + 6.5, baseline - size * 0.3)
            .lineWidth(0.6)
            .strokeColor(COLOR.faint)
            .stroke();
        }
        const color = /^\s*#/.test(line.text) && !line.cont ? COLOR.muted : COLOR.text;
        this.monoLine(line.text, this.left + padX, baseline, size, color);
      });
      this.y += h;
      i += chunk.length;
    }
    this.y += o.after ?? 6;
  }

  /** A ✓ (green), × (red) or – (grey, not checked) mark, as text so it is extracted too. */
  static mark(state: "ok" | "fail" | "skip"): Cell {
    return state === "ok"
      ? { text: "✓", color: COLOR.green, face: "bold" }
      : state === "fail"
        ? { text: "×", color: COLOR.red, face: "bold" }
        : { text: "–", color: COLOR.muted };
  }

  /** A vector tick or cross in a filled circle (the cover's verdict). */
  badge(kind: "ok" | "fail" | "warn", cx: number, cy: number, r: number, color: string): void {
    const d = this.doc;
    d.circle(cx, cy, r).fill(color);
    d.lineWidth(r * 0.28).strokeColor("#ffffff").lineCap("round").lineJoin("round");
    if (kind === "ok") {
      d.moveTo(cx - r * 0.45, cy + r * 0.02).lineTo(cx - r * 0.12, cy + r * 0.35).lineTo(cx + r * 0.48, cy - r * 0.35).stroke();
    } else if (kind === "fail") {
      d.moveTo(cx - r * 0.38, cy - r * 0.38).lineTo(cx + r * 0.38, cy + r * 0.38).stroke();
      d.moveTo(cx + r * 0.38, cy - r * 0.38).lineTo(cx - r * 0.38, cy + r * 0.38).stroke();
    } else {
      d.moveTo(cx, cy - r * 0.45).lineTo(cx, cy + r * 0.1).stroke();
      d.circle(cx, cy + r * 0.42, r * 0.08).fill("#ffffff");
    }
    d.lineCap("butt").lineJoin("miter");
  }

  /** A QR code as vector squares (crisp at any zoom and in print), linked to `text`. */
  qr(text: string, x: number, y: number, size: number): void {
    const code = QRCode.create(text, { errorCorrectionLevel: "M" });
    const n = code.modules.size;
    const m = size / n;
    const d = this.doc;
    for (let r = 0; r < n; r++) {
      let c = 0;
      while (c < n) {
        if (code.modules.get(r, c) !== 1) {
          c++;
          continue;
        }
        const start = c;
        while (c < n && code.modules.get(r, c) === 1) c++;
        // a hair of overlap so viewers do not show seams between modules
        d.rect(x + start * m, y + r * m, (c - start) * m + 0.05, m + 0.05);
      }
    }
    d.fill("#000000");
    d.link(x, y, size, size, text);
  }

  /**
   * Draws the running header (from page 2) and the footer on every page, once the page count
   * is known. The bottom margin is lifted while drawing so pdfkit does not start a new page.
   */
  furniture(o: { header: string; headerRight: { text: string; color: string }; footer: string; pageLabel?: (page: number, total: number) => string }): void {
    const range = this.doc.bufferedPageRange();
    const total = range.count;
    for (let i = range.start; i < range.start + total; i++) {
      this.doc.switchToPage(i);
      const margins = this.doc.page.margins;
      const saved = margins.bottom;
      margins.bottom = 0;
      const pageNo = i + 1;
      if (pageNo > 1) {
        const rightW = this.use("bold", 7).widthOfString(o.headerRight.text);
        this.textBox(o.headerRight.text, this.left + this.width - rightW, 30, rightW + 1, { face: "bold", size: 7, color: o.headerRight.color });
        const header = this.fit(o.header, this.width - rightW - 16, "sans", 7);
        this.use("sans", 7, COLOR.muted).text(header, this.left, 30, { lineBreak: false });
        this.doc.moveTo(this.left, 44).lineTo(this.left + this.width, 44).lineWidth(0.4).strokeColor(COLOR.rule).stroke();
      }
      const fy = PAGE.height - 38;
      this.doc.moveTo(this.left, fy - 6).lineTo(this.left + this.width, fy - 6).lineWidth(0.4).strokeColor(COLOR.rule).stroke();
      this.use("sans", 7, COLOR.muted).text(this.safe(o.footer), this.left, fy, { lineBreak: false });
      const pageText = o.pageLabel?.(pageNo, total) ?? `Page ${pageNo} of ${total}`;
      const w = this.use("bold", 7).widthOfString(pageText);
      this.use("bold", 7, COLOR.text).text(pageText, this.left + this.width - w, fy, { lineBreak: false });
      margins.bottom = saved;
    }
  }
}

/** A new A4 document with buffered pages (the footer needs the page count) and fixed metadata. */
export function newDocument(info: { title: string; author: string; subject: string; creator: string; keywords: string; date: Date; lang?: string }): Doc {
  return new PDFDocument({
    size: "A4",
    margins: { ...MARGIN },
    bufferPages: true,
    autoFirstPage: true,
    displayTitle: true,
    // The document's natural language (PDF /Lang): screen readers and text extraction use it.
    lang: info.lang ?? "en",
    pdfVersion: "1.7",
    info: {
      Title: info.title,
      Author: info.author,
      Subject: info.subject,
      Creator: info.creator,
      Producer: "PDFKit",
      Keywords: info.keywords,
      // From the report, not the clock: the same report renders to the same bytes.
      CreationDate: info.date,
      ModDate: info.date,
    },
  });
}

/** Collects the document's bytes. */
export function finish(doc: Doc): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on("data", (c: Buffer) => chunks.push(c));
    doc.on("end", () => resolve(new Uint8Array(Buffer.concat(chunks))));
    doc.on("error", reject);
    doc.end();
  });
}
