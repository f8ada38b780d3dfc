import { randomBytes } from 'node:crypto';
import {
  handshakeSignedMessage,
  NONCE_BYTES,
  NodeIdentity,
  nodeIdFromPublicKey,
  verifySignature,
} from '@tc/registry';
import { type DecodedFrame, message, type OutgoingMessage, type tc, u64 } from '@tc/wire';
import type { DisconnectSeen, WireSocket } from './observe.js';

/**
 * The tc handshake played as a protocol client on a raw socket, built only from the public
 * exports of @tc/registry (NodeIdentity, handshakeSignedMessage) and @tc/wire (frames):
 *
 * 1. both sides send a Hello at once (ours may present any public key, e.g. a stolen one);
 * 2. on the node's Hello we answer a HelloAck signing
 *    `handshakeSignedMessage(network, nodeNonce, ourNonce, presentedKey)` with `identity`
 *    (which fails verification when `identity` does not own the presented key);
 * 3. the node answers our Hello with its own HelloAck, which we verify;
 * 4. the node checks our proof and then the genesis; we confirm the session is live with a
 *    `ping` request (request id 1) and its `pong`.
 */

export interface ClientHandshakeOptions {
  networkId: string;
  genesisHash: Uint8Array;
  /** Signs our HelloAck (default: a fresh identity). */
  identity?: NodeIdentity;
  /** Public key put in our Hello (default `identity.publicKey`); another node's key = stolen identity. */
  presentedPublicKey?: Uint8Array;
  protocolVersion?: number;
  minProtocolVersion?: number;
  /** Advertised listen port (default 0: not dialable). */
  listenPort?: number;
  agent?: string;
  /** Whole handshake plus confirmation (default 5 000 ms). */
  timeoutMs?: number;
  /** Skip the ping confirmation (resolve `acked` as soon as our HelloAck is sent and theirs verified). */
  noConfirm?: boolean;
}

export type HandshakeStage = 'hello' | 'ack' | 'confirm';

export type HandshakeOutcome =
  | {
      readonly ok: true;
      readonly identity: NodeIdentity;
      readonly remoteNodeId: string;
      readonly remoteHello: tc.v1.Hello;
      /** The node's HelloAck verified against its Hello's key. */
      readonly remoteProofValid: boolean;
      readonly ms: number;
    }
  | {
      readonly ok: false;
      readonly identity: NodeIdentity;
      /** How far we got: waiting for the node's Hello, for its HelloAck, or for the confirming pong. */
      readonly stage: HandshakeStage;
      /** The node's Disconnect, when it sent one. */
      readonly disconnect: DisconnectSeen | undefined;
      /** The node closed the socket (with or without a Disconnect). */
      readonly closed: boolean;
      /** Neither a close nor a success within the timeout. */
      readonly timedOut: boolean;
      readonly remoteHello: tc.v1.Hello | undefined;
      readonly ms: number;
    };

/** Request id of the confirming ping. Cases that send requests afterwards start above it. */
export const CONFIRM_REQUEST_ID = 1;

