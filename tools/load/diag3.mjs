import { startLoadCluster, stopCluster } from './src/load.mjs';
import { runStep } from './src/step.mjs';

const cluster = await startLoadCluster({
  count: 4,
  slotMs: 1000,
  utxos: 9000,
  dir: '/tmp/diag-cluster',
  log: console.error,
});
const s = await runStep({ nodes: cluster.nodes, wallet: cluster.wallet, rate: 1500, seconds: 5 });
console.log(JSON.stringify({ ...s, nodes: s.nodes }));
await stopCluster(cluster);
