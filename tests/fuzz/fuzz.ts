// The fuzzer: drives the real policy module (the built bundle's) in the emulator's proxy-wasm host with
// hostile traffic (hostile.ts) — many streams open at once with their callbacks interleaved, streams cut
// at any point — while the root's calls go to a Cequence answering garbage (garbage-cequence.ts), and
// with configurations mutated from a valid one. Counts streams, callbacks, events the filter held back
// (anything but Continue), traps and peak linear memory; a failing case is written out for replay.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHost, type ProxyWasmHost, type Pairs, type StreamSink } from '../../emulator/host/index.ts';
import { Rng, streamCase, mutatedConfig, type StreamCase } from './hostile.ts';
import { startGarbageCequence } from './garbage-cequence.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const POLICY_WASM = path.join(ROOT, 'policies-k8s', 'cequence_policy.wasm');

export interface FuzzOptions {
  streams: number;
  seed: number;
  workers?: number;
  /** Streams open at once, at most (interleaved). */
  concurrency?: number;
  /** Mutated configurations tried (each on a fresh host). */
  configs?: number;
  /** Allow header blocks up to 8 MiB and 1 MiB bodies (slower). */
  huge?: boolean;
  wasm?: Buffer;
  /** Where a failing case is written. */
  reproDir?: string;
  progress?: (done: number) => void;
  /** Streams between two root ticks (each advances the simulated clock; the client collects garbage per tick). */
  tickEvery?: number;
}

export interface FuzzReport {
  seed: number;
  streams: number;
  callbacks: number;
  /** Events the filter did not let through at once (a Pause or a local reply): must be 0. */
  nonContinue: number;
  traps: number;
  /** Largest linear memory of any worker VM, bytes (and at half time: growth after that is a leak). */
  peakMemory: number;
  peakMemoryAtHalf: number;
  /** What the README promises for the configuration the streams ran with: capture budget (the queue's
   *  byte bound) + queue bound + 2 MiB, per worker VM. */
  memoryBound: number;
  configsTried: number;
  configsRejected: number;
  garbageAnswers: Record<string, number>;
  seconds: number;
  failure?: { message: string; repro: string };
}

const SCHEMA = JSON.parse(readFileSync(path.join(ROOT, 'schema', 'config.schema.json'), 'utf8'));
const MiB = 1048576;

const VALID = {
  cequenceAuthUrl: 'http://cequence-auth.fuzz', cequenceEdgeUrl: 'http://cequence-edge.fuzz',
  cequenceClientId: 'fuzz', cequenceClientSecret: 'fuzz-secret', cequenceAuthPath: '/token',
  enableDebugLogs: false, cequenceFlushIntervalMs: 100, cequenceEdgeTimeoutMs: 200, cequenceAuthTimeoutMs: 200,
  cequenceRetryInitialBackoffMs: 10, cequenceRetryMaxBackoffMs: 100, cequenceStatsIntervalMs: 1000,
  cequenceRedactJsonFields: ['password'], cequenceRedactHeaders: ['authorization'], cequenceExcludePaths: ['/health'],
  cequenceSkipBodyContentTypes: ['image/*'],
};

/** Simulated clock shared by the host: the fuzzer advances it, so retries and timeouts happen fast. */
class Clock {
  ms = Date.now();
  readonly nowNs = (): bigint => BigInt(Math.round(this.ms)) * 1_000_000n;
}

const turn = () => new Promise<void>((r) => setImmediate(r));

function memoryOf(host: ProxyWasmHost): number {
  return Math.max(...host.vms.map((vm) => (vm.exports.memory as WebAssembly.Memory).buffer.byteLength));
}

/** What reached each side of the filter, to compare with what was sent. */
class Seen implements StreamSink {
  reqHeaders = 0; reqBytes = 0; reqTrailers = 0; respHeaders = 0; respBytes = 0; respTrailers = 0;
  local?: number; resetReason?: string;
  requestHeaders(): void { this.reqHeaders++; }
  requestData(c: Buffer): void { this.reqBytes += c.length; }
  requestTrailers(): void { this.reqTrailers++; }
  responseHeaders(): void { this.respHeaders++; }
  responseData(c: Buffer): void { this.respBytes += c.length; }
  responseTrailers(): void { this.respTrailers++; }
  localReply(status: number): void { this.local = status; }
  reset(reason: string): void { this.resetReason = reason; }
}

