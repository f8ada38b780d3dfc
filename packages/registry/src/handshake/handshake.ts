import { randomBytes } from 'node:crypto';
import { type DecodedFrame, message, type OutgoingMessage, type tc, type U64Input, u64 } from '@tc/wire';
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from '../ed25519.js';
import { type NodeIdentity, nodeIdFromPublicKey, verifySignature } from '../identity.js';
import { HandshakeError } from './errors.js';
import { handshakeSignedMessage, NONCE_BYTES } from './proof.js';

export interface LocalTip {
  height: U64Input;
  hash: Uint8Array;
}

/** What the local node puts in its Hello and checks the peer's against. */
export interface HandshakeConfig {
  identity: NodeIdentity;
  networkId: string;
  genesisHash: Uint8Array;
  protocolVersion: number;
  minProtocolVersion: number;
  agent: string;
  listenPort: () => number;
  getLocalTip: () => LocalTip;
  /**
   * Whether the node id is banned. `genesisHash` is the one its Hello names: a ban for a wrong
   * genesis is lifted once the peer comes back with ours (an operator fixed its configuration).
   */
  isBanned: (nodeId: string, genesisHash: Uint8Array) => boolean;
}

/** An authenticated peer: its key was proven by a signature over our nonce. */
export interface HandshakeResult {
  readonly remoteNodeId: string;
  readonly remotePublicKey: Uint8Array;
  readonly hello: tc.v1.Hello;
  readonly localNonce: Uint8Array;
  readonly remoteNonce: Uint8Array;
  /** min(our protocolVersion, theirs): the version both speak. */
  readonly protocolVersion: number;
}

export type HandshakeStep =
  | { readonly send?: OutgoingMessage; readonly done?: undefined }
  | { readonly send?: undefined; readonly done: HandshakeResult };

const MAX_AGENT_CHARS = 256;

/**
 * The handshake of one connection, as a synchronous state machine fed with decoded frames.
 * Both sides send a Hello at once. On the peer's Hello we check what costs the peer nothing
 * (network, version range, self-connection, banned id) and answer with a HelloAck signing
 * its nonce; on its HelloAck we verify its proof and only then check the genesis, whose
 * refusal bans, so a ban always lands on a proven node id.
 * Any other frame before completion is MESSAGE_BEFORE_HANDSHAKE. Throws HandshakeError.
 */
export class Handshake {
  readonly localNonce: Uint8Array = randomBytes(NONCE_BYTES);
  private remote: { hello: tc.v1.Hello; nodeId: string } | undefined;
  private finished = false;

  constructor(private readonly config: HandshakeConfig) {}

  /** Node id the peer claims in its Hello (not yet proven), once the Hello arrived. */
  get claimedNodeId(): string | undefined {
    return this.remote?.nodeId;
  }

  /** The nonce of the peer's Hello, once it arrived. */
  get remoteNonce(): Uint8Array | undefined {
    return this.remote?.hello.nonce;
  }

  /** The listen port the peer's Hello advertises (0: none), once it arrived. */
  get remoteListenPort(): number {
    return this.remote?.hello.listenPort ?? 0;
  }

  /** The Hello to send first. */
  hello(): OutgoingMessage {
    const c = this.config;
    const tip = c.getLocalTip();
    return message('hello', {
      protocolVersion: c.protocolVersion,
      minProtocolVersion: c.minProtocolVersion,
      networkId: c.networkId,
      genesisHash: c.genesisHash,
      publicKey: c.identity.publicKey,
      listenPort: c.listenPort(),
      agent: c.agent,
      tipHeight: u64(tip.height),
      tipHash: tip.hash,
      nonce: this.localNonce,
      timestampMs: u64(Date.now()),
    });
  }

