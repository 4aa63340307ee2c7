// A large graph drawn grouped: each namespace one node, and inside an opened namespace
// that is itself large, each owner of several pods one node, and the outside names of one
// domain one node; a group's edges and bytes summed. Past THRESHOLD entities the page opens so; the user opens (or closes) groups one
// at a time, and the view keeps which groups differ from that opening.
import type { Entity, EntityKind, Graph, GraphEdge } from '../api/graph.js';

/**
 * Entities past which the page opens grouped. Measured with bench/graph-page.ts --part
 * labels: at the default zoom of a 1400x900 window, the names that fit without overlap are
 * 68% of 50 entities, 35% of 100, 24% of 200, 7% of 300.
 */
export const THRESHOLD = 100;

/** An entity as drawn: a group is one with `members` entities in it. */
export interface Shown extends Entity {
  members?: number;
}
export interface ShownGraph {
  entities: Shown[];
  edges: GraphEdge[];
}

export interface GroupState {
  /** Past this many entities a graph, or a namespace, opens grouped (THRESHOLD; Infinity: never). */
  limit: number;
  /** Namespace names and owner ids opened, or closed, against that start. */
  expanded: ReadonlySet<string>;
  collapsed: ReadonlySet<string>;
}

/** A closed namespace's node id. */
export const namespaceNode = (ns: string): string => `namespace/${ns}`;

const ADDRESS = /^[\d.]+$|:/;

/**
 * The group of an outside entity the pod named by DNS (or a reverse lookup): the others of
 * its domain, its last two labels (`domain/*.example.com`); none for a bare address.
 */
export function domainGroup(e: Entity): string | undefined {
  if (e.kind !== 'external' || ADDRESS.test(e.id)) return undefined;
  const labels = e.id.split('.').filter(Boolean);
  return labels.length >= 2 ? `domain/*.${labels.slice(-2).join('.')}` : undefined;
}

/** The group an entity closes into below its namespace: its owner, or its domain. */
const ownerOf = (e: Entity): string | undefined => e.owner ?? domainGroup(e);

export class Groups {
  private readonly ownerSize = new Map<string, number>();
  private readonly ownerNamespace = new Map<string, string>();
  private readonly namespaceSize = new Map<string, number>();
  private readonly byId: Map<string, Entity>;
  private readonly large: boolean;

  constructor(
    private readonly g: Graph,
    readonly state: GroupState,
  ) {
    this.byId = new Map(g.entities.map((e) => [e.id, e]));
    this.large = g.entities.length > state.limit;
    const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
    for (const e of g.entities) {
      const owner = ownerOf(e);
      if (owner) {
        count(this.ownerSize, owner);
        this.ownerNamespace.set(owner, e.namespace);
      }
      count(this.namespaceSize, e.namespace);
    }
  }

  /**
   * Closed when the graph opens: in a large graph every namespace, and in a namespace that
   * is large itself each owner of 2+ pods.
   */
  private closedAtStart(key: string): boolean {
    if (!this.large) return false;
    if (!key.includes('/')) return true;
    // Outside names of one domain close together, as a namespace's pods do.
    if (key.startsWith('domain/')) return (this.ownerSize.get(key) ?? 0) > 1;
    const ns = key.slice(0, key.indexOf('/'));
    return (
      (this.ownerSize.get(key) ?? 0) > 1 && (this.namespaceSize.get(ns) ?? 0) > this.state.limit
    );
  }

  /** Whether a group (a namespace name or an owner id) is drawn as one node. */
  closed(key: string): boolean {
    if (this.state.collapsed.has(key)) return true;
    return this.closedAtStart(key) && !this.state.expanded.has(key);
  }

  /** The namespaces drawn as one node. */
  closedNamespaces(): Set<string> {
    return new Set(this.g.entities.map((e) => e.namespace).filter((ns) => ns && this.closed(ns)));
  }

  /** The node an entity is drawn as: its namespace's, its owner's, or its own. */
  nodeOf(e: Entity): string {
    if (e.namespace && this.closed(e.namespace)) return namespaceNode(e.namespace);
    const owner = ownerOf(e);
    if (owner && this.closed(owner)) return owner;
    return e.id;
  }

  /** The group a drawn node stands for (to open it), or undefined for an entity. */
  groupOf(node: string): string | undefined {
    if (node.startsWith('namespace/') && !this.byId.has(node)) return node.slice(10);
    return this.ownerSize.has(node) && this.closed(node) ? node : undefined;
  }

