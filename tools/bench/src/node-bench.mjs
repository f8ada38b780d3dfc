// Node-level measurements against real `tc-node` processes (apps/node/dist/cli.js) on 127.0.0.1.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Nearest-rank percentile of numbers (p in 0..100); NaN for an empty list. */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1];
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = /** @type {import('node:net').AddressInfo} */ (srv.address()).port;
      srv.close(() => resolve(port));
    });
  });
}

/** `count` ports p, p+1, … that are all free now (for `devnet --base-port`). */
export async function freePortRange(count) {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const ok = await Promise.all(Array.from({ length: count }, (_, i) => portFree(base + i)));
    if (ok.every(Boolean)) return base;
  }
  throw new Error('no free port range found');
}

function portFree(port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** One JSON-RPC call to `url` (throws on transport or RPC error). */
export async function rpc(url, method, params = [], timeoutMs = 5000) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = await res.json();
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

/** RSS in bytes from a node's /metrics (`tc_node_process_resident_memory_bytes`), or NaN. */
export async function metricsRss(rpcBase) {
  try {
    const res = await fetch(`${rpcBase}metrics`, { signal: AbortSignal.timeout(5000) });
    return parseRss(await res.text());
  } catch {
    return Number.NaN;
  }
}

/** Finds `…process_resident_memory_bytes <n>` in Prometheus text. */
export function parseRss(text) {
  const m = String(text).match(/^\w*process_resident_memory_bytes(?:\{[^}]*\})?\s+([0-9.e+]+)/m);
  return m ? Number(m[1]) : Number.NaN;
}

/** RSS (bytes) of an idle `node -e` process: the baseline for a node's RSS. */
export async function idleNodeRss() {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    await sleep(700);
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const m = status.match(/VmRSS:\s+(\d+)\s+kB/);
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } finally {
    child.kill('SIGKILL');
  }
}

/** Parses `tc-node devnet`'s summary. */
export function parseDevnetSummary(text) {
  const tx = text.match(/transactions:\s+(\d+) accepted, (\d+) rejected, (\d+|\?) in blocks/);
  const blocks = text.match(/^\s*blocks:\s+(\d+)/m);
  const tips = text.match(/tips agree:\s+(yes|NO|no)/);
  const head = text.match(/devnet summary \(([^,]+), ([0-9.]+)s\)/);
  return {
    found: Boolean(tx && tips),
    accepted: tx ? Number(tx[1]) : Number.NaN,
    rejected: tx ? Number(tx[2]) : Number.NaN,
    inBlocks: tx && tx[3] !== '?' ? Number(tx[3]) : Number.NaN,
    blocks: blocks ? Number(blocks[1]) : Number.NaN,
    tipsAgree: tips ? tips[1] === 'yes' : false,
    reason: head ? head[1] : undefined,
    elapsedS: head ? Number(head[2]) : Number.NaN,
  };
}

/**
 * Follows the tips of several nodes by polling `getbestblockhash` on each in its own loop
 * (`intervalMs` between polls). Records, per block hash, when each node first reported it.
 */
export class TipWatcher {
  constructor(urls, intervalMs = 10) {
    this.urls = urls;
    this.intervalMs = intervalMs;
    /** hash → Map(node index → first seen ms) */
    this.seen = new Map();
    this.polls = 0;
    this.pollMs = 0;
    this.running = false;
    this.loops = [];
  }

  start() {
    this.running = true;
    this.loops = this.urls.map((url, i) => this.loop(url, i));
  }

  async loop(url, i) {
    while (this.running) {
      const t0 = performance.now();
      try {
        const hash = await rpc(url, 'getbestblockhash', [], 2000);
        const t1 = performance.now();
        this.polls++;
        this.pollMs += t1 - t0;
        let m = this.seen.get(hash);
        if (!m) {
          m = new Map();
          this.seen.set(hash, m);
        }
        // The block became the tip somewhere between the previous poll and this answer;
        // take the midpoint of the request as the estimate.
        if (!m.has(i)) m.set(i, (t0 + t1) / 2);
      } catch {
        // node not up yet or busy: try again
      }
      await sleep(this.intervalMs);
    }
  }

  async stop() {
    this.running = false;
    await Promise.all(this.loops);
  }

