// Delivery counters. Pure.
//
// Every transaction handed to the client is counted once as captured, and at every moment is in exactly
// one of: queued, in flight (in a batch being posted or waiting for a retry), sent, or dropped; so
// captured = sent + dropped + queued + in flight. Dropped is split by reason: the queue was full (the
// oldest were dropped), a batch was given up after retrying for too long, or Edge rejected a batch.
import { msg } from "../literals";

export class Counters {
  captured: u64 = 0;
  sent: u64 = 0;
  droppedQueueFull: u64 = 0;
  droppedGaveUp: u64 = 0;
  droppedRejected: u64 = 0;

  get dropped(): u64 {
    return this.droppedQueueFull + this.droppedGaveUp + this.droppedRejected;
  }

  /** The accounting identity, given the current queued and in-flight transaction counts. */
  balanced(queued: u64, inFlight: u64): bool {
    return this.captured == this.sent + this.dropped + queued + inFlight;
  }

  /** The periodic info line (without the "[cequence] " prefix). */
  line(queued: u64, queuedBytes: i64, inFlight: u64, inFlightBatches: i32, retrying: i32): string {
    return msg("Stats: captured=") + this.captured.toString() +
      msg(" sent=") + this.sent.toString() +
      msg(" dropped=") + this.dropped.toString() +
      msg(" (queue_full=") + this.droppedQueueFull.toString() +
      msg(" gave_up=") + this.droppedGaveUp.toString() +
      msg(" rejected=") + this.droppedRejected.toString() + ")" +
      msg(" queued=") + queued.toString() + " (" + queuedBytes.toString() + msg(" bytes)") +
      msg(" in_flight=") + inFlight.toString() + " (" + inFlightBatches.toString() + msg(" batch(es), ") + retrying.toString() + msg(" waiting to retry)");
  }
}
