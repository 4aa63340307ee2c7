// The `pod_of` map of bpf/netgraph.bpf.c: how the node's one program learns which
// pod a packet is of. Its key is the pod-side address of the packet (no two pods of
// a node share one) and the attach mode, since a pod may be attached both ways,
// each under a pod id of its own. The netns worker files a namespace's addresses
// before attaching, so no packet of it goes uncounted; plain JavaScript for the
// worker (as netns-worker.js). The layout is bpf-abi.ts's POD_KEY.
import { isIPv4 } from 'node:net';
import koffi from 'koffi';
import { SysError } from './libc.js';

const libbpf = koffi.load('libbpf.so.1');
const fns = {
  update: libbpf.func(
    'int bpf_map_update_elem(int fd, const void *key, const void *value, uint64_t flags)',
  ),
  delete: libbpf.func('int bpf_map_delete_elem(int fd, const void *key)'),
};

const KEY_SIZE = 24;
const KEY_ADDR = 8;
const KIND_TCX = 0x80;

/**
 * The key of a pod address (text, as getifaddrs gives it) for the socket filter or the tc programs.
 * @param {string} address
 * @param {'socket' | 'tcx'} mode
 * @returns {Buffer}
 */
export function podKey(address, mode) {
  const key = Buffer.alloc(KEY_SIZE);
  const v4 = isIPv4(address);
  key[0] = (v4 ? 4 : 6) | (mode === 'tcx' ? KIND_TCX : 0);
  if (v4) {
    address.split('.').forEach((b, i) => {
      key[KEY_ADDR + i] = Number(b);
    });
    return key;
  }
  const [head = '', tail] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  groups.forEach((g, i) => {
    key.writeUInt16BE(Number.parseInt(g, 16), KEY_ADDR + 2 * i);
  });
  return key;
}

const BPF_NOEXIST = 1;
const EEXIST = 17;

/**
 * Files `key` under pod id `pod` in the map `fd`. An address already filed for the
 * mode is an attachment already there (the same namespace twice): refused, as
 * both would count every packet.
 * @param {number} fd
 * @param {Uint8Array} key
 * @param {number} pod
 */
export function setPodOf(fd, key, pod) {
  const v = Buffer.alloc(4);
  v.writeUInt32LE(pod);
  const ret = fns.update(fd, key, v, BPF_NOEXIST);
  if (ret === -EEXIST)
    throw new Error('an address of the namespace is traced already in this mode');
  if (ret < 0) throw new SysError('pod_of update', -ret);
}

/**
 * Forgets `key` (gone already is fine).
 * @param {number} fd
 * @param {Uint8Array} key
 */
export function deletePodOf(fd, key) {
  fns.delete(fd, key);
}
