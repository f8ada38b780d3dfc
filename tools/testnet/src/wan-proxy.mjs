#!/usr/bin/env node
// One host's outbound WAN links (run inside its namespace, as an unprivileged user so that its
// own connections bypass the NAT rule that sends the node's connections here): for each other
// host, a @tc/netem proxy with that link's latency, jitter and loss. Config: a JSON file path.
import { readFileSync } from 'node:fs';
import { NetemProxy } from '@tc/netem';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const proxies = [];
for (const link of config.links) {
  const proxy = new NetemProxy({
    target: link.target,
    listenHost: link.listenHost,
    listenPort: link.listenPort,
    seed: link.seed,
    maxConnections: 64,
  });
  await proxy.start();
  proxy.setFaults({
    latencyMs: link.latencyMs,
    jitterMs: link.jitterMs,
    lossProbability: link.lossProbability,
  });
  proxies.push({ link, proxy });
}
const stop = async () => {
  await Promise.allSettled(proxies.map((p) => p.proxy.stop()));
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.stdin.on('end', () => void stop()); // the harness went away
process.stdin.resume();
// Partitions and heals are commands on stdin: "cut <addr>" / "restore <addr>", one per line.
let buffered = '';
process.stdin.on('data', (chunk) => {
  buffered += chunk.toString();
  for (let at = buffered.indexOf('\n'); at >= 0; at = buffered.indexOf('\n')) {
    const [command, addr] = buffered.slice(0, at).trim().split(' ');
    buffered = buffered.slice(at + 1);
    for (const { link, proxy } of proxies) {
      if (link.target.host !== addr) continue;
      if (command === 'cut') {
        proxy.cut();
        proxy.resetConnections();
      } else if (command === 'restore') proxy.restore();
    }
  }
});
process.stdout.write(`ready ${proxies.length}\n`);
