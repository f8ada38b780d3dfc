import { expectPublicApiDocumented } from '@tc/test-utils';
import { describe, expect, it } from 'vitest';

// Names the repository's tools (load, testnet, chaos) import from @tc/node: the narrowed face
// must keep them.
const TOOL_IMPORTS = [
  'addressOfPublicKey',
  'buildSignedTransaction',
  'CONFIG_FILE_NAME',
  'createDevnetGenesis',
  'freePort',
  'GENESIS_FILE_NAME',
  'generateNodeKey',
  'genesisHashHex',
  'initDatadir',
  'layoutDevnet',
  'readGenesisFile',
  'RpcCallError',
  'RpcClient',
  'rpcUrl',
  'toHex',
  'TxBuildError',
];

describe('README "Public API" matches src/index.ts', () => {
  it('lists every public export, and only those', async () => {
    const { exported } = expectPublicApiDocumented(
      new URL('..', import.meta.url),
      await import('../src/index.js'),
    );
    // What the repository's tools import from @tc/node stays public.
    for (const name of TOOL_IMPORTS) expect(exported, name).toContain(name);
  });
});
