// The legend: what an entity's label and colour say, and what an edge's width and colour
// say, drawn from the scales the graph uses (scale.ts), with words beside each colour.
import { formatBytes } from './format.js';
import {
  EDGE_BUDGET,
  EDGE_COLORS,
  edgeWidth,
  FAINT_ALPHA,
  FAINT_WIDTH,
  KIND_COLORS,
  THRESHOLDS,
} from './scale.js';

const KINDS: [string, string, string][] = [
  ['pod', 'name', 'pod'],
  ['service', 'svc/name', 'Service'],
  ['owner', 'deployment/name', 'owner (Deployment, StatefulSet, ...)'],
  ['namespace', 'ns/name', 'namespace'],
  ['node', 'node/name', 'node'],
  ['external', 'address', 'outside the cluster'],
];

function row(swatch: HTMLElement | undefined, code: string, text: string): HTMLElement {
  const div = document.createElement('div');
  if (swatch) div.append(swatch);
  if (code) {
    const c = document.createElement('code');
    c.textContent = code;
    div.append(c, ' ');
  }
  div.append(text);
  return div;
}

function swatch(className: string, color: string, height?: number): HTMLElement {
  const i = document.createElement('i');
  i.className = className;
  i.style.background = color;
  if (height !== undefined) i.style.height = `${height}px`;
  return i;
}

export function renderLegend(el: HTMLElement): void {
  const { medium, high } = THRESHOLDS;
  el.replaceChildren(
    row(undefined, '', 'entities: label, and colour'),
    ...KINDS.map(([kind, code, text]) =>
      row(swatch('k', KIND_COLORS[kind] ?? '#555555'), code, text),
    ),
    row(undefined, '[+] name (n)', 'a closed namespace of n entities: a click opens it'),
    row(undefined, '[+] deployment/name (n)', 'a closed owner of n pods'),
    row(
      undefined,
      '[+] *.example.com (n)',
      'n outside names (as the pods looked them up) of one domain',
    ),
    row(undefined, '', 'edges: requester → responder; width and colour: bytes in the window'),
    row(swatch('e', EDGE_COLORS.low, edgeWidth(1024)), '', `${formatBytes(1024)}: thin, blue-grey`),
    row(
      swatch('e', EDGE_COLORS.medium, edgeWidth(medium)),
      '',
      `${formatBytes(medium)} to ${formatBytes(high)}: orange`,
    ),
    row(
      swatch('e', EDGE_COLORS.high, edgeWidth(high)),
      '',
      `${formatBytes(high)} and more: thick, red`,
    ),
    row(
      // At the graph's own opacity one faint line is all but invisible: the haze is many.
      swatch('e', `rgba(208,48,48,${3 * FAINT_ALPHA})`, 2 * FAINT_WIDTH),
      '',
      `over ${EDGE_BUDGET} edges: the ${EDGE_BUDGET} heaviest drawn so, the others faint and thin; hovering or opening an entity draws all its edges so`,
    ),
  );
}
