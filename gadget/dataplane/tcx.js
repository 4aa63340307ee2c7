// TCX attach mode, run on the netns worker thread (plain JavaScript, as
// netns-worker.js): find a pod's host-side veth(s) with rtnetlink, and attach the
// tc programs to them as TCX links (BPF_LINK_CREATE with BPF_TCX_INGRESS/EGRESS,
// a BPF_LINK_TYPE_TCX link; libbpf 1.1 has no bpf_program__attach_tcx, its
// generic bpf_link_create makes the same link). The links are placed first
// (BPF_F_BEFORE) and their programs return TCX_NEXT, so programs after them (a
// CNI's) see every packet unchanged; closing a link fd detaches exactly that link.
import koffi from 'koffi';
import { close, openRead, SysError } from './libc.js';

const libc = koffi.load('libc.so.6');
const libbpf = koffi.load('libbpf.so.1');
const fns = {
  socket: libc.func('int socket(int domain, int type, int protocol)'),
  send: libc.func('intptr_t send(int fd, const void *buf, size_t len, int flags)'),
  recv: libc.func('intptr_t recv(int fd, void *buf, size_t len, int flags)'),
  linkCreate: libbpf.func(
    'int bpf_link_create(int prog_fd, int target_fd, int attach_type, const void *opts)',
  ),
};

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_ROUTE = 0;
const NLM_F_REQUEST = 0x1;
const NLM_F_DUMP = 0x300;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const RTM_NEWNSID = 88;
const RTM_GETNSID = 90;
const IFLA_IFNAME = 3;
const IFLA_LINKINFO = 18;
const IFLA_INFO_KIND = 1;
const IFLA_LINK_NETNSID = 37;
const NETNSA_NSID = 1;
const NETNSA_FD = 3;
const BPF_TCX_INGRESS = 46;
const BPF_TCX_EGRESS = 47;
const BPF_F_BEFORE = 1 << 3;

const align4 = (/** @type {number} */ n) => (n + 3) & ~3;

/**
 * Netlink attributes of `buf` from `off` to `end`, by type (flags stripped).
 * @param {Buffer} buf
 * @param {number} off
 * @param {number} end
 * @returns {Map<number, Buffer>}
 */
