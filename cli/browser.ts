// ui --open: the desktop's way to open a URL (xdg-open on Linux, open on macOS, start on
// Windows). Failing to open one is said, not fatal: the URL is printed anyway.
import { spawn } from 'node:child_process';

export function openBrowser(url: string, onError: (why: string) => void): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : ['xdg-open', [url]];
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
  child.on('error', (err) => onError(`cannot open a browser (${cmd}): ${err.message}`));
  child.unref();
}
