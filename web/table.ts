// The table under the graph: the same edges, sortable by any column (a click on its
// heading), the open entity's edges only; a click on a row selects its edge.
import type { GraphEdge } from '../api/graph.js';
import { formatBytes } from './format.js';

export const COLUMNS: [keyof GraphEdge, string][] = [
  ['source', 'requester'],
  ['target', 'responder'],
  ['ports', 'ports'],
  ['connections', 'connections'],
  ['bytesSent', 'bytes_sent'],
  ['bytesReceived', 'bytes_recv'],
  ['bytesTotal', 'bytes_total'],
];
export const MAX_ROWS = 500;

/** The rows: only `focus`'s edges when one is open, sorted by `key`. */
export function tableRows(
  edges: readonly GraphEdge[],
  focus: string,
  key: keyof GraphEdge,
  down: boolean,
): GraphEdge[] {
  return edges
    .filter((e) => !focus || e.source === focus || e.target === focus)
    .sort((a, b) => {
      const x = a[key];
      const y = b[key];
      const c =
        typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return down ? -c : c;
    });
}

export class EdgeTable {
  private sortKey: keyof GraphEdge = 'bytesTotal';
  private sortDown = true;
  private edges: readonly GraphEdge[] = [];
  private focus = '';
  selected = '';

  constructor(
    private readonly table: HTMLTableElement,
    private readonly note: HTMLElement,
    /** A row was clicked: its edge selected, or unselected (''); `was` the one before. */
    private readonly onSelect: (edge: string, was: string) => void,
  ) {}

  show(edges: readonly GraphEdge[], focus: string): void {
    this.edges = edges;
    this.focus = focus;
    this.render();
  }

  private render(): void {
    // Headings are buttons and rows take the focus: the table works from the keyboard.
    const head = COLUMNS.map(([key, title]) => {
      const th = document.createElement('th');
      const sorted = key === this.sortKey;
      th.setAttribute('aria-sort', sorted ? (this.sortDown ? 'descending' : 'ascending') : 'none');
      th.dataset.key = key;
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = `${title}${sorted ? (this.sortDown ? ' ▼' : ' ▲') : ''}`;
      b.title = `sort by ${title}`;
      b.addEventListener('click', () => {
        this.sortDown = sorted ? !this.sortDown : true;
        this.sortKey = key;
        this.render();
        (this.table.querySelector(`th[data-key="${key}"] button`) as HTMLElement | null)?.focus();
      });
      th.append(b);
      return th;
    });
    const rows = tableRows(this.edges, this.focus, this.sortKey, this.sortDown);
    const body = rows.slice(0, MAX_ROWS).map((e) => {
      const tr = document.createElement('tr');
      tr.dataset.edge = e.id;
      if (e.id === this.selected) tr.className = 'selected';
      for (const [key] of COLUMNS) {
        const td = document.createElement('td');
        const v = e[key];
        td.textContent = Array.isArray(v)
          ? v.join(' ')
          : typeof v === 'number' && key !== 'connections'
            ? formatBytes(v)
            : String(v);
        if (typeof v === 'number') td.dataset.value = String(v);
        tr.append(td);
      }
      tr.tabIndex = 0;
      tr.setAttribute('aria-selected', String(e.id === this.selected));
      const select = () => {
        const was = this.selected;
        this.selected = was === e.id ? '' : e.id;
        this.render();
        (
          this.table.querySelector(`tr[data-edge="${CSS.escape(e.id)}"]`) as HTMLElement | null
        )?.focus();
        this.onSelect(this.selected, was);
      };
      tr.addEventListener('click', select);
      tr.addEventListener('keydown', (ev) => {
        if (ev.key !== 'Enter' && ev.key !== ' ') return;
        ev.preventDefault();
        select();
      });
      return tr;
    });
    const headRow = document.createElement('tr');
    headRow.append(...head);
    this.table.replaceChildren(headRow, ...body);
    this.note.textContent =
      rows.length > MAX_ROWS
        ? `first ${MAX_ROWS} of ${rows.length} rows, by the sorted column`
        : '';
  }
}
