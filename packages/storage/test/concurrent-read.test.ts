import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { forkBranch, SyntheticChain } from './fixtures/synthetic-chain.mjs';
import { openTestStore, TempDirs } from './helpers.js';

const READER = fileURLToPath(new URL('./fixtures/snapshot-reader.mjs', import.meta.url));
const temp = new TempDirs();
afterAll(() => temp.cleanup());

describe('concurrent readers', () => {
  it('a reader in another process never sees a half-applied block, during commits, batches, rollbacks and reorgs', async () => {
    const chain = new SyntheticChain({ seed: 61, txsPerBlock: 8 });
    const dir = temp.make();
    const store = await openTestStore(dir, chain);
    store.commitBlock(chain.at(0));
    const child = spawn(process.execPath, [READER, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    let output = '';
    const tipsSeen = new Set<string>();
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      for (const m of output.matchAll(/^tip (\d+)$/gm)) tipsSeen.add(m[1]!);
    });
    const turn = () => new Promise((r) => setTimeout(r, 1));
    try {
      let height = 0;
      // Commit until the reader has observed 40 different tips (bounded by 3 000 blocks).
      while (tipsSeen.size < 40 && height < 3_000 && !output.includes('FAIL')) {
        height++;
        if (height % 3 === 0) {
          store.commitBlocks([chain.at(height), chain.at(height + 1), chain.at(height + 2)]);
          height += 2;
        } else {
          store.commitBlock(chain.at(height));
        }
        if (height % 7 === 0) {
          store.rollbackTo(height - 5);
          for (let h = height - 4; h <= height; h++) store.commitBlock(chain.at(h));
        } else if (height % 5 === 0) {
          const fork = forkBranch(chain, height - 3, height);
          store.reorg({ toHeight: height - 4, commits: fork });
          await turn();
          store.reorg({ toHeight: height - 4, commits: [1, 2, 3, 4].map((i) => chain.at(height - 4 + i)) });
        }
        await turn();
      }
    } finally {
      child.stdin.end('stop\n');
      await exited;
      await store.close();
    }
    console.log(`reader: ${tipsSeen.size} tips, ${output.match(/done (\d+)/)?.[1]} snapshots`);
    expect(output).not.toContain('FAIL');
    expect(output).toMatch(/done \d+/);
    expect(tipsSeen.size).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
