/** @tc/fuzz: fuzz harnesses for the wire decoder (and, with the registry, the handshake). */

export {
  type HandshakeFailure,
  type HandshakeFuzzOptions,
  type HandshakeFuzzReport,
  runHandshakeFuzz,
} from './handshake-fuzzer.js';
export { buildScript, isHonest, pickShape, type ScriptShape, type TargetHello } from './handshake-script.js';
export { concat, Mutator, type Random } from './mutator.js';
export { buildSeedCorpus } from './seed-corpus.js';
export {
  type FrameSource,
  type FuzzFailure,
  runWireFuzz,
  type WireFuzzOptions,
  type WireFuzzReport,
} from './wire-fuzzer.js';