  /**
   * Propagation (ms) of every block all nodes reported: last node's first sight − first node's.
   * The tip current when watching started is dropped, and so is every block first seen before
   * `sinceMs` (performance.now() time; a warm-up while peers connect).
   */
  propagation(sinceMs = Number.NEGATIVE_INFINITY) {
    const out = [];
    let first = true;
    for (const m of this.seen.values()) {
      const ts = [...m.values()];
      const t0 = Math.min(...ts);
      const skip = first || t0 < sinceMs;
      first = false;
      if (skip || m.size < this.urls.length) continue;
      out.push(Math.max(...ts) - t0);
    }
    return out;
  }

  /** Blocks first seen at or after `sinceMs` that not every node reported as its tip. */
  partial(sinceMs = Number.NEGATIVE_INFINITY) {
    let n = 0;
    for (const m of this.seen.values()) {
      if (m.size < this.urls.length && Math.min(...m.values()) >= sinceMs) n++;
    }
    return n;
  }

  /** Mean time of one poll round trip (the measurement's resolution is about this plus intervalMs). */
  meanPollMs() {
    return this.polls ? this.pollMs / this.polls : Number.NaN;
  }
}

/**
 * Runs a child process to its end; collects stdout+stderr.
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ cwd?: string, timeoutMs?: number, env?: NodeJS.ProcessEnv }} [options]
 * @returns {Promise<{ code: number | null, signal: NodeJS.Signals | null, output: string }>}
 */
export function runChild(cmd, args, { cwd, timeoutMs = 600_000, env } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output: out });
    });
  });
}

/**
 * One devnet step: `tc-node devnet --nodes N --tx-rate R --duration D --slot-ms S` in `dir`,
 * watching the nodes' tips (propagation) and reading their RSS near the end of the window.
 */
/**
 * @param {{ cli: string, dir: string, nodes: number, rate: number, durationS: number, slotMs: number, watch?: boolean, log?: (s: string) => void }} options
 */
export async function devnetStep({
  cli,
  dir,
  nodes,
  rate,
  durationS,
  slotMs,
  watch = false,
  log = () => {},
}) {
  const base = await freePortRange(2 * nodes);
  const urls = Array.from({ length: nodes }, (_, i) => `http://127.0.0.1:${base + 2 * i + 1}/`);
  const args = [cli, 'devnet', '--nodes', String(nodes), '--tx-rate', String(rate)];
  args.push(
    '--duration',
    String(durationS),
    '--dir',
    dir,
    '--base-port',
    String(base),
    '--slot-ms',
    String(slotMs),
  );
  const t0 = Date.now();
  const run = runChild(process.execPath, args, { timeoutMs: (durationS + 90) * 1000 });
  const watcher = watch ? new TipWatcher(urls, 10) : undefined;
  watcher?.start();
  // RSS and RTT near the end of the window (the supervisor starts its clock when every node answers).
  let rss = [];
  let rtts = [];
  let heights = [];
  const done = { v: false };
  void run.then(() => {
    done.v = true;
  });
  const readyDeadline = Date.now() + 30_000;
  while (!done.v && Date.now() < readyDeadline) {
    const ok = await Promise.all(
      urls.map((u) =>
        rpc(u, 'getblockcount', [], 1000).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (ok.every(Boolean)) break;
    await sleep(200);
  }
  const tReady = Date.now();
  // Propagation counts blocks first seen from 3 s after every node answered (peers connect first).
  const propagationSince = performance.now() + 3000;
  while (!done.v && Date.now() < tReady + Math.max(1000, (durationS - 2) * 1000)) await sleep(100);
  if (!done.v) {
    rss = await Promise.all(urls.map((u) => metricsRss(u)));
    log(`  rss MiB ${rss.map((x) => (x / 1048576).toFixed(1)).join(' ')}`);
    const peers = await Promise.all(urls.map((u) => rpc(u, 'getpeerinfo', [], 10_000).catch(() => [])));
    rtts = peers
      .flat()
      .map((p) => p.rttMs)
      .filter((x) => typeof x === 'number');
    heights = await Promise.all(urls.map((u) => rpc(u, 'getblockcount').catch(() => Number.NaN)));
  }
  const tEnd = Date.now();
  await watcher?.stop();
  const res = await run;
  const summary = parseDevnetSummary(res.output);
  log(`  devnet ${nodes} nodes @ ${rate} tx/s: ${JSON.stringify(summary)}`);
  return {
    rate,
    nodes,
    durationS,
    slotMs,
    exitCode: res.code,
    summary,
    output: res.output,
    rss,
    rtts,
    heights,
    propagation: watcher ? watcher.propagation(propagationSince) : [],
    partialBlocks: watcher ? watcher.partial(propagationSince) : 0,
    meanPollMs: watcher ? watcher.meanPollMs() : Number.NaN,
    wallS: (tEnd - t0) / 1000,
    urls,
  };
}

/** Starts `tc-node start --config FILE`; resolves with the child once it logs readiness. */
export function startNode(cli, configFile, logFile) {
  const child = spawn(process.execPath, [cli, 'start', '--config', configFile, '--log-format', 'json'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let buf = '';
  /** @type {Promise<import('node:child_process').ChildProcess>} */
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${configFile}: not ready in 30 s`)), 30_000);
    const onData = (d) => {
      buf += d;
      if (buf.length > 1_000_000) buf = buf.slice(-100_000);
      if (/tc-node ready/.test(buf)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${configFile}: exited ${code} before ready: ${buf.slice(-500)}`));
    });
  });
  if (logFile) child.on('exit', () => writeFileSync(logFile, buf));
  return { child, ready };
}

