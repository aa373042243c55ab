// Where finished transactions go: the capture side hands each one to a sink it is given (the policy
// root, which passes it to the Cequence client), so capture never reaches back for the root or client.
export interface TransactionSink {
  /** A serialised transaction, ready for the queue. */
  enqueue(transaction: ArrayBuffer): void;
  /** A transaction that was captured but could never fit in memory: count it as dropped (not built). */
  dropUnfit(): void;
}
