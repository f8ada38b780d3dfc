// Test hosts: one Linux network namespace per node, each with its own address on a bridge the
// harness creates (and removes). Only these addresses are ever dialled.
import { execFileSync, spawnSync } from 'node:child_process';

const run = (cmd, args, input) => execFileSync(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], input });
const quiet = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

/**
 * Whether this machine can host a testnet: root, `ip` with network namespaces, `iptables`
 * (its nat table routes each link through its WAN proxy) and `tc` (tbf). `{ ok: false, reason }`
 * names what is missing, in one line.
 */
export function probeHosts() {
  if (process.platform !== 'linux')
    return { ok: false, reason: `network namespaces need Linux, not ${process.platform}` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'network namespaces need root' };
  for (const [tool, args] of [
    ['ip', ['-V']],
    ['iptables', ['--version']],
    ['tc', ['-V']],
    ['setpriv', ['--version']],
  ]) {
    if (!quiet(tool, args))
      return {
        ok: false,
        reason: `\`${tool}\` is not installed (apt-get install iproute2 iptables util-linux)`,
      };
  }
  const probe = `tcprobe${process.pid % 100_000}`;
  if (!quiet('ip', ['netns', 'add', probe]))
    return { ok: false, reason: 'cannot create a network namespace here' };
  try {
    if (!quiet('ip', ['netns', 'exec', probe, 'iptables', '-t', 'nat', '-L', '-n']))
      return { ok: false, reason: 'iptables has no nat table inside a namespace here' };
  } finally {
    quiet('ip', ['netns', 'del', probe]);
  }
  return { ok: true };
}

/** The address of host `i` on network `10.<net>.0.0/16`: one /24 each, so per-/24 limits see distinct nets. */
export function hostAddress(net, i) {
  if (!Number.isInteger(i) || i < 0 || i > 250) throw new RangeError(`host index ${i} (0..250)`);
  return `10.${net}.${i + 1}.2`;
}

/**
 * Creates `count` hosts: namespaces `tn<tag>-<i>`, each with `eth0` (veth to the bridge
 * `tnb<tag>`) at `10.<net>.<i+1>.2/16` and `lo` up; the bridge holds `10.<net>.255.254`, the
 * harness's own address. `destroy()` removes everything (also what a crashed run left).
 */
export function createHosts({ tag, count, net = 77 }) {
  if (!/^[a-z0-9]{1,6}$/.test(tag)) throw new RangeError('tag: 1..6 lowercase letters or digits');
  const bridge = `tnb${tag}`;
  const hosts = Array.from({ length: count }, (_, i) => ({
    index: i,
    ns: `tn${tag}-${i}`,
    addr: hostAddress(net, i),
    veth: `tnv${tag}${i}`,
  }));
  const destroy = () => destroyHosts({ tag });
  destroy(); // a crashed run's leftovers
  try {
    run('ip', ['link', 'add', 'name', bridge, 'type', 'bridge']);
    run('ip', ['addr', 'add', `10.${net}.255.254/16`, 'dev', bridge]);
    run('ip', ['link', 'set', bridge, 'up']);
    for (const h of hosts) {
      run('ip', ['netns', 'add', h.ns]);
      run('ip', ['link', 'add', h.veth, 'type', 'veth', 'peer', 'name', `${h.veth}p`]);
      run('ip', ['link', 'set', `${h.veth}p`, 'netns', h.ns]);
      run('ip', ['link', 'set', h.veth, 'master', bridge]);
      run('ip', ['link', 'set', h.veth, 'up']);
      const inNs = (...args) => run('ip', ['-n', h.ns, ...args]);
      inNs('link', 'set', `${h.veth}p`, 'name', 'eth0');
      inNs('addr', 'add', `${h.addr}/16`, 'dev', 'eth0');
      inNs('link', 'set', 'eth0', 'up');
      inNs('link', 'set', 'lo', 'up');
    }
  } catch (error) {
    destroy();
    throw new Error(`testnet hosts: ${failure(error)}`);
  }
  return { hosts, bridge, harnessAddr: `10.${net}.255.254`, destroy };
}

/** Removes every namespace and the bridge of `tag` (kills what still runs inside). */
export function destroyHosts({ tag }) {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  for (const line of list.split('\n')) {
    const ns = line.split(' ')[0];
    if (!ns?.startsWith(`tn${tag}-`)) continue;
    const pids = (spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '')
      .split('\n')
      .filter(Boolean);
    for (const pid of pids) quiet('kill', ['-9', pid]);
    quiet('ip', ['netns', 'del', ns]);
  }
  quiet('ip', ['link', 'del', `tnb${tag}`]);
}

/** A failed command's stderr, or its message. */
function failure(error) {
  const e = /** @type {{ stderr?: Buffer, message?: string }} */ (error);
  return e.stderr?.toString().trim() || e.message || String(error);
}

/** Runs `cmd args` inside a host's namespace (synchronously); throws with its stderr. */
export function inHost(host, cmd, args, input) {
  try {
    return run('ip', ['netns', 'exec', host.ns, cmd, ...args], input);
  } catch (error) {
    throw new Error(`${host.ns}: ${cmd} ${args.join(' ')}: ${failure(error)}`);
  }
}
