/** @tc/fuzz: fuzz harnesses for the wire decoder (and, with the registry, the handshake). */
export { concat, Mutator, type Random } from './mutator.js';
export { buildSeedCorpus } from './seed-corpus.js';
export {
  type FrameSource,
  type FuzzFailure,
  runWireFuzz,
  type WireFuzzOptions,
  type WireFuzzReport,
} from './wire-fuzzer.js';
