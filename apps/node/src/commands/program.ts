import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { addressOfPublicKey, buildSignedTransaction } from '../chain/seams.js';
import { loadConfig } from '../config/load.js';
import { LOG_FORMATS, LOG_LEVELS, NETWORKS, type Network } from '../config/schema.js';
import { NODE_VERSION, runNode } from '../daemon/run-node.js';
import { formatSummary, runDevnet } from '../devnet/supervisor.js';
import { progressBar } from '../devnet/view.js';
import { EXIT_FAILURE } from '../exit-codes.js';
import { generateNodeKey, readKeyFile, toHex, writeKeyFile } from '../keys.js';
import type { BlockchainInfo, MempoolInfo, NetworkInfo, PeerInfo } from '../rpc/api.js';
import {
  collect,
  flag,
  type Io,
  numberOrRaw,
  processIo,
  type RpcTargetOptions,
  rpcClientFor,
  UsageError,
} from './common.js';
import { initDatadir } from './init.js';

function positiveInt(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}`);
    }
    return n;
  };
}

function amount(value: string): bigint {
  if (!/^\d{1,20}$/.test(value.trim()))
    throw new InvalidArgumentError('must be a whole number of coins (u64)');
  const v = BigInt(value.trim());
  if (v >= 1n << 64n) throw new InvalidArgumentError('must fit in 64 bits');
  return v;
}

/** A transfer of nothing is a bad command line (64), not a failed command. */
function positiveAmount(value: string): bigint {
  const v = amount(value);
  if (v === 0n) throw new InvalidArgumentError('must be at least 1');
  return v;
}

function addRpcTarget(cmd: Command): Command {
  return cmd
    .option('--rpc-url <URL>', "node RPC URL (default: from the node's config)")
    .option('--rpc-token <TOKEN>', 'RPC bearer token (default: $TC_RPC_AUTH_TOKEN or rpc.authToken)')
    .option('--rpc-timeout <MS>', 'RPC timeout in ms', positiveInt('--rpc-timeout', 1, 600_000), 5000)
    .option('--config <FILE>', 'config file to read the RPC address from')
    .option('--datadir <DIR>', 'data directory to read the RPC address from');
}

/** The `tc-node` command tree. Actions throw; cli.ts maps errors to exit codes. */
export function buildProgram(io: Io = processIo): Command {
  // exitOverride first: subcommands copy the setting when they are created.
  const program = new Command('tc-node')
    .exitOverride()
    .description('tc peer-to-peer blockchain node')
    .version(NODE_VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });

  program
    .command('init')
    .description(
      'create a data directory: node key, config file and (devnet) a genesis with its validator set',
    )
    .addOption(new Option('--network <NETWORK>', 'network').choices(NETWORKS).default('devnet'))
    .option('--datadir <DIR>', 'data directory (default ~/.tc/<network>)')
    .option('--port <N>', 'p2p port to write into the config', numberOrRaw)
    .option('--rpc-port <N>', 'RPC port to write into the config', numberOrRaw)
    .option('--peer <HOST:PORT>', 'a peer to write into the config (repeatable)', collect)
    .option(
      '--validator <PUBKEY>',
      'devnet: another validator public key (hex) for the genesis (repeatable)',
      collect,
    )
    .option(
      '--validators <N>',
      'devnet: validators in the genesis, this node included; the others get new keys in <datadir>/validator-keys/',
      positiveInt('--validators', 1, 64),
      1,
    )
    .option('--force', 'replace an existing key and config', false)
    .action((opts) => {
      const network = opts.network as Network;
      const flags: Record<string, { value: unknown; flag: string }> = {};
      flag(flags, 'network', network, '--network');
      flag(flags, 'datadir', opts.datadir, '--datadir');
      const datadir = opts.datadir ? resolve(opts.datadir) : loadConfig({ flags, env: {} }).config.datadir;
      const r = initDatadir({
        network,
        datadir,
        ...(opts.port !== undefined ? { p2pPort: opts.port } : {}),
        ...(opts.rpcPort !== undefined ? { rpcPort: opts.rpcPort } : {}),
        ...(opts.peer ? { peers: opts.peer } : {}),
        ...(opts.validator
          ? { extraValidators: (opts.validator as string[]).map((v) => v.toLowerCase()) }
          : {}),
        generateValidators: (opts.validators as number) - 1,
        force: opts.force,
      });
      io.out(`initialised ${r.datadir} (${network})`);
      io.out(`  key:       ${r.keyFile}`);
      io.out(`  config:    ${r.configFile}`);
      if (r.genesisFile) io.out(`  genesis:   ${r.genesisFile}`);
      for (const f of r.validatorKeyFiles) io.out(`  validator: ${f}`);
      io.out(`  publicKey: ${r.publicKey}`);
      io.out(`  address:   ${r.address}`);
    });

  program
    .command('keygen')
    .description('create an Ed25519 key file (mode 0600) and print its public key and address')
    .option('--out <FILE>', 'key file to write', 'tc-key.json')
    .option('--force', 'replace an existing file', false)
    .action((opts) => {
      const key = generateNodeKey();
      const file = resolve(opts.out);
      writeKeyFile(file, key, { force: opts.force });
      io.out(
        JSON.stringify({ file, publicKey: toHex(key.publicKey), address: addressOfPublicKey(key.publicKey) }),
      );
    });

  program
    .command('start')
    .description('run the node daemon (SIGINT/SIGTERM stop it cleanly)')
    .option('--config <FILE>', 'config file (JSON); default $TC_CONFIG or <datadir>/config.json')
    .option('--datadir <DIR>', 'data directory')
    .addOption(new Option('--network <NETWORK>', 'network').choices(NETWORKS))
    .option('--port <N>', 'p2p listen port', numberOrRaw)
    .option('--p2p-host <HOST>', 'p2p listen address')
    .option('--peer <HOST:PORT>', 'peer to connect to (repeatable; replaces p2p.peers)', collect)
    .option('--rpc-port <N>', 'JSON-RPC / metrics / health port', numberOrRaw)
    .option('--rpc-host <HOST>', 'JSON-RPC bind address (non-loopback needs rpc.authToken)')
    .addOption(new Option('--log-level <LEVEL>', 'log level').choices(LOG_LEVELS))
    .addOption(new Option('--log-format <FORMAT>', 'log format').choices(LOG_FORMATS))
    .addOption(new Option('--stop-with-parent', 'shut down when stdin closes (used by devnet)').hideHelp())
    .action(async (opts) => {
      const flags: Record<string, { value: unknown; flag: string }> = {};
      flag(flags, 'datadir', opts.datadir, '--datadir');
      flag(flags, 'network', opts.network, '--network');
      flag(flags, 'p2p.port', opts.port, '--port');
      flag(flags, 'p2p.host', opts.p2pHost, '--p2p-host');
      flag(flags, 'p2p.peers', opts.peer, '--peer');
      flag(flags, 'rpc.port', opts.rpcPort, '--rpc-port');
      flag(flags, 'rpc.host', opts.rpcHost, '--rpc-host');
      flag(flags, 'log.level', opts.logLevel, '--log-level');
      flag(flags, 'log.format', opts.logFormat, '--log-format');
      const loaded = loadConfig({ ...(opts.config ? { configFile: opts.config } : {}), flags });
      for (const w of loaded.warnings) io.err(`tc-node: warning: ${w}`);
      const node = await runNode(loaded.config, {
        stopOnStdinEnd: opts.stopWithParent === true,
        sources: loaded.sources,
      });
      await node.stopped; // the coordinator exits the process
    });

  program
    .command('devnet')
    .description('run N local validator nodes as child processes with a live view; Ctrl-C stops them all')
    .option('--nodes <N>', 'number of nodes', positiveInt('--nodes', 1, 16), 4)
    .option(
      '--tx-rate <N>',
      'transactions per second to generate (0: none)',
      positiveInt('--tx-rate', 0, 1000),
      1,
    )
    .option(
      '--duration <S>',
      'stop after S seconds and print a summary',
      positiveInt('--duration', 1, 86_400),
    )
    .option('--dir <DIR>', 'devnet directory (recreated on every run)', '.tc-devnet')
    .option('--base-port <N>', 'first port (default: free ports)', positiveInt('--base-port', 1024, 65_000))
    .option(
      '--slot-ms <MS>',
      'slot time of the devnet genesis',
      positiveInt('--slot-ms', 50, 3_600_000),
      1000,
    )
    .action(async (opts) => {
      const summary = await runDevnet({
        nodes: opts.nodes,
        txRate: opts.txRate,
        ...(opts.duration !== undefined ? { durationS: opts.duration } : {}),
        dir: opts.dir,
        ...(opts.basePort !== undefined ? { basePort: opts.basePort } : {}),
        slotMs: opts.slotMs,
        io,
      });
      for (const line of formatSummary(summary)) io.out(line);
      if (!summary.tipsAgree || !summary.cleanExit) process.exitCode = EXIT_FAILURE;
    });

  addRpcTarget(
    program
      .command('status')
      .description("print a node's state through RPC (chain, sync, peers, mempool)")
      .option('--json', 'print JSON', false),
  ).action(async (opts: RpcTargetOptions & { json: boolean }) => {
    const rpc = rpcClientFor(opts, (line) => io.err(line));
    const [chain, peers, mempool, network] = await Promise.all([
      rpc.call<BlockchainInfo>('getblockchaininfo'),
      rpc.call<PeerInfo[]>('getpeerinfo'),
      rpc.call<MempoolInfo>('getmempoolinfo'),
      rpc.call<NetworkInfo>('getnetworkinfo'),
    ]);
    if (opts.json) {
      io.out(JSON.stringify({ chain, peers, mempool, network }, null, 2));
      return;
    }
    io.out(`node      ${network.nodeId} (${network.agent}) at ${rpc.url}`);
    io.out(`network   ${chain.network}  genesis ${chain.genesisHash}`);
    io.out(`height    ${chain.height}  best ${chain.bestBlockHash}`);
    io.out(
      chain.sync.state === 'syncing'
        ? `sync      syncing ${progressBar(chain.sync.progress)} ${chain.height}/${chain.sync.targetHeight}`
        : `sync      ${chain.sync.state} (target ${chain.sync.targetHeight})`,
    );
    io.out(`mempool   ${mempool.size} txs, ${mempool.bytes} bytes (max ${mempool.maxTxs})`);
    io.out(
      `peers     ${peers.length} (in ${network.connections.inbound}, out ${network.connections.outbound})`,
    );
    for (const p of peers) {
      io.out(
        `  ${p.id.slice(0, 16)} ${p.address} ${p.direction} height ${p.height} rtt ${p.rttMs === null ? '-' : `${p.rttMs.toFixed(1)} ms`} score ${p.score}`,
      );
    }
  });

  const tx = program.command('tx').description('transactions');
  addRpcTarget(
    tx
      .command('send')
      .description('sign a transfer with a key file and submit it through RPC')
      .requiredOption('--from <KEYFILE>', 'key file of the sender')
      .requiredOption('--to <ADDRESS>', 'recipient address (64 hex)')
      .requiredOption('--amount <N>', 'amount to send (at least 1)', positiveAmount)
      // No default value here: commander prints defaults in --help with JSON.stringify, which
      // throws on a bigint (`tx send --help` crashed).
      .option('--fee <N>', 'fee (default: 0)', amount),
  ).action(async (opts: RpcTargetOptions & { from: string; to: string; amount: bigint; fee?: bigint }) => {
    if (!/^[0-9a-fA-F]{64}$/.test(opts.to))
      throw new UsageError(`--to must be a 64-hex address, got ${opts.to}`);
    const { key, insecurePermissions } = readKeyFile(resolve(opts.from));
    if (insecurePermissions)
      io.err(`tc-node: warning: ${opts.from} is readable by other users (chmod 600 it)`);
    const rpc = rpcClientFor(opts, (line) => io.err(line));
    const signed = await buildSignedTransaction({
      from: key,
      to: opts.to.toLowerCase(),
      amount: opts.amount,
      fee: opts.fee ?? 0n,
      rpc,
    });
    const txid = await rpc.call<string>('sendrawtransaction', [signed.hex]);
    io.out(txid);
  });

  return program;
}
