// Where finished transactions go: the capture side hands each one to a sink it is given (the policy
// root, which passes it to the Cequence client), so capture never reaches back for the root or client.
import { RawBytes } from "../raw-bytes";

export interface TransactionSink {
  /** A serialised transaction, ready for the queue; the sink takes its block (frees it if it keeps none). */
  enqueue(transaction: RawBytes): void;
  /** Where a transaction of `size` bytes is to be written (room made first: the oldest dropped for it); null: do not build it, dropUnfit(). */
  reserve(size: i64): RawBytes | null;
  /** A transaction that was captured but could never fit in memory: count it as dropped (not built). */
  dropUnfit(): void;
}
