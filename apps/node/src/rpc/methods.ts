import { z } from 'zod';
import { peerAddress } from '../config/schema.js';
import type { NodeApi } from './api.js';
import { RPC_ERRORS, RpcError } from './errors.js';

interface ParamSpec {
  readonly name: string;
  readonly schema: z.ZodType;
  readonly optional?: boolean;
}

export interface MethodSpec {
  readonly params: readonly ParamSpec[];
  /** One line for `help` and the README. */
  readonly summary: string;
  call(api: NodeApi, args: readonly unknown[]): Promise<unknown>;
}

const hash = z
  .string({ error: 'a 64-character hex hash' })
  .regex(/^[0-9a-fA-F]{64}$/, { error: 'a 64-character hex hash' })
  .transform((s) => s.toLowerCase());
const height = z
  .number({ error: 'a height (integer ≥ 0)' })
  .int({ error: 'a height (integer ≥ 0)' })
  .min(0, { error: 'a height (integer ≥ 0)' })
  .max(Number.MAX_SAFE_INTEGER, { error: 'a height (integer ≥ 0)' });
const blockRef = z.union([height, hash], {
  error: 'a height (integer ≥ 0) or a 64-character hex block hash',
});
const verbosity = z
  .union([z.literal(0), z.literal(1), z.literal(2), z.boolean()], { error: '0, 1 or 2' })
  .transform((v) => (v === true ? 1 : v === false ? 0 : v));
const rawTx = z
  .string({ error: 'hex-encoded transaction bytes' })
  .max(8 * 1024 * 1024, { error: 'hex-encoded transaction bytes (even length, ≤ 4 MiB)' })
  .regex(/^(?:[0-9a-fA-F]{2})+$/, { error: 'hex-encoded transaction bytes (even length, ≤ 4 MiB)' });
const target = z
  .string({ error: 'a peer id or address (1..256 characters)' })
  .min(1, { error: 'a peer id or address (1..256 characters)' })
  .max(256, { error: 'a peer id or address (1..256 characters)' });
const banSeconds = z
  .number({ error: 'seconds, an integer in 1..315360000' })
  .int({ error: 'seconds, an integer in 1..315360000' })
  .min(1, { error: 'seconds, an integer in 1..315360000' })
  .max(315_360_000, { error: 'seconds, an integer in 1..315360000' });

const none = [] as const;

/** An integer in lo..hi, with the range in the error. */
function intIn(lo: number, hi: number): z.ZodType {
  const error = `an integer in ${lo}..${hi}`;
  return z.number({ error }).int({ error }).min(lo, { error }).max(hi, { error });
}