function attrs(buf, off, end) {
  const out = new Map();
  while (off + 4 <= end) {
    const len = buf.readUInt16LE(off);
    if (len < 4) break;
    out.set(buf.readUInt16LE(off + 2) & 0x3fff, buf.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}

const cstr = (/** @type {Buffer} */ b) => b.toString('latin1').replace(/\0.*$/s, '');

/**
 * Sends one rtnetlink request and calls `onMessage(type, message)` for each reply
 * until the end of the answer (a dump's NLMSG_DONE, or the one reply).
 * @param {Buffer} req
 * @param {boolean} dump
 * @param {(type: number, msg: Buffer) => void} onMessage
 */
function rtnetlink(req, dump, onMessage) {
  const fd = fns.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) throw new SysError('socket(AF_NETLINK)', koffi.errno());
  try {
    if (fns.send(fd, req, req.length, 0) < 0) throw new SysError('netlink send', koffi.errno());
    const buf = Buffer.alloc(1 << 16);
    for (;;) {
      const n = Number(fns.recv(fd, buf, buf.length, 0));
      if (n < 0) throw new SysError('netlink recv', koffi.errno());
      for (let off = 0; off + 16 <= n; ) {
        const len = buf.readUInt32LE(off);
        const type = buf.readUInt16LE(off + 4);
        if (len < 16) return;
        const msg = Buffer.from(buf.subarray(off, off + len));
        if (type === NLMSG_DONE) return;
        if (type === NLMSG_ERROR) {
          const errno = -msg.readInt32LE(16);
          if (errno !== 0) throw new SysError('rtnetlink', errno);
          return;
        }
        onMessage(type, msg);
        if (!dump) return;
        off += align4(len);
      }
    }
  } finally {
    close(fd);
  }
}

/**
 * The host's interfaces as this thread's namespace sees them (RTM_GETLINK dump).
 * @returns {{ index: number; name: string; kind?: string; linkNetnsid?: number }[]}
 */
function links() {
  const req = Buffer.alloc(32);
  req.writeUInt32LE(32, 0);
  req.writeUInt16LE(RTM_GETLINK, 4);
  req.writeUInt16LE(NLM_F_REQUEST | NLM_F_DUMP, 6);
  req.writeUInt32LE(1, 8);
  /** @type {{ index: number; name: string; kind?: string; linkNetnsid?: number }[]} */
  const out = [];
  rtnetlink(req, true, (type, msg) => {
    if (type !== RTM_NEWLINK) return;
    const a = attrs(msg, 32, msg.length);
    const info = a.get(IFLA_LINKINFO);
    const kind = info && attrs(info, 0, info.length).get(IFLA_INFO_KIND);
    const nsid = a.get(IFLA_LINK_NETNSID);
    out.push({
      index: msg.readInt32LE(20),
      name: cstr(a.get(IFLA_IFNAME) ?? Buffer.alloc(0)),
      ...(kind ? { kind: cstr(kind) } : {}),
      ...(nsid && nsid.length >= 4 ? { linkNetnsid: nsid.readInt32LE(0) } : {}),
    });
  });
  return out;
}

/**
 * The id this thread's namespace gives the namespace at `path` (RTM_GETNSID), or
 * undefined when it has none (no link between them).
 * @param {string} path
 * @returns {number | undefined}
 */
function nsid(path) {
  const fd = openRead(path);
  try {
    const req = Buffer.alloc(28);
    req.writeUInt32LE(28, 0);
    req.writeUInt16LE(RTM_GETNSID, 4);
    req.writeUInt16LE(NLM_F_REQUEST, 6);
    req.writeUInt32LE(2, 8);
    req.writeUInt16LE(8, 20); // nlattr: len, type NETNSA_FD, the fd
    req.writeUInt16LE(NETNSA_FD, 22);
    req.writeUInt32LE(fd, 24);
    /** @type {number | undefined} */
    let id;
    rtnetlink(req, false, (type, msg) => {
      if (type !== RTM_NEWNSID) return;
      const v = attrs(msg, 20, msg.length).get(NETNSA_NSID);
      if (v && v.length >= 4 && v.readInt32LE(0) >= 0) id = v.readInt32LE(0);
    });
    return id;
  } finally {
    close(fd);
  }
}

/**
 * The veths of this thread's namespace whose peer lives in the namespace at
 * `podPath`: the pod's host side. Empty for a pod on ipvlan/macvlan, or a
 * namespace not linked to this one by a veth.
 * @param {string} podPath
 * @returns {{ index: number; name: string }[]}
 */
export function hostVeths(podPath) {
  // Dump first: reporting a link's peer namespace gives that namespace an id.
  const all = links();
  const id = nsid(podPath);
  if (id === undefined) return [];
  return all
    .filter((l) => l.kind === 'veth' && l.linkNetnsid === id)
    .map(({ index, name }) => ({ index, name }));
}

/**
 * Attaches `progFd` as a TCX link at the front of `ifindex`'s ingress or egress.
 * @param {number} progFd
 * @param {number} ifindex
 * @param {'ingress' | 'egress'} dir
 * @returns {number} the link's fd: closing it detaches
 */
export function tcxAttach(progFd, ifindex, dir) {
  // struct bpf_link_create_opts: size_t sz, __u32 flags, the rest zero.
  const opts = Buffer.alloc(16);
  opts.writeBigUInt64LE(16n, 0);
  opts.writeUInt32LE(BPF_F_BEFORE, 8);
  const fd = fns.linkCreate(
    progFd,
    ifindex,
    dir === 'ingress' ? BPF_TCX_INGRESS : BPF_TCX_EGRESS,
    opts,
  );
  if (fd < 0) throw new SysError(`TCX ${dir} link on ifindex ${ifindex}`, -fd);
  return fd;
}
