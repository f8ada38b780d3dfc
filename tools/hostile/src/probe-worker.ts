import { parentPort, workerData } from 'node:worker_threads';
import { NodeIdentity } from '@tc/registry';
import { ProbeError } from './errors.js';
import { HonestProbe } from './honest-probe.js';
import type { ProbeReply, ProbeRequest, ProbeWorkerData } from './probe-handle.js';

/** Worker thread entry: runs the HonestProbe on its own event loop (see probe-handle.ts). */
const data = workerData as ProbeWorkerData;
const port = parentPort!;

async function main(): Promise<void> {
  let probe: HonestProbe;
  try {
    probe = await HonestProbe.start({
      ...data.options,
      identity: NodeIdentity.fromPrivateKey(data.privateKey),
    });
  } catch (error) {
    const code = error instanceof ProbeError ? error.code : 'TARGET_UNREACHABLE';
    port.postMessage({ id: 0, ready: false, error: (error as Error).message, code } satisfies ProbeReply);
    return;
  }
  port.on('message', (m: ProbeRequest) => {
    void handle(probe, m).then(
      (value) => port.postMessage({ id: m.id, ok: true, value } satisfies ProbeReply),
      (error: unknown) =>
        port.postMessage({ id: m.id, ok: false, error: String(error) } satisfies ProbeReply),
    );
  });
  port.postMessage({ id: 0, ready: true, targetId: probe.targetId } satisfies ProbeReply);
}

async function handle(probe: HonestProbe, m: ProbeRequest): Promise<unknown> {
  switch (m.op) {
    case 'begin':
      probe.begin();
      return undefined;
    case 'end': {
      const stats = probe.end();
      return { stats, samples: probe.lastSamples };
    }
    case 'windowCount':
      return probe.windowCount;
    case 'sessionGeneration':
      return probe.session()?.generation;
    case 'reconnect':
      return probe.reconnect(m.opts);
    case 'stop':
      await probe.stop();
      return undefined;
  }
}

void main();
