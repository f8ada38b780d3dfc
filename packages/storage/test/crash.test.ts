import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  forkBranch,
  hex,
  inputOfBlockBytes,
  makeRng,
  replayUtxos,
  SyntheticChain,
} from './fixtures/synthetic-chain.mjs';
import { expectIndexMatchesScan, openTestStore, storeUtxos, TempDirs } from './helpers.js';

const WRITER = fileURLToPath(new URL('./fixtures/crash-writer.mjs', import.meta.url));
const BUILT = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const KILLS = 32;
const SEED = 51;
const MAX_HEIGHT = 6_000;

const temp = new TempDirs();
afterAll(() => temp.cleanup());

/** Starts the writer; resolves once it printed "ready" (it is committing from then on). */
function startWriter(dir: string): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [WRITER, dir, String(SEED), String(MAX_HEIGHT)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('writer did not start within 10 s')), 10_000);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) {
        clearTimeout(timer);
        resolve({ child, exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`writer exited early (${code}): ${stderr}`));
    });
  });
}

describe('crash safety', () => {
  it(`SIGKILL during commits, batches and reorgs ${KILLS} times: every reopen sees a whole chain, wholly before or after each reorg`, async () => {
    // The writer runs the built package (turbo builds before test).
    expect(existsSync(BUILT), `${BUILT} is missing: run pnpm turbo build --filter @tc/storage`).toBe(true);
    const dir = temp.make('tc-storage-crash-');
    const chain = new SyntheticChain({ seed: SEED, txsPerBlock: 5 });
    const rng = makeRng(SEED);
    const started = Date.now();
    let lastTip = -1;
    let kills = 0;
    let onFork = 0;
    for (let round = 0; round < KILLS && Date.now() - started < 75_000; round++) {
      const { child, exited } = await startWriter(dir);
      await new Promise((r) => setTimeout(r, 5 + Math.floor(rng() * 120)));
      child.kill('SIGKILL');
      await exited;
      kills++;

      const store = await openTestStore(dir, chain);
      try {
        const tip = store.getTip();
        expect(tip).toBeDefined();
        const height = tip!.height;
        // Reorgs are atomic and never lower the tip: it only grows.
        expect(height).toBeGreaterThanOrEqual(lastTip);
        lastTip = height;
        // Wholly before or after each reorg: either every block is the main chain's, or the tip is
        // a cycle end h (h % 25 === 24) and exactly blocks h-2..h are the fork branch's.
        const fork = height % 25 === 24 && height >= 24 ? forkBranch(chain, height - 2, height) : [];
        const forkTip = fork.length > 0 && hex(store.getBlockHash(height)!) === hex(fork[2]!.hash);
        if (forkTip) onFork++;
        // The tip block and every block below it are present and link up.
        const inputs = [];
        for (let h = 0; h <= height; h++) {
          const bytes = store.getBlockBytesAt(h);
          expect(bytes, `block ${h} of ${height}`).toBeDefined();
          const input = inputOfBlockBytes(bytes!);
          expect(input.height).toBe(h);
          expect(hex(input.hash)).toBe(hex(store.getBlockHash(h)!));
          const expected = forkTip && h >= height - 2 ? fork[h - (height - 2)]! : chain.at(h);
          expect(hex(input.hash), `block ${h} of ${height} (fork tip: ${forkTip})`).toBe(hex(expected.hash));
          if (h > 0) expect(hex(input.prevHash)).toBe(hex(inputs[h - 1]!.hash));
          inputs.push(input);
        }
        expect(hex(tip!.hash)).toBe(hex(inputs[height]!.hash));
        // The UTXO set equals a replay of the stored chain.
        expect(storeUtxos(store)).toEqual(replayUtxos(inputs));
        // The address index equals a scan of that UTXO set.
        expectIndexMatchesScan(store);
        // No partial block: every table holds exactly the stored chain, nothing above the tip.
        const txCount = inputs.reduce((n, b) => n + b.txs.length, 0);
        expect(store.stats()).toMatchObject({
          blocks: height + 1,
          headers: height + 1,
          heights: height + 1,
          undo: height + 1,
          txIndex: txCount,
          addrIndex: store.stats().utxos,
        });
        expect(store.getBlockHash(height + 1)).toBeUndefined();
        for (const tx of inputs[height]!.txs) expect(store.getTxLocation(tx.txid)?.height).toBe(height);
      } finally {
        await store.close();
      }
    }
    expect(kills).toBe(KILLS);
    expect(lastTip).toBeGreaterThan(0);
    console.log(
      `crash test: ${kills} kills (${onFork} found the store on a fork branch), final tip ${lastTip}, ${Date.now() - started} ms`,
    );
  }, 90_000);
});
