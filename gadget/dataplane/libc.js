// The few libc calls netgraph needs (koffi), shared by the main thread and the
// netns worker: the worker is plain JavaScript so it runs unchanged from source
// (vitest) and from dist/.
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');

export const O_RDONLY = 0;
export const O_CLOEXEC = 0o2000000;
export const CLONE_NEWNET = 0x40000000;
export const AF_PACKET = 17;
export const SOCK_RAW = 3;
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
export const SO_ATTACH_BPF = 50;
export const ETH_P_ALL = 0x0003;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 1;

const fns = {
  open: libc.func('int open(const char *path, int flags)'),
  close: libc.func('int close(int fd)'),
  setns: libc.func('int setns(int fd, int nstype)'),
  socket: libc.func('int socket(int domain, int type, int protocol)'),
  setsockopt: libc.func(
    'int setsockopt(int fd, int level, int name, const void *value, uint32_t len)',
  ),
  bind: libc.func('int bind(int fd, const void *addr, uint32_t len)'),
  mmap: libc.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off)'),
  munmap: libc.func('int munmap(void *addr, size_t len)'),
  strerror: libc.func('const char *strerror(int errnum)'),
  sysconf: libc.func('long sysconf(int name)'),
  mallocTrim: libc.func('int malloc_trim(size_t pad)'),
};

const SC_PAGESIZE = 30;
/** The MMU page size: mmap lengths are whole pages. */
export const PAGE_SIZE = Number(fns.sysconf(SC_PAGESIZE));

/** An errno-carrying error, like node's own system errors. */
export class SysError extends Error {
  /**
   * @param {string} what
   * @param {number} errno
   */
  constructor(what, errno) {
    super(`${what}: ${fns.strerror(errno)}`);
    this.errno = errno;
  }
}

/**
 * Throws a SysError when a libc call returned -1.
 * @param {number} ret
 * @param {string} what
 * @returns {number}
 */
function check(ret, what) {
  if (ret < 0) throw new SysError(what, koffi.errno());
  return ret;
}

/**
 * Gives freed heap memory back to the system: a worker thread's isolate is freed
 * when it exits, but glibc keeps the pages (RSS) unless asked.
 */
export const mallocTrim = () => fns.mallocTrim(0);

/** @param {number} errno */
export const strerror = (errno) => fns.strerror(errno);

/** @param {string} path */
export const openRead = (path) => check(fns.open(path, O_RDONLY | O_CLOEXEC), `open ${path}`);

/** @param {number} fd */
export const close = (fd) => check(fns.close(fd), 'close');

/**
 * Moves the calling thread (only) into the network namespace at `path`.
 * @param {string} path
 */
export function setnsNet(path) {
  const fd = openRead(path);
  try {
    check(fns.setns(fd, CLONE_NEWNET), `setns ${path}`);
  } finally {
    fns.close(fd);
  }
}

/**
 * An AF_PACKET socket for every interface of the calling thread's namespace,
 * with the BPF program attached before it is hooked in (protocol 0 receives
 * nothing until bind), so no packet is ever queued unfiltered.
 * @param {number} progFd
 * @returns {number} the socket's fd
 */
export function packetSocket(progFd) {
  const fd = check(fns.socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0), 'socket(AF_PACKET)');
  try {
    const v = Buffer.alloc(4);
    v.writeInt32LE(progFd);
    check(fns.setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, v, 4), 'setsockopt(SO_ATTACH_BPF)');
    // struct sockaddr_ll: family, protocol (network order), ifindex 0 = every interface.
    const sll = Buffer.alloc(20);
    sll.writeUInt16LE(AF_PACKET, 0);
    sll.writeUInt16BE(ETH_P_ALL, 2);
    check(fns.bind(fd, sll, sll.length), 'bind(AF_PACKET)');
    return fd;
  } catch (err) {
    fns.close(fd);
    throw err;
  }
}

/**
 * Maps a BPF_F_MMAPABLE map's memory, shared with the kernel.
 * @param {number} fd
 * @param {number} len
 * @returns {{ ptr: bigint; buffer: ArrayBuffer }}
 */
export function mmapShared(fd, len) {
  /** @type {bigint | null} koffi 3 pointers are BigInts; MAP_FAILED ((void *)-1) may come back as null. */
  const ptr = fns.mmap(null, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (ptr == null || ptr === 0xffffffffffffffffn) throw new SysError('mmap', koffi.errno());
  return { ptr, buffer: koffi.view(ptr, len) };
}

/**
 * @param {bigint} ptr
 * @param {number} len
 */
export const munmap = (ptr, len) => check(fns.munmap(ptr, len), 'munmap');
