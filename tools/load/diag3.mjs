import { startLoadCluster, stopCluster } from './src/load.mjs';
import { runStep } from './src/step.mjs';

const rate = Number(process.argv[2] ?? 1500),
  slot = Number(process.argv[3] ?? 250);
const cluster = await startLoadCluster({
  count: 4,
  slotMs: slot,
  utxos: rate * 6.5,
  dir: '/tmp/diag-cluster',
  log: console.error,
});
const s = await runStep({ nodes: cluster.nodes, wallet: cluster.wallet, rate, seconds: 6 });
console.log(
  JSON.stringify({ ...s, nodes: s.nodes.map((n) => [Math.round(n.cpuPct), Math.round(n.lagP99Ms)]) }),
);
await stopCluster(cluster);
