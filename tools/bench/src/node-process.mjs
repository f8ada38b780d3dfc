// Helpers for real `tc-node` processes: ports, RPC, RSS, child processes.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
// One sleep and one percentile for every tool: the load tool's.
import { sleep } from '@tc/load/src/cluster.mjs';

export { percentile } from '@tc/load/src/step.mjs';
export { sleep };

/** `count` ports p, p+1, … below 32768 that are all free now (for `devnet --base-port`). */
export async function freePortRange(count) {
  for (let attempt = 0; attempt < 20; attempt++) {
    // Below the ephemeral range (32768+), for the reason freePort gives.
    const base = 20000 + Math.floor(Math.random() * (12_768 - count));
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
