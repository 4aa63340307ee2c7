// libbpf.so.1 through koffi: open an object, size its maps, load it, reach its
// programs and maps. libbpf >= 1.0 returns NULL or a negative errno and sets
// errno; its own log printing is turned off (it would write to stderr) and the
// verifier's log is kept to explain a refused program in one line.
import { readFileSync } from 'node:fs';
import koffi from 'koffi';
import { SysError } from './libc.js';

const lib = koffi.load('libbpf.so.1');

type Ptr = bigint;

koffi.struct('bpf_test_run_opts', {
  sz: 'size_t',
  data_in: 'const uint8_t *',
  data_out: 'void *',
  data_size_in: 'uint32_t',
  data_size_out: 'uint32_t',
  ctx_in: 'const void *',
  ctx_out: 'void *',
  ctx_size_in: 'uint32_t',
  ctx_size_out: 'uint32_t',
  retval: 'uint32_t',
  repeat: 'int',
  duration: 'uint32_t',
  flags: 'uint32_t',
  cpu: 'uint32_t',
  batch_size: 'uint32_t',
});

/** libbpf's ring_buffer_sample_fn: called for each record a consume reads. */
const SampleFn = koffi.proto('int ring_buffer_sample_fn(void *ctx, void *data, size_t size)');

const fn = {
  setPrint: lib.func('void *libbpf_set_print(void *fn)'),
  open: lib.func('void *bpf_object__open_file(const char *path, void *opts)'),
  load: lib.func('int bpf_object__load(void *obj)'),
  close: lib.func('void bpf_object__close(void *obj)'),
  findMap: lib.func('void *bpf_object__find_map_by_name(void *obj, const char *name)'),
  findProg: lib.func('void *bpf_object__find_program_by_name(void *obj, const char *name)'),
  nextProg: lib.func('void *bpf_object__next_program(void *obj, void *prev)'),
  nextMap: lib.func('void *bpf_object__next_map(void *obj, void *prev)'),
  progName: lib.func('const char *bpf_program__name(void *prog)'),
  setAutoload: lib.func('int bpf_program__set_autoload(void *prog, bool autoload)'),
  setMaxEntries: lib.func('int bpf_map__set_max_entries(void *map, uint32_t n)'),
  mapFd: lib.func('int bpf_map__fd(void *map)'),
  progFd: lib.func('int bpf_program__fd(void *prog)'),
  setLogBuf: lib.func('int bpf_program__set_log_buf(void *prog, void *buf, size_t size)'),
  lookup: lib.func('int bpf_map_lookup_elem(int fd, const void *key, void *value)'),
  nextKey: lib.func('int bpf_map_get_next_key(int fd, const void *key, void *next_key)'),
  delete: lib.func('int bpf_map_delete_elem(int fd, const void *key)'),
  attach: lib.func('void *bpf_program__attach(void *prog)'),
  linkDestroy: lib.func('int bpf_link__destroy(void *link)'),
  update: lib.func(
    'int bpf_map_update_elem(int fd, const void *key, const void *value, uint64_t flags)',
  ),
  lookupBatch: lib.func(
    'int bpf_map_lookup_batch(int fd, void *in_batch, void *out_batch, void *keys, void *values, _Inout_ uint32_t *count, void *opts)',
  ),
  possibleCpus: lib.func('int libbpf_num_possible_cpus(void)'),
  updateBatch: lib.func(
    'int bpf_map_update_batch(int fd, const void *keys, const void *values, _Inout_ uint32_t *count, void *opts)',
  ),
  testRun: lib.func('int bpf_prog_test_run_opts(int prog_fd, _Inout_ bpf_test_run_opts *opts)'),
  ringNew: lib.func(
    'void *ring_buffer__new(int map_fd, ring_buffer_sample_fn *cb, void *ctx, void *opts)',
  ),
  ringConsume: lib.func('int ring_buffer__consume(void *rb)'),
  ringFree: lib.func('void ring_buffer__free(void *rb)'),
};

fn.setPrint(null);

export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const ENOENT = 2;
export const EEXIST = 17;

// One verifier log buffer, reused: loads are synchronous on the main thread.
const LOG_SIZE = 1 << 16;
const logBuf: Ptr = koffi.alloc('char', LOG_SIZE);

/** The last meaningful line of the verifier's log (why the program was refused). */
function verifierReason(): string {
  const text = Buffer.from(koffi.view(logBuf, LOG_SIZE)).toString('latin1');
  const lines = text.slice(0, text.indexOf('\0')).split('\n');
  const useful = lines.filter((l) => l.trim() && !l.startsWith('processed '));
  return useful.at(-1)?.trim() ?? '';
}

