// Batch assembly: the transactions at the front of the queue joined into Cequence's batch document,
// {"data":[t1,t2,...]} (what Cequence's own client posts to /api-transactions), as one buffer. Pure.
//
// A batch holds at most `maxTransactions`, and its JSON at most `maxBytes` bytes, except that a single
// transaction larger than `maxBytes` travels alone (it is never split and never blocks the queue).
import { TxQueue } from "./queue";
import { RawBytes } from "../raw-bytes";

const OPEN = "{\"data\":["; // then the transactions, comma-separated, then "]}"
const OPEN_BYTES: i64 = 9;
const CLOSE_BYTES: i64 = 2;

/** Size of the batch document holding transactions whose sizes add up to `txBytes`. */
export function batchBodyBytes(count: i32, txBytes: i64): i64 {
  if (count <= 0) return OPEN_BYTES + CLOSE_BYTES;
  return OPEN_BYTES + txBytes + <i64>(count - 1) + CLOSE_BYTES; // count-1 commas
}

/** How many transactions from the front of the queue go into the next batch (0 only when the queue is empty). */
export function planBatch(queue: TxQueue, maxTransactions: i32, maxBytes: i64): i32 {
  const available = queue.count;
  if (available == 0) return 0;
  let n = 1;
  let body = batchBodyBytes(1, <i64>queue.at(0).len);
  while (n < available && n < maxTransactions) {
    const next = body + 1 + <i64>queue.at(n).len;
    if (next > maxBytes) break;
    body = next;
    n++;
  }
  return n;
}

/** True when the queue already holds a full batch (by count or by bytes), so waiting longer gains nothing. */
export function fullBatchReady(queue: TxQueue, maxTransactions: i32, maxBytes: i64): bool {
  const n = planBatch(queue, maxTransactions, maxBytes);
  return n > 0 && (n >= maxTransactions || n < queue.count);
}

/** The batch document of the first `count` queued transactions (the queue is not changed), in a block the caller owns. */
export function assembleFromQueue(queue: TxQueue, count: i32): RawBytes {
  if (count > queue.count) count = queue.count;
  const parts = new Array<RawBytes>(count < 0 ? 0 : count);
  for (let i = 0; i < parts.length; i++) parts[i] = queue.at(i);
  return assembleBatch(parts);
}

/** The batch document of the given transactions (for callers holding them outside a queue). */
export function assembleBatch(parts: RawBytes[]): RawBytes {
  let txBytes: i64 = 0;
  for (let i = 0; i < parts.length; i++) txBytes += <i64>parts[i].len;
  const out = RawBytes.alloc(<i32>batchBodyBytes(parts.length, txBytes));
  const base = out.ptr;
  for (let i = 0; i < <i32>OPEN_BYTES; i++) store<u8>(base + <usize>i, <u8>OPEN.charCodeAt(i));
  let pos = <usize>OPEN_BYTES;
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) {
      store<u8>(base + pos, 0x2c);
      pos++;
    }
    const len = <usize>parts[i].len;
    memory.copy(base + pos, parts[i].ptr, len);
    pos += len;
  }
  store<u8>(base + pos, 0x5d); // ]
  store<u8>(base + pos + 1, 0x7d); // }
  return out;
}
