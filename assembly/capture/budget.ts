// The capture budget: bytes all streams of this worker VM may hold at once while they are in progress —
// header maps read from the host and captured body bytes. Each stream is bounded by the body limit, but
// streams can be many and header blocks large (Envoy's max_request_headers_kb goes up to 8 MiB): past
// the budget, body bytes are only counted (the body is marked truncated), and a stream whose header
// block does not fit is not read at all (counted as dropped when it would have been captured). So the
// memory streams hold stays under the budget whatever the traffic. The root sets it from the
// configuration (the queue's byte bound); released bytes return to it when a stream ends. Pure.

//
// The bytes themselves live in one arena of the budget's size (arena.ts), taken at the first read
// (a VM that never sees a stream, such as the main thread's, never takes it): the host writes header
// maps and body chunks straight into it (host.ts), so what streams hold can never make the module's
// memory grow, however the blocks come and go.
import { Arena } from "../arena";

let budgetTotal: i64 = 4194304;
let budgetLeft: i64 = 4194304;
let arena: Arena | null = null;

/** The arena's size for a budget: the budget, plus room for block headers and the rounding of sizes. */
export function captureArenaBytes(budget: i64): i32 {
  return <i32>(budget + budget / 64 + 65536);
}

/** Sets the budget (and its arena); bytes held by streams in progress stay counted against the new one. */
export function setCaptureBudget(bytes: i64): void {
  budgetLeft += bytes - budgetTotal;
  budgetTotal = bytes;
  arenaSize = captureArenaBytes(bytes);
  const old = arena;
  if (old != null && old.bytes != arenaSize) {
    old.retire(); // given back once the streams holding its blocks let go
    arena = null;
  }
}

let arenaSize: i32 = 0;

/** Where streams' header maps and body chunks go (null before the first configuration: the heap). */
export function captureArena(): Arena | null {
  if (arena == null && arenaSize > 0) arena = new Arena(arenaSize);
  return arena;
}

export function captureBudgetLeft(): i64 {
  return budgetLeft;
}

/** Takes `n` bytes from the budget; false (and nothing taken) when they do not fit. */
export function reserveCapture(n: i64): bool {
  if (n > budgetLeft) return false;
  budgetLeft -= n;
  return true;
}

export function releaseCapture(n: i64): void {
  budgetLeft += n;
}
