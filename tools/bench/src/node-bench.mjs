// Node-level measurements against real `tc-node` processes (apps/node/dist/cli.js) on 127.0.0.1.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// Ports below the ephemeral range: a bind(0) port freed again can be taken by any outbound
// connection before the node binds it (EADDRINUSE), which @tc/node's freePort avoids.
import { freePort } from '@tc/node';
import { freePortRange, metricsRss, rpc, runChild, sleep, startNode, stopChild } from './node-process.mjs';
import { TipWatcher } from './tip-watcher.mjs';

export { idleNodeRss, metricsRss, parseRss, percentile, rpc, runChild, sleep } from './node-process.mjs';
export { TipWatcher } from './tip-watcher.mjs';

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

/**
 * Sync of a fresh node: restarts two of a finished devnet's nodes (`dir/node-<i>`, default 0 and 1) as
 * serving peers, then starts a fifth node with an empty chain and the same genesis, peered to
 * them, and times it from spawn until its height reaches the serving tip.
 *
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
