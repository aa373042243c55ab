// Open-loop load for end-to-end runs: request i of a fixed plan starts at t0 + i/rate whatever the
// earlier ones are doing (clients that do not wait for the gateway, as a customer's do not), each on
// a new connection. What came back is kept per request (status, length and SHA-256 of the body), so
// two runs of one plan — e.g. with and without the policy — can be compared request by request.
import { createHash } from 'node:crypto';
import { sendRequest, type Request } from './http-client.ts';

export interface Outcome {
  index: number;
  path: string;
  status: number;
  bodyLength: number;
  bodySha256: string;
  /** Set when no response came back (the connection failed or was reset). */
  error?: string;
  ms: number;
}

export interface OpenLoop {
  /** Outcomes so far, by plan index (holes for requests not finished yet). */
  readonly outcomes: Outcome[];
  /** Requests started so far. */
  started(): number;
  /** Resolves once request `i` of the plan has been started (its slot in the schedule came). */
  reach(i: number): Promise<void>;
  /** Resolves with every outcome once the whole plan has been sent and answered. */
  done: Promise<Outcome[]>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends `plan` to `url` at `ratePerSecond`, open loop. */
export function openLoop(url: string, plan: Request[], ratePerSecond: number): OpenLoop {
  const outcomes: Outcome[] = [];
  const t0 = performance.now();
  let started = 0;
  const waiting: { i: number; resolve: () => void }[] = [];
  const one = async (index: number): Promise<void> => {
    const r = plan[index];
    const t = performance.now();
    try {
      const sent = await sendRequest(url, r);
      outcomes[index] = {
        index, path: r.path, status: sent.status, bodyLength: sent.body.length,
        bodySha256: createHash('sha256').update(sent.body).digest('hex'), ms: performance.now() - t,
      };
    } catch (e) {
      outcomes[index] = { index, path: r.path, status: 0, bodyLength: 0, bodySha256: '', error: (e as Error).message, ms: performance.now() - t };
    }
  };
  const done = (async () => {
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < plan.length; i++) {
      const due = t0 + (i * 1000) / ratePerSecond;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      inFlight.push(one(i));
      started = i + 1;
      for (const w of waiting.filter((x) => x.i < started)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve();
      }
    }
    await Promise.all(inFlight);
    return outcomes;
  })();
  return {
    outcomes,
    started: () => started,
    reach: (i) => (i < started ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ i, resolve }))),
    done,
  };
}

/** Where run `got` differs from run `want` of the same plan (status, body length or digest, or an error). */
export function differences(want: Outcome[], got: Outcome[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.max(want.length, got.length); i++) {
    const a = want[i];
    const b = got[i];
    if (!a || !b) out.push(`request ${i}: ${!a ? 'not in the reference run' : 'not answered'}`);
    else if (b.error || a.error) out.push(`request ${i} ${b.path}: ${b.error ?? 'ok'} (reference: ${a.error ?? 'ok'})`);
    else if (a.status !== b.status || a.bodyLength !== b.bodyLength || a.bodySha256 !== b.bodySha256) {
      out.push(`request ${i} ${b.path}: ${b.status} with ${b.bodyLength} bytes (reference: ${a.status} with ${a.bodyLength} bytes${a.bodySha256 === b.bodySha256 ? '' : ', other bytes'})`);
    }
  }
  return out;
}
