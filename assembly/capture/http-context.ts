// The per-stream glue: collects one API call's request and response as raw bytes while they pass and,
// in on_log, has transaction.ts serialise them once and hands the bytes to the sink it was given.
//
// Guarantees: every callback returns Continue and nothing here alters, pauses or adds to live traffic;
// bodies are read chunk by chunk up to the limit (proxy_get_buffer_bytes(start=0, len=min(chunk, room)))
// and bytes beyond it are only counted; a response outside minStatus..maxStatus drops everything at
// once; a stream that ends without a complete response (client abort, upstream reset: response headers
// or end of stream never seen) is not captured; all state is released in on_log and again in
// on_delete, whichever comes first, so nothing outlives the stream. Capture controls: an excluded path or
// method drops the stream at its request headers (nothing read, nothing queued); a skipped content type
// stops that side's body before its first byte. Memory: header maps and body bytes held by streams in
// progress come out of the worker's capture budget (budget.ts); a stream whose header block does not fit
// is not read, and, like a transaction too large for the queue, is counted as dropped (queue full by
// bytes) when it would have been captured — never built, so no transient allocation either.
import {
  Context,
  RootContext,
  FilterHeadersStatusValues,
  FilterDataStatusValues,
  FilterTrailersStatusValues,
} from "@solo-io/proxy-runtime/assembly";
import { BufferTypeValues, HeaderMapTypeValues } from "@solo-io/proxy-runtime/assembly/runtime";
import { Config } from "../config/config";
import { getBufferRaw, getHeaderMapSize, getHeaderPairsRaw, getHeaderValue, getPropertyBytes, nowNanos } from "../host";
import { captureBudgetLeft, releaseCapture, reserveCapture } from "./budget";
import { logInfo, logError } from "../log";
import { BodyCapture } from "./body";
import { HeaderPairs } from "./header-pairs";
import { portFromInt64, splitHostPort } from "./address";
import { parseStatus, statusCaptured } from "./status";
import { CapturedExchange, writeTransactionInto, prepareTransaction, readRequestLine } from "./transaction";
import { transactionSize } from "./transaction-size";
import { txnIds } from "./entropy";
import { sourceInfoFor } from "./source-info";
import { CaptureControls } from "./controls";
import { captureCounts } from "./counters";
import { TransactionSink } from "./sink";
import { msg, utf8 } from "../literals";

let sizeMismatchSaid = false;

export class CaptureContext extends Context {
  /** The stream being collected; null before on_request_headers, once dropped, and after on_log. */
  private x: CapturedExchange | null = null;
  private responseComplete: bool = false;
  /** Header bytes this stream holds from the capture budget (given back in release()). */
  private heldHeaderBytes: i64 = 0;
  /** The header block did not fit in the capture budget: nothing is held; on_log counts a drop if the
   *  stream would have been captured (complete, status in range). */
  private unfit: bool = false;
  private unfitStatus: i32 = 0;

  constructor(context_id: u32, root: RootContext, public config: Config, public controls: CaptureControls, private sink: TransactionSink) {
    super(context_id, root);
  }

