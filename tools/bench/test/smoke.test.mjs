import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idleNodeRss, metricsRss, rpc, sleep, TipWatcher } from '../src/node-bench.mjs';

// A fake node RPC on 127.0.0.1: getbestblockhash answers a tip that the test moves; /metrics
// answers an RSS line. Checks the helpers' plumbing, never a timing figure.
let server;
let url;
let tip = 'a';
const calls = { n: 0 };

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/metrics') {
      res.end('tc_node_process_resident_memory_bytes 4242\n');
      return;
    }
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      calls.n++;
      const { id, method } = JSON.parse(body);
      const result = method === 'getbestblockhash' ? tip : null;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ jsonrpc: '2.0', id, result }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  url = `http://127.0.0.1:${port}/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('node-level helpers (smoke)', () => {
  it('rpc and metricsRss talk to a node', async () => {
    expect(await rpc(url, 'getbestblockhash')).toBe('a');
    expect(await metricsRss(url)).toBe(4242);
    expect(await metricsRss('http://127.0.0.1:1/')).toBeNaN();
  });

  it('TipWatcher records each tip once per node and yields one propagation per new block', async () => {
    const w = new TipWatcher([url, url], 5);
    w.start();
    for (const next of ['b', 'c', 'd']) {
      const before = calls.n;
      // bounded wait for both loops to have polled at least twice on the current tip
      for (let i = 0; i < 200 && calls.n < before + 4; i++) await sleep(5);
      tip = next;
    }
    const before = calls.n;
    for (let i = 0; i < 200 && calls.n < before + 4; i++) await sleep(5);
    await w.stop();
    expect([...w.seen.keys()]).toEqual(['a', 'b', 'c', 'd']);
    const prop = w.propagation();
    expect(prop).toHaveLength(3);
    for (const p of prop) expect(p).toBeGreaterThanOrEqual(0);
    expect(w.meanPollMs()).toBeGreaterThan(0);
  });

  it('measures the RSS of an idle node process', async () => {
    const rss = await idleNodeRss();
    expect(rss).toBeGreaterThan(1024 * 1024);
  });
});