/** Runs the client side of the handshake on `ws` (which must be fresh). */
export async function clientHandshake(
  ws: WireSocket,
  opts: ClientHandshakeOptions,
): Promise<HandshakeOutcome> {
  const started = Date.now();
  const identity = opts.identity ?? NodeIdentity.generate();
  const presented = opts.presentedPublicKey ?? identity.publicKey;
  const nonce = randomBytes(NONCE_BYTES);
  let remoteHello: tc.v1.Hello | undefined;
  let remoteAck: Uint8Array | undefined;
  let ackSent = false;
  let pong = false;
  let stage: HandshakeStage = 'hello';

  const onFrame = (frame: DecodedFrame) => {
    if (frame.kind === 'hello' && remoteHello === undefined) {
      remoteHello = frame.body;
      stage = 'ack';
      if (frame.body.nonce.length === NONCE_BYTES) {
        const signed = handshakeSignedMessage(opts.networkId, frame.body.nonce, nonce, presented);
        ws.send(message('helloAck', { signature: identity.sign(signed) }));
        ackSent = true;
      }
    } else if (frame.kind === 'helloAck' && remoteAck === undefined) {
      remoteAck = frame.body.signature;
    } else if (frame.kind === 'pong' && frame.requestId === CONFIRM_REQUEST_ID) {
      pong = true;
    }
  };
  // Our Hello goes first: an ack before it would be a message before the handshake.
  ws.send(helloMessage(opts, presented, nonce));
  const unsubscribe = ws.onFrame(onFrame);
  // Frames that arrived before we subscribed (the node sends its Hello on accept).
  for (const f of [...ws.frames]) onFrame(f);
  try {
    const deadline = started + (opts.timeoutMs ?? 5_000);
    const gone = () => ws.closedByNode || ws.closed || ws.disconnect !== undefined;
    await ws.waitFor(() => (ackSent && remoteAck !== undefined) || gone(), remaining(deadline));
    if (ackSent && remoteAck !== undefined && !gone()) {
      if (opts.noConfirm) return success(identity, remoteHello!, remoteAck, opts, nonce, started);
      stage = 'confirm';
      ws.send(
        message('ping', { nonce: u64(CONFIRM_REQUEST_ID), sentAtMs: u64(Date.now()) }, CONFIRM_REQUEST_ID),
      );
      await ws.waitFor(() => pong || gone(), remaining(deadline));
      if (pong && !gone()) return success(identity, remoteHello!, remoteAck, opts, nonce, started);
    }
    return {
      ok: false,
      identity,
      stage,
      disconnect: ws.disconnect,
      closed: ws.closedByNode || ws.closed,
      timedOut: !gone(),
      remoteHello,
      ms: Date.now() - started,
    };
  } finally {
    unsubscribe();
  }
}

/** Our Hello, with the options' network, genesis and version range. */
export function helloMessage(
  opts: ClientHandshakeOptions,
  publicKey: Uint8Array,
  nonce: Uint8Array,
): OutgoingMessage {
  const version = opts.protocolVersion ?? 1;
  return message('hello', {
    protocolVersion: version,
    minProtocolVersion: opts.minProtocolVersion ?? version,
    networkId: opts.networkId,
    genesisHash: opts.genesisHash,
    publicKey,
    listenPort: opts.listenPort ?? 0,
    agent: opts.agent ?? 'tc-hostile/0.1.0',
    tipHeight: u64(0),
    tipHash: new Uint8Array(0),
    nonce,
    timestampMs: u64(Date.now()),
  });
}

function success(
  identity: NodeIdentity,
  hello: tc.v1.Hello,
  ack: Uint8Array,
  opts: ClientHandshakeOptions,
  nonce: Uint8Array,
  started: number,
): HandshakeOutcome {
  let valid = false;
  try {
    valid = verifySignature(
      hello.publicKey,
      handshakeSignedMessage(opts.networkId, nonce, hello.nonce, hello.publicKey),
      ack,
    );
    nodeIdFromPublicKey(hello.publicKey);
  } catch {
    valid = false;
  }
  return {
    ok: true,
    identity,
    remoteNodeId: hello.publicKey.length === 32 ? nodeIdFromPublicKey(hello.publicKey) : '',
    remoteHello: hello,
    remoteProofValid: valid,
    ms: Date.now() - started,
  };
}

function remaining(deadline: number): number {
  return Math.max(0, deadline - Date.now());
}

/** One line for a failed handshake outcome. */
export function describeRefusal(o: HandshakeOutcome): string {
  if (o.ok) return `handshake completed in ${o.ms} ms`;
  const dc = o.disconnect ? `Disconnect ${o.disconnect.name} "${o.disconnect.message}"` : 'no Disconnect';
  const how = o.timedOut ? 'no answer (timed out)' : o.closed ? 'closed' : 'refused';
  return `${how} at the ${o.stage} stage after ${o.ms} ms, ${dc}`;
}
