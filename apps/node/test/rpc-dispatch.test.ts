import { describe, expect, it } from 'vitest';
import { RPC_ERRORS, RpcDispatcher, type RpcResponse } from '../src/internal.js';
import { FakeApi, HASH0, HASH1 } from './fake-api.js';

function dispatcher(
  api = new FakeApi(),
  extra: Partial<ConstructorParameters<typeof RpcDispatcher>[0]> = {},
) {
  return new RpcDispatcher({ api, maxBatch: 3, requestTimeoutMs: 200, maxInflight: 2, ...extra });
}

async function one(d: RpcDispatcher, body: unknown): Promise<RpcResponse> {
  const res = await d.handleText(typeof body === 'string' ? body : JSON.stringify(body));
  if (res === undefined || Array.isArray(res)) throw new Error('expected a single response');
  return res;
}

function code(res: RpcResponse): number | undefined {
  return 'error' in res ? res.error.code : undefined;
}

describe('JSON-RPC 2.0 envelope', () => {
  it('answers a call with its id', async () => {
    const res = await one(dispatcher(), { jsonrpc: '2.0', id: 7, method: 'getblockcount' });
    expect(res).toEqual({ jsonrpc: '2.0', id: 7, result: 1 });
  });

  it('parse error, invalid request, method not found', async () => {
    const d = dispatcher();
    expect(await one(d, '{"jsonrpc":')).toMatchObject({ id: null, error: { code: RPC_ERRORS.PARSE_ERROR } });
    expect(code(await one(d, '42'))).toBe(RPC_ERRORS.INVALID_REQUEST);
    expect(code(await one(d, { id: 1, method: 'getblockcount' }))).toBe(RPC_ERRORS.INVALID_REQUEST);
    expect(code(await one(d, { jsonrpc: '2.0', id: 1, method: 5 }))).toBe(RPC_ERRORS.INVALID_REQUEST);
    expect(code(await one(d, { jsonrpc: '2.0', id: {}, method: 'stop' }))).toBe(RPC_ERRORS.INVALID_REQUEST);
    const nf = await one(d, { jsonrpc: '2.0', id: 'x', method: 'nosuchmethod' });
    expect(nf).toMatchObject({ id: 'x', error: { code: RPC_ERRORS.METHOD_NOT_FOUND } });
    expect(code(await one(d, { jsonrpc: '2.0', id: 1, method: 'toString' }))).toBe(
      RPC_ERRORS.METHOD_NOT_FOUND,
    );
    expect(code(await one(d, { jsonrpc: '2.0', id: 1, method: '__proto__' }))).toBe(
      RPC_ERRORS.METHOD_NOT_FOUND,
    );
  });

  it('notifications get no response; batches answer each call', async () => {
    const d = dispatcher();
    expect(await d.handleText(JSON.stringify({ jsonrpc: '2.0', method: 'getblockcount' }))).toBeUndefined();
    const batch = await d.handleText(
      JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'getbestblockhash' },
        { jsonrpc: '2.0', method: 'getblockcount' },
        { jsonrpc: '2.0', id: 2, method: 'nope' },
      ]),
    );
    expect(batch).toEqual([
      { jsonrpc: '2.0', id: 1, result: HASH1 },
      {
        jsonrpc: '2.0',
        id: 2,
        error: { code: RPC_ERRORS.METHOD_NOT_FOUND, message: 'method not found: nope' },
      },
    ]);
    expect(code(await one(d, []))).toBe(RPC_ERRORS.INVALID_REQUEST);
    const tooMany = await one(
      d,
      Array.from({ length: 4 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'getblockcount' })),
    );
    expect(tooMany).toMatchObject({ error: { message: expect.stringContaining('exceeds the limit of 3') } });
  });
});

