import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseAddress } from '@tc/registry';
import {
  CASE_NAMES,
  type CaseName,
  DEFAULTS,
  formatReport,
  type HostileOptions,
  isCaseName,
  type ProbeKind,
  runHostileSuite,
} from './index.js';

const USAGE = `tc-hostile: attack a running tc node as misbehaving peers and report what it did.

Usage: tc-hostile --target HOST:PORT --network ID --genesis HEX [options]

  --target HOST:PORT       the node's P2P address (required)
  --rpc HOST:PORT          its JSON-RPC address (rpc-slow is skipped without it)
  --network ID             its network id (required)
  --genesis HEX            its genesis hash, 64 hex characters (required)
  --cases a,b,...          cases to run (default all): ${CASE_NAMES.join(', ')}
  --factor N               honest p99 may grow to N × baseline p99 (default ${DEFAULTS.honestFactor})
  --floor MS               …or to this many ms, whichever is larger (default ${DEFAULTS.latencyFloorMs})
  --handshake-deadline MS  the node's handshake deadline (default ${DEFAULTS.handshakeDeadlineMs})
  --storm N                connections in the storm (default ${DEFAULTS.stormConnections})
  --flood N                requests in the flood (default ${DEFAULTS.floodRequests})
  --probe-kind KIND        getChainTip | ping | getPeers (default getChainTip)
  --probe-interval MS      pause between honest requests (default ${DEFAULTS.probeIntervalMs})
  --baseline MS            baseline window (default ${DEFAULTS.baselineMs})
  --never-reads-wait MS    how long the never-reading peer waits for a close (default ${DEFAULTS.neverReadsMaxWaitMs})
  --address-bans           also send the oversized prefix before the handshake (bans our address)
  --stolen-key HEX         public key to steal (default: the honest probe's)
  --bind ADDRESS           local address for the attack sockets
  --protocol-version N     protocol version to speak (default 1)
  --json FILE              also write the JSON report to FILE ("-" for stdout instead of the table)
  --quiet                  no progress lines
  -h, --help

Exit status: 0 all cases passed, 1 a case failed, 2 usage error or the honest peer could not connect.`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      target: { type: 'string' },
      network: { type: 'string' },
      genesis: { type: 'string' },
      cases: { type: 'string' },
      factor: { type: 'string' },
      floor: { type: 'string' },
      'handshake-deadline': { type: 'string' },
      storm: { type: 'string' },
      flood: { type: 'string' },
      'probe-kind': { type: 'string' },
      'probe-interval': { type: 'string' },
      baseline: { type: 'string' },
      'never-reads-wait': { type: 'string' },
      'address-bans': { type: 'boolean' },
      'stolen-key': { type: 'string' },
      rpc: { type: 'string' },
      bind: { type: 'string' },
      'protocol-version': { type: 'string' },
      json: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.target || !values.network || !values.genesis)
    throw new UsageError('--target, --network and --genesis are required');
  let target: { host: string; port: number };
  try {
    target = parseAddress(values.target);
  } catch (error) {
    throw new UsageError(`--target: ${(error as Error).message}`);
  }
  let rpc: { host: string; port: number } | undefined;
  try {
    rpc = values.rpc ? parseAddress(values.rpc) : undefined;
  } catch (error) {
    throw new UsageError(`--rpc: ${(error as Error).message}`);
  }
  const cases = values.cases
    ?.split(',')
    .map((c) => c.trim())
    .filter((c) => c.length > 0);
  for (const c of cases ?? [])
    if (!isCaseName(c)) throw new UsageError(`unknown case "${c}" (${CASE_NAMES.join(', ')})`);
  const probeKind = values['probe-kind'];
  if (probeKind !== undefined && !['getChainTip', 'ping', 'getPeers'].includes(probeKind)) {
    throw new UsageError(`--probe-kind must be getChainTip, ping or getPeers`);
  }
  const toJson = values.json === '-';
  const options: HostileOptions = {
    target,
    networkId: values.network,
    genesisHash: values.genesis,
    ...(rpc ? { rpc } : {}),
    ...(cases ? { cases: cases as CaseName[] } : {}),
    ...num('honestFactor', values.factor),
    ...num('latencyFloorMs', values.floor),
    ...num('handshakeDeadlineMs', values['handshake-deadline']),
    ...num('protocolVersion', values['protocol-version']),
    probe: {
      ...(probeKind ? { kind: probeKind as ProbeKind } : {}),
      ...num('intervalMs', values['probe-interval']),
      ...num('baselineMs', values.baseline),
    },
    storm: { ...num('connections', values.storm) },
    flood: { ...num('requests', values.flood) },
    neverReads: { ...num('maxWaitMs', values['never-reads-wait']) },
    oversized: { preHandshake: values['address-bans'] === true },
    ...(values['stolen-key'] ? { stolenPublicKey: values['stolen-key'] } : {}),
    ...(values.bind ? { localAddress: values.bind } : {}),
    ...(values.quiet || toJson ? {} : { onLog: (line: string) => process.stderr.write(`${line}\n`) }),
  };
  const report = await runHostileSuite(options);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (toJson) process.stdout.write(json);
  else {
    process.stdout.write(`${formatReport(report)}\n`);
    if (values.json) writeFileSync(values.json, json);
  }
  return report.passed ? 0 : 1;
}

class UsageError extends Error {
  readonly code = 'USAGE';
}

function num(key: string, value: string | undefined): Record<string, number> {
  if (value === undefined) return {};
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`${key}: not a number: ${value}`);
  return { [key]: n };
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const e = error as Error & { code?: string };
    process.stderr.write(`tc-hostile: ${e.message}\n`);
    if (e.code === 'USAGE' || e.name === 'TypeError') process.stderr.write(`\n${USAGE}\n`);
    process.exitCode = 2;
  },
);
