// One request through the gateway, as Envoy's HTTP connection manager, wasm filter and router
// handle it: the request headers as the codec shows them, the policy's filter stream (or a plain
// pass-through), the upstream request, the response back, the route timeout and upstream failures
// as local replies.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { ProxyWasmHost } from '../host/host.ts';
import type { Pairs } from '../host/pairs.ts';
import type { StreamSink } from '../host/stream.ts';
import type { ApiInstance } from './config.ts';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host']);
// What Envoy's HTTP/1 codec and connection manager take out before the filter sees the headers
// (Envoy 1.40, tests/conformance): the request keeps `trailer`; the upstream response keeps
// `connection`, `transfer-encoding` and `trailer`, only `keep-alive` goes.
const REQUEST_NOT_SHOWN = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'host']);
const RESPONSE_NOT_SHOWN = new Set(['keep-alive']);

function flat(pairs: Pairs): string[] {
  const out: string[] = [];
  for (const [k, v] of pairs) if (!k.startsWith(':')) out.push(k, v);
  return out;
}

export interface ProxyOptions {
  api: ApiInstance;
  /** The bound policy's host; without one the gateway is a plain proxy. */
  host?: Pick<ProxyWasmHost, 'openStream'>;
  /** The listener's base path without a trailing slash ('' when it is /). */
  listenerBase: string;
  /** Envoy route timeout: from the end of the request to the end of the response (0 = none). */
  routeTimeoutMs: number;
}

/** The connection a request came on: the worker VM it is bound to and its id. */
export interface ConnectionSlot {
  worker: number;
  id: number;
}

export interface Proxy {
  handle(req: http.IncomingMessage, res: http.ServerResponse, conn: ConnectionSlot): void;
  /** Close the upstream connection pool. */
  close(): void;
}

