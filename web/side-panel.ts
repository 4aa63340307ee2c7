// The side panel beside the graph: the summary, find, the open entity's view (its totals,
// open or close its group, hide it, focus on it), what is hidden, and the namespaces, each
// opened, closed or hidden with a button (so all of it works from the keyboard).
import type { Graph, TraceRunState } from '../api/graph.js';
import { findEntities } from './find.js';
import { formatBytes } from './format.js';
import { labelOf } from './graph-view.js';
import type { Groups, ShownGraph } from './groups.js';

/** What the panel shows. */
export interface SideState {
  traceState: TraceRunState | '';
  /** The graph without what is hidden, and as drawn. */
  visible: Graph;
  shown: ShownGraph;
  groups: Groups;
  /** Namespaces drawn as one node. */
  closed: ReadonlySet<string>;
  entity: string;
  hidden: readonly string[];
  /** Edges of a drawn node. */
  degree(id: string): number;
  /** The drawn edges in words: how many, and which drawn strong (scale.ts's edgesNote). */
  edgesNote: string;
}

/** What its buttons ask for. */
export interface SideActions {
  toggleGroup(key: string): void;
  hide(key: string): void;
  unhide(key: string): void;
  /** Find's answer: show this entity or owner. */
  reveal(id: string): void;
  openEntity(id: string): void;
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

function button(text: string, title: string, onClick: () => void): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  b.title = title;
  b.addEventListener('click', onClick);
  return b;
}

export class SidePanel {
  private s: SideState | undefined;

  constructor(private readonly a: SideActions) {
    const entity = () => this.s?.entity ?? '';
    $('entity-close').addEventListener('click', () => a.openEntity(''));
    $('entity-open').addEventListener('click', () => {
      const g = this.s?.groups.groupOf(entity());
      if (g !== undefined) a.toggleGroup(g);
    });
    $('entity-close-group').addEventListener('click', () => {
      const g = this.s?.groups.closable(entity());
      if (g !== undefined) a.toggleGroup(g);
    });
    $('entity-hide').addEventListener('click', () =>
      a.hide(this.s?.groups.groupOf(entity()) ?? entity()),
    );
    $('entity-hide-ns').addEventListener('click', () => {
      const e = this.s?.visible.entities.find((x) => x.id === entity());
      if (e?.namespace) a.hide(e.namespace);
    });
    $('find').addEventListener('input', () => this.renderFound());
    $('find-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const first = this.found(1)[0];
      if (first) a.reveal(first.id);
    });
  }

  render(s: SideState): void {
    this.s = s;
    this.renderNamespaces();
    this.renderHidden();
    this.renderEntity();
    this.renderFound();
    const n = (x: number) => x.toLocaleString('en');
    const grouped = s.shown.entities.length !== s.visible.entities.length;
    $('summary').textContent =
      `${s.traceState ? `${s.traceState}: ` : ''}${n(s.shown.entities.length)} ${grouped ? `nodes for ${n(s.visible.entities.length)} entities (grouped: [+] opens);` : 'entities,'} ${s.edgesNote}`;
  }

  /** The open entity's view only (it changed, the graph did not). */
  renderEntity(entity = this.s?.entity ?? ''): void {
    const s = this.s;
    if (s) s.entity = entity;
    const e = s?.shown.entities.find((x) => x.id === entity);
    $('entity').hidden = !e;
    if (!s || !e) return;
    const group = s.groups.groupOf(e.id);
    $('entity-title').textContent = `${e.kind} ${group === undefined ? e.id : labelOf(e)}`;
    $('entity-totals').textContent =
      `sent ${formatBytes(e.bytesSent)}, received ${formatBytes(e.bytesReceived)}, ${s.degree(e.id)} edges`;
    $('entity-open').hidden = group === undefined;
    $('entity-close-group').hidden = group !== undefined || s.groups.closable(e.id) === undefined;
    $('entity-hide-ns').hidden = group !== undefined || !e.namespace;
  }

  private found(limit: number) {
    const s = this.s;
    return s ? findEntities(s.groups.searchable(), $<HTMLInputElement>('find').value, limit) : [];
  }

  private renderFound(): void {
    $('find-results').replaceChildren(
      ...this.found(12).map((e) => {
        const li = document.createElement('li');
        const b = button(e.id, `show ${e.id}`, () => this.a.reveal(e.id));
        b.dataset.entity = e.id;
        li.append(b);
        return li;
      }),
    );
  }

  private renderNamespaces(): void {
    const s = this.s;
    if (!s) return;
    const count = new Map<string, number>();
    for (const e of s.visible.entities)
      if (e.namespace) count.set(e.namespace, (count.get(e.namespace) ?? 0) + 1);
    const names = [...count.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    $('namespace-list').replaceChildren(
      ...names.map((ns) => {
        const li = document.createElement('li');
        const closed = s.closed.has(ns);
        const open = button(
          closed ? `[+] ${ns} (${count.get(ns)})` : `[−] ${ns}`,
          closed ? `open ${ns}: draw its entities` : `close ${ns}: draw it as one node`,
          () => this.a.toggleGroup(ns),
        );
        open.dataset.namespace = ns;
        open.setAttribute('aria-expanded', String(!closed));
        li.append(
          open,
          button('hide', `hide ${ns}`, () => this.a.hide(ns)),
        );
        return li;
      }),
    );
  }

  private renderHidden(): void {
    const hidden = this.s?.hidden ?? [];
    $('hidden-box').hidden = hidden.length === 0;
    $('hidden-list').replaceChildren(
      ...hidden.map((key) => {
        const li = document.createElement('li');
        li.append(button(`show ${key}`, `draw ${key} again`, () => this.a.unhide(key)));
        return li;
      }),
    );
  }
}