/** SIGTERM, then SIGKILL after `ms`; resolves on exit. */
export function stopChild(child, ms = 8000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return /** @type {Promise<void>} */ (
    new Promise((resolve) => {
      const t = setTimeout(() => child.kill('SIGKILL'), ms);
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      child.kill('SIGTERM');
    })
  );
}

/**
 * Sync of a fresh node: restarts two of a finished devnet's nodes (`dir/node-<i>`, default 0 and 1) as
 * serving peers, then starts a fifth node with an empty chain and the same genesis, peered to
 * them, and times it from spawn until its height reaches the serving tip.
 */
/**
 * @param {{ cli: string, dir: string, servers?: number[], log?: (s: string) => void, timeoutMs?: number }} options
 * @returns {Promise<Record<string, any>>}
 */
export async function freshSync({
  cli,
  dir,
  servers: serverIdx = [0, 1],
  log = () => {},
  timeoutMs = 300_000,
}) {
  const serving = [];
  try {
    const servers = serverIdx.map((i) => join(dir, `node-${i}`));
    const cfgs = servers.map((d) => JSON.parse(readFileSync(join(d, 'config.json'), 'utf8')));
    for (const d of servers) {
      const s = startNode(cli, join(d, 'config.json'), join(d, 'bench-serve.log'));
      serving.push(s.child);
      await s.ready;
    }
    const serveUrl = `http://127.0.0.1:${cfgs[0].rpc.port}/`;
    const target = await rpc(serveUrl, 'getblockcount');
    const fresh = join(dir, 'fresh');
    mkdirSync(fresh, { recursive: true });
    const p2p = await freePort();
    const rpcPort = await freePort();
    const init = await runChild(process.execPath, [
      cli,
      'init',
      '--network',
      'devnet',
      '--datadir',
      fresh,
      '--port',
      String(p2p),
      '--rpc-port',
      String(rpcPort),
      '--force',
      ...cfgs.flatMap((c) => ['--peer', `127.0.0.1:${c.p2p.port}`]),
    ]);
    if (init.code !== 0) throw new Error(`tc-node init failed: ${init.output}`);
    copyFileSync(join(servers[0], 'genesis.json'), join(fresh, 'genesis.json'));
    const cfgFile = join(fresh, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
    writeFileSync(cfgFile, JSON.stringify({ ...cfg, pool: { size: 1 } }, null, 2), { mode: 0o600 });
    const freshUrl = `http://127.0.0.1:${rpcPort}/`;
    const t0 = performance.now();
    const f = startNode(cli, cfgFile, join(fresh, 'bench.log'));
    serving.push(f.child);
    await f.ready;
    const tReady = performance.now();
    let height = 0;
    while (performance.now() - t0 < timeoutMs) {
      height = await rpc(freshUrl, 'getblockcount', [], 2000).catch(() => height);
      if (height >= target) break;
      await sleep(20);
    }
    const t1 = performance.now();
    const ok = height >= target;
    const r = {
      ok,
      servers: serverIdx,
      blocks: target,
      height,
      totalS: (t1 - t0) / 1000,
      afterReadyS: (t1 - tReady) / 1000,
    };
    log(`  fresh sync: ${JSON.stringify(r)}`);
    return r;
  } finally {
    for (const c of serving.reverse()) await stopChild(c);
  }
}
