import { randomBytes } from 'node:crypto';
import { handshakeSignedMessage, NodeIdentity } from '@tc/registry';
import { encodeFrame, message, type OutgoingMessage, u64 } from '@tc/wire';
import { concat, type Mutator } from './mutator.js';

export interface TargetHello {
  readonly networkId: string;
  readonly genesisHash: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly nonce: Uint8Array;
  readonly protocolVersion: number;
}

/** The variants of each step a hostile or confused client may send. */
const HELLO_VARIANTS = [
  'valid',
  'wrong-network',
  'wrong-genesis',
  'bad-version',
  'stolen-key',
  'empty',
  'none',
] as const;
const ACK_VARIANTS = ['valid', 'random-signature', 'wrong-nonce', 'twice', 'before-hello', 'none'] as const;
const AFTER_VARIANTS = ['ping', 'request', 'garbage', 'nothing'] as const;

export interface ScriptShape {
  readonly hello: (typeof HELLO_VARIANTS)[number];
  readonly ack: (typeof ACK_VARIANTS)[number];
  readonly after: (typeof AFTER_VARIANTS)[number];
  /** Byte-level mutations applied on top of the structured script. */
  readonly mutated: boolean;
}

export function pickShape(mutator: Mutator): ScriptShape {
  // One case in seven is a well-behaved client, so the "honest always connects" invariant
  // is exercised under the same concurrent load as the hostile ones.
  if (mutator.int(7) === 0) {
    return {
      hello: 'valid',
      ack: 'valid',
      after: mutator.pick(['ping', 'request', 'nothing'] as const),
      mutated: false,
    };
  }
  return {
    hello: mutator.pick(HELLO_VARIANTS),
    ack: mutator.pick(ACK_VARIANTS),
    after: mutator.pick(AFTER_VARIANTS),
    mutated: mutator.int(3) > 0,
  };
}

/** True when the script is a well-behaved client: it must end in a live, answering session. */
export const isHonest = (s: ScriptShape) =>
  s.hello === 'valid' && s.ack === 'valid' && !s.mutated && s.after !== 'garbage';

/**
 * Bytes a client sends after reading the target's Hello: a Hello, a HelloAck and a first
 * request, each in one of several variants, then optionally mutated at the byte level.
 */
export function buildScript(
  shape: ScriptShape,
  target: TargetHello,
  mutator: Mutator,
): { bytes: Uint8Array; nodeId: string } {
  const me = NodeIdentity.generate();
  const myNonce = randomBytes(32);
  const frames: OutgoingMessage[] = [];
  const hello = {
    protocolVersion: shape.hello === 'bad-version' ? 9999 : target.protocolVersion,
    minProtocolVersion: shape.hello === 'bad-version' ? 9999 : 1,
    networkId: shape.hello === 'wrong-network' ? `${target.networkId}-other` : target.networkId,
    genesisHash: shape.hello === 'wrong-genesis' ? randomBytes(32) : target.genesisHash,
    publicKey: shape.hello === 'stolen-key' ? target.publicKey : me.publicKey,
    listenPort: 0,
    agent: 'tc-fuzz',
    tipHeight: u64(0),
    tipHash: new Uint8Array(32),
    nonce: myNonce,
    timestampMs: u64(Date.now()),
  };
  const signed = (verifierNonce: Uint8Array) =>
    me.sign(handshakeSignedMessage(target.networkId, verifierNonce, myNonce, me.publicKey));
  const ack = (signature: Uint8Array) => message('helloAck', { signature });
  const ackFrame = () =>
    shape.ack === 'random-signature'
      ? ack(randomBytes(64))
      : shape.ack === 'wrong-nonce'
        ? ack(signed(randomBytes(32)))
        : ack(signed(target.nonce));
  if (shape.ack === 'before-hello') frames.push(ackFrame());
  if (shape.hello === 'empty') frames.push(message('hello', {}));
  else if (shape.hello !== 'none') frames.push(message('hello', hello));
  if (shape.ack !== 'none' && shape.ack !== 'before-hello') frames.push(ackFrame());
  if (shape.ack === 'twice') frames.push(ackFrame());
  if (shape.after === 'ping') frames.push(message('ping', { nonce: u64(1), sentAtMs: u64(1) }, 1));
  if (shape.after === 'request') frames.push(message('getChainTip', {}, 2));
  let bytes = concat(...frames.map((f) => encodeFrame(f)));
  if (shape.after === 'garbage') bytes = concat(bytes, mutator.randomBytes(1 + mutator.int(64)));
  return { bytes: shape.mutated ? mutator.mutate(bytes, [bytes], 64 * 1024) : bytes, nodeId: me.nodeId };
}