  /** The group of an entity that can be closed: its owner when open, else its namespace. */
  closable(id: string): string | undefined {
    const e = this.byId.get(id);
    if (!e) return undefined;
    const owner = ownerOf(e);
    if (owner && (this.ownerSize.get(owner) ?? 0) > 1 && !this.closed(owner)) return owner;
    return e.namespace || undefined;
  }

  /** The expanded and collapsed lists after a group is opened if closed, or closed if open. */
  toggle(key: string): { expanded: string[]; collapsed: string[] } {
    const expanded = new Set(this.state.expanded);
    const collapsed = new Set(this.state.collapsed);
    if (this.closed(key)) {
      collapsed.delete(key);
      if (this.closedAtStart(key)) expanded.add(key);
    } else {
      expanded.delete(key);
      if (!this.closedAtStart(key)) collapsed.add(key);
    }
    return { expanded: [...expanded], collapsed: [...collapsed] };
  }

  /**
   * The lists that show an entity (find's answer): its namespace and owner opened; for an
   * owner, its namespace opened and the owner closed, so that it is one node.
   */
  reveal(id: string): { expanded: string[]; collapsed: string[] } {
    const e = this.byId.get(id);
    if (e)
      return this.settle([
        [e.namespace, false],
        [ownerOf(e) ?? '', false],
      ]);
    const ns = this.ownerNamespace.get(id);
    return ns === undefined
      ? this.lists()
      : this.settle([
          [ns, false],
          [id, true],
        ]);
  }

  /** Entities, and in the pod view each owner as one: what find searches. */
  searchable(): Entity[] {
    const owners = [...this.ownerNamespace].map(([id, namespace]) => ({
      id,
      kind: 'owner' as const,
      namespace,
      bytesSent: 0,
      bytesReceived: 0,
    }));
    return [...this.g.entities, ...owners];
  }

  private lists(): { expanded: string[]; collapsed: string[] } {
    return { expanded: [...this.state.expanded], collapsed: [...this.state.collapsed] };
  }

  /** The lists after each group is made closed (true) or open (false), in order. */
  private settle(want: [string, boolean][]): { expanded: string[]; collapsed: string[] } {
    let lists = this.lists();
    for (const [key, closed] of want) {
      if (!key) continue;
      const g = new Groups(this.g, {
        limit: this.state.limit,
        expanded: new Set(lists.expanded),
        collapsed: new Set(lists.collapsed),
      });
      if (g.closed(key) !== closed) lists = g.toggle(key);
    }
    return lists;
  }

  /** The graph as drawn: each closed group one node, the edges between them summed. */
  graph(): ShownGraph {
    const nodeOf = new Map<string, string>();
    const entities = new Map<string, Shown>();
    const grouped = new Set<string>();
    for (const e of this.g.entities) {
      const id = this.nodeOf(e);
      nodeOf.set(e.id, id);
      if (id === e.id) {
        entities.set(id, e);
        continue;
      }
      grouped.add(id);
      const x = entities.get(id);
      if (x) x.members = (x.members ?? 0) + 1;
      else {
        const kind: EntityKind = id.startsWith('namespace/')
          ? 'namespace'
          : id.startsWith('domain/')
            ? 'external'
            : 'owner';
        entities.set(id, {
          id,
          kind,
          namespace: e.namespace,
          bytesSent: 0,
          bytesReceived: 0,
          members: 1,
        });
      }
    }
    if (grouped.size === 0) return this.g;
    const edges = new Map<string, GraphEdge>();
    for (const e of this.g.edges) {
      const source = nodeOf.get(e.source) ?? e.source;
      const target = nodeOf.get(e.target) ?? e.target;
      const id = `${source}->${target}`;
      const x = edges.get(id);
      if (x === undefined) {
        edges.set(id, { ...e, id, source, target, ports: [...e.ports] });
        continue;
      }
      x.connections += e.connections;
      x.bytesSent += e.bytesSent;
      x.bytesReceived += e.bytesReceived;
      x.bytesTotal += e.bytesTotal;
      for (const p of e.ports) if (!x.ports.includes(p)) x.ports.push(p);
    }
    for (const e of edges.values()) {
      // A group's totals are those of the edges it is now an end of.
      const s = grouped.has(e.source) ? entities.get(e.source) : undefined;
      if (s) {
        s.bytesSent += e.bytesSent;
        s.bytesReceived += e.bytesReceived;
      }
      const t = grouped.has(e.target) ? entities.get(e.target) : undefined;
      if (t) {
        t.bytesSent += e.bytesReceived;
        t.bytesReceived += e.bytesSent;
      }
    }
    return { entities: [...entities.values()], edges: [...edges.values()] };
  }
}
