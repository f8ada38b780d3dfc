// WAN conditions between the test hosts: per-link latency, jitter and loss through one
// @tc/netem proxy process per host (the kernel here has tbf but no netem qdisc), and each
// host's egress bandwidth with the kernel's tbf.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inHost } from './hosts.mjs';

/** WAN profiles: one-way latency range per link, jitter, loss, and each host's egress rate. */
export const PROFILES = {
  /** The default: 20–150 ms one way, 0.1 % loss. */
  internet: { latencyMs: [20, 150], jitterFraction: 0.1, lossProbability: 0.001, egressMbit: 50 },
  /** A data-centre network, for comparisons. */
  lan: { latencyMs: [0.2, 1], jitterFraction: 0, lossProbability: 0, egressMbit: 1000 },
};

/** The uid the proxies run as: the NAT rule leaves its connections alone. */
export const PROXY_UID = 65534;
/** Local ports of a host's proxies: BASE + the index of the host the link goes to. */
export const PROXY_BASE_PORT = 30_000;

/** A link's one-way latency: the same both ways, from a seeded hash of the pair. */
export function linkLatencyMs(profile, seed, a, b) {
  const [lo, hi] = profile.latencyMs;
  let x = (Math.min(a, b) * 73_856_093) ^ (Math.max(a, b) * 19_349_663) ^ (seed * 83_492_791);
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  const unit = ((x ^ (x >>> 16)) >>> 0) / 4_294_967_296;
  return lo + unit * (hi - lo);
}

/**
 * Sets up every host's links: a NAT rule per other host sends the node's connections to that
 * host's P2P port through the local proxy for that link (the proxy connects from the host's own
 * address, so the far node sees the real peer address), and tbf shapes eth0. Returns the proxy
 * processes (stdin commands `cut ADDR` / `restore ADDR`) and a `stop()`.
 */
export async function startWan({ hosts, p2pPort, profile, seed = 1, dir }) {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'wan-proxy.mjs');
  const procs = [];
  for (const h of hosts) {
    const links = hosts
      .filter((o) => o.index !== h.index)
      .map((o) => {
        const latencyMs = linkLatencyMs(profile, seed, h.index, o.index);
        return {
          listenHost: h.addr,
          listenPort: PROXY_BASE_PORT + o.index,
          target: { host: o.addr, port: p2pPort },
          latencyMs,
          jitterMs: latencyMs * profile.jitterFraction,
          lossProbability: profile.lossProbability,
          seed: seed * 1_000 + h.index,
        };
      });
    const rules = links.map(
      (l) =>
        `-A OUTPUT -p tcp -d ${l.target.host} --dport ${p2pPort} -m owner ! --uid-owner ${PROXY_UID} -j DNAT --to-destination ${l.listenHost}:${l.listenPort}`,
    );
    inHost(h, 'iptables-restore', [], `*nat\n:OUTPUT ACCEPT [0:0]\n${rules.join('\n')}\nCOMMIT\n`);
    const rate = `${profile.egressMbit}mbit`;
    inHost(h, 'tc', [
      'qdisc',
      'replace',
      'dev',
      'eth0',
      'root',
      'tbf',
      'rate',
      rate,
      'burst',
      '64kb',
      'latency',
      '200ms',
    ]);
    const file = join(dir, `wan-${h.index}.json`);
    writeFileSync(file, JSON.stringify({ links }), { mode: 0o644 });
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        h.ns,
        'setpriv',
        `--reuid=${PROXY_UID}`,
        `--regid=${PROXY_UID}`,
        '--clear-groups',
        process.execPath,
        script,
        file,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    procs.push({ host: h, child, ready: waitReady(child) });
  }
  await Promise.all(procs.map((p) => p.ready));
  return {
    procs,
    /** Partition: every link between a host of `a` and one of `b` is cut (connections reset, new ones held). */
    cut(a, b) {
      command(procs, a, b, 'cut');
    },
    restore(a, b) {
      command(procs, a, b, 'restore');
    },
    async stop() {
      for (const p of procs) p.child.stdin.end();
      await Promise.all(
        procs.map((p) => new Promise((r) => (p.child.exitCode !== null ? r() : p.child.once('exit', r)))),
      );
    },
  };
}

function command(procs, a, b, verb) {
  const inA = new Set(a.map((h) => h.index));
  const inB = new Set(b.map((h) => h.index));
  for (const p of procs) {
    const others = inA.has(p.host.index) ? b : inB.has(p.host.index) ? a : [];
    for (const o of others) p.child.stdin.write(`${verb} ${o.addr}\n`);
  }
}

function waitReady(child) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('WAN proxy did not start within 30 s')), 30_000);
    child.once('exit', (code) => reject(new Error(`WAN proxy exited (${code})`)));
    child.stdout.once('data', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
