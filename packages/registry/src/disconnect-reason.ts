import { pb } from '@tc/wire';

const R = pb.DisconnectReason;

/** Wire DisconnectReason → the name used in `peer:disconnect` events and metrics ("too-slow"). */
export function reasonName(reason: number): string {
  const name = R[reason as unknown as keyof typeof R] as unknown;
  if (typeof name !== 'string') return 'unspecified';
  return name.replace('DISCONNECT_REASON_', '').toLowerCase().replaceAll('_', '-');
}

/** The DisconnectReason sent when an ErrorActionTable code closes a connection. */
export function disconnectReasonFor(code: string, action: 'disconnect' | 'ban'): number {
  if (action === 'ban') return R.DISCONNECT_REASON_BANNED;
  switch (code) {
    case 'TOO_SLOW':
    case 'QUEUE_OVERFLOW':
    case 'PARTIAL_FRAME_BUDGET':
      return R.DISCONNECT_REASON_TOO_SLOW;
    case 'PING_TIMEOUT':
      return R.DISCONNECT_REASON_PING_TIMEOUT;
    case 'HANDSHAKE_TIMEOUT':
      return R.DISCONNECT_REASON_HANDSHAKE_TIMEOUT;
    case 'WRONG_NETWORK':
      return R.DISCONNECT_REASON_WRONG_NETWORK;
    case 'WRONG_GENESIS':
      return R.DISCONNECT_REASON_WRONG_GENESIS;
    case 'INCOMPATIBLE_VERSION':
      return R.DISCONNECT_REASON_INCOMPATIBLE_VERSION;
    case 'BAD_HANDSHAKE_SIGNATURE':
    case 'MESSAGE_BEFORE_HANDSHAKE':
      return R.DISCONNECT_REASON_BAD_HANDSHAKE;
    case 'FRAME_TOO_LARGE':
    case 'MALFORMED_FRAME':
    case 'DECODER_BROKEN':
    case 'FRAME_REFUSED':
      return R.DISCONNECT_REASON_PROTOCOL_ERROR;
    default:
      return R.DISCONNECT_REASON_MISBEHAVIOUR;
  }
}
