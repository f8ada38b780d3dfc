// Keys, UTXOs and pre-signed transactions for the load generator.
import { randomBytes } from 'node:crypto';
import {
  encodeTransactionData,
  fromHex,
  generateKeyPair,
  Signer,
  signTransaction,
  toHex,
} from '@tc/consensus';

/**
 * The load's own keys and the outputs they can spend. Every transaction spends one output and
 * pays it, whole, to a key of the wallet (fee 0), so each step leaves as many outputs as it
 * used and the pool is reused step after step.
 */
export class Wallet {
  /** @param {string} networkId @param {number} keyCount */
  constructor(networkId, keyCount = 512) {
    this.networkId = networkId;
    this.signers = Array.from({ length: keyCount }, () => new Signer(generateKeyPair()));
    /** @type {{ txid: Uint8Array, vout: number, value: bigint, key: number }[]} */
    this.utxos = [];
  }

  get size() {
    return this.utxos.length;
  }

  /**
   * Fan-out transactions: each spends one output of `owner` (a validator's genesis outputs,
   * from listunspent) into `perTx` outputs spread over the wallet's keys.
   */
  fanOut(owner, unspent, perTx) {
    const signer = owner instanceof Signer ? owner : new Signer(owner);
    const out = [];
    let next = 0;
    for (const u of unspent) {
      const total = BigInt(u.value);
      const each = total / BigInt(perTx);
      if (each <= 0n) continue;
      const keys = Array.from({ length: perTx }, () => next++ % this.signers.length);
      const { tx, txid } = signTransaction(this.networkId, {
        nonce: randomBytes(8).readBigUInt64LE(0),
        inputs: [{ prevTxid: fromHex(u.txid, 32), vout: u.vout, keys: signer }],
        outputs: keys.map((k) => ({ value: each, recipient: this.signers[k].address })),
      });
      out.push({
        hex: toHex(encodeTransactionData(tx)),
        txid: toHex(txid),
        creates: keys.map((key, vout) => ({ txid, vout, value: each, key })),
      });
    }
    return out;
  }

  /** Takes `n` outputs and signs one transaction for each (pre-signing: the client never waits). */
  presign(n) {
    const taken = this.utxos.splice(0, Math.min(n, this.utxos.length));
    return taken.map((u) => {
      const signer = this.signers[u.key];
      const { tx, txid } = signTransaction(this.networkId, {
        nonce: randomBytes(8).readBigUInt64LE(0),
        inputs: [{ prevTxid: u.txid, vout: u.vout, keys: signer }],
        outputs: [{ value: u.value, recipient: signer.address }],
      });
      return {
        hex: toHex(encodeTransactionData(tx)),
        txid: toHex(txid),
        spends: u,
        creates: [{ txid, vout: 0, value: u.value, key: u.key }],
      };
    });
  }

  /** Outputs that exist on the chain now (a transaction included, or one never accepted). */
  give(outputs) {
    for (const o of outputs) this.utxos.push(o);
  }
}
