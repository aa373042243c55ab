// The fault matrix on real Envoy, traffic flowing: one plan of requests sent open loop (40 per second,
// each on a new connection) through a gateway without the policy, then through the policy while
// Cequence misbehaves in one way per row. Each row checks that every client response is the one the
// run without the policy got (status and body), that Envoy never logs a wasm failure, and that the
// accounting balances to the transaction: the metrics agree with the Stats lines, and after shutdown
// captured = sent + dropped + queued + in flight for every root context, what Edge holds is exactly
// what was counted as sent (each once), and what was still held at shutdown is said in the shutdown line.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  addStats, editConfFile, editBindingConfig, latestStats, parseStats, startSubject, waitFor, ZERO_STATS,
  type Request, type Stats, type Subject, type SubjectOptions,
} from '../../harness/index.ts';
import type { AuthMode, ModeOptions } from '../../emulator/mock-cequence.ts';
import { differences, openLoop, type Outcome } from '../../harness/open-loop.ts';
import { metricsAsStats, readout, scrape, type Readout } from '../metrics/metrics.ts';
import { cequenceLines, wasmFailures } from './lib.ts';

const RATE = 40;
const PLAN_LENGTH = 480; // 12 s of traffic per row
const FAULT_AT = 120; // the fault starts with request 120 (3 s in) ...
const CLEAR_AT = 360; // ... and ends with request 360 (9 s in) in the rows that recover
const TAIL = 4; // drain row: slow requests in flight while the listeners drain

/** Request i of the plan: GETs, JSON and over-the-limit bodies echoed back, a chunked upload, a 404,
 *  and a 500 (outside the default status range 100–499: not captured). Answers are deterministic. */
function planned(i: number): Request {
  const p = `/fm/${i}`;
  switch (i % 6) {
    case 0: return { method: 'GET', path: `${p}?size=512` };
    case 1: return { method: 'POST', path: `${p}?raw=1`, headers: [['content-type', 'application/json']], body: JSON.stringify({ i, pad: 'x'.repeat(1000) }) };
    case 2: return { method: 'POST', path: `${p}?raw=1`, headers: [['content-type', 'application/octet-stream']], body: Buffer.alloc(40000, i % 251) };
    case 3: return { method: 'GET', path: `${p}?status=404&size=64` };
    case 4: return { method: 'GET', path: `${p}?status=500&size=32` };
    default: return { method: 'PUT', path: `${p}?chunked=1&size=3000`, body: [Buffer.from('one,'), Buffer.from('two,'), Buffer.from('three')] };
  }
}
const PLAN = Array.from({ length: PLAN_LENGTH }, (_, i) => planned(i));
const TAIL_PLAN: Request[] = Array.from({ length: TAIL }, (_, j) => ({ method: 'GET', path: `/fm/tail/${j}?delay=800&size=100` }));
/** The paths of the plan's requests whose status is in the default range (all but the 500s). */
const capturedPaths = (plan: Request[]) => plan.filter((r) => !r.path.includes('status=500')).map((r) => r.path);

/** The counters of a Stats line or of the tail of a Shutting down line. */
function countsOf(line: string): Stats {
  const s = parseStats(line.replace(/^\[cequence\] Shutting down: [^;]*; /, '[cequence] '));
  if (!s) throw new Error(`no counters in: ${line}`);
  return s;
}
const unsent = (c: Stats) => c.dropped + c.queued + c.inFlight;

interface Row {
  name: string;
  subject?: Partial<SubjectOptions>;
  /** At request FAULT_AT. */
  fault(s: Subject): Promise<void> | void;
  /** At request CLEAR_AT; rows without it keep the fault until shutdown. */
  clear?(s: Subject): Promise<void> | void;
  /** Drain the listeners (admin /drain_listeners?graceful) with TAIL requests in flight, then shut down. */
  drain?: boolean;
  /** How the row ends: `recovers` (nothing held at shutdown; drops only by the queue bound), `holds`
   *  (Edge still down: something is held, and named, at shutdown), `new-roots` (a conf.d change: the
   *  old root contexts shut down mid-run, the new ones deliver everything). */
  end: 'recovers' | 'holds' | 'new-roots';
  /** More checks on the metrics at the end of the traffic. */
  metrics?(m: Readout, s: Subject): void;
}

