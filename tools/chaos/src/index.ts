/**
 * @tc/chaos: a devnet of real tc-node processes in which every link is a NetemProxy, a seeded
 * fault schedule (kill -9 and restart, partitions, slow or corrupt links) under a transaction load,
 * end checks (tips, transactions, UTXO sets, exits), and a soak mode with a growth test.
 */
export { type ChaosCheck, type ChaosOptions, type ChaosReport, runChaos } from './chaos-run.js';
export { checkTransactions, type TipAgreement, type TxCheck, waitTipsAgree } from './checks.js';
export { Cluster, type ClusterNode, type ClusterOptions, nodeHost } from './cluster.js';
export { type MetricSample, promValue, scrapeNode } from './metrics-scrape.js';
export { type ExitRecord, NodeProcess, tcNodeCli } from './node-process.js';
export { formatChaosReport } from './report.js';
export {
  describeEvent,
  type FaultEvent,
  lastHealMs,
  makeSchedule,
  type ScheduleOptions,
} from './schedule.js';
export { formatSoakReport, runSoak, type SoakNodeReport, type SoakOptions, type SoakReport } from './soak.js';
export { GROWTH_RULES, type Growth, type GrowthRule, growth, median, slope } from './trend.js';
export { type TrackedTx, TxLoad } from './tx-load.js';
export { Decoy, freePort, Rng } from './util.js';
export { type DigestOptions, type UtxoDigest, utxoDigests } from './utxo-digest.js';
