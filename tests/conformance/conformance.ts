// One scenario, run on each host, then compared: `conformance(name, run, compare?)` registers a test
// per host (each producing an observation record) and one that compares the records.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { HOSTS, type HostKind, type PluginSetup, type RunningHost, startHost } from './hosts.ts';

export function conformance<T>(
  name: string,
  run: (kind: HostKind) => Promise<T>,
  compare: (emulator: T, envoy: T) => void = (a, b) => assertSame(a, b),
): void {
  const obs: Partial<Record<HostKind, T>> = {};
  for (const kind of HOSTS) {
    test(`${name} [${kind}]`, async () => {
      obs[kind] = await run(kind);
    });
  }
  test(`${name}: emulator and Envoy agree`, () => {
    assert.ok(obs.emulator !== undefined, 'the emulator run did not produce an observation');
    assert.ok(obs.envoy !== undefined, 'the Envoy run did not produce an observation');
    compare(obs.emulator, obs.envoy);
  });
}

/** Start a host, run `body`, always close the host. */
export async function withHost<T>(kind: HostKind, setup: PluginSetup, body: (h: RunningHost) => Promise<T>): Promise<T> {
  const h = await startHost(kind, setup);
  try {
    return await body(h);
  } finally {
    await h.close();
  }
}

/**
 * deepStrictEqual, reported per top-level field with both values as one-line JSON per element
 * (a readable list of every difference instead of the first one).
 */
export function assertSame(emulator: unknown, envoy: unknown, what = 'observation'): void {
  if (isDeepStrictEqual(emulator, envoy)) return;
  const out: string[] = [];
  const show = (v: unknown) => (Array.isArray(v) ? v.map((x) => '      ' + JSON.stringify(x)).join('\n') : '      ' + JSON.stringify(v));
  if (emulator && envoy && typeof emulator === 'object' && typeof envoy === 'object' && !Array.isArray(emulator)) {
    const keys = new Set([...Object.keys(emulator), ...Object.keys(envoy)]);
    for (const k of keys) {
      const a = (emulator as Record<string, unknown>)[k];
      const b = (envoy as Record<string, unknown>)[k];
      if (!isDeepStrictEqual(a, b)) out.push(`  ${k}:\n    emulator:\n${show(a)}\n    envoy:\n${show(b)}`);
    }
  } else out.push(`    emulator:\n${show(emulator)}\n    envoy:\n${show(envoy)}`);
  assert.fail(`the emulator's ${what} differs from Envoy's:\n${out.join('\n')}`);
}
