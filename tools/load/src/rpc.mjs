// A JSON-RPC 2.0 client over fetch with batch calls (one HTTP request for many calls).

export class RpcError extends Error {
  constructor(method, error) {
    super(`${method}: ${error.message}`);
    this.code = error.code;
    this.data = error.data;
  }
}

export class RpcBatchClient {
  /** `token`: the node's rpc.authToken (required when its RPC is not on a loopback address). */
  constructor(url, token = undefined) {
    this.url = url;
    this.nextId = 1;
    this.headers = {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    };
  }

  /**
   * One call; throws RpcError for an error answer, or a transport error. A keep-alive socket the
   * server closed just as it was reused ("other side closed") is retried once on a new one.
   */
  async call(method, params = [], timeoutMs = 10_000) {
    try {
      return await this.callOnce(method, params, timeoutMs);
    } catch (error) {
      if (/** @type {{ cause?: { code?: string } }} */ (error)?.cause?.code !== 'UND_ERR_SOCKET') throw error;
      return this.callOnce(method, params, timeoutMs);
    }
  }

  async callOnce(method, params, timeoutMs) {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: this.headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method, params }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await res.json();
    if (body.error) throw new RpcError(method, body.error);
    return body.result;
  }

  /**
   * Many calls of one method in one batch. Resolves with one entry per call, in order:
   * { result } or { error: { code, message, data } }. Rejects only on a transport failure.
   */
  async batch(method, paramsList, timeoutMs = 30_000) {
    const first = this.nextId;
    this.nextId += paramsList.length;
    const payload = paramsList.map((params, i) => ({ jsonrpc: '2.0', id: first + i, method, params }));
    const res = await fetch(this.url, {
      method: 'POST',
      headers: this.headers,
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await res.json();
    if (!Array.isArray(body)) {
      const error = body?.error ?? { code: 0, message: `HTTP ${res.status}` };
      return paramsList.map(() => ({ error }));
    }
    const out = new Array(paramsList.length);
    for (const r of body) {
      const i = r.id - first;
      if (i >= 0 && i < out.length) out[i] = r.error ? { error: r.error } : { result: r.result };
    }
    for (let i = 0; i < out.length; i++) out[i] ??= { error: { code: 0, message: 'no answer in the batch' } };
    return out;
  }

  /** The node's Prometheus text (`/metrics` beside the RPC endpoint), or '' when unreachable. */
  async metrics(timeoutMs = 5_000) {
    try {
      const res = await fetch(new URL('metrics', this.url), {
        headers: this.headers,
        signal: AbortSignal.timeout(timeoutMs),
      });
      return await res.text();
    } catch {
      return '';
    }
  }
}

/** The value of a metric line `name{labels} value` (first match; labels optional), or NaN. */
export function metricValue(text, name, labels = '') {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^${escaped}(\\{[^}]*\\})?\\s+([0-9.eE+-]+|NaN)`, 'gm');
  for (const m of text.matchAll(re)) {
    if (!labels || (m[1] ?? '').includes(labels)) return Number(m[2]);
  }
  return Number.NaN;
}

/** Every series `name{labels} value` of a metric whose labels include `labels`: [labels, value]. */
function* metricSeries(text, name, labels) {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^${escaped}(\\{[^}]*\\})?\\s+([0-9.eE+-]+)`, 'gm');
  for (const m of text.matchAll(re))
    if (!labels || (m[1] ?? '').includes(labels)) yield [m[1] ?? '', Number(m[2])];
}

/** The sum of every series of a counter (all label sets), or 0. */
export function metricSum(text, name, labels = '') {
  let sum = 0;
  for (const [, value] of metricSeries(text, name, labels)) sum += value;
  return sum;
}

/** Sums of a counter's series by the value of one label (`{ [value]: sum }`), e.g. by `kind`. */
export function metricSumBy(text, name, label, labels = '') {
  const out = {};
  const labelRe = new RegExp(`${label}="([^"]*)"`);
  for (const [set, value] of metricSeries(text, name, labels)) {
    const key = labelRe.exec(set)?.[1] ?? 'other';
    out[key] = (out[key] ?? 0) + value;
  }
  return out;
}
