/**
 * The signed-nonce proof of the handshake. Each side signs, with the key of its Hello, the
 * bytes below; the other side checks the signature with the public key of that Hello.
 *
 * ```
 * offset  size  field
 * 0       15    ASCII "tc/handshake/v1"   (domain separation: never valid for anything else)
 * 15      1     n = byte length of network id (≤ 255)
 * 16      n     network id, UTF-8
 * 16+n    32    verifier nonce: the nonce of the Hello the signer RECEIVED
 * 48+n    32    signer nonce:   the nonce of the Hello the signer SENT
 * 80+n    32    signer public key (raw Ed25519)
 * ```
 * Binding both nonces ties the proof to this one connection; binding the network id keeps a
 * proof from one network from being replayed on another.
 */
export const HANDSHAKE_DOMAIN = 'tc/handshake/v1';
export const NONCE_BYTES = 32;
const DOMAIN_BYTES = Buffer.from(HANDSHAKE_DOMAIN, 'ascii');

export function handshakeSignedMessage(
  networkId: string,
  verifierNonce: Uint8Array,
  signerNonce: Uint8Array,
  signerPublicKey: Uint8Array,
): Uint8Array {
  const net = Buffer.from(networkId, 'utf8');
  if (net.length > 255) throw new RangeError('network id longer than 255 bytes');
  if (verifierNonce.length !== NONCE_BYTES || signerNonce.length !== NONCE_BYTES) {
    throw new RangeError(`handshake nonces have ${NONCE_BYTES} bytes`);
  }
  const out = Buffer.allocUnsafe(
    DOMAIN_BYTES.length + 1 + net.length + 2 * NONCE_BYTES + signerPublicKey.length,
  );
  let at = DOMAIN_BYTES.copy(out, 0);
  out[at++] = net.length;
  at += net.copy(out, at);
  out.set(verifierNonce, at);
  at += NONCE_BYTES;
  out.set(signerNonce, at);
  at += NONCE_BYTES;
  out.set(signerPublicKey, at);
  return out;
}
