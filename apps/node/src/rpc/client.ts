import { request } from 'node:http';

/** A failure to reach the node or to read its answer (as opposed to a JSON-RPC error). */
export class RpcUnavailableError extends Error {
  readonly code = 'RPC_UNAVAILABLE' as const;
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(`cannot reach the node's RPC at ${url}: ${reason}`);
    this.name = 'RpcUnavailableError';
  }
}

/** The node answered with a JSON-RPC error. */
export class RpcCallError extends Error {
  readonly code = 'RPC_CALL_FAILED' as const;
  constructor(
    readonly method: string,
    readonly rpcCode: number,
    readonly rpcMessage: string,
    readonly data?: unknown,
  ) {
    super(`${method} failed: ${rpcMessage} (code ${rpcCode})`);
    this.name = 'RpcCallError';
  }
}

export interface RpcClientOptions {
  /** e.g. `http://127.0.0.1:17800/`. */
  readonly url: string;
  readonly authToken?: string;
  /** Per call. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Largest response accepted. Default 16 MiB. */
  readonly maxResponseBytes?: number;
}

/** A small JSON-RPC 2.0 client over node:http (used by `status`, `tx send` and the devnet view). */
export class RpcClient {
  private nextId = 1;
  readonly url: string;
  constructor(private readonly options: RpcClientOptions) {
    this.url = options.url;
  }

  async call<T = unknown>(method: string, params: unknown[] | Record<string, unknown> = []): Promise<T> {
    const id = this.nextId++;
    const body = JSON.stringify({ jsonrpc: '2.0', id, method, params });
    const { status, text } = await this.post(body);
    let parsed: { result?: unknown; error?: { code: number; message: string; data?: unknown } };
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new RpcUnavailableError(this.url, `HTTP ${status} with a body that is not JSON`);
    }
    if (parsed.error)
      throw new RpcCallError(method, parsed.error.code, parsed.error.message, parsed.error.data);
    if (!('result' in parsed)) throw new RpcUnavailableError(this.url, `HTTP ${status} without a result`);
    return parsed.result as T;
  }

  private post(body: string): Promise<{ status: number; text: string }> {
    const url = new URL(this.url);
    const timeoutMs = this.options.timeoutMs ?? 5000;
    const max = this.options.maxResponseBytes ?? 16 * 1024 * 1024;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'Content-Length': Buffer.byteLength(body),
            ...(this.options.authToken ? { Authorization: `Bearer ${this.options.authToken}` } : {}),
          },
          timeout: timeoutMs,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > max) {
              req.destroy(new Error(`response larger than ${max} bytes`));
              return;
            }
            chunks.push(c);
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', (e) => reject(new RpcUnavailableError(this.url, e.message)));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (e: NodeJS.ErrnoException) =>
        reject(new RpcUnavailableError(this.url, e.code ?? e.message)),
      );
      req.end(body);
    });
  }
}

/** `http://HOST:PORT/` for an RPC host and port (IPv6 hosts bracketed; 0.0.0.0 / :: dialled as loopback). */
export function rpcUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${h.includes(':') && !h.startsWith('[') ? `[${h}]` : h}:${port}/`;
}
