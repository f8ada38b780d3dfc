import { bytesEqual, toHex } from './bytes.js';
import { addressOf } from './canonical.js';
import type { ChainStateView, HeaderRef, UtxoEntry, UtxoSource } from './chain-state.js';
import { type StatefulErrorCode, StatefulValidationError } from './errors.js';
import type { GenesisConfig } from './genesis.js';
import type { BlockData, BlockHeaderData, Outpoint, TransactionData, TxOutputData } from './model.js';
import { outpointKey } from './model.js';
import { attemptAt, leaderFor } from './schedule.js';
import type { StatelessBlockResult } from './stateless.js';

function fail(code: StatefulErrorCode, message: string, txIndex?: number, inputIndex?: number): never {
  throw new StatefulValidationError(code, message, { txIndex, inputIndex });
}

/**
 * The effect of a valid block on the chain state: exactly what a storage commit needs, plus
 * the spent outputs (undo data for a later reorg). Outputs created and spent inside the same
 * block appear in neither `creates` nor `spends`.
 */
export interface BlockPlan {
  readonly height: number;
  readonly hash: Uint8Array;
  readonly prevHash: Uint8Array;
  readonly timestampMs: number;
  /** Encoded block as received (protobuf); storage keeps these bytes. */
  readonly blockBytes: Uint8Array;
  readonly txs: readonly { readonly txid: Uint8Array; readonly index: number }[];
  readonly spends: readonly Outpoint[];
  readonly creates: readonly { readonly outpoint: Outpoint; readonly output: TxOutputData }[];
  /** The UTXOs `spends` consumed, in the same order (undo data). */
  readonly spentOutputs: readonly UtxoEntry[];
  /** Sum of the fees of the non-coinbase transactions. */
  readonly fees: bigint;
  readonly reward: bigint;
}

/**
 * Finds the parent of a header on the main chain. The tip: returned. A known main-chain block
 * that is not the tip: PARENT_NOT_TIP (fork choice, later). Otherwise UNKNOWN_PARENT (sync).
 */
export async function resolveParent(view: ChainStateView, header: BlockHeaderData): Promise<HeaderRef> {
  const tip = await view.getTip();
  if (bytesEqual(tip.hash, header.prevHash)) return tip;
  if (header.height >= 1) {
    const atHeight = await view.getHeaderAtHeight(header.height - 1);
    if (atHeight && bytesEqual(atHeight.hash, header.prevHash)) {
      fail(
        'PARENT_NOT_TIP',
        `parent ${toHex(header.prevHash)} is at height ${atHeight.height}, tip is ${tip.height}`,
      );
    }
  }
  return fail('UNKNOWN_PARENT', `parent ${toHex(header.prevHash)} is unknown`);
}

/** Header rules against a given parent: height, timestamp window, attempt and leader. */
export function checkHeaderAgainstParent(
  header: BlockHeaderData,
  parent: HeaderRef,
  genesis: GenesisConfig,
  nowMs: number,
): void {
  if (!bytesEqual(header.prevHash, parent.hash)) fail('UNKNOWN_PARENT', 'prev hash is not the given parent');
  if (header.height !== parent.height + 1)
    fail('BAD_HEIGHT', `height ${header.height}, parent ${parent.height}`);
  if (header.timestampMs > nowMs + genesis.futureToleranceMs) {
    fail(
      'FUTURE_TIMESTAMP',
      `timestamp ${header.timestampMs} is beyond now ${nowMs} + ${genesis.futureToleranceMs}`,
    );
  }
  const attempt = attemptAt(genesis, parent.timestampMs, header.timestampMs);
  if (attempt === undefined) {
    fail(
      'TIMESTAMP_TOO_OLD',
      `timestamp ${header.timestampMs} is before parent ${parent.timestampMs} + slot`,
    );
  }
  if (attempt !== header.leaderAttempt) {
    fail('BAD_LEADER_ATTEMPT', `attempt ${header.leaderAttempt}, timestamp implies ${attempt}`);
  }
  if (!bytesEqual(leaderFor(genesis, header.height, attempt), header.producerPublicKey)) {
    fail('WRONG_LEADER', `producer is not the leader of height ${header.height} attempt ${attempt}`);
  }
}

/**
 * Checks a non-coinbase transaction against the outputs it spends (given in input order):
 * keys match recipients and value is conserved. Returns the fee.
 */
