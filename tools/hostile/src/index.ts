/**
 * @tc/hostile: connects to a running tc node as misbehaving peers (oversized prefix, garbage,
 * slowloris, request flood, never-reading peer, stolen node id, wrong genesis, connection
 * storm), reports how the node reacted, and checks that an honest peer's request latency
 * stays within a factor of its baseline meanwhile. See README.md.
 */
export type { CaseContext, CaseOutcome, HostileCase, Reaction } from './case.js';
export {
  type ClientHandshakeOptions,
  clientHandshake,
  describeRefusal,
  type HandshakeOutcome,
  helloMessage,
} from './client-handshake.js';
export type { StormCounts } from './connection-storm.js';
export { ConnectError, HostileOptionError, ProbeError } from './errors.js';
export { malformedFrame, prng } from './garbage.js';
export {
  HonestProbe,
  type HonestProbeOptions,
  type LatencyStats,
  type ProbeKind,
} from './honest-probe.js';
export { judge, percentile } from './latency.js';
export { createHostileMetrics, type HostileMetrics } from './metrics.js';
export {
  type AddressProbe,
  type CloseKind,
  type DisconnectSeen,
  describeClose,
  type Observation,
  probeAddress,
  type Target,
  WireSocket,
} from './observe.js';
export { CASE_NAMES, type CaseName, DEFAULTS, type HostileOptions, isCaseName } from './options.js';
export { type ProbeHandle, startProbe } from './probe-handle.js';
export { type CaseResult, formatReport, type HostileReport, type LatencyVerdict } from './report.js';
export { type HonestRpcWindow, type LatencySummary, sampleHonestRpc } from './rpc-slow.js';
export { CASES, runHostileSuite } from './suite.js';
