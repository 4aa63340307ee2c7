import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Edge } from '../../api/edge.js';
import { renderTextfile, TEXTFILE_NAME, writeTextfile } from './textfile.js';

const out: Edge = {
  type: 'normal',
  pod: 'ns-a',
  podIP: '10.12.57.104',
  pktType: 'OUTGOING',
  proto: 'tcp',
  ip: '10.24.127.27',
  port: 443,
  connections: 2,
  bytesSent: 300,
  bytesReceived: 4000,
};
const inn: Edge = { ...out, pktType: 'HOST', ip: '10.12.57.27', port: 22, connections: 3 };

describe('renderTextfile', () => {
  it("writes ngraph's names and labels, the peer on the right side, plus bytes", async () => {
    const text = await renderTextfile([out, inn, { ...out, port: 80, connections: 1 }], (ip) =>
      ip === '10.24.127.27' ? 'ns-b' : '',
    );
    expect(text).toContain(
      'network_connections_output_total{src_ip="10.12.57.104",dest_ip="10.24.127.27",peer_hostname="ns-b"} 3',
    );
    expect(text).toContain(
      'network_connections_input_total{src_ip="10.12.57.27",dest_ip="10.12.57.104",peer_hostname=""} 3',
    );
    expect(text).toContain(
      'network_connections_output_bytes_total{src_ip="10.12.57.104",dest_ip="10.24.127.27",peer_hostname="ns-b",direction="received"} 8000',
    );
    expect(text).toContain('# TYPE network_connections_output_total counter');
  });

  it('leaves warnings out', async () => {
    const text = await renderTextfile([{ type: 'warn', message: 'edge map full' }], () => '');
    expect(text).not.toMatch(/^network_/m);
  });
});

describe('writeTextfile', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces ngraph.prom whole and leaves no temporary file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ngraph-textfile-'));
    await writeTextfile(dir, 'a 1\n');
    const path = await writeTextfile(dir, 'b 2\n');
    expect(path).toBe(join(dir, TEXTFILE_NAME));
    expect(readFileSync(path, 'utf8')).toBe('b 2\n');
    expect(readdirSync(dir)).toEqual([TEXTFILE_NAME]);
  });

  it('fails with the reason when the folder is missing', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ngraph-textfile-'));
    await expect(writeTextfile(join(dir, 'nope'), 'x 1\n')).rejects.toThrow(/ENOENT/);
  });
});
