// The few browser APIs the page uses, typed here. The repository type-checks as one Node
// program (tsconfig lib ES2024, types node); `/// <reference lib="dom" />` would switch the
// DOM library on for every file, server code included (and changes fetch's body types there).
// File, Blob, URL, Event, fetch and crypto come from @types/node, which matches the browser's.

export interface BrowserEvent {
  preventDefault(): void;
}
export interface KeyEvent extends BrowserEvent {
  readonly key: string;
}
export interface FileListLike {
  readonly length: number;
  readonly [index: number]: File;
}
export interface DataTransferLike {
  readonly files: FileListLike;
  dropEffect: string;
  readonly items: { add(file: File): unknown };
}
export interface DragEvt extends BrowserEvent {
  readonly dataTransfer: DataTransferLike | null;
  readonly relatedTarget: unknown;
}
interface EventMap {
  click: BrowserEvent;
  change: BrowserEvent;
  input: BrowserEvent;
  submit: BrowserEvent;
  reset: BrowserEvent;
  keydown: KeyEvent;
  dragenter: DragEvt;
  dragover: DragEvt;
  dragleave: DragEvt;
  drop: DragEvt;
}
export interface Listening {
  addEventListener<K extends keyof EventMap>(type: K, listener: (e: EventMap[K]) => void): void;
}

export type Child = Elem | SvgElem | Fragment | string;

export interface Fragment {
  append(...nodes: Child[]): void;
}

export interface SvgElem {
  setAttribute(name: string, value: string): void;
  append(...nodes: Child[]): void;
}

export interface Elem extends Listening {
  id: string;
  className: string;
  hidden: boolean;
  textContent: string | null;
  tabIndex: number;
  readonly dataset: Record<string, string | undefined>;
  readonly classList: { add(...tokens: string[]): void; remove(...tokens: string[]): void; toggle(token: string, force?: boolean): boolean };
  append(...nodes: Child[]): void;
  replaceChildren(...nodes: Child[]): void;
  setAttribute(name: string, value: string): void;
  focus(): void;
  contains(node: unknown): boolean;
  getBoundingClientRect(): { top: number; bottom: number };
  scrollIntoView(options?: { block?: "start" | "center" | "end" | "nearest" }): void;
}

export interface InputElem extends Elem {
  value: string;
  checked: boolean;
  files: FileListLike | null;
  click(): void;
}

export interface FormElem extends Elem {
  querySelector(selector: string): InputElem | null;
  querySelectorAll(selector: string): Iterable<InputElem>;
}

interface BrowserDocument {
  readonly documentElement: Elem;
  title: string;
  querySelectorAll(selector: string): Iterable<Elem>;
  getElementById(id: string): Elem | null;
  createElement(tag: string): Elem;
  createElementNS(ns: string, tag: string): SvgElem;
  createDocumentFragment(): Fragment;
}

interface BrowserWindow extends Listening {
  readonly document: BrowserDocument;
  readonly location: { readonly href: string };
  readonly innerHeight: number;
  readonly navigator: { readonly languages?: readonly string[]; readonly language?: string };
  /** Absent or throwing when the browser keeps no storage for the page (private modes, policies). */
  readonly localStorage?: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  readonly DataTransfer: new () => DataTransferLike;
  /** Node is a DOM node: `instanceof` for the relatedTarget of drag events. */
  readonly Node: abstract new () => unknown;
}

/** Only ever evaluated in the page: the module is imported by the page's entry alone. */
export const win = globalThis as unknown as BrowserWindow;
export const doc: BrowserDocument = win.document;