/** A libbpf result code: >= 0 is success, < 0 is -errno. */
function check(ret: number, what: string): number {
  if (ret < 0) throw new SysError(what, -ret);
  return ret;
}

/** Map updates and lookups by fd; the key and value buffers are the map's raw bytes. */
export function mapLookup(fd: number, key: Uint8Array, value: Uint8Array): boolean {
  const ret = fn.lookup(fd, key, value);
  if (ret === -ENOENT) return false;
  check(ret, 'bpf_map_lookup_elem');
  return true;
}

/** Returns false when flags was BPF_NOEXIST and the key already existed. */
export function mapUpdate(
  fd: number,
  key: Uint8Array,
  value: Uint8Array,
  flags = BPF_ANY,
): boolean {
  const ret = fn.update(fd, key, value, flags);
  if (ret === -EEXIST && flags === BPF_NOEXIST) return false;
  check(ret, 'bpf_map_update_elem');
  return true;
}

/** Deletes `key`; false when it was not there. */
export function mapDelete(fd: number, key: Uint8Array): boolean {
  const ret = fn.delete(fd, key);
  if (ret === -ENOENT) return false;
  check(ret, 'bpf_map_delete_elem');
  return true;
}

/** CPUs the kernel may run: a per-CPU map's value is this many copies. */
export const possibleCpus = (): number => check(fn.possibleCpus(), 'libbpf_num_possible_cpus');

/**
 * Every key of a hash map (keys of `keySize`, values of `valueSize` bytes), read a
 * few thousand at a time (BPF_MAP_LOOKUP_BATCH): one buffer, keySize bytes a key.
 */
export function mapKeys(fd: number, keySize: number, valueSize: number): Buffer {
  const CHUNK = 4096;
  const keys = Buffer.alloc(CHUNK * keySize);
  const values = Buffer.alloc(CHUNK * valueSize);
  // The position between batches; hash maps use a bucket number, others a key.
  const from = Buffer.alloc(Math.max(8, keySize));
  const to = Buffer.alloc(from.length);
  const parts: Buffer[] = [];
  for (let first = true; ; first = false) {
    const n = [CHUNK];
    const ret = fn.lookupBatch(fd, first ? null : from, to, keys, values, n, null);
    if (ret < 0 && ret !== -ENOENT) check(ret, 'bpf_map_lookup_batch');
    parts.push(Buffer.from(keys.subarray(0, (n[0] ?? 0) * keySize)));
    if (ret === -ENOENT) return Buffer.concat(parts);
    to.copy(from);
  }
}

/**
 * Takes every entry of a hash map (keys of `keySize`, values of `valueSize` bytes):
 * the keys first, then each value with its delete, so entries added meanwhile wait
 * for the next call.
 */
export function mapTakeAll(
  fd: number,
  keySize: number,
  valueSize: number,
): { key: Buffer; value: Buffer }[] {
  const keys: Buffer[] = [];
  let prev: Buffer | null = null;
  for (;;) {
    const next = Buffer.alloc(keySize);
    const ret = fn.nextKey(fd, prev, next);
    if (ret === -ENOENT) break;
    check(ret, 'bpf_map_get_next_key');
    keys.push(next);
    prev = next;
  }
  const out: { key: Buffer; value: Buffer }[] = [];
  for (const key of keys) {
    const value = Buffer.alloc(valueSize);
    if (!mapLookup(fd, key, value)) continue;
    fn.delete(fd, key);
    out.push({ key, value });
  }
  return out;
}

/** Writes `count` keys and values in one syscall. */
export function mapUpdateBatch(
  fd: number,
  keys: Uint8Array,
  values: Uint8Array,
  count: number,
): void {
  const n = [count];
  check(fn.updateBatch(fd, keys, values, n, null), 'bpf_map_update_batch');
}

/** struct __sk_buff: its size, and where gso_segs is (a field a test run may set). */
const SK_BUFF_SIZE = 192;
const SK_BUFF_GSO_SEGS = 164;

/**
 * Runs program `progFd` on `packet` `repeat` times in the kernel
 * (BPF_PROG_TEST_RUN; for tc and socket programs, an Ethernet frame), as a
 * GSO packet of `gsoSegs` segments if given: its return value and the kernel's
 * mean time a run, in ns.
 */
export function testRun(
  progFd: number,
  packet: Uint8Array,
  { repeat = 1, gsoSegs }: { repeat?: number; gsoSegs?: number } = {},
): { retval: number; ns: number } {
  let ctx: Buffer | null = null;
  if (gsoSegs !== undefined) {
    ctx = Buffer.alloc(SK_BUFF_SIZE);
    ctx.writeUInt32LE(gsoSegs, SK_BUFF_GSO_SEGS);
  }
  const opts = {
    sz: koffi.sizeof('bpf_test_run_opts'),
    data_in: packet,
    data_size_in: packet.length,
    ctx_in: ctx,
    ctx_size_in: ctx?.length ?? 0,
    repeat,
    retval: 0,
    duration: 0,
  };
  check(fn.testRun(progFd, opts), 'BPF_PROG_TEST_RUN');
  return { retval: opts.retval | 0, ns: opts.duration };
}