  onRequestHeaders(_headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const k = this.controls;
    const size = getHeaderMapSize(HeaderMapTypeValues.RequestHeaders);
    if (size > captureBudgetLeft()) {
      // Not read: a header block this large would not fit in what streams may hold.
      if (k.excludes && excludedByValues(k)) {
        captureCounts.excluded++;
        return FilterHeadersStatusValues.Continue;
      }
      this.unfit = true;
      return FilterHeadersStatusValues.Continue;
    }
    const pairs = getHeaderPairsRaw(HeaderMapTypeValues.RequestHeaders);
    if (pairs == null) {
      // Not read (no room left in the capture arena, or the host refused): not captured, counted.
      if (k.excludes && excludedByValues(k)) {
        captureCounts.excluded++;
        return FilterHeadersStatusValues.Continue;
      }
      this.unfit = true;
      return FilterHeadersStatusValues.Continue;
    }
    if (k.excludes) {
      const line = readRequestLine(HeaderPairs.of(pairs));
      if (k.excluded(line.path.ptr, line.path.len, line.method.ptr, line.method.len)) {
        captureCounts.excluded++;
        pairs.free();
        return FilterHeadersStatusValues.Continue;
      }
    }
    const held = <i64>pairs.len;
    if (!reserveCapture(held)) {
      pairs.free();
      this.unfit = true;
      return FilterHeadersStatusValues.Continue;
    }
    this.heldHeaderBytes = held;
    const x = new CapturedExchange();
    x.requestStartNs = nowNanos();
    x.requestHeaders = pairs;
    const src = getPropertyBytes(utf8("source\0address"));
    x.sourceAddress = src;
    if (!hasPort(src)) x.sourcePort = portFromInt64(getPropertyBytes(utf8("source\0port")));
    const dst = getPropertyBytes(utf8("destination\0address"));
    x.destinationAddress = dst;
    if (!hasPort(dst)) x.destinationPort = portFromInt64(getPropertyBytes(utf8("destination\0port")));
    x.protocol = getPropertyBytes(utf8("request\0protocol"));
    x.requestBody = new BodyCapture(this.config.bodyLimit);
    if (k.skipsBodies) skipByContentType(x.requestBody!, HeaderPairs.of(pairs), k);
    this.x = x;
    this.responseComplete = false;
    if (this.config.debug) {
      const line = readRequestLine(HeaderPairs.of(x.requestHeaders));
      logInfo(msg("Captured ") + line.method.toString() + " " + line.path.toString() + " (" + line.headerCount.toString() + msg(" headers)"));
    }
    return FilterHeadersStatusValues.Continue;
  }

  onRequestBody(body_buffer_length: usize, end_of_stream: bool): FilterDataStatusValues {
    const x = this.x;
    if (x != null) {
      const body = x.requestBody;
      if (body != null) takeChunk(body, BufferTypeValues.HttpRequestBody, <u32>body_buffer_length);
    }
    return FilterDataStatusValues.Continue;
  }

  onResponseHeaders(_headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    if (this.unfit) {
      this.noteUnfitResponse(end_of_stream);
      return FilterHeadersStatusValues.Continue;
    }
    const x = this.x;
    if (x == null) return FilterHeadersStatusValues.Continue;
    if (getHeaderMapSize(HeaderMapTypeValues.ResponseHeaders) > captureBudgetLeft()) {
      this.release();
      this.unfit = true;
      this.noteUnfitResponse(end_of_stream);
      return FilterHeadersStatusValues.Continue;
    }
    const pairs = getHeaderPairsRaw(HeaderMapTypeValues.ResponseHeaders);
    if (pairs == null) {
      this.release();
      this.unfit = true;
      this.noteUnfitResponse(end_of_stream);
      return FilterHeadersStatusValues.Continue;
    }
    const view = HeaderPairs.of(pairs);
    const status = view.find(utf8(":status")) ? parseStatus(view.valuePtr, view.valueLen) : 0;
    if (!statusCaptured(status, this.config.minStatus, this.config.maxStatus)) {
      pairs.free();
      this.release(); // not captured: drop the request side now, ignore the rest of the stream
      return FilterHeadersStatusValues.Continue;
    }
    const held = <i64>pairs.len;
    if (!reserveCapture(held)) {
      pairs.free();
      this.release();
      this.unfit = true;
      this.unfitStatus = status;
      if (end_of_stream) this.responseComplete = true;
      return FilterHeadersStatusValues.Continue;
    }
    this.heldHeaderBytes += held;
    x.status = status;
    x.responseHeaders = pairs;
    x.responseBody = new BodyCapture(this.config.bodyLimit);
    if (this.controls.skipsBodies) skipByContentType(x.responseBody!, view, this.controls);
    if (end_of_stream) this.responseComplete = true;
    return FilterHeadersStatusValues.Continue;
  }

  onResponseBody(body_buffer_length: usize, end_of_stream: bool): FilterDataStatusValues {
    if (this.unfit && end_of_stream) this.responseComplete = true;
    const x = this.x;
    if (x != null) {
      const body = x.responseBody;
      if (body != null) {
        takeChunk(body, BufferTypeValues.HttpResponseBody, <u32>body_buffer_length);
        if (end_of_stream) this.responseComplete = true;
      }
    }
    return FilterDataStatusValues.Continue;
  }