interface Open {
  c: StreamCase;
  next: number;
  seen: Seen;
  st: ReturnType<ProxyWasmHost['openStream']>;
  sent: Seen;
}

function serialise(c: StreamCase): unknown {
  return {
    cutAt: c.cutAt,
    events: c.events.map((e) => ('chunk' in e ? { ...e, chunk: e.chunk.toString('base64') } : e)),
  };
}

async function newHost(wasm: Buffer, config: string | object, clusters: Record<string, string>, workers: number, clock: Clock, onError?: (m: string) => void): Promise<ProxyWasmHost> {
  return createHost(wasm, { config, clusters, workers, now: clock.nowNs, keepLogs: false, logLevel: 'error', onLog: (e) => onError?.(e.message) });
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const r = new Rng(o.seed);
  const wasm = o.wasm ?? readFileSync(POLICY_WASM);
  const cequence = await startGarbageCequence(o.seed);
  const clusters = { 'cequence-auth-service.default.svc': cequence.url, 'cequence-edge-service.default.svc': cequence.url };
  const clock = new Clock();
  const report: FuzzReport = {
    seed: o.seed, streams: 0, callbacks: 0, nonContinue: 0, traps: 0, peakMemory: 0, peakMemoryAtHalf: 0,
    memoryBound: 2 * Number((VALID as Record<string, unknown>).cequenceQueueMaxBytes ?? SCHEMA.properties.cequenceQueueMaxBytes.default) + 2 * MiB,
    configsTried: 0, configsRejected: 0, garbageAnswers: cequence.answers, seconds: 0,
  };
  const reproDir = o.reproDir ?? path.join(ROOT, 'build', 'fuzz');
  const fail = (message: string, detail: unknown) => {
    mkdirSync(reproDir, { recursive: true });
    const file = path.join(reproDir, `repro-${o.seed}.json`);
    writeFileSync(file, JSON.stringify({ seed: o.seed, message, detail }, null, 1));
    report.failure = { message, repro: file };
  };

  try {
    // 1. Configurations mutated from a valid one: each on a fresh host, with a few streams through it.
    for (let i = 0; i < (o.configs ?? 20) && !report.failure; i++) {
      // The first is the valid configuration itself (it must load), the rest are mutations of it.
      const text = i === 0 ? JSON.stringify(VALID) : mutatedConfig(r, VALID);
      let rejected = false;
      const host = await newHost(wasm, text, clusters, 1, clock, (m) => {
        if (m.startsWith('[cequence] Invalid configuration')) rejected = true;
      });
      report.configsTried++;
      if (rejected) report.configsRejected++;
      try {
        if (!host.vms[0].rootContextId || host.vms.some((vm) => vm.failed)) {
          report.traps += host.vms.filter((vm) => vm.failed).length;
          fail('a mutated configuration trapped the VM', { config: text, failure: host.vms[0].failure });
          break;
        }
        // The module's own verdict (the error line) is not visible with logs off; count via a probe stream.
        for (let k = 0; k < 3; k++) {
          const c = streamCase(r, false);
          const p = drive(host, c, 0);
          report.callbacks += p.callbacks;
          const why = p.problem;
          if (why || host.vms[0].failed) {
            if (host.vms[0].failed) report.traps++;
            fail(host.vms[0].failed ? `trap: ${host.vms[0].failure}` : why!, { config: text, stream: serialise(c) });
            break;
          }
        }
      } finally {
        host.close();
      }
    }

    // 2. Hostile streams, interleaved, on several workers, root calls answered with garbage.
    const workers = o.workers ?? 2;
    const host = await newHost(wasm, VALID, clusters, workers, clock);
    for (const vm of host.vms) vm.clearTick(); // the fuzzer ticks on the simulated clock
    const open: Open[] = [];
    let begun = 0;
    try {
      while ((begun < o.streams || open.length > 0) && !report.failure) {
        const limit = o.concurrency ?? 16;
        // Open a new stream, or advance one that is open (random order: callbacks interleave).
        if (begun < o.streams && (open.length === 0 || (open.length < limit && r.chance(0.35)))) {
          const c = streamCase(r, o.huge ?? false);
          const seen = new Seen();
          const st = host.openStream(seen, { worker: begun % workers, connection: { sourceAddress: '203.0.113.' + r.below(255), sourcePort: 1 + r.below(65535) } });
          open.push({ c, next: 0, seen, st, sent: new Seen() });
          begun++;
          continue;
        }
        const i = r.below(open.length);
        const s = open[i];
        if (s.next < s.c.cutAt) {
          step(s);
          report.callbacks++;
          continue;
        }
        s.st.complete();
        report.callbacks++;
        open.splice(i, 1);
        report.streams++;
        const problem = compare(s);
        const trapped = host.vms.filter((vm) => vm.failed);
        if (trapped.length > 0 || problem) {
          report.traps += trapped.length;
          if (problem) report.nonContinue++;
          fail(trapped.length > 0 ? `trap: ${trapped[0].failure}` : problem!, { stream: serialise(s.c), worker: (begun - 1) % workers });
          break;
        }
        if (report.streams % (o.tickEvery ?? 64) === 0) {
          report.peakMemory = Math.max(report.peakMemory, memoryOf(host));
          if (report.streams <= o.streams / 2) report.peakMemoryAtHalf = report.peakMemory;
          clock.ms += r.below(1500);
          for (const vm of host.vms) {
            vm.call('proxy_on_tick', vm.rootContextId, vm.rootContextId);
            vm.flushAfterCall();
          }
          await turn();
          o.progress?.(report.streams);
        }
      }
      report.peakMemory = Math.max(report.peakMemory, memoryOf(host));
      if (!report.failure && host.vms.some((vm) => vm.failed)) {
        report.traps += host.vms.filter((vm) => vm.failed).length;
        fail(`trap after the streams: ${host.vms.find((vm) => vm.failed)!.failure}`, {});
      }
    } finally {
      host.close();
    }
  } finally {
    await cequence.close();
    report.seconds = (Date.now() - started) / 1000;
  }
  return report;
}