/**
 * A BPF ring buffer map read from user space: consume() hands each record written
 * since (a copy of its bytes) to `onRecord`, synchronously, and never waits.
 */
export class RingBuffer {
  private rb: Ptr | null;
  private readonly callback: bigint;

  constructor(mapFd: number, onRecord: (bytes: Uint8Array) => void) {
    this.callback = koffi.register((_ctx: unknown, data: Ptr, size: number | bigint) => {
      // The record lives in the ring only until the callback returns.
      onRecord(new Uint8Array(koffi.view(data, Number(size))).slice());
      return 0;
    }, koffi.pointer(SampleFn));
    this.rb = fn.ringNew(mapFd, this.callback, null, null);
    if (!this.rb) {
      koffi.unregister(this.callback);
      throw new SysError('ring_buffer__new', koffi.errno());
    }
  }

  /** Reads every record there now; returns how many. */
  consume(): number {
    if (!this.rb) return 0;
    return check(fn.ringConsume(this.rb), 'ring_buffer__consume');
  }

  /** Idempotent. */
  close(): void {
    if (!this.rb) return;
    fn.ringFree(this.rb);
    this.rb = null;
    koffi.unregister(this.callback);
  }
}

/** A loaded BPF object file. */
export class BpfObject {
  private constructor(private obj: Ptr | null) {}

  /**
   * Opens `path`, sets map sizes (name -> max_entries) and loads it into the
   * kernel: every program, or only those named in `programs`.
   */
  static load(
    path: string,
    maxEntries: Record<string, number> = {},
    programs?: string[],
  ): BpfObject {
    const obj: Ptr | null = fn.open(path, null);
    if (!obj) throw new SysError(`open BPF object ${path}`, koffi.errno());
    const o = new BpfObject(obj);
    try {
      for (const [name, n] of Object.entries(maxEntries)) {
        check(fn.setMaxEntries(o.map(name), n), `set size of BPF map ${name}`);
      }
      for (let p: Ptr | null = fn.nextProg(obj, null); p; p = fn.nextProg(obj, p)) {
        fn.setLogBuf(p, logBuf, LOG_SIZE);
        if (programs && !programs.includes(fn.progName(p))) fn.setAutoload(p, false);
      }
      new Uint8Array(koffi.view(logBuf, 1))[0] = 0;
      const ret = fn.load(obj);
      if (ret < 0) {
        const reason = verifierReason();
        throw new SysError(
          `kernel refused BPF object ${path}${reason ? ` (${reason})` : ''}`,
          -ret,
        );
      }
      return o;
    } catch (err) {
      o.close();
      throw err;
    }
  }

  private program(name: string): Ptr {
    const p: Ptr | null = fn.findProg(this.live(), name);
    if (!p) throw new Error(`BPF program ${name} not found`);
    return p;
  }

  private map(name: string): Ptr {
    const m: Ptr | null = fn.findMap(this.live(), name);
    if (!m) throw new Error(`BPF map ${name} not found`);
    return m;
  }

  private live(): Ptr {
    if (!this.obj) throw new Error('BPF object closed');
    return this.obj;
  }

  programFd(name: string): number {
    return check(fn.progFd(this.program(name)), `fd of BPF program ${name}`);
  }

  mapFd(name: string): number {
    return check(fn.mapFd(this.map(name)), `fd of BPF map ${name}`);
  }

  /**
   * Attaches a program where its section says (a tracepoint, ...). Returns the
   * detach: destroying the link.
   */
  attach(name: string): () => void {
    const link: Ptr | null = fn.attach(this.program(name));
    if (!link) throw new SysError(`attach BPF program ${name}`, koffi.errno());
    return () => fn.linkDestroy(link);
  }

  /** Kernel memory charged to the object's maps (the `memlock` of each map's fdinfo), in bytes. */
  mapMemory(): number {
    const obj = this.live();
    let total = 0;
    for (let m: Ptr | null = fn.nextMap(obj, null); m; m = fn.nextMap(obj, m)) {
      const fd = fn.mapFd(m);
      if (fd < 0) continue;
      const info = readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1');
      total += Number(/^memlock:\s+(\d+)/m.exec(info)?.[1] ?? 0);
    }
    return total;
  }

  /** Unloads: closes every program and map fd libbpf holds. Idempotent. */
  close(): void {
    if (this.obj) fn.close(this.obj);
    this.obj = null;
  }
}
