import type { Logger } from 'pino';
import type { NodeApi } from './api.js';
import { errorObject, RPC_ERRORS, RpcError, type RpcErrorObject } from './errors.js';
import { METHODS, type MethodSpec, parseParams } from './methods.js';

export type RpcId = string | number | null;

export type RpcResponse =
  | { readonly jsonrpc: '2.0'; readonly id: RpcId; readonly result: unknown }
  | { readonly jsonrpc: '2.0'; readonly id: RpcId; readonly error: RpcErrorObject };

/** Called once per finished call (metrics). `method` is a known method name or `unknown`. */
export type RpcObserver = (method: string, code: number, seconds: number) => void;

export interface DispatcherOptions {
  readonly api: NodeApi;
  /** Most calls in one batch. Default 100. */
  readonly maxBatch?: number;
  /** A call that takes longer answers -32002. Default 30 000 ms. */
  readonly requestTimeoutMs?: number;
  /** Calls executing at once; more answer -32005. Default 64. */
  readonly maxInflight?: number;
  readonly logger?: Logger;
  readonly observe?: RpcObserver;
  /** When true, calls answer -32004 (the node is stopping). */
  readonly isShuttingDown?: () => boolean;
  /** Extra or replacement methods (tests, later wiring). */
  readonly methods?: Readonly<Record<string, MethodSpec>>;
}

/**
 * Most calls of one batch executed at the same time (submissions among them share pool
 * batches); never more than a quarter of `maxInflight`, so one batch cannot take every slot.
 */
export const BATCH_LANES = 16;

function fail(id: RpcId, code: number, message: string, data?: unknown): RpcResponse {
  return { jsonrpc: '2.0', id, error: errorObject(code, message, data) };
}

function validId(id: unknown): id is RpcId {
  return id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
}

/**
 * Turns a request body into the response body, transport-agnostic: parsing, batches,
 * parameter validation, the timeout and in-flight bounds, and error mapping. Never throws.
 */
export class RpcDispatcher {
  private inflight = 0;
  private readonly maxBatch: number;
  private readonly timeoutMs: number;
  private readonly maxInflight: number;
  private readonly methods: Readonly<Record<string, MethodSpec>>;

  constructor(private readonly options: DispatcherOptions) {
    this.maxBatch = options.maxBatch ?? 100;
    this.timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.maxInflight = options.maxInflight ?? 64;
    this.methods = { ...METHODS, ...options.methods };
  }

  /** Calls executing now. */
  get inflightCalls(): number {
    return this.inflight;
  }

  /** The response to a body: an object, an array (batch), or undefined (only notifications). */
  async handleText(text: string): Promise<RpcResponse | RpcResponse[] | undefined> {
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      return fail(null, RPC_ERRORS.PARSE_ERROR, 'parse error: the body is not valid JSON');
    }
    return this.handlePayload(payload);
  }

  async handlePayload(payload: unknown): Promise<RpcResponse | RpcResponse[] | undefined> {
    if (Array.isArray(payload)) {
      if (payload.length === 0) return fail(null, RPC_ERRORS.INVALID_REQUEST, 'invalid request: empty batch');
      if (payload.length > this.maxBatch) {
        return fail(
          null,
          RPC_ERRORS.INVALID_REQUEST,
          `invalid request: batch of ${payload.length} calls exceeds the limit of ${this.maxBatch}`,
        );
      }
      // A few calls of a batch at a time, so one batch cannot take every in-flight slot.
      const results: (RpcResponse | undefined)[] = new Array(payload.length);
      let next = 0;
      const lane = async () => {
        while (next < payload.length) {
          const i = next++;
          results[i] = await this.handleOne(payload[i]);
        }
      };
      const lanes = Math.min(BATCH_LANES, Math.max(1, Math.floor(this.maxInflight / 4)), payload.length);
      await Promise.all(Array.from({ length: lanes }, lane));
      const out = results.filter((r): r is RpcResponse => r !== undefined);
      return out.length > 0 ? out : undefined;
    }
    return this.handleOne(payload);
  }

  private async handleOne(req: unknown): Promise<RpcResponse | undefined> {
    if (typeof req !== 'object' || req === null || Array.isArray(req)) {
      return fail(
        null,
        RPC_ERRORS.INVALID_REQUEST,
        'invalid request: expected a JSON-RPC 2.0 request object',
      );
    }
    const r = req as Record<string, unknown>;
    const hasId = Object.hasOwn(r, 'id');
    const id: RpcId = validId(r['id']) ? r['id'] : null;
    if (hasId && !validId(r['id'])) {
      return fail(null, RPC_ERRORS.INVALID_REQUEST, 'invalid request: id must be a string, a number or null');
    }
    if (r['jsonrpc'] !== '2.0')
      return fail(id, RPC_ERRORS.INVALID_REQUEST, 'invalid request: jsonrpc must be "2.0"');
    if (typeof r['method'] !== 'string') {
      return fail(id, RPC_ERRORS.INVALID_REQUEST, 'invalid request: method must be a string');
    }
    const response = await this.call(r['method'], r['params'], id);
    return hasId ? response : undefined; // a notification gets no response
  }

  private async call(method: string, params: unknown, id: RpcId): Promise<RpcResponse> {
    const started = performance.now();
    const spec = Object.hasOwn(this.methods, method) ? this.methods[method] : undefined;
    const label = spec ? method : 'unknown';
    const done = (res: RpcResponse): RpcResponse => {
      this.options.observe?.(
        label,
        'error' in res ? res.error.code : 0,
        (performance.now() - started) / 1000,
      );
      return res;
    };
    if (!spec) {
      return done(fail(id, RPC_ERRORS.METHOD_NOT_FOUND, `method not found: ${method.slice(0, 64)}`));
    }
    if (this.options.isShuttingDown?.()) {
      return done(fail(id, RPC_ERRORS.SHUTTING_DOWN, 'the node is shutting down'));
    }
    if (this.inflight >= this.maxInflight) {
      return done(
        fail(id, RPC_ERRORS.OVERLOADED, `overloaded: ${this.inflight} calls in flight; retry later`),
      );
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      const args = parseParams(spec, params);
      // The slot is held until the work itself settles, even past a timeout, so abandoned
      // calls still count against maxInflight.
      this.inflight++;
      const work = Promise.resolve().then(() => spec.call(this.options.api, args));
      work
        .finally(() => {
          this.inflight--;
        })
        .catch(() => {});
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new RpcError(RPC_ERRORS.TIMEOUT, `${method} did not finish within ${this.timeoutMs} ms`)),
          this.timeoutMs,
        );
        timer.unref();
      });
      const result = await Promise.race([work, timeout]);
      return done({ jsonrpc: '2.0', id, result: result === undefined ? null : result });
    } catch (error) {
      if (error instanceof RpcError) return done(fail(id, error.code, error.message, error.data));
      this.options.logger?.error({ err: error, method }, 'rpc handler failed');
      return done(fail(id, RPC_ERRORS.INTERNAL_ERROR, 'internal error'));
    } finally {
      clearTimeout(timer);
    }
  }
}
