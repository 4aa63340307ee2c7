// The small ids the node's BPF object keys each traced pod's flows and edges by
// (1..size-1; 0 is no pod). Handed out round robin, not lowest first, so a freed
// id comes back as late as possible: whatever of its old pod a packet already in
// flight at detach might still leave has long been cleared by then. Pure.
export class PodIds {
  private readonly used = new Set<number>();
  private next = 1;

  constructor(private readonly size: number) {}

  /** A free id, or undefined when every one is taken. */
  take(): number | undefined {
    for (let i = 1; i < this.size; i++) {
      const id = this.next;
      this.next = this.next + 1 < this.size ? this.next + 1 : 1;
      if (!this.used.has(id)) {
        this.used.add(id);
        return id;
      }
    }
    return undefined;
  }

  release(id: number): void {
    this.used.delete(id);
  }

  get count(): number {
    return this.used.size;
  }
}
