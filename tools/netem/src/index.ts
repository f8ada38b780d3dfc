/**
 * @tc/netem: a fault-injection TCP proxy for tests and the devnet. Partitions, slow links
 * and corrupted bytes are real TCP behaviour between real processes, not mocks.
 */
export {
  type Direction,
  type DirectionFaults,
  type DirectionSelector,
  seededRandom,
  validateFaults,
} from './link-faults.js';
export { NetemProxy, type NetemProxyOptions, type NetemStats } from './netem-proxy.js';
