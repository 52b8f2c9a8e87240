// Puts a ResultView on the page. Text only ever goes in through textContent: a proof is
// untrusted input, and nothing in it may become markup.
import { type CheckState, type ResultView, STATE_SYMBOLS } from "./view.ts";
import { MESSAGES, type Messages } from "./messages.ts";
import type { VerdictKind } from "../../verify/index.ts";
import { doc, type Elem, type Fragment, type SvgElem } from "./dom.ts";

const SVG = "http://www.w3.org/2000/svg";

/** 24×24 stroke icons: the verdict's shape, so colour is never the only signal. */
const ICONS: Record<VerdictKind, string[]> = {
  valid: ["M5 12.5l4.5 4.5L19 7.5"],
  invalid: ["M6.5 6.5l11 11", "M17.5 6.5l-11 11"],
  pending: ["M12 6.5V12l3.5 2.5", "M12 3a9 9 0 1 0 0 18a9 9 0 0 0 0-18z"],
  consistent: ["M12 7.5v6", "M12 16.8v.2"],
  // A question mark: the question could not be put to the chain.
  inconclusive: ["M9 9a3 3 0 1 1 4.2 2.75c-.75.35-1.2 1.05-1.2 1.85v.6", "M12 17.3v.2"],
};

function el(tag: string, className?: string, text?: string): Elem {
  const e = doc.createElement(tag);
  if (className !== undefined) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function icon(kind: VerdictKind): SvgElem {
  const svg = doc.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", "verdict__icon-svg");
  for (const d of ICONS[kind]) {
    const path = doc.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

/** The banner: `#verdict[data-kind]`, big, with an icon and the verdict in words. */
export function renderVerdict(view: ResultView): Elem {
  const box = el("div", `verdict verdict--${view.kind}`);
  box.id = "verdict";
  box.dataset.kind = view.kind;
  box.tabIndex = -1;
  const badge = el("span", "verdict__icon");
  badge.append(icon(view.kind));
  box.append(badge, el("p", "verdict__label", view.label), el("p", "verdict__headline", view.headline));
  return box;
}

/** Everything below the banner: the meaning, the facts, every check. */
export function renderDetails(view: ResultView, M: Messages = MESSAGES): Fragment {
  const frag = doc.createDocumentFragment();

  const meaning = el("div", "meaning");
  meaning.append(el("h3", undefined, M.whatThisMeans));
  for (const p of view.meaning) meaning.append(el("p", undefined, p));
  frag.append(meaning);

  if (view.warnings !== undefined && view.warnings.length > 0) {
    const note = el("div", "claimed-time-warning");
    note.id = "claimed-time-warning";
    note.setAttribute("role", "note");
    note.append(el("p", "claimed-time-warning__title", M.report.warnings));
    for (const w of view.warnings) note.append(el("p", undefined, w));
    note.append(el("p", "claimed-time-warning__note", M.report.warningsNote));
    frag.append(note);
  }

  for (const g of view.groups) {
    const section = el("section", "facts");
    const h = el("h3", undefined, g.title);
    section.append(h);
    const dl = el("dl", "facts__list");
    for (const f of g.facts) {
      const row = el("div", "facts__row");
      const dd = el("dd");
      dd.append(el("span", f.mono === true ? "value mono" : "value", f.value));
      if (f.note !== undefined) dd.append(el("span", "facts__note", f.note));
      row.append(el("dt", undefined, f.label), dd);
      dl.append(row);
    }
    section.append(dl);
    frag.append(section);
  }

  if (view.checks.length === 0) return frag;
  const checks = el("section", "checks");
  checks.append(el("h3", undefined, M.everyCheck));
  const counts = { ok: 0, failed: 0, skipped: 0, unavailable: 0 } satisfies Record<CheckState, number>;
  for (const c of view.checks) counts[c.state]++;
  checks.append(el("p", "checks__summary", M.checksSummary(counts.ok, counts.failed, counts.skipped, counts.unavailable)));
  const list = el("ol", "checks__list");
  for (const c of view.checks) {
    const li = el("li", `check check--${c.state}`);
    li.dataset.check = c.name;
    li.dataset.state = c.state;
    const mark = el("span", "check__mark", STATE_SYMBOLS[c.state]);
    mark.setAttribute("aria-hidden", "true");
    const body = el("div", "check__body");
    const title = el("p", "check__title");
    title.append(el("span", "visually-hidden", `${M.stateWords[c.state]}: `), c.title, " ", el("code", "check__name", c.name));
    body.append(title, el("p", "check__detail", c.detail));
    li.append(mark, body);
    list.append(li);
  }
  checks.append(list);
  frag.append(checks);
  return frag;
}