/** Every JSON-RPC method: parameters (positional or by name), a summary, and the NodeApi call. */
export const METHODS: Readonly<Record<string, MethodSpec>> = {
  getblockchaininfo: {
    params: none,
    summary: 'network, height, best block hash and time, genesis hash, sync state, finalized block',
    call: (api) => api.getBlockchainInfo(),
  },
  getevidence: {
    params: [
      {
        name: 'limit',
        schema: intIn(1, 1_000),
        optional: true,
      },
    ],
    summary: 'equivocation evidence this node verified and stored (validator, kind, height)',
    call: (api, [limit]) => api.getEvidence(limit as number | undefined),
  },
  getblockarrivals: {
    params: [
      {
        name: 'limit',
        schema: intIn(1, 512),
        optional: true,
      },
    ],
    summary: 'when the last blocks connected here (validated and committed), their own time and source',
    call: (api, [limit]) => api.getBlockArrivals(limit as number | undefined),
  },
  getblockcount: {
    params: none,
    summary: 'height of the best block',
    call: async (api) => (await api.getBlockchainInfo()).height,
  },
  getbestblockhash: {
    params: none,
    summary: 'hash of the best block',
    call: async (api) => (await api.getBlockchainInfo()).bestBlockHash,
  },
  getblockhash: {
    params: [{ name: 'height', schema: height }],
    summary: 'hash of the best-chain block at a height',
    call: (api, [h]) => api.getBlockHash(h as number),
  },
  getblock: {
    params: [
      { name: 'block', schema: blockRef },
      { name: 'verbosity', schema: verbosity, optional: true },
    ],
    summary: 'a block by hash or height; verbosity 0 = hex, 1 = txids (default), 2 = transactions',
    call: (api, [ref, v]) =>
      api.getBlock(
        typeof ref === 'number' ? { height: ref } : { hash: ref as string },
        (v as 0 | 1 | 2 | undefined) ?? 1,
      ),
  },
  gettransaction: {
    params: [{ name: 'txid', schema: hash }],
    summary: 'a transaction from the chain or the mempool',
    call: (api, [txid]) => api.getTransaction(txid as string),
  },
  getpeerinfo: { params: none, summary: 'connected peers', call: (api) => api.getPeerInfo() },
  getmempoolinfo: { params: none, summary: 'mempool size and bytes', call: (api) => api.getMempoolInfo() },
  getrawmempool: { params: none, summary: 'txids in the mempool', call: (api) => api.getRawMempool() },
  sendrawtransaction: {
    params: [{ name: 'hex', schema: rawTx }],
    summary: 'validates, adds to the mempool and relays a signed transaction; returns its txid',
    call: (api, [hex]) => api.sendRawTransaction((hex as string).toLowerCase()),
  },
  getbalance: {
    params: [{ name: 'address', schema: hash }],
    summary: 'balance of an address from the UTXO set',
    call: (api, [address]) => api.getBalance(address as string),
  },
  listunspent: {
    params: [
      { name: 'address', schema: hash },
      {
        name: 'limit',
        schema: intIn(1, 10_000),
        optional: true,
      },
    ],
    summary: 'confirmed unspent outputs of an address not spent by a pending transaction (largest first)',
    call: (api, [address, limit]) => api.listUnspent(address as string, limit as number | undefined),
  },
  addnode: {
    params: [
      { name: 'address', schema: peerAddress },
      { name: 'command', schema: z.enum(['add', 'remove', 'onetry'], { error: 'add, remove or onetry' }) },
    ],
    summary: 'adds, removes or tries once a peer HOST:PORT',
    call: async (api, [address, command]) => {
      await api.addNode(address as string, command as 'add' | 'remove' | 'onetry');
      return null;
    },
  },
  disconnectnode: {
    params: [{ name: 'target', schema: target }],
    summary: 'disconnects a peer by id or HOST:PORT',
    call: async (api, [t]) => {
      await api.disconnectNode(t as string);
      return null;
    },
  },
  setban: {
    params: [
      { name: 'target', schema: target },
      { name: 'command', schema: z.enum(['add', 'remove'], { error: 'add or remove' }) },
      { name: 'bantime', schema: banSeconds, optional: true },
    ],
    summary: 'bans or unbans an IP address or peer id',
    call: async (api, [t, command, seconds]) => {
      await api.setBan(t as string, command as 'add' | 'remove', seconds as number | undefined);
      return null;
    },
  },
  listbanned: { params: none, summary: 'ban list', call: (api) => api.listBanned() },
  getnetworkinfo: {
    params: none,
    summary: 'version, node id, listen address, connection counts',
    call: (api) => api.getNetworkInfo(),
  },
  stop: {
    params: none,
    summary: 'stops the node (clean shutdown)',
    call: async (api) => {
      await api.stop();
      return 'tc-node stopping';
    },
  },
  help: {
    params: none,
    summary: 'lists the methods',
    call: async () =>
      Object.entries(METHODS)
        .map(
          ([name, m]) =>
            `${name}(${m.params.map((p) => (p.optional ? `[${p.name}]` : p.name)).join(', ')}): ${m.summary}`,
        )
        .join('\n'),
  },
};

/** Validates `params` (absent, positional array or by-name object) against a method's spec. */
export function parseParams(spec: MethodSpec, params: unknown): unknown[] {
  let raw: unknown[];
  if (params === undefined || params === null) raw = [];
  else if (Array.isArray(params)) raw = params;
  else if (typeof params === 'object') {
    const obj = params as Record<string, unknown>;
    const known = new Set(spec.params.map((p) => p.name));
    const unknown = Object.keys(obj).filter((k) => !known.has(k));
    if (unknown.length > 0) {
      throw new RpcError(RPC_ERRORS.INVALID_PARAMS, `unknown parameter ${unknown[0]}`, {
        expected: spec.params.map((p) => p.name),
      });
    }
    raw = spec.params.map((p) => obj[p.name]);
    while (raw.length > 0 && raw[raw.length - 1] === undefined) raw.pop();
  } else {
    throw new RpcError(RPC_ERRORS.INVALID_PARAMS, 'params must be an array or an object');
  }
  if (raw.length > spec.params.length) {
    throw new RpcError(
      RPC_ERRORS.INVALID_PARAMS,
      `too many parameters: got ${raw.length}, expected at most ${spec.params.length}`,
    );
  }
  const out: unknown[] = [];
  for (const [i, p] of spec.params.entries()) {
    const v = raw[i];
    if (v === undefined || v === null) {
      if (p.optional) {
        out.push(undefined);
        continue;
      }
      throw new RpcError(RPC_ERRORS.INVALID_PARAMS, `missing parameter ${p.name}`, { param: p.name });
    }
    const r = p.schema.safeParse(v);
    if (!r.success) {
      const expected = r.error.issues[0]?.message ?? 'a valid value';
      throw new RpcError(RPC_ERRORS.INVALID_PARAMS, `invalid parameter ${p.name}: expected ${expected}`, {
        param: p.name,
        expected,
      });
    }
    out.push(r.data);
  }
  return out;
}
