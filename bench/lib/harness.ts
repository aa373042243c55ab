// Drives the policy (and the baselines) in the emulator's host without HTTP: a fake clock shared by
// the host and the mock Cequence, root-context ticks called by the bench (not by a timer), and the
// mock Edge/token endpoint on loopback answering the module's dispatched calls.
import { createHost, type ProxyWasmHost, type SyntheticStream } from '../../emulator/host/index.ts';
import { startMockCequence, type MockCequence } from '../../emulator/mock-cequence.ts';
import { turn } from './common.ts';
import { mockCequenceConfig } from '../../harness/subject.ts';

export const NAMESPACE = 'default';
export const AUTH_CLUSTER = `cequence-auth-service.${NAMESPACE}.svc`;
export const EDGE_CLUSTER = `cequence-edge-service.${NAMESPACE}.svc`;

/** Simulated wall clock (ms since epoch), shared by the host (proxy_get_current_time_nanoseconds) and the mock. */
export class FakeClock {
  ms: number;
  constructor(start = Date.now()) {
    this.ms = start;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
  readonly nowNs = (): bigint => BigInt(Math.round(this.ms * 1e3)) * 1000n;
  readonly nowMs = (): number => this.ms;
}

export async function startMock(clock?: FakeClock, tokenLifetimeSeconds?: number): Promise<MockCequence> {
  return startMockCequence({
    clientId: 'bench-client',
    clientSecret: 'bench-secret-not-logged',
    now: clock?.nowMs,
    tokenLifetimeSeconds,
  });
}

/** A valid policy configuration pointing at the mock (schema defaults for everything else). */
export function policyConfig(mock: MockCequence, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...mockCequenceConfig(mock),
    serviceNamespace: NAMESPACE,
    ...extra,
  };
}
export function clustersFor(mock: MockCequence): Record<string, string> {
  return { [AUTH_CLUSTER]: mock.authUrl, [EDGE_CLUSTER]: mock.edgeUrl };
}

export interface SubjectOptions {
  clock: FakeClock;
  config?: Record<string, unknown> | string;
  clusters?: Record<string, string>;
  workers?: number;
}

/** A host on the fake clock whose tick timers are stopped: the bench calls tick() itself. */
export async function subjectHost(wasm: Buffer, o: SubjectOptions): Promise<ProxyWasmHost> {
  const host = await createHost(wasm, {
    config: o.config ?? '',
    clusters: o.clusters ?? {},
    workers: o.workers ?? 1,
    now: o.clock.nowNs,
    keepLogs: false,
    logLevel: 'warn',
  });
  for (const vm of host.vms) vm.clearTick();
  for (const vm of host.vms) if (vm.failed) throw new Error(`VM ${vm.index} failed at start: ${vm.failure}`);
  return host;
}

/** proxy_on_tick on every worker's root context (what the tick timer would do). */
export function tick(host: ProxyWasmHost): void {
  for (const vm of host.vms) {
    if (vm.failed) continue;
    vm.call('proxy_on_tick', vm.rootContextId, vm.rootContextId);
    vm.flushAfterCall();
  }
}

/** Wait until the host has no dispatched call outstanding and its answers were delivered. */
export async function settle(host: ProxyWasmHost, maxMs = 10_000): Promise<void> {
  const start = Date.now();
  await turn();
  while (host.pendingHttpCalls > 0) {
    if (Date.now() - start > maxMs) return;
    await new Promise<void>((r) => setTimeout(r, 0));
  }
  await turn(); // answers are delivered with setImmediate
  await turn();
}

export function linearMemory(host: ProxyWasmHost): number {
  return Math.max(...host.vms.map((vm) => (vm.exports.memory as WebAssembly.Memory).buffer.byteLength));
}

export function assertHealthy(host: ProxyWasmHost, what: string): void {
  for (const vm of host.vms) if (vm.failed) throw new Error(`${what}: VM ${vm.index} failed: ${vm.failure}`);
}

// ---- typical traffic ------------------------------------------------------------------------

const CHUNK = 16 * 1024;

/** Valid UTF-8 JSON-like text of exactly n bytes (quotes and a newline escape on the way out). */
export function jsonishBody(n: number, seed = 0): Buffer {
  const unit = Buffer.from(`{"id":${10000 + seed},"sku":"AB-1234","name":"Widget, blue","qty":3,"price":19.99,"tags":["new","sale"],"note":"ok\\n"},`);
  const b = Buffer.alloc(n);
  for (let off = 0; off < n; off += unit.length) unit.copy(b, off, 0, Math.min(unit.length, n - off));
  return b;
}

/** Split into proxy-sized chunks (16 KiB, as Envoy and Node deliver large bodies). */
export function chunks(b: Buffer, size = CHUNK): Buffer[] {
  if (b.length === 0) return [];
  const out: Buffer[] = [];
  for (let off = 0; off < b.length; off += size) out.push(b.subarray(off, Math.min(b.length, off + size)));
  return out;
}

/**
 * One typical API call: 12 request headers (4 pseudo + 8) and 12 response headers, request and
 * response bodies of `bodyBytes` each (GET without bodies when 0), bodies in 16 KiB chunks.
 */
export function typicalStream(bodyBytes: number, status = 200): SyntheticStream {
  const body = jsonishBody(bodyBytes);
  const c = chunks(body);
  const hasBody = bodyBytes > 0;
  return {
    request: {
      headers: [
        [':authority', 'api.example.com'],
        [':path', hasBody ? '/v1/orders?include=items&expand=customer' : '/v1/orders/12345?include=items'],
        [':method', hasBody ? 'POST' : 'GET'],
        [':scheme', 'https'],
        ['user-agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36'],
        ['accept', 'application/json, text/plain, */*'],
        ['accept-encoding', 'gzip, deflate, br'],
        ['accept-language', 'en-US,en;q=0.9'],
        ['content-type', 'application/json'],
        ['content-length', String(bodyBytes)],
        ['authorization', 'Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl'],
        ['x-request-id', '8f14e45f-ceea-467f-a0e6-a5a0a9b3c1d2'],
      ],
      body: c,
    },
    response: {
      headers: [
        [':status', String(status)],
        ['content-type', 'application/json; charset=utf-8'],
        ['content-length', String(bodyBytes)],
        ['date', 'Tue, 14 May 2024 10:00:00 GMT'],
        ['server', 'orders-api'],
        ['cache-control', 'no-store'],
        ['etag', 'W/"5e-1a2b3c4d"'],
        ['vary', 'Accept-Encoding'],
        ['x-content-type-options', 'nosniff'],
        ['strict-transport-security', 'max-age=31536000'],
        ['x-request-id', '8f14e45f-ceea-467f-a0e6-a5a0a9b3c1d2'],
        ['x-envoy-upstream-service-time', '3'],
      ],
      body: c,
    },
  };
}