describe('parameters', () => {
  it('positional and named parameters', async () => {
    const d = dispatcher();
    expect(await one(d, { jsonrpc: '2.0', id: 1, method: 'getblockhash', params: [0] })).toMatchObject({
      result: HASH0,
    });
    expect(
      await one(d, { jsonrpc: '2.0', id: 1, method: 'getblockhash', params: { height: 1 } }),
    ).toMatchObject({
      result: HASH1,
    });
    const block = await one(d, { jsonrpc: '2.0', id: 1, method: 'getblock', params: [HASH1.toUpperCase()] });
    expect(block).toMatchObject({ result: { height: 1, hash: HASH1 } });
    expect(await one(d, { jsonrpc: '2.0', id: 1, method: 'getblock', params: [0, 0] })).toMatchObject({
      result: 'beef',
    });
  });

  it('bad parameters get -32602 naming the parameter', async () => {
    const d = dispatcher();
    const cases: unknown[] = [
      { method: 'getblockhash', params: [] },
      { method: 'getblockhash', params: [-1] },
      { method: 'getblockhash', params: ['1'] },
      { method: 'getblockhash', params: [1.5] },
      { method: 'getblockhash', params: [1, 2] },
      { method: 'getblockhash', params: { hieght: 1 } },
      { method: 'getblockhash', params: 'x' },
      { method: 'getblock', params: ['zz'] },
      { method: 'getblock', params: [1, 3] },
      { method: 'sendrawtransaction', params: ['abc'] },
      { method: 'getbalance', params: ['not-an-address'] },
      { method: 'addnode', params: ['host', 'add'] },
      { method: 'addnode', params: ['host:1', 'maybe'] },
      { method: 'setban', params: ['1.2.3.4', 'add', 0] },
    ];
    for (const c of cases) {
      const res = await one(d, { jsonrpc: '2.0', id: 1, ...(c as object) });
      expect(code(res), JSON.stringify(c)).toBe(RPC_ERRORS.INVALID_PARAMS);
    }
    const res = await one(d, { jsonrpc: '2.0', id: 1, method: 'getblockhash', params: [-1] });
    expect(res).toMatchObject({
      error: { message: 'invalid parameter height: expected a height (integer ≥ 0)' },
    });
  });

  it('application errors keep their codes; other errors are -32603 without details', async () => {
    const api = new FakeApi();
    const d = dispatcher(api, {
      methods: { boom: { params: [], summary: 'x', call: (a) => (a as FakeApi).boom() } },
    });
    expect(code(await one(d, { jsonrpc: '2.0', id: 1, method: 'getblockhash', params: [9] }))).toBe(
      RPC_ERRORS.INVALID_PARAMETER,
    );
    expect(code(await one(d, { jsonrpc: '2.0', id: 1, method: 'getblock', params: ['ee'.repeat(32)] }))).toBe(
      RPC_ERRORS.NOT_FOUND,
    );
    expect(
      code(await one(d, { jsonrpc: '2.0', id: 1, method: 'sendrawtransaction', params: ['dead'] })),
    ).toBe(RPC_ERRORS.TX_REJECTED);
    expect(
      await one(d, { jsonrpc: '2.0', id: 1, method: 'sendrawtransaction', params: ['00ff'] }),
    ).toMatchObject({
      result: 'dd'.repeat(32),
    });
    const boom = await one(d, { jsonrpc: '2.0', id: 1, method: 'boom' });
    expect(boom).toEqual({
      jsonrpc: '2.0',
      id: 1,
      error: { code: RPC_ERRORS.INTERNAL_ERROR, message: 'internal error' },
    });
    expect(await one(d, { jsonrpc: '2.0', id: 1, method: 'stop' })).toMatchObject({
      result: 'tc-node stopping',
    });
    expect(api.stopped).toBe(1);
  });
});

describe('bounds', () => {
  it('a slow call times out with -32002 and keeps its in-flight slot until it settles', async () => {
    const api = new FakeApi();
    let open!: () => void;
    api.gate = new Promise<void>((r) => {
      open = r;
    });
    const observed: [string, number][] = [];
    const d = dispatcher(api, { maxInflight: 1, observe: (m, c) => observed.push([m, c]) });
    const res = await one(d, { jsonrpc: '2.0', id: 1, method: 'getpeerinfo' });
    expect(code(res)).toBe(RPC_ERRORS.TIMEOUT);
    expect(d.inflightCalls).toBe(1);
    expect(code(await one(d, { jsonrpc: '2.0', id: 2, method: 'getpeerinfo' }))).toBe(RPC_ERRORS.OVERLOADED);
    open();
    await api.gate;
    await new Promise((r) => setImmediate(r));
    expect(d.inflightCalls).toBe(0);
    expect(await one(d, { jsonrpc: '2.0', id: 3, method: 'getpeerinfo' })).toMatchObject({
      result: [{ height: 1 }],
    });
    expect(observed.map(([, c]) => c)).toEqual([RPC_ERRORS.TIMEOUT, RPC_ERRORS.OVERLOADED, 0]);
  });

  it('answers -32004 while shutting down', async () => {
    const d = dispatcher(new FakeApi(), { isShuttingDown: () => true });
    expect(code(await one(d, { jsonrpc: '2.0', id: 1, method: 'getblockcount' }))).toBe(
      RPC_ERRORS.SHUTTING_DOWN,
    );
  });
});

describe('hostile input', () => {
  it('deeply nested JSON in any position gets an error, not a stack overflow', async () => {
    const d = dispatcher();
    const deepArray = `${'['.repeat(400_000)}${']'.repeat(400_000)}`;
    const deepObject = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    const batch = await d.handleText(deepArray);
    expect(batch).toEqual([
      { jsonrpc: '2.0', id: null, error: { code: RPC_ERRORS.INVALID_REQUEST, message: expect.any(String) } },
    ]);
    for (const text of [
      `{"jsonrpc":"2.0","id":1,"method":"getblock","params":[${deepObject}]}`,
      `{"jsonrpc":"2.0","id":1,"method":"getblock","params":{"block":${deepObject}}}`,
      `{"jsonrpc":"2.0","id":1,"method":"getblockcount","params":${deepObject}}`,
      `{"jsonrpc":"2.0","id":${deepObject},"method":"getblockcount"}`,
    ]) {
      const res = await one(d, text);
      expect(code(res)).toBeLessThan(0);
    }
  });
});

describe('batches and the in-flight bound', () => {
  it('a full batch runs a few calls at a time, so it never trips the overload bound by itself', async () => {
    const d = new RpcDispatcher({ api: new FakeApi(), maxBatch: 100, maxInflight: 4 });
    const batch = Array.from({ length: 100 }, (_, i) => ({
      jsonrpc: '2.0',
      id: i,
      method: 'getblockhash',
      params: [i % 2],
    }));
    const res = await d.handleText(JSON.stringify(batch));
    expect(Array.isArray(res) && res.length).toBe(100);
    expect((res as RpcResponse[]).every((r, i) => r.id === i && 'result' in r)).toBe(true);
  });
});
