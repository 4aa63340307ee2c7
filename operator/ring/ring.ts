// The operator replicas' ring: this replica's Lease, the others' (one shared watch),
// the view they form and who owns what in it. Nodes and Traces are spread over the
// members by rendezvous hashing. When the view changes, this replica first releases
// what it no longer owns (the controller closes those agent sessions and records where
// their streams stood), then says in its Lease that it settled on the view; it takes
// anything new only once every member has said so. A replica that cannot renew its Lease
// stops acting before the Lease expires, so the others may take its nodes when it does.
import { agentLeasesPath, type Lease } from '../../api/agent.js';
import {
  type Peers,
  REPLICA_LEASE_LABEL,
  REPLICA_LEASE_SECONDS,
  type Replica,
  replicaFromLease,
  replicaLease,
  replicaLeaseName,
} from '../../api/ring.js';
import { HeldLease } from '../../lib/held-lease.js';
import type { Informers } from '../../lib/informer.js';
import type { KubeClient } from '../../lib/kube.js';
import type { Logger } from '../../lib/log.js';
import { Store } from '../../lib/reflector.js';
import { ownerOf } from './rendezvous.js';
import { EMPTY_VIEW, isSettled, liveView, type RingView } from './ring-view.js';

const RENEW_MS = 5000;
/** Past this without a renewal the replica stops acting: well before its Lease expires. */
const RENEW_DEADLINE_MS = (REPLICA_LEASE_SECONDS * 1000 * 2) / 3;

export interface RingOptions {
  kube: KubeClient;
  /** The operator's namespace, where the replicas' Leases live. */
  namespace: string;
  informers: Informers;
  /** This replica's id: its pod name, or --replica-id. */
  id: string;
  /** Where peers reach this replica's port ('' for nowhere). */
  endpoint: string;
  log: Logger;
  now?: () => number;
}

/** What the ring asks of whoever acts on what it owns (the controller). */
export interface RingMember {
  /** Let go of everything not owned in `view`; resolves once it is let go. */
  release(view: RingView): Promise<void>;
  /** What this replica owns may have changed: take up what is new. */
  changed(): void;
}

export class Ring implements Peers {
  readonly self: string;
  private readonly leases = new Store<Lease>(() => this.recompute());
  private readonly lease: HeldLease;
  private readonly now: () => number;
  private readonly synced: Promise<void>;
  private member?: RingMember;
  private view: RingView = EMPTY_VIEW;
  /** The view this replica said it settled on. */
  private acked = '';
  private settled = false;
  private settling = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly o: RingOptions) {
    this.self = o.id;
    this.now = o.now ?? Date.now;
    const collection = agentLeasesPath(o.namespace);
    this.lease = new HeldLease(
      o.kube,
      collection,
      replicaLeaseName(o.id),
      (renewed) =>
        replicaLease(o.namespace, { id: o.id, endpoint: o.endpoint, view: this.acked }, renewed),
      o.log,
    );
    this.synced = o.informers.subscribe(collection, this.leases, {
      labelSelector: REPLICA_LEASE_LABEL,
    }).synced;
  }

  /** Holds the Lease and follows the others'; resolves once the first view is known. */
  async start(member: RingMember): Promise<void> {
    this.member = member;
    await this.lease.start(RENEW_MS);
    await this.synced;
    // Leases expire by time, not by events.
    this.timer = setInterval(() => this.recompute(), 1000);
    this.recompute();
  }

  /** Releases everything and removes the Lease, so the others take over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.view = EMPTY_VIEW;
    this.settled = false;
    await this.settling;
    await this.member?.release(EMPTY_VIEW);
    await this.lease.stop();
  }

  /** This replica handles the node's agent sessions now. */
  ownsNode(node: string): boolean {
    return this.acting() && this.keepsNode(node);
  }

  /** The node is this replica's in the current view, settled or not: it may keep it. */
  keepsNode(node: string): boolean {
    return ownerOf(`node/${node}`, this.view.members) === this.self;
  }

  /** This replica does the Trace's trace-level work now (operations, finalizer, summary). */
  leadsTrace(key: string): boolean {
    return this.acting() && ownerOf(`trace/${key}`, this.view.members) === this.self;
  }

  /** It holds its Lease in a settled view: ready to act. */
  ready(): boolean {
    return this.acting();
  }

  others(): Replica[] {
    const now = this.now();
    return [...this.replicas().values()].filter(
      (r) => r.id !== this.self && r.expires > now && r.endpoint !== '',
    );
  }

  private fresh(): boolean {
    return this.now() - this.lease.renewedAt < RENEW_DEADLINE_MS;
  }

  private acting(): boolean {
    return !this.stopped && this.settled && this.fresh();
  }

  /** Every replica's Lease as last seen, this one's as it is now. */
  private replicas(): Map<string, Replica> {
    const m = new Map<string, Replica>();
    for (const l of this.leases.items.values()) {
      const r = replicaFromLease(l);
      if (r) m.set(r.id, r);
    }
    m.set(this.self, {
      id: this.self,
      endpoint: this.o.endpoint,
      view: this.acked,
      expires: this.lease.renewedAt + REPLICA_LEASE_SECONDS * 1000,
    });
    return m;
  }

  private recompute(): void {
    if (this.stopped || !this.member) return;
    const replicas = this.replicas();
    const view = this.fresh() ? liveView(replicas.values(), this.now()) : EMPTY_VIEW;
    if (view.id !== this.view.id) {
      this.view = view;
      if (this.settled) {
        this.settled = false;
        this.member.changed();
      }
      this.o.log.info({ view: view.id, members: view.members }, 'ring view changed');
      // Let go at once, not behind an earlier view's renewal still on its way (up to the
      // request's timeout): the others take these nodes when this Lease expires.
      const released = this.member
        .release(view)
        .catch((err) => this.o.log.warn({ err }, 'releasing for a new ring view failed'));
      this.settling = this.settling.then(() => released).then(() => this.settleOn(view));
      return;
    }
    const settled = this.acked === view.id && isSettled(view, replicas);
    if (settled !== this.settled) {
      this.settled = settled;
      if (settled) this.o.log.info({ view: view.id, members: view.members }, 'ring settled');
      this.member.changed();
    }
  }

  /** Once what `view` does not give this replica is released, says so in its Lease. */
  private async settleOn(view: RingView): Promise<void> {
    if (this.view !== view) return;
    this.acked = view.id;
    await this.lease.renew().catch((err) => this.o.log.warn({ err }, 'lease renewal failed'));
    this.recompute();
  }
}
