// proxy_http_call transport: what Envoy's async HTTP client hands back to the filter.
//  - a response           -> :status + response headers (lowercased), body, trailers
//  - timeout              -> local reply 504 "upstream request timeout"
//  - connect failure      -> local reply 503 "upstream connect error or disconnect/reset before headers. reset reason: remote connection failure"
//  - closed before headers-> local reply 503 (reset reason: connection termination)
//  - reset after headers  -> onFailure(Reset): 0 headers, 0 body (status BrokenConnection "reset")
import http from 'node:http';
import https from 'node:https';
import type { Pairs } from './pairs.ts';

/** What the module reads in proxy_on_http_call_response: header map 6, buffer 4, header map 7. */
export interface HttpCallResponse {
  headers: Pairs;
  body: Buffer;
  trailers: Pairs;
}

// Envoy 1.40 shows the callee's response headers as they came, without `keep-alive` (tests/conformance).
const NOT_SHOWN = new Set(['keep-alive']);

const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });

function localReply(status: number, body: string): HttpCallResponse {
  return {
    headers: [[':status', String(status)], ['content-length', String(Buffer.byteLength(body))], ['content-type', 'text/plain']],
    body: Buffer.from(body),
    trailers: [],
  };
}

/** Send one call to `baseUrl`; `done` gets the response (null: reset after headers). Returns a cancel. */
export function performHttpCall(
  baseUrl: string,
  headers: Pairs,
  body: Buffer,
  timeoutMs: number,
  done: (r: HttpCallResponse | null) => void,
): () => void {
  const url = new URL(baseUrl);
  const isHttps = url.protocol === 'https:';
  const get = (n: string) => headers.find(([k]) => k === n)?.[1] ?? '';
  // Envoy's codec writes Host first; Context::httpCall sets content-length for a body (in place
  // when the module sent one, else after the module's headers); then its router marks the request
  // internal and sends the timeout.
  const out: [string, string][] = [['host', get(':authority')]];
  for (const [k, v] of headers) if (!k.startsWith(':')) out.push([k, v]);
  if (body.length) {
    const at = out.findIndex(([k]) => k === 'content-length');
    if (at >= 0) out[at] = ['content-length', String(body.length)];
    else out.push(['content-length', String(body.length)]);
  }
  out.push(['x-envoy-internal', 'true']);
  if (timeoutMs > 0) out.push(['x-envoy-expected-rq-timeout-ms', String(timeoutMs)]);
  const flat: string[] = [];
  for (const [k, v] of out) flat.push(k, v);

  let finished = false;
  let connected = false;
  let gotHeaders = false;
  const startedAt = Date.now();
  const finish = (r: HttpCallResponse | null) => {
    if (finished) return;
    finished = true;
    if (timer) clearTimeout(timer);
    done(r);
  };
  const req = (isHttps ? https : http).request({
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port || (isHttps ? 443 : 80),
    method: get(':method'),
    path: get(':path'),
    headers: flat as unknown as http.OutgoingHttpHeaders,
    agent: isHttps ? httpsAgent : httpAgent,
    servername: isHttps ? url.hostname : undefined,
  });
  req.on('socket', (sock) => {
    // A reused keep-alive socket is already connected; only a new one gets listeners (adding them to
    // reused sockets piled up listeners on every call).
    if (!sock.connecting) connected = true;
    else {
      sock.once('connect', () => { connected = true; });
      sock.once('secureConnect', () => { connected = true; });
    }
  });
  req.on('response', (res) => {
    gotHeaders = true;
    const rh: Pairs = [[':status', String(res.statusCode ?? 0)]];
    for (let i = 0; i < res.rawHeaders.length; i += 2) {
      const k = res.rawHeaders[i].toLowerCase();
      if (!NOT_SHOWN.has(k)) rh.push([k, res.rawHeaders[i + 1]]);
    }
    rh.push(['x-envoy-upstream-service-time', String(Date.now() - startedAt)]);
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      const trailers: Pairs = [];
      for (let i = 0; i < res.rawTrailers.length; i += 2) trailers.push([res.rawTrailers[i].toLowerCase(), res.rawTrailers[i + 1]]);
      finish({ headers: rh, body: Buffer.concat(chunks), trailers });
    });
    res.on('error', () => finish(null));
    res.on('aborted', () => finish(null));
    res.on('close', () => { if (!res.complete) finish(null); });
  });
  req.on('error', (err: NodeJS.ErrnoException) => {
    if (finished) return;
    if (gotHeaders) return finish(null);
    if (!connected) {
      // Envoy 1.40's async client names no transport failure reason (tests/conformance).
      return finish(localReply(503, 'upstream connect error or disconnect/reset before headers. reset reason: remote connection failure'));
    }
    finish(localReply(503, 'upstream connect error or disconnect/reset before headers. reset reason: connection termination'));
  });
  let timer: NodeJS.Timeout | null = null;
  if (timeoutMs > 0) {
    timer = setTimeout(() => {
      finish(localReply(504, 'upstream request timeout'));
      req.destroy();
    }, timeoutMs);
  }
  req.end(body.length ? body : undefined);
  return () => {
    finished = true;
    if (timer) clearTimeout(timer);
    req.destroy();
  };
}