export function createProxy(opts: ProxyOptions): Proxy {
  const { api, host, listenerBase } = opts;
  const upstream = api.upstream;
  const upstreamIsHttps = upstream.protocol === 'https:';
  const upstreamPort = Number(upstream.port || (upstreamIsHttps ? 443 : 80));
  const upstreamBasePath = upstream.pathname.replace(/\/$/, '');
  const agent = upstreamIsHttps ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  const routeTimeout = opts.routeTimeoutMs;

  function handle(req: http.IncomingMessage, res: http.ServerResponse, conn: ConnectionSlot): void {
    const sock = req.socket;
    const url = req.url ?? '/';
    if (listenerBase && !(url === listenerBase || url.startsWith(listenerBase + '/') || url.startsWith(listenerBase + '?'))) {
      res.writeHead(404, { 'content-length': '0' });
      res.end();
      return;
    }
    let upReq: http.ClientRequest | null = null;
    let upRes: http.IncomingMessage | null = null;
    let upstreamStartedAt = 0;
    let localReplied = false;
    let responseStarted = false;
    let finished = false;
    let timer: NodeJS.Timeout | null = null;

    const abortUpstream = () => {
      if (timer) clearTimeout(timer);
      timer = null;
      upReq?.destroy();
      upRes?.destroy();
    };

    const gwSink: StreamSink = {
      requestHeaders(headers, eos) {
        if (localReplied) return;
        const get = (n: string) => headers.find(([k]) => k === n)?.[1];
        const path = get(':path') ?? '/';
        const fwd = path.startsWith(listenerBase) ? path.slice(listenerBase.length) || '/' : path;
        // Envoy's HTTP/1 codec writes Host first; its router adds the expected timeout last.
        // A `trailer` header goes on (Node accepts it only without Content-Length).
        const chunked = get('content-length') === undefined;
        const hdrs = ['host', get(':authority') ?? upstream.host, ...flat(headers.filter(([k]) => !HOP_BY_HOP.has(k) || (k === 'trailer' && chunked)))];
        if (routeTimeout > 0) hdrs.push('x-envoy-expected-rq-timeout-ms', String(routeTimeout));
        upstreamStartedAt = Date.now();
        upReq = (upstreamIsHttps ? https : http).request({
          protocol: upstream.protocol,
          hostname: upstream.hostname,
          port: upstreamPort,
          method: get(':method') ?? 'GET',
          path: upstreamBasePath + (fwd.startsWith('/') ? fwd : '/' + fwd),
          headers: hdrs as unknown as http.OutgoingHttpHeaders,
          agent,
        });
        upReq.on('response', onUpstreamResponse);
        upReq.on('error', onUpstreamError);
        if (eos) endRequest();
      },
      requestData(chunk, eos) {
        if (!upReq || localReplied) return;
        if (chunk.length && !upReq.write(chunk)) {
          req.pause();
          upReq.once('drain', () => req.resume());
        }
        if (eos) endRequest();
      },
      requestTrailers(trailers) {
        if (!upReq || localReplied) return;
        if (trailers.length) upReq.addTrailers(trailers.filter(([k]) => !k.startsWith(':')));
        endRequest();
      },
      responseHeaders(headers, eos) {
        if (res.headersSent || res.destroyed) return;
        responseStarted = true;
        const status = Number(headers.find(([k]) => k === ':status')?.[1] ?? 502);
        // `trailer` stays where it is when the upstream response is chunked (Node refuses it otherwise).
        const chunked = !!upRes && upRes.headers['content-length'] === undefined;
        const out = headers.filter(([k]) => !HOP_BY_HOP.has(k) || (k === 'trailer' && chunked));
        res.writeHead(status, flat(out) as unknown as http.OutgoingHttpHeaders);
        if (eos) res.end();
      },
      responseData(chunk, eos) {
        if (res.destroyed) return;
        if (chunk.length && !res.write(chunk) && upRes && !localReplied) {
          const u = upRes;
          u.pause();
          res.once('drain', () => u.resume());
        }
        if (eos) res.end();
      },
      responseTrailers(trailers) {
        if (res.destroyed) return;
        if (trailers.length) res.addTrailers(trailers.filter(([k]) => !k.startsWith(':')));
        res.end();
      },
      localReply() {
        localReplied = true;
        abortUpstream();
        req.resume(); // drain and ignore the rest of the request body
      },
      reset() {
        abortUpstream();
        res.destroy();
      },
    };

    const stream = host
      ? host.openStream(gwSink, {
          worker: conn.worker,
          connection: {
            sourceAddress: sock.remoteAddress ?? '127.0.0.1',
            sourcePort: sock.remotePort ?? 0,
            destinationAddress: sock.localAddress ?? '127.0.0.1',
            destinationPort: sock.localPort ?? 0,
            connectionId: conn.id,
          },
          protocol: `HTTP/${req.httpVersion}`,
          clusterName: `${api.name}.${api.namespace}.upstream`,
          routeName: api.name,
          upstreamAddress: upstream.hostname,
          upstreamPort,
        })
      : null;
    // Without a policy the gateway is a plain proxy: the same sink, no VM.
    const s = stream ?? {
      requestHeaders: (h: Pairs, e: boolean) => gwSink.requestHeaders(h, e),
      requestData: (c: Buffer, e: boolean) => gwSink.requestData(c, e),
      requestTrailers: (t: Pairs) => gwSink.requestTrailers(t),
      responseHeaders: (h: Pairs, e: boolean) => gwSink.responseHeaders(h, e),
      responseData: (c: Buffer, e: boolean) => gwSink.responseData(c, e),
      responseTrailers: (t: Pairs) => gwSink.responseTrailers(t),
      proxyLocalReply: (status: number, body: string) => {
        gwSink.localReply?.(status, '');
        gwSink.responseHeaders([[':status', String(status)], ['content-length', String(Buffer.byteLength(body))], ['content-type', 'text/plain']], body.length === 0);
        if (body.length) gwSink.responseData(Buffer.from(body), true);
      },
      complete: () => {},
    };

    function endRequest(): void {
      upReq?.end();
      if (routeTimeout > 0 && !timer) {
        timer = setTimeout(() => {
          timer = null;
          if (finished) return;
          if (!responseStarted) {
            abortUpstream();
            s.proxyLocalReply(504, 'upstream request timeout', 'upstream_response_timeout');
          } else {
            abortUpstream();
            res.destroy();
          }
        }, routeTimeout);
      }
    }

    function onUpstreamResponse(ur: http.IncomingMessage): void {
      if (localReplied) { ur.destroy(); return; }
      upRes = ur;
      const headers: Pairs = [[':status', String(ur.statusCode ?? 502)]];
      for (let i = 0; i < ur.rawHeaders.length; i += 2) {
        const k = ur.rawHeaders[i].toLowerCase();
        if (!RESPONSE_NOT_SHOWN.has(k)) headers.push([k, ur.rawHeaders[i + 1]]);
      }
      // Envoy's router adds the upstream's time to headers before the filters see them.
      headers.push(['x-envoy-upstream-service-time', String(Date.now() - upstreamStartedAt)]);
      const cl = ur.headers['content-length'];
      const noBody = req.method === 'HEAD' || ur.statusCode === 204 || ur.statusCode === 304 || cl === '0';
      let eosSent = noBody;
      s.responseHeaders(headers, noBody);
      // Envoy's HTTP/1 codec passes body data without end_of_stream, then (Content-Length reached or
      // the last chunk) an empty end_of_stream chunk, or the trailers.
      ur.on('data', (c: Buffer) => {
        if (eosSent) return;
        s.responseData(c, false);
      });
      ur.on('end', () => {
        if (timer) clearTimeout(timer);
        timer = null;
        if (eosSent) return;
        eosSent = true;
        const t: Pairs = [];
        for (let i = 0; i < ur.rawTrailers.length; i += 2) t.push([ur.rawTrailers[i].toLowerCase(), ur.rawTrailers[i + 1]]);
        if (t.length) s.responseTrailers(t);
        else s.responseData(Buffer.alloc(0), true);
      });
      ur.on('close', () => {
        if (!ur.complete && !finished) {
          // upstream reset mid-response: reset the client stream
          res.destroy();
        }
      });
    }

    function onUpstreamError(err: NodeJS.ErrnoException): void {
      if (localReplied || finished) return;
      if (responseStarted) {
        res.destroy();
        return;
      }
      const connectFail = ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(err.code ?? '');
      const reason = connectFail
        ? `remote connection failure, transport failure reason: ${err.code === 'ECONNREFUSED' ? 'delayed connect error: 111' : err.code}`
        : 'connection termination';
      s.proxyLocalReply(503, `upstream connect error or disconnect/reset before headers. reset reason: ${reason}`,
        connectFail ? 'upstream_reset_before_response_started{remote_connection_failure}' : 'upstream_reset_before_response_started{connection_termination}');
    }

    // Request headers, Envoy style: pseudo headers first, Host becomes :authority.
    const reqHeaders: Pairs = [
      [':authority', req.headers.host ?? ''],
      [':path', url],
      [':method', req.method ?? 'GET'],
      [':scheme', 'http'],
    ];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const k = req.rawHeaders[i].toLowerCase();
      if (!REQUEST_NOT_SHOWN.has(k)) reqHeaders.push([k, req.rawHeaders[i + 1]]);
    }
    reqHeaders.push(['x-forwarded-proto', 'http']);
    if (!req.headers['x-request-id']) reqHeaders.push(['x-request-id', randomUUID()]);
    const cl = req.headers['content-length'];
    const expected = cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : -1;
    const hasBody = expected > 0 || (expected < 0 && req.headers['transfer-encoding'] !== undefined);
    let reqEos = !hasBody;

    res.on('finish', () => {
      finished = true;
      if (timer) clearTimeout(timer);
      s.complete();
    });
    res.on('close', () => {
      if (finished) return;
      finished = true;
      // client went away (or the stream was reset): tear down upstream, end the filter stream
      abortUpstream();
      s.complete();
    });

    s.requestHeaders(reqHeaders, reqEos);
    req.on('data', (c: Buffer) => {
      if (reqEos || localReplied || finished) return;
      s.requestData(c, false); // end_of_stream comes as an empty chunk at 'end', as in Envoy
    });
    req.on('end', () => {
      if (reqEos || localReplied || finished) return;
      reqEos = true;
      const t: Pairs = [];
      for (let i = 0; i < req.rawTrailers.length; i += 2) t.push([req.rawTrailers[i].toLowerCase(), req.rawTrailers[i + 1]]);
      if (t.length) s.requestTrailers(t);
      else s.requestData(Buffer.alloc(0), true);
    });
  }

  return { handle, close: () => agent.destroy() };
}
