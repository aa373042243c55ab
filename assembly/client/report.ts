// What the client reports of its counts: the counters of the Stats and shutdown lines, and the
// proxy-wasm metrics (metrics.ts) set from the same counts and pushed on each tick.
import { captureCounts } from "../capture/counters";
import { logWarn } from "../log";
import { Outbox } from "./delivery";
import { PolicyMetrics, M } from "./metrics";
import { msg } from "../literals";

// What the capture controls left out is counted per VM (captureCounts), and a VM can hold two root
// contexts for a moment (Envoy keeps the VM across a configuration change and replaces the root
// context): the increase is claimed by whichever client pushes metrics first, so none counts it twice.
let claimedExcluded: u64 = 0;
let claimedBodiesSkipped: u64 = 0;

/** What the capture controls left out (not part of the delivery balance: never captured). */
function captureLine(): string {
  return msg(" excluded=") + captureCounts.excluded.toString() + msg(" bodies_skipped=") + captureCounts.bodiesSkipped.toString();
}

/** The delivery counters and what the capture controls left out, as the Stats and shutdown lines say them. */
export function countsLine(o: Outbox): string {
  return o.counters.line(<u64>o.queue.count, o.queue.queuedBytes, o.inFlightTransactions(), o.batches.length, o.waitingBatches()) + captureLine();
}

/**
 * Sets every metric from the module's own counts and pushes what changed (no host call when nothing
 * did). `droppedAtShutdown`: what was still queued or in flight at shutdown; `live` false after it.
 */
export function pushMetrics(m: PolicyMetrics, o: Outbox, droppedAtShutdown: u64, live: bool): void {
  const c = o.counters;
  const q = o.queue;
  m.set(M.Captured, <i64>c.captured);
  m.set(M.Sent, <i64>c.sent);
  m.set(M.Dropped, <i64>(c.dropped + droppedAtShutdown));
  m.set(M.DroppedQueueFullCount, <i64>q.droppedOverCount);
  m.set(M.DroppedQueueFullBytes, <i64>q.droppedOverBytes);
  m.set(M.DroppedGaveUp, <i64>c.droppedGaveUp);
  m.set(M.DroppedShutdown, <i64>(q.droppedResized + droppedAtShutdown));
  m.set(M.DroppedRejected, <i64>c.droppedRejected);
  m.add(M.Excluded, <i64>(captureCounts.excluded - claimedExcluded));
  claimedExcluded = captureCounts.excluded;
  m.add(M.BodiesSkipped, <i64>(captureCounts.bodiesSkipped - claimedBodiesSkipped));
  claimedBodiesSkipped = captureCounts.bodiesSkipped;
  m.set(M.QueueTransactions, live ? <i64>q.count : 0);
  m.set(M.QueueBytes, live ? q.queuedBytes : 0);
  m.set(M.InFlightTransactions, live ? <i64>o.inFlightTransactions() : 0);
  m.set(M.InFlightBatches, live ? <i64>o.batches.length : 0);
  m.flush();
  const refused = m.takeUpdateRefusal();
  if (refused.length > 0) {
    logWarn(msg("Metrics: the gateway refused an update of ") + refused + msg("; that metric is no longer updated (the Stats line still counts it)"));
  }
}
