// The client's pending http calls: each call id the host handed back maps to what its answer is for.
import { Batch, BatchState } from "./delivery";

/** A request to the token endpoint. */
export const CALL_TOKEN: i32 = 1;
/** A batch posted to Edge/Bridge. */
export const CALL_EDGE: i32 = 2;

export class PendingCall {
  constructor(
    public kind: i32,
    /** The batch posted (CALL_EDGE), else null. */
    public batch: Batch | null,
    /** The auth settings' epoch when a token was requested (CALL_TOKEN): an older answer is ignored. */
    public authEpoch: u32,
    public sentMs: i64,
  ) {}
}

export class PendingCalls {
  private byId: Map<u32, PendingCall> = new Map<u32, PendingCall>();

  registerToken(callId: u32, authEpoch: u32, sentMs: i64): void {
    this.byId.set(callId, new PendingCall(CALL_TOKEN, null, authEpoch, sentMs));
  }

  registerEdge(callId: u32, b: Batch, sentMs: i64): void {
    this.byId.set(callId, new PendingCall(CALL_EDGE, b, 0, sentMs));
  }

  /** The call answered as `callId`, forgotten now; null when it is not (or no longer) pending. */
  take(callId: u32): PendingCall | null {
    if (!this.byId.has(callId)) return null;
    const call = this.byId.get(callId);
    this.byId.delete(callId);
    return call;
  }

  /** Forgets `callId` (an answer that may still come is then ignored). */
  forget(callId: u32): void {
    this.byId.delete(callId);
  }

  /** Forgets Edge calls whose batch is no longer waiting for that call (declared lost by Outbox.expire()). */
  pruneEdge(): void {
    const keys = this.byId.keys();
    for (let i = 0; i < keys.length; i++) {
      const call = this.byId.get(keys[i]);
      if (call.kind != CALL_EDGE) continue;
      const b = call.batch;
      if (b == null || b.callId != keys[i] || b.state != BatchState.InFlight) this.byId.delete(keys[i]);
    }
  }
}