/** Runs one event of an open stream, and records what was sent. */
function step(s: Open): void {
  const e = s.c.events[s.next++];
  const st = s.st;
  switch (e.kind) {
    case 'reqHeaders': s.sent.reqHeaders++; st.requestHeaders(e.headers, e.eos); break;
    case 'reqData': s.sent.reqBytes += e.chunk.length; st.requestData(e.chunk, e.eos); break;
    case 'reqTrailers': s.sent.reqTrailers++; st.requestTrailers(e.trailers); break;
    case 'respHeaders': s.sent.respHeaders++; st.responseHeaders(e.headers, e.eos); break;
    case 'respData': s.sent.respBytes += e.chunk.length; st.responseData(e.chunk, e.eos); break;
    case 'respTrailers': s.sent.respTrailers++; st.responseTrailers(e.trailers); break;
  }
}

/** Everything sent passed the filter at once, and the filter answered nothing itself. */
function compare(s: Open): string | undefined {
  const a = s.sent, b = s.seen;
  if (b.local !== undefined) return `the filter answered locally (${b.local})`;
  if (b.resetReason !== undefined) return `the stream was reset (${b.resetReason})`;
  for (const k of ['reqHeaders', 'reqBytes', 'reqTrailers', 'respHeaders', 'respBytes', 'respTrailers'] as const) {
    if (a[k] !== b[k]) return `held back by the filter: ${k} sent ${a[k]}, passed ${b[k]}`;
  }
  return undefined;
}

/** One stream start to finish on a host (the configuration phase). */
function drive(host: ProxyWasmHost, c: StreamCase, worker: number): { callbacks: number; problem?: string } {
  const seen = new Seen();
  const s: Open = { c, next: 0, seen, st: host.openStream(seen, { worker }), sent: new Seen() };
  let callbacks = 0;
  while (s.next < c.cutAt) {
    step(s);
    callbacks++;
  }
  s.st.complete();
  return { callbacks: callbacks + 1, problem: compare(s) };
}

export type { Pairs };