export function checkSpends(
  tx: TransactionData,
  spent: readonly (UtxoEntry | undefined)[],
  txIndex?: number,
): bigint {
  let totalIn = 0n;
  tx.inputs.forEach((input, i) => {
    const entry = spent[i];
    if (!entry)
      fail(
        'MISSING_OR_SPENT_INPUT',
        `${outpointKey(input.prevTxid, input.vout)} is missing or spent`,
        txIndex,
        i,
      );
    if (!bytesEqual(addressOf(input.publicKey), entry.recipient)) {
      fail('INPUT_KEY_MISMATCH', `input ${i} key does not own the output`, txIndex, i);
    }
    totalIn += entry.value;
  });
  let totalOut = 0n;
  for (const output of tx.outputs) totalOut += output.value;
  if (totalOut > totalIn)
    fail('VALUE_NOT_CONSERVED', `outputs ${totalOut} exceed inputs ${totalIn}`, txIndex);
  return totalIn - totalOut;
}

/**
 * UTXO rules for a stateless-valid block on top of `parent`: every input exists and is
 * unspent (in `utxos`, or created by an earlier transaction of the same block), keys own
 * the outputs, values are conserved and the coinbase pays exactly reward + fees.
 */
export async function planBlock(
  block: BlockData,
  stateless: StatelessBlockResult,
  utxos: UtxoSource,
  genesis: GenesisConfig,
  blockBytes: Uint8Array,
): Promise<BlockPlan> {
  const { txs } = block;
  const position = new Map<string, number>();
  stateless.txids.forEach((id, i) => {
    position.set(toHex(id), i);
  });

  // Which inputs come from the store, which from earlier transactions in this block.
  const fromStore: Outpoint[] = [];
  for (let i = 1; i < txs.length; i++) {
    txs[i]!.inputs.forEach((input, j) => {
      const at = position.get(toHex(input.prevTxid));
      if (at === undefined) fromStore.push({ txid: input.prevTxid, vout: input.vout });
      else if (at >= i) {
        fail('MISSING_OR_SPENT_INPUT', `input spends an output of a later transaction ${at}`, i, j);
      }
    });
  }
  const stored = await utxos.getUtxos(fromStore);
  if (stored.length !== fromStore.length)
    throw new Error('UtxoSource.getUtxos returned the wrong number of entries');

  const inBlock = new Map<string, TxOutputData>();
  const spentInBlock = new Set<string>();
  const spends: Outpoint[] = [];
  const spentOutputs: UtxoEntry[] = [];
  let storeIndex = 0;
  let fees = 0n;
  for (let i = 0; i < txs.length; i++) {
    const tx = txs[i]!;
    if (i > 0) {
      const entries = tx.inputs.map((input) => {
        if (position.has(toHex(input.prevTxid))) {
          const key = outpointKey(input.prevTxid, input.vout);
          spentInBlock.add(key);
          return inBlock.get(key);
        }
        const entry = stored[storeIndex++];
        if (entry) {
          spends.push({ txid: input.prevTxid, vout: input.vout });
          spentOutputs.push(entry);
        }
        return entry;
      });
      fees += checkSpends(tx, entries, i);
    }
    tx.outputs.forEach((output, vout) => {
      inBlock.set(outpointKey(stateless.txids[i]!, vout), output);
    });
  }

  let paid = 0n;
  for (const output of txs[0]!.outputs) paid += output.value;
  const due = genesis.blockReward + fees;
  if (paid > due) fail('COINBASE_OVERPAYS', `coinbase pays ${paid}, reward + fees is ${due}`, 0);
  if (paid < due) fail('COINBASE_UNDERPAYS', `coinbase pays ${paid}, reward + fees is ${due}`, 0);

  const creates: { outpoint: Outpoint; output: TxOutputData }[] = [];
  stateless.txids.forEach((id, i) => {
    txs[i]!.outputs.forEach((output, vout) => {
      if (!spentInBlock.has(outpointKey(id, vout))) creates.push({ outpoint: { txid: id, vout }, output });
    });
  });
  const h = block.header;
  return {
    height: h.height,
    hash: stateless.hash,
    prevHash: h.prevHash,
    timestampMs: h.timestampMs,
    blockBytes,
    txs: stateless.txids.map((txid, index) => ({ txid, index })),
    spends,
    creates,
    spentOutputs,
    fees,
    reward: genesis.blockReward,
  };
}

/** All stateful rules against an explicit parent and UTXO source (the ChainManager-friendly form). */
export async function validateBlockStateful(args: {
  block: BlockData;
  stateless: StatelessBlockResult;
  parent: HeaderRef;
  utxos: UtxoSource;
  genesis: GenesisConfig;
  nowMs: number;
  blockBytes: Uint8Array;
}): Promise<BlockPlan> {
  checkHeaderAgainstParent(args.block.header, args.parent, args.genesis, args.nowMs);
  return planBlock(args.block, args.stateless, args.utxos, args.genesis, args.blockBytes);
}
