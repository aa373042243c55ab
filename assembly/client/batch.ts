// Batch assembly: the transactions at the front of the queue joined into Cequence's batch document,
// {"data":[t1,t2,...]} (what Cequence's own client posts to /api-transactions), as one buffer. Pure.
//
// A batch holds at most `maxTransactions`, and its JSON at most `maxBytes` bytes, except that a single
// transaction larger than `maxBytes` travels alone (it is never split and never blocks the queue).
import { TxQueue } from "./queue";
import { RawBytes } from "../raw-bytes";
import { Arena } from "../arena";
import { utf8, utf8Bytes } from "../literals";

// Each queued transaction is kept in a record with room for this framing around it, written when the
// record is made: a batch of one is then posted from the record itself, with no copy and no new block.
const FRAME_HEAD: i32 = 9; // {"data":[
const FRAME_TAIL: i32 = 2; // ]}

/** A record for a transaction of `size` bytes, framed: its bytes go at `ptr` (null when the arena has no room). */
export function newRecord(arena: Arena | null, size: i32): RawBytes | null {
  const r = RawBytes.from(arena, size + FRAME_HEAD + FRAME_TAIL);
  if (r == null) return null;
  const b = r.block;
  memory.copy(b, utf8Bytes(OPEN), <usize>FRAME_HEAD);
  store<u8>(b + <usize>(FRAME_HEAD + size), 0x5d); // ]
  store<u8>(b + <usize>(FRAME_HEAD + size + 1), 0x7d); // }
  r.ptr = b + <usize>FRAME_HEAD;
  r.len = size;
  return r;
}

/** The record, now holding a transaction, becomes the batch document of that one transaction. False for a transaction not kept in a record. */
export function frameAlone(r: RawBytes): bool {
  if (r.block == 0 || r.ptr != r.block + <usize>FRAME_HEAD) return false;
  r.ptr = r.block;
  r.len += FRAME_HEAD + FRAME_TAIL;
  return true;
}

const OPEN = utf8("{\"data\":["); // then the transactions, comma-separated, then "]}"
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

/** The batch document of the first `count` queued transactions (the queue is not changed), in a block of `arena` the caller owns; null when the arena has no room. */
export function assembleFromQueue(queue: TxQueue, count: i32, arena: Arena | null): RawBytes | null {
  if (count > queue.count) count = queue.count;
  const parts = new Array<RawBytes>(count < 0 ? 0 : count);
  let txBytes: i64 = 0;
  for (let i = 0; i < parts.length; i++) {
    parts[i] = queue.at(i);
    txBytes += <i64>parts[i].len;
  }
  const out = RawBytes.from(arena, <i32>batchBodyBytes(parts.length, txBytes));
  if (out != null) assembleInto(out, parts);
  return out;
}

/** The batch document of the given transactions, in a heap block (callers holding them outside a queue). */
export function assembleBatch(parts: RawBytes[]): RawBytes {
  let txBytes: i64 = 0;
  for (let i = 0; i < parts.length; i++) txBytes += <i64>parts[i].len;
  const out = RawBytes.alloc(<i32>batchBodyBytes(parts.length, txBytes));
  assembleInto(out, parts);
  return out;
}

function assembleInto(out: RawBytes, parts: RawBytes[]): void {
  const base = out.ptr;
  memory.copy(base, utf8Bytes(OPEN), <usize>OPEN_BYTES);
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
}
