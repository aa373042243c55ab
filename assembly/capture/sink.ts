// Where finished transactions go: the capture side hands each one to a sink it is given (the policy
// root, which passes it to the Cequence client), so capture never reaches back for the root or client.
import { RawBytes } from "../raw-bytes";

export interface TransactionSink {
  /** A serialised transaction, ready for the queue; the sink takes its block (frees it if it keeps none). */
  enqueue(transaction: RawBytes): void;
  /** Room for a transaction of `size` bytes about to be built (the oldest dropped for it); false: do not build it, dropUnfit(). */
  makeRoom(size: i64): bool;
  /** A transaction that was captured but could never fit in memory: count it as dropped (not built). */
  dropUnfit(): void;
}
