import type { KindBodies } from '@tc/wire';
import type { RequestKind } from '../protocol.js';
import type { RequestHandler } from './dispatcher.js';

export interface BuiltInSource {
  sharedPeers(max: number, except: string): KindBodies['peers']['peers'];
  localTip(): KindBodies['chainTip'] | { height: unknown; hash: Uint8Array };
}

/** Default handlers: ping → pong (echo), getPeers → our shareable addresses, getChainTip → our tip. */
export function builtInHandlers(source: BuiltInSource): Array<[RequestKind, RequestHandler<RequestKind>]> {
  const ping: RequestHandler<'ping'> = (body) => ({ nonce: body.nonce, sentAtMs: body.sentAtMs });
  const getPeers: RequestHandler<'getPeers'> = (body, ctx) => ({
    peers: source.sharedPeers(body.max, ctx.peerId),
  });
  const getChainTip: RequestHandler<'getChainTip'> = () => source.localTip() as KindBodies['chainTip'];
  return [
    ['ping', ping as unknown as RequestHandler<RequestKind>],
    ['getPeers', getPeers as unknown as RequestHandler<RequestKind>],
    ['getChainTip', getChainTip as unknown as RequestHandler<RequestKind>],
  ];
}
