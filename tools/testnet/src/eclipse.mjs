#!/usr/bin/env node
// The eclipse attempt (run inside the attacker's own namespace): many identities from one
// address try to fill a victim's connection slots for a while. Prints one JSON line of counts.
import { parseArgs } from 'node:util';
import { NodeIdentity, PeerConnectionRegistry } from '@tc/registry';

const { values } = parseArgs({
  options: {
    target: { type: 'string' },
    network: { type: 'string' },
    genesis: { type: 'string' },
    identities: { type: 'string', default: '64' },
    seconds: { type: 'string', default: '30' },
  },
});
const count = Number(values.identities);
const endAt = Date.now() + Number(values.seconds) * 1_000;
const registries = Array.from(
  { length: count },
  () =>
    new PeerConnectionRegistry({
      identity: NodeIdentity.generate(),
      networkId: values.network,
      genesisHash: Buffer.from(values.genesis, 'hex'),
      listen: false,
      discovery: false,
      limits: { closeTimeoutMs: 500 },
    }),
);
let dials = 0;
let admitted = 0;
let refused = 0;
let maxHeld = 0;
await Promise.all(registries.map((r) => r.start()));
// Every identity keeps (re)dialling while the attack lasts: bounded by count and by time.
await Promise.all(
  registries.map(async (r) => {
    while (Date.now() < endAt) {
      if (r.peers().length === 0) {
        dials++;
        try {
          await r.dial(values.target, { signal: AbortSignal.timeout(5_000) });
          admitted++;
        } catch {
          refused++;
        }
      }
      maxHeld = Math.max(maxHeld, registries.filter((x) => x.peers().length > 0).length);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }),
);
await Promise.all(registries.map((r) => r.stop()));
process.stdout.write(`${JSON.stringify({ identities: count, dials, admitted, refused, maxHeld })}\n`);