/** Cequence's Edge is addressed by a name that does not resolve (Service and cequenceEdgeUrl alike). */
const UNRESOLVABLE = 'cequence-edge.invalid';
function edgeServiceAddress(dir: string, address: (current: string) => string): void {
  editConfFile(dir, 'cequence_binding.yaml', (docs) => {
    const svc = docs.find((d) => d?.kind === 'Service' && d.metadata.name === 'cequence-edge-service');
    svc.spec.address = address(svc.spec.address);
  });
}
const renamed = (url: string) => url.replace('//127.0.0.1:', `//${UNRESOLVABLE}:`);

/** The token endpoint misbehaves (`mode`) while a new token is needed (every token revoked), then is back. */
function tokenRow(what: string, mode: AuthMode, opts?: ModeOptions): Row {
  return {
    name: `token endpoint ${what} while a new token is needed, then back`,
    fault: async (s) => {
      await s.mock.setAuthMode(mode, opts);
      s.mock.revokeTokens();
    },
    clear: (s) => s.mock.setAuthMode('ok'),
    end: 'recovers',
    metrics: (m) => assert.ok(m.tokenFailures > 0, 'token failures counted'),
  };
}

const ROWS: Row[] = [
  {
    name: 'Edge down (connection refused) until shutdown: what is held is said in the shutdown line',
    fault: (s) => s.mock.setEdgeMode('down'),
    end: 'holds',
  },
  {
    name: 'Edge slow (1.5 s, longer than the 1 s timeout), then back',
    fault: (s) => s.mock.setEdgeMode('slow', { delayMs: 1500 }),
    clear: (s) => s.mock.setEdgeMode('ok'),
    end: 'recovers',
    metrics: (m) => assert.ok(m.edgeTimeouts > 0, 'timeouts counted'),
  },
  {
    name: 'Edge resetting every connection, then back',
    fault: (s) => s.mock.setEdgeMode('reset'),
    clear: (s) => s.mock.setEdgeMode('ok'),
    end: 'recovers',
    // Envoy's router answers a reset before response headers with its own 503 (the call's response).
    metrics: (m) => assert.ok(m.edge5xx + m.edgeResets > 0, 'resets counted (as Envoy\'s 503)'),
  },
  {
    name: 'Edge answering 401 (every token revoked), recovering with a new token',
    fault: (s) => s.mock.revokeTokens(),
    end: 'recovers',
    metrics: (m, s) => {
      assert.ok(m.edge401 > 0, '401 counted');
      assert.ok(s.mock.tokenRequests.length >= 2, 'a new token was fetched');
    },
  },
  {
    name: 'Edge answering 503, then back',
    fault: (s) => s.mock.setEdgeMode(503),
    clear: (s) => s.mock.setEdgeMode('ok'),
    end: 'recovers',
    metrics: (m) => assert.ok(m.edge5xx > 0, '5xx counted'),
  },
  tokenRow('down', 'down'),
  tokenRow('answering garbage', 'garbage'),
  tokenRow('slow (1.5 s, longer than the 1 s timeout)', 'slow', { delayMs: 1500 }),
  {
    name: 'Edge name does not resolve (DNS), until its Service address is fixed in conf.d',
    subject: {
      prepare: (dir) => {
        edgeServiceAddress(dir, renamed);
        editConfFile(dir, 'cequence_binding.yaml', (docs) => {
          const b = docs.find((d) => d?.kind === 'PolicyBinding');
          b.spec.config.cequenceEdgeUrl = renamed(b.spec.config.cequenceEdgeUrl);
        });
      },
    },
    fault: () => undefined, // failing from the start
    clear: (s) => edgeServiceAddress(s.dir, (a) => a.replace(`//${UNRESOLVABLE}:`, '//127.0.0.1:')),
    end: 'recovers',
  },
  {
    name: 'conf.d changed mid-run (the binding rewritten: new root contexts, the old ones drained)',
    fault: (s) => editBindingConfig(s.dir, { cequenceBatchMaxTransactions: 7 }),
    end: 'new-roots',
  },
  {
    name: 'Edge down, then admin /drain_listeners?graceful with requests in flight, then shutdown',
    fault: (s) => s.mock.setEdgeMode('down'),
    drain: true,
    end: 'holds',
  },
];

