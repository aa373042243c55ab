// Minimal absolute-URL parsing for the Cequence service addresses: scheme, host, optional port.
// The policy only needs the :authority to put on dispatched calls; TLS is the gateway's job.
import { msg } from "../literals";

export class ParsedUrl {
  scheme: string = "";
  host: string = "";
  port: i32 = 0; // 0 when the URL names no port
  authority: string = ""; // host[:port] as written
  path: string = "";
  error: string = ""; // "" when the URL is acceptable
}

function isHostChar(c: i32): bool {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c == 0x2d || c == 0x2e || c == 0x5f;
}

export function parseServiceUrl(url: string): ParsedUrl {
  const r = new ParsedUrl();
  let rest: string;
  if (url.startsWith(msg("https://"))) {
    r.scheme = msg("https");
    rest = url.substring(8);
  } else if (url.startsWith(msg("http://"))) {
    r.scheme = msg("http");
    rest = url.substring(7);
  } else {
    r.error = msg("must start with http:// or https://");
    return r;
  }
  let end = rest.length;
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (c == 0x2f || c == 0x3f || c == 0x23) { end = i; break; }
  }
  const authority = rest.substring(0, end);
  const tail = rest.substring(end);
  if (tail.length > 0 && tail.charCodeAt(0) != 0x2f) {
    r.error = msg("must not carry a query or fragment");
    return r;
  }
  r.path = tail;
  if (authority.length == 0) {
    r.error = msg("has no host");
    return r;
  }
  if (authority.indexOf("@") >= 0) {
    r.error = msg("must not carry credentials");
    return r;
  }
  let host = authority;
  let portText = "";
  if (authority.charCodeAt(0) == 0x5b) {
    // [IPv6]:port
    const close = authority.indexOf("]");
    if (close < 0) { r.error = msg("has an unterminated IPv6 address"); return r; }
    host = authority.substring(0, close + 1);
    const after = authority.substring(close + 1);
    if (after.length > 0) {
      if (after.charCodeAt(0) != 0x3a) { r.error = msg("has an invalid host"); return r; }
      portText = after.substring(1);
      if (portText.length == 0) { r.error = msg("has an empty port"); return r; }
    }
  } else {
    const colon = authority.lastIndexOf(":");
    if (colon >= 0) {
      host = authority.substring(0, colon);
      portText = authority.substring(colon + 1);
      if (portText.length == 0) { r.error = msg("has an empty port"); return r; }
    }
    if (host.length == 0) { r.error = msg("has no host"); return r; }
    for (let i = 0; i < host.length; i++) {
      if (!isHostChar(host.charCodeAt(i))) { r.error = msg("has an invalid host"); return r; }
    }
  }
  if (portText.length > 0) {
    if (portText.length > 5) { r.error = msg("has an invalid port"); return r; }
    let port: i32 = 0;
    for (let i = 0; i < portText.length; i++) {
      const c = portText.charCodeAt(i);
      if (c < 0x30 || c > 0x39) { r.error = msg("has an invalid port"); return r; }
      port = port * 10 + (c - 0x30);
    }
    if (port < 1 || port > 65535) { r.error = msg("has a port outside 1-65535"); return r; }
    r.port = port;
  }
  r.host = host;
  r.authority = authority;
  return r;
}