  onFrame(frame: DecodedFrame): HandshakeStep {
    if (this.finished) throw new Error('handshake already finished');
    if (frame.kind === 'disconnect') {
      throw new HandshakeError(
        'REFUSED_BY_PEER',
        `peer refused: reason ${frame.body.reason} ${frame.body.message}`,
        {
          remoteReason: frame.body.reason,
        },
      );
    }
    if (this.remote === undefined) {
      if (frame.kind !== 'hello')
        throw new HandshakeError('MESSAGE_BEFORE_HANDSHAKE', `${frame.kind} before hello`);
      return this.onHello(frame.body);
    }
    if (frame.kind !== 'helloAck') {
      throw new HandshakeError('MESSAGE_BEFORE_HANDSHAKE', `${frame.kind} before helloAck`);
    }
    return { done: this.onAck(frame.body) };
  }

  private onHello(hello: tc.v1.Hello): HandshakeStep {
    if (hello.publicKey.length !== PUBLIC_KEY_BYTES)
      throw new HandshakeError('BAD_HELLO', 'public key is not 32 bytes');
    if (hello.nonce.length !== NONCE_BYTES) throw new HandshakeError('BAD_HELLO', 'nonce is not 32 bytes');
    if (Buffer.byteLength(hello.networkId, 'utf8') > 255)
      throw new HandshakeError('BAD_HELLO', 'network id too long');
    if (hello.agent.length > MAX_AGENT_CHARS) throw new HandshakeError('BAD_HELLO', 'agent too long');
    if (hello.listenPort > 65535) throw new HandshakeError('BAD_HELLO', 'listen port out of range');
    const nodeId = nodeIdFromPublicKey(hello.publicKey);
    const c = this.config;
    // Refusals that need no proof (none of them charges the peer) happen before we sign
    // anything, so the peer never completes a handshake we refuse. The signed message binds
    // the network id, so a network mismatch must be found here, not as a bad signature.
    if (hello.networkId !== c.networkId) {
      throw new HandshakeError('WRONG_NETWORK', `network ${hello.networkId}, expected ${c.networkId}`);
    }
    if (hello.protocolVersion < c.minProtocolVersion || hello.minProtocolVersion > c.protocolVersion) {
      throw new HandshakeError(
        'INCOMPATIBLE_VERSION',
        `peer speaks ${hello.minProtocolVersion}..${hello.protocolVersion}, ` +
          `we speak ${c.minProtocolVersion}..${c.protocolVersion}`,
      );
    }
    if (nodeId === c.identity.nodeId) throw new HandshakeError('SELF_CONNECTION', 'connected to ourselves');
    if (c.isBanned(nodeId, hello.genesisHash))
      throw new HandshakeError('BANNED', `${nodeId.slice(0, 12)} is banned`);
    this.remote = { hello, nodeId };
    const signature = c.identity.sign(
      handshakeSignedMessage(c.networkId, hello.nonce, this.localNonce, c.identity.publicKey),
    );
    return { send: message('helloAck', { signature }) };
  }

  private onAck(ack: tc.v1.HelloAck): HandshakeResult {
    const { hello, nodeId } = this.remote!;
    const c = this.config;
    const signed = handshakeSignedMessage(c.networkId, this.localNonce, hello.nonce, hello.publicKey);
    if (
      ack.signature.length !== SIGNATURE_BYTES ||
      !verifySignature(hello.publicKey, signed, ack.signature)
    ) {
      throw new HandshakeError('BAD_HANDSHAKE_SIGNATURE', `no proof of the key of ${nodeId.slice(0, 12)}`);
    }
    // From here on the node id is proven: a wrong genesis may cost it a ban.
    if (!Buffer.from(hello.genesisHash).equals(Buffer.from(c.genesisHash))) {
      const theirs = Buffer.from(hello.genesisHash).toString('hex');
      const ours = Buffer.from(c.genesisHash).toString('hex');
      throw new HandshakeError('WRONG_GENESIS', `genesis mismatch: yours ${theirs}, mine ${ours}`, {
        remoteNodeId: nodeId,
      });
    }
    this.finished = true;
    return {
      remoteNodeId: nodeId,
      remotePublicKey: hello.publicKey,
      hello,
      localNonce: this.localNonce,
      remoteNonce: hello.nonce,
      protocolVersion: Math.min(hello.protocolVersion, c.protocolVersion),
    };
  }
}
