import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  HANDSHAKE_DOMAIN,
  handshakeSignedMessage,
  NodeIdentity,
  nodeIdFromPublicKey,
  verifySignature,
} from '../src/internal.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('identity', () => {
  it('node id = hex(sha256(raw public key)); the private key round-trips', () => {
    const id = NodeIdentity.generate();
    expect(id.publicKey.length).toBe(32);
    expect(id.nodeId).toBe(createHash('sha256').update(id.publicKey).digest('hex'));
    expect(nodeIdFromPublicKey(id.publicKey)).toBe(id.nodeId);
    const again = NodeIdentity.fromPrivateKey(id.exportPrivateKey());
    expect(again.nodeId).toBe(id.nodeId);
    const sig = id.sign(Buffer.from('hello'));
    expect(verifySignature(again.publicKey, Buffer.from('hello'), sig)).toBe(true);
    expect(verifySignature(again.publicKey, Buffer.from('hellp'), sig)).toBe(false);
    expect(verifySignature(new Uint8Array(31), Buffer.from('hello'), sig)).toBe(false);
  });

  it('loadOrCreate writes a 0600 key file once and reloads the same identity', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tc-registry-'));
    dirs.push(dir);
    const path = join(dir, 'sub', 'node.key');
    const first = await NodeIdentity.loadOrCreate(path);
    const second = await NodeIdentity.loadOrCreate(path);
    expect(second.nodeId).toBe(first.nodeId);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readFile(path, 'utf8')).trim()).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('handshake proof layout', () => {
  it('is "tc/handshake/v1" ‖ len ‖ network ‖ verifier nonce ‖ signer nonce ‖ signer key', () => {
    const v = new Uint8Array(32).fill(1);
    const s = new Uint8Array(32).fill(2);
    const k = new Uint8Array(32).fill(3);
    const bytes = handshakeSignedMessage('tc-main', v, s, k);
    expect(Buffer.from(bytes.subarray(0, 15)).toString('ascii')).toBe(HANDSHAKE_DOMAIN);
    expect(bytes[15]).toBe(7);
    expect(Buffer.from(bytes.subarray(16, 23)).toString()).toBe('tc-main');
    expect([...bytes.subarray(23, 55)]).toEqual([...v]);
    expect([...bytes.subarray(55, 87)]).toEqual([...s]);
    expect([...bytes.subarray(87, 119)]).toEqual([...k]);
    expect(bytes.length).toBe(119);
  });
});
