import { bytesEqual } from '../bytes.js';
import type { ChainManager } from '../chain/chain-manager.js';
import type { AcceptOutcome } from '../chain/chain-types.js';
import type { GenesisConfig } from '../genesis.js';
import type { KeyPair } from '../keys.js';
import { Signer } from '../keys.js';
import type { Mempool } from '../mempool.js';
import { type BuiltBlock, buildBlock } from '../producer.js';
import { attemptAt, attemptStart, nextTurn } from '../schedule.js';

export interface ProductionLoopOptions {
  chain: ChainManager;
  genesis: GenesisConfig;
  mempool: Mempool;
  key: KeyPair;
  now?: () => number;
  /** Checked at each turn; false skips it (e.g. while syncing far behind). Default: always. */
  shouldProduce?: () => boolean;
  /** A block we produced was connected. */
  onProduced: (built: BuiltBlock, outcome: AcceptOutcome) => void;
  /** A block we produced passed every rule, before its commit: announce it now. */
  onValid?: (built: BuiltBlock) => void;
}

/**
 * Produces blocks on our turns: for the child of the tip, the next attempt we lead
 * (`nextTurn`); at its start we build, connect through the chain manager like any block and
 * hand it to `onProduced`. Any tip change reschedules. One unref'd timer at a time.
 */
export class ProductionLoop {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private busy = false;
  private failed: { parentHash: Uint8Array; attempt: number } | undefined;
  private readonly signer: Signer;
  private readonly now: () => number;
  produced = 0;

  constructor(private readonly o: ProductionLoopOptions) {
    this.signer = new Signer(o.key);
    this.now = o.now ?? Date.now;
  }

  /** Whether our key is in the validator set at all. */
  get isValidator(): boolean {
    return this.o.genesis.validators.some((v) => bytesEqual(v, this.o.key.publicKey));
  }

  get active(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running || !this.isValidator) return;
    this.running = true;
    this.reschedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Recomputes our next turn from the current tip (called on every tip change). */
  reschedule(): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    const parent = this.o.chain.tipHeader();
    const now = this.now();
    let turn = nextTurn(this.o.genesis, parent, this.o.key.publicKey, now);
    const failed = this.failed;
    if (turn && failed && failed.attempt === turn.attempt && bytesEqual(failed.parentHash, parent.hash)) {
      // Our block for this attempt was refused: wait for our next attempt, never spin.
      const after = attemptStart(this.o.genesis, parent.timestampMs, turn.attempt + 1);
      turn = nextTurn(this.o.genesis, parent, this.o.key.publicKey, Math.max(now, after));
    }
    const delay = turn ? Math.max(0, turn.atMs - now) : this.o.genesis.leaderTimeoutMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (turn) void this.produce(parent.hash, turn.attempt);
      else this.reschedule();
    }, delay);
    this.timer.unref();
  }

  private async produce(parentHash: Uint8Array, attempt: number): Promise<void> {
    if (!this.running || this.busy) return;
    if (this.o.shouldProduce && !this.o.shouldProduce()) {
      this.failed = { parentHash, attempt };
      this.reschedule();
      return;
    }
    const parent = this.o.chain.tipHeader();
    const now = this.now();
    if (
      !bytesEqual(parent.hash, parentHash) ||
      attemptAt(this.o.genesis, parent.timestampMs, now) !== attempt
    ) {
      this.reschedule();
      return;
    }
    this.busy = true;
    this.failed = { parentHash: parent.hash, attempt };
    try {
      const built = buildBlock({
        parent,
        mempool: this.o.mempool,
        producerKey: this.signer,
        attempt,
        nowMs: now,
        genesis: this.o.genesis,
      });
      const onValid = this.o.onValid;
      const outcome = await this.o.chain.acceptAnnouncedBlock(
        built.bytes,
        undefined,
        onValid && (() => onValid(built)),
      );
      if (outcome.status === 'connected') {
        this.produced++;
        this.failed = undefined;
        this.o.onProduced(built, outcome);
      } else {
        this.failed = { parentHash: parent.hash, attempt };
      }
    } catch {
      // building failed (a bug or a closed store): skip this turn, the next one retries
    } finally {
      this.busy = false;
      this.reschedule();
    }
  }
}
