/** What soak mode reads from one node's /metrics. */
export interface MetricSample {
  readonly tMs: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly handles: number;
  /** Event-loop lag p99 since the previous scrape, seconds. */
  readonly lagP99: number;
  readonly peers: number;
}

/** Sum of every series of `name` (any labels) whose labels contain `labelFilter`. */
export function promValue(text: string, name: string, labelFilter = ''): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (labelFilter && !rest.includes(labelFilter)) continue;
    const v = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) sum = (sum ?? 0) + v;
  }
  return sum;
}

/** GET http://127.0.0.1:port/metrics (5 s limit) → a sample; undefined when the node does not answer. */
export async function scrapeNode(port: number, tMs: number): Promise<MetricSample | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return undefined;
    const text = await res.text();
    const get = (name: string, filter = '') => promValue(text, name, filter);
    const rss = get('tc_node_process_resident_memory_bytes');
    const heapUsed = get('tc_node_nodejs_heap_size_used_bytes');
    const handles = get('tc_node_nodejs_active_handles_total');
    if (rss === undefined || heapUsed === undefined || handles === undefined) return undefined;
    return {
      tMs,
      rss,
      heapUsed,
      handles,
      lagP99: get('tc_node_event_loop_lag_seconds', 'stat="p99"') ?? 0,
      peers: get('tc_registry_connections') ?? 0,
    };
  } catch {
    return undefined;
  }
}