/** Sum of the counters each root context reports now: the latest Stats line (since `since`) of each
 *  worker's live root, and the shutdown line of a root that has shut down, where what it still held
 *  is a drop (as the metrics count it: dropped, reason shutdown). */
function currentTotals(s: Subject, shutdownLines: string[], since: number): Stats | undefined {
  const live = latestStats(s, since);
  const gone = shutdownLines.map(countsOf).map((c) => ({ ...c, dropped: c.dropped + c.queued + c.inFlight, queueFull: c.queueFull + c.queued + c.inFlight, queued: 0, inFlight: 0 }));
  return live ? addStats(live, gone.reduce(addStats, ZERO_STATS)) : undefined;
}

describe('fault matrix on Envoy (open-loop traffic, one fault per row)', () => {
  let reference: Outcome[] = [];
  let referenceTail: Outcome[] = [];

  before(async () => {
    const s = await startSubject({ host: 'envoy', withoutPolicy: true });
    try {
      reference = await openLoop(s.url, PLAN, RATE).done;
      referenceTail = await openLoop(s.url, TAIL_PLAN, 100).done;
    } finally {
      await s.close();
    }
    assert.deepEqual(reference.filter((o) => o.error), [], 'the run without the policy answered every request');
  });

  for (const row of ROWS) {
    test(row.name, async (t) => {
      const s = await startSubject({ host: 'envoy', config: { enableDebugLogs: false }, ...row.subject });
      const planPaths = new Set(capturedPaths([...PLAN, ...(row.drain ? TAIL_PLAN : [])]));
      const expected = planPaths.size;
      let closed = false;
      try {
        await s.waitForMessage(/^\[cequence\] Policy configured/, 10000);
        const load = openLoop(s.url, PLAN, RATE);
        await load.reach(FAULT_AT);
        const markFault = s.mark();
        await row.fault(s);
        await load.reach(CLEAR_AT);
        await row.clear?.(s);
        const outcomes = await load.done;
        assert.deepEqual(differences(reference, outcomes), [], 'every response as without the policy');

        // A conf.d change: the old roots are drained (2 s) and shut down; their lines count what they held.
        const confChange = row.end === 'new-roots';
        if (confChange) await s.waitForMessage(/^\[cequence\] Shutting down: /, 15000, markFault);
        const oldShutdowns = () => cequenceLines(s, markFault).filter((l) => l.startsWith('[cequence] Shutting down: '));
        const sinceOld = confChange ? s.mark() : 0;

        // The end of the traffic: every request captured; recovered rows deliver everything.
        const inPlan = capturedPaths(PLAN).length;
        const settled = (x: Stats) => x.captured === inPlan && (row.end === 'holds' || x.queued + x.inFlight === 0);
        const totals = await waitFor(() => {
          const x = currentTotals(s, confChange ? oldShutdowns() : [], sinceOld);
          return x && settled(x) ? x : undefined;
        }, `[${row.name}] Stats totals with captured=${inPlan}`, 40000);
        // The metrics say the same (a Stats line and a metrics push are a tick apart: poll until they meet).
        const fields = (x: Stats) => [x.captured, x.sent, x.dropped, x.queued + x.inFlight];
        let m: Readout | undefined;
        for (let attempt = 0; ; attempt++) {
          const now = currentTotals(s, confChange ? oldShutdowns() : [], sinceOld) ?? totals;
          m = readout(await scrape(s));
          if (JSON.stringify(fields(metricsAsStats(m))) === JSON.stringify(fields(now))) break;
          if (attempt > 60) assert.deepEqual(fields(metricsAsStats(m)), fields(now), 'metrics [captured, sent, dropped, held] = the Stats lines');
          await new Promise((r) => setTimeout(r, 250));
        }
        row.metrics?.(m, s);
        t.diagnostic(`at the end of the traffic: ${JSON.stringify(totals)}; Edge holds ${s.mock.transactions.length}`);

        let tail: Outcome[] = [];
        if (row.drain) {
          const tailLoad = openLoop(s.url, TAIL_PLAN, 100);
          await tailLoad.reach(TAIL - 1);
          await new Promise((r) => setTimeout(r, 100)); // the last one reached the upstream
          const d = await fetch(`${s.envoy!.adminUrl}/drain_listeners?graceful`, { method: 'POST' });
          assert.equal(d.status, 200, 'admin /drain_listeners');
          tail = await tailLoad.done;
          assert.deepEqual(differences(referenceTail, tail), [], 'requests in flight while draining are answered as without the policy');
        }

        closed = true;
        await s.envoy!.close();

        // After shutdown: every root context's last word.
        const shutdowns = cequenceLines(s, 0).filter((l) => l.startsWith('[cequence] Shutting down: '));
        assert.ok(shutdowns.length >= 1, 'shutdown lines');
        for (const l of shutdowns) t.diagnostic(l);
        const roots = shutdowns.map(countsOf);
        const total = roots.reduce(addStats, ZERO_STATS);
        for (const [i, c] of roots.entries()) {
          assert.equal(c.captured, c.sent + c.dropped + c.queued + c.inFlight, `identity at shutdown: ${JSON.stringify(c)}`);
          const held = c.queued + c.inFlight;
          if (held > 0) assert.ok(shutdowns[i].startsWith(`[cequence] Shutting down: ${held} transaction(s) queued or in flight are not sent; `), shutdowns[i]);
          else assert.ok(shutdowns[i].startsWith('[cequence] Shutting down: every captured transaction was sent or counted as dropped; '), shutdowns[i]);
        }
        assert.equal(total.captured, expected, 'captured over every root = requests in the status range');

        // To the transaction: Edge holds exactly what was counted as sent, each once, each a request of the plan.
        const atEdge = (s.mock.transactions as any[]).map((x) => String(x.request['uri-query-fragment']));
        assert.equal(new Set(atEdge).size, atEdge.length, 'no transaction twice at Edge');
        assert.equal(atEdge.length, total.sent, 'Edge holds what was counted as sent');
        for (const p of atEdge) assert.ok(planPaths.has(p), `Edge holds a request of the plan: ${p}`);
        assert.equal(planPaths.size - atEdge.length, unsent(total), 'what Edge lacks is what was counted dropped or held at shutdown');
        // A row that recovers holds nothing at shutdown: all was delivered, or dropped by the queue bound
        // during the outage (oldest first, counted); nothing was given up or rejected.
        if (row.end === 'recovers') {
          assert.equal(total.queued + total.inFlight, 0, 'a recovered row holds nothing at shutdown');
          assert.equal(total.dropped, total.queueFull, 'only the queue bound dropped anything');
        }
        if (row.end === 'holds') assert.ok(total.queued + total.inFlight > 0, 'Edge down at shutdown: something was held');
        assert.deepEqual(wasmFailures(s), [], 'Envoy logged no wasm failure');
      } finally {
        if (!closed) await s.envoy?.close();
        await s.close();
      }
    });
  }
});
