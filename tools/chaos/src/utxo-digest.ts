import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { genesisHashHex, readGenesisFile } from '@tc/node';
import { type ChainStore, openChainStore } from '@tc/storage';

/** One stopped node's UTXO set, at a height every node has. */
export interface UtxoDigest {
  readonly node: number;
  /** The store's tip when opened. */
  readonly storedHeight: number;
  /** Blocks above the common height rolled back (produced while the nodes were stopping). */
  readonly rolledBack: number;
  readonly height: number;
  readonly hash: string;
  readonly utxos: number;
  /** SHA-256 over every (txid, vout, value, recipient, height) in key order. */
  readonly digest: string;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export interface DigestOptions {
  readonly genesisFile: string;
  readonly datadirs: readonly string[];
  /** Most blocks a node may be above the others and still be compared (rolled back). */
  readonly maxRollback: number;
  /**
   * Called with node 0's store at the common height, before it closes (for lookups such as
   * "is this outpoint still unspent").
   */
  readonly inspect?: (store: ChainStore) => void;
}

function digestOf(store: ChainStore): { utxos: number; digest: string } {
  const h = createHash('sha256');
  const buf = Buffer.alloc(16);
  const utxos = store.forEachUtxo((o, u) => {
    h.update(o.txid);
    buf.writeUInt32BE(o.vout, 0);
    buf.writeBigUInt64BE(u.value, 4);
    buf.writeUInt32BE(u.height, 12);
    h.update(buf);
    h.update(u.recipient);
  });
  return { utxos, digest: h.digest('hex') };
}

/**
 * Opens every stopped node's chain store with @tc/storage, finds the highest height all of them
 * have, checks they have the same block there, rolls back (storage's own undo data) any node above
 * it by at most `maxRollback` blocks, and digests each UTXO set. Throws on a store above the
 * common height by more than `maxRollback`, or on different blocks at the common height.
 */
export async function utxoDigests(o: DigestOptions): Promise<UtxoDigest[]> {
  const genesis = readGenesisFile(o.genesisFile);
  const genesisHash = Buffer.from(genesisHashHex(genesis), 'hex');
  const stores: ChainStore[] = [];
  try {
    for (const d of o.datadirs) {
      stores.push(
        await openChainStore({ path: join(d, 'chain'), networkId: genesis.networkId, genesisHash }),
      );
    }
    const tips = stores.map((s) => s.getTip()?.height ?? 0);
    const common = Math.min(...tips);
    const hashes = stores.map((s) => hex(s.getBlockHash(common) ?? new Uint8Array()));
    if (new Set(hashes).size !== 1) {
      throw new Error(
        `the stopped nodes have different blocks at height ${common}: ${hashes.map((x) => x.slice(0, 12)).join(' ')}`,
      );
    }
    const out: UtxoDigest[] = [];
    stores.forEach((s, i) => {
      const stored = tips[i] as number;
      if (stored - common > o.maxRollback) {
        throw new Error(
          `node ${i} is ${stored - common} blocks above the others (more than ${o.maxRollback})`,
        );
      }
      if (stored > common) s.rollbackTo(common);
      out.push({
        node: i,
        storedHeight: stored,
        rolledBack: stored - common,
        height: common,
        hash: hashes[i] as string,
        ...digestOf(s),
      });
    });
    if (o.inspect && stores[0]) o.inspect(stores[0]);
    return out;
  } finally {
    await Promise.all(stores.map((s) => s.close().catch(() => undefined)));
  }
}