  onResponseTrailers(_trailers: u32): FilterTrailersStatusValues {
    // Trailers end the response (they are not part of the transaction).
    const x = this.x;
    if ((x != null && x.responseHeaders != null) || this.unfit) this.responseComplete = true;
    return FilterTrailersStatusValues.Continue;
  }

  onLog(): void {
    const x = this.x;
    const complete = this.responseComplete;
    const unfit = this.unfit && complete && statusCaptured(this.unfitStatus, this.config.minStatus, this.config.maxStatus);
    if (unfit) {
      this.release();
      this.sink.dropUnfit();
      return;
    }
    if (x == null || x.responseHeaders == null || !complete) {
      this.release();
      return;
    }
    const id = txnIds().next();
    const src = sourceInfoFor(this.root_context.context_id);
    const p = prepareTransaction(x, this.controls);
    const size = transactionSize(x, id, src, this.controls, p);
    const bytes = size <= <i64>this.config.queueMaxBytes ? this.sink.reserve(size) : null;
    const written = bytes != null && writeTransactionInto(bytes, x, id, src, this.controls, p);
    p.free();
    if (!written) {
      if (bytes != null) {
        // Never expected: transactionSize is exact (tests hold it so). Said, and counted as dropped.
        bytes.free();
        if (!sizeMismatchSaid) logError(msg("Internal error: a transaction was not the size worked out for it; dropped and counted under queue_full (said once; please report)"));
        sizeMismatchSaid = true;
      }
      this.release();
      this.sink.dropUnfit(); // no room (too large, or held by batches in flight): not built
      return;
    }
    if (this.config.debug) {
      const line = readRequestLine(HeaderPairs.of(x.requestHeaders));
      logInfo(msg("Built transaction ") + id + " (" + line.method.toString() + " " + line.path.toString() + " - " + x.status.toString() + ")");
    }
    this.release(); // the stream's blocks go back before the transaction is queued
    this.sink.enqueue(bytes!);
  }

  onDelete(): void {
    this.release();
  }

  /** The status of a response whose stream is not held (read alone, not the whole map). */
  private noteUnfitResponse(end_of_stream: bool): void {
    const v = getHeaderValue(HeaderMapTypeValues.ResponseHeaders, utf8(":status"));
    this.unfitStatus = v != null ? parseStatus(changetype<usize>(v), v.byteLength) : 0;
    if (end_of_stream) this.responseComplete = true;
  }

  private release(): void {
    releaseCapture(this.heldHeaderBytes);
    this.heldHeaderBytes = 0;
    const x = this.x;
    if (x != null) {
      const qh = x.requestHeaders;
      if (qh != null) qh.free();
      const sh = x.responseHeaders;
      if (sh != null) sh.free();
      const rq = x.requestBody;
      if (rq != null) rq.release();
      const rs = x.responseBody;
      if (rs != null) rs.release();
    }
    this.x = null;
    this.responseComplete = false;
  }
}

/** Copies the leading min(chunk, room) bytes of the current chunk; counts the rest. */
function takeChunk(body: BodyCapture, bufferType: i32, chunkSize: u32): void {
  if (chunkSize == 0) return;
  const want = body.wanted(chunkSize);
  body.addRaw(chunkSize, want > 0 ? getBufferRaw(bufferType, 0, want) : null);
}

/** cequenceSkipBodyContentTypes: a side whose content type is listed is not read at all. */
function skipByContentType(body: BodyCapture, pairs: HeaderPairs, k: CaptureControls): void {
  if (pairs.find(utf8("content-type")) && k.skipsContentType(pairs.valuePtr, pairs.valueLen)) {
    body.skip();
    captureCounts.bodiesSkipped++;
  }
}

/** The exclusion verdict from :path and :method read alone (the whole header map is too large to read). */
function excludedByValues(k: CaptureControls): bool {
  const p = getHeaderValue(HeaderMapTypeValues.RequestHeaders, utf8(":path"));
  const m = getHeaderValue(HeaderMapTypeValues.RequestHeaders, utf8(":method"));
  return k.excluded(p != null ? changetype<usize>(p) : 0, p != null ? p.byteLength : -1, m != null ? changetype<usize>(m) : 0, m != null ? m.byteLength : -1);
}

function hasPort(addr: ArrayBuffer | null): bool {
  return addr != null && splitHostPort(changetype<usize>(addr), addr.byteLength).port >= 0;
}
