// probe.c - a proxy-wasm ABI 0.2.1 test module written without any SDK, so the emulator's host
// is not only checked against our own AssemblyScript SDK. It logs what it sees (tests read the
// log lines) and its behaviour is driven by the plugin configuration and request headers.
// Build: tests/emulator/modules/build.sh (clang-14 + wasm-ld-14, no libc).
#include <stdint.h>

#define IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
#define WASI(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))
#define EXPORT(name) __attribute__((export_name(#name)))

typedef uint32_t u32;
typedef uint64_t u64;

IMPORT(proxy_log) u32 proxy_log(u32 level, const char *msg, u32 size);
IMPORT(proxy_get_log_level) u32 proxy_get_log_level(u32 *level);
IMPORT(proxy_get_buffer_bytes) u32 proxy_get_buffer_bytes(u32 type, u32 start, u32 len, char **ptr, u32 *size);
IMPORT(proxy_set_buffer_bytes) u32 proxy_set_buffer_bytes(u32 type, u32 start, u32 len, const char *data, u32 size);
IMPORT(proxy_get_buffer_status) u32 proxy_get_buffer_status(u32 type, u32 *len, u32 *flags);
IMPORT(proxy_get_header_map_pairs) u32 proxy_get_header_map_pairs(u32 type, char **ptr, u32 *size);
IMPORT(proxy_get_header_map_value) u32 proxy_get_header_map_value(u32 type, const char *k, u32 ks, char **v, u32 *vs);
IMPORT(proxy_add_header_map_value) u32 proxy_add_header_map_value(u32 type, const char *k, u32 ks, const char *v, u32 vs);
IMPORT(proxy_replace_header_map_value) u32 proxy_replace_header_map_value(u32 type, const char *k, u32 ks, const char *v, u32 vs);
IMPORT(proxy_remove_header_map_value) u32 proxy_remove_header_map_value(u32 type, const char *k, u32 ks);
IMPORT(proxy_get_header_map_size) u32 proxy_get_header_map_size(u32 type, u32 *size);
IMPORT(proxy_get_property) u32 proxy_get_property(const char *path, u32 ps, char **v, u32 *vs);
IMPORT(proxy_get_current_time_nanoseconds) u32 proxy_get_current_time_nanoseconds(u64 *ns);
IMPORT(proxy_set_tick_period_milliseconds) u32 proxy_set_tick_period_milliseconds(u32 ms);
IMPORT(proxy_http_call) u32 proxy_http_call(const char *up, u32 us, const char *hp, u32 hs, const char *bp, u32 bs,
                                            const char *tp, u32 ts, u32 timeout, u32 *token);
IMPORT(proxy_get_status) u32 proxy_get_status(u32 *code, char **msg, u32 *msize);
IMPORT(proxy_get_shared_data) u32 proxy_get_shared_data(const char *k, u32 ks, char **v, u32 *vs, u32 *cas);
IMPORT(proxy_set_shared_data) u32 proxy_set_shared_data(const char *k, u32 ks, const char *v, u32 vs, u32 cas);
IMPORT(proxy_send_local_response) u32 proxy_send_local_response(u32 code, const char *d, u32 ds, const char *b, u32 bs,
                                                                const char *h, u32 hs, u32 grpc);
IMPORT(proxy_continue_stream) u32 proxy_continue_stream(u32 type);
IMPORT(proxy_set_effective_context) u32 proxy_set_effective_context(u32 id);
IMPORT(proxy_define_metric) u32 proxy_define_metric(u32 type, const char *n, u32 ns, u32 *id);
IMPORT(proxy_increment_metric) u32 proxy_increment_metric(u32 id, int64_t off);
IMPORT(proxy_get_metric) u32 proxy_get_metric(u32 id, u64 *v);
WASI(fd_write) u32 fd_write(u32 fd, const u32 *iovs, u32 n, u32 *written);
WASI(proc_exit) void proc_exit(u32 code);

// ---- memory: bump allocator, reset when a callback starts (host data is used within it) ----
static unsigned char heap[8 << 20];
static u32 heap_top;
EXPORT(malloc) void *malloc_(u32 n) {
  u32 p = (heap_top + 7) & ~7u;
  if (p + n > sizeof(heap)) return 0;
  heap_top = p + n;
  return heap + p;
}
static void reset_heap(void) { heap_top = 0; }

// ---- tiny string helpers ----
static char out[1 << 16];
static u32 olen;
static u32 slen(const char *s) { u32 n = 0; while (s[n]) n++; return n; }
static void appn(const char *s, u32 n) { for (u32 i = 0; i < n && olen < sizeof(out); i++) out[olen++] = s[i]; }
static void app(const char *s) { appn(s, slen(s)); }
static void appu(u64 v) {
  char t[24]; int i = 0;
  do { t[i++] = '0' + (v % 10); v /= 10; } while (v);
  while (i) { char c = t[--i]; appn(&c, 1); }
}
static void apphex(const unsigned char *p, u32 n) {
  static const char *hx = "0123456789abcdef";
  for (u32 i = 0; i < n; i++) { char c[2] = {hx[p[i] >> 4], hx[p[i] & 15]}; appn(c, 2); }
}
static void emit(u32 level) { proxy_log(level, out, olen); olen = 0; }
static void say(const char *s) { app(s); emit(2); }
static int eq(const char *a, u32 an, const char *b) { u32 bn = slen(b); if (an != bn) return 0; for (u32 i = 0; i < an; i++) if (a[i] != b[i]) return 0; return 1; }
static int contains(const char *h, u32 hn, const char *n) {
  u32 nn = slen(n);
  for (u32 i = 0; i + nn <= hn; i++) { u32 j = 0; while (j < nn && h[i + j] == n[j]) j++; if (j == nn) return 1; }
  return 0;
}
static u32 rd32(const char *p) { const unsigned char *u = (const unsigned char *)p; return u[0] | u[1] << 8 | u[2] << 16 | (u32)u[3] << 24; }
static void wr32(char *p, u32 v) { p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24; }

// ---- configuration ----
static char config[4096];
static u32 config_len;
static u32 root_id;
static int has(const char *flag) { return contains(config, config_len, flag); }

// Log every pair of a header map as "<tag> <key>=<value>" and return the count.
static void log_pairs(const char *tag, u32 type) {
  char *p = 0; u32 size = 0;
  u32 r = proxy_get_header_map_pairs(type, &p, &size);
  app(tag); app(" result="); appu(r); app(" bytes="); appu(size); emit(2);
  if (r != 0 || size < 4) return;
  u32 n = rd32(p);
  const char *s = p + 4 + n * 8;
  for (u32 i = 0; i < n; i++) {
    u32 kl = rd32(p + 4 + i * 8), vl = rd32(p + 8 + i * 8);
    app(tag); app(" "); appn(s, kl); app("="); appn(s + kl + 1, vl); emit(2);
    s += kl + 1 + vl + 1;
  }
}

static void log_header(const char *tag, u32 type, const char *key) {
  char *v = 0; u32 vs = 0;
  u32 r = proxy_get_header_map_value(type, key, slen(key), &v, &vs);
  app(tag); app(" "); app(key); app(" result="); appu(r);
  if (r == 0) { app(" value="); appn(v, vs); }
  emit(2);
}

static void log_property(const char *path, u32 plen, const char *label) {
  char *v = 0; u32 vs = 0;
  u32 r = proxy_get_property(path, plen, &v, &vs);
  app("prop "); app(label); app(" result="); appu(r);
  if (r == 0) { app(" hex="); apphex((unsigned char *)v, vs); }
  emit(2);
}
#define PROP(lit, label) log_property(lit, sizeof(lit) - 1, label)

// ---- root context ----
EXPORT(proxy_abi_version_0_2_1) void abi_version(void) {}
EXPORT(_initialize) void initialize(void) { say("initialize"); }

EXPORT(proxy_on_context_create) void on_context_create(u32 id, u32 parent) {
  reset_heap();
  app("context_create id="); appu(id); app(" parent="); appu(parent); emit(2);
  if (parent == 0) root_id = id;
}

EXPORT(proxy_on_vm_start) u32 on_vm_start(u32 id, u32 vm_config_size) {
  reset_heap();
  app("vm_start id="); appu(id); app(" vm_config_size="); appu(vm_config_size); emit(2);
  say("level-check begin");
  for (u32 l = 0; l <= 5; l++) { app("level "); appu(l); emit(l); }
  u32 lvl = 99; proxy_get_log_level(&lvl);
  app("log_level="); appu(lvl); emit(2);
  u64 ns = 0; proxy_get_current_time_nanoseconds(&ns);
  app("now_ns="); appu(ns); emit(2);
  PROP("plugin_root_id", "plugin_root_id");
  PROP("plugin_name", "plugin_name");
  PROP("plugin_vm_id", "plugin_vm_id");
  PROP("request\0path", "root_request_path");
  return 1;
}

EXPORT(proxy_on_configure) u32 on_configure(u32 id, u32 size) {
  reset_heap();
  char *p = 0; u32 n = 0;
  u32 r = proxy_get_buffer_bytes(7, 0, size, &p, &n);
  config_len = 0;
  for (u32 i = 0; i < n && i < sizeof(config); i++) config[config_len++] = p[i];
  app("configure id="); appu(id); app(" size="); appu(size); app(" result="); appu(r); app(" config="); appn(config, config_len); emit(2);
  static const char hello[] = "hello from stdout\n";
  u32 iov[2] = {(u32)(uintptr_t)hello, sizeof(hello) - 1}; u32 written = 0;
  fd_write(1, iov, 1, &written);
  if (has("tick")) proxy_set_tick_period_milliseconds(10);
  if (has("metrics")) {
    u32 mid = 77; u32 dr = proxy_define_metric(0, "probe_requests", 14, &mid);
    u32 ir = proxy_increment_metric(mid, 5);
    u32 bad = proxy_increment_metric(mid, -1);
    u64 v = 0; u32 gr = proxy_get_metric(mid, &v);
    app("metric define="); appu(dr); app(" id="); appu(mid); app(" inc="); appu(ir); app(" inc_neg="); appu(bad);
    app(" get="); appu(gr); app(" value="); appu(v); emit(2);
  }
  // buffer 7 outside on_configure is NotFound (checked in on_request_headers too).
  return has("reject") ? 0 : 1;
}

static u32 ticks;
EXPORT(proxy_on_tick) void on_tick(u32 id) {
  reset_heap();
  ticks++;
  app("tick id="); appu(id); app(" n="); appu(ticks); emit(2);
  if (ticks == 3) proxy_set_tick_period_milliseconds(0);
}

static u32 paused_ctx;
EXPORT(proxy_on_http_call_response) void on_http_call_response(u32 id, u32 token, u32 nh, u32 bs, u32 nt) {
  reset_heap();
  app("call_response id="); appu(id); app(" token="); appu(token); app(" headers="); appu(nh);
  app(" body="); appu(bs); app(" trailers="); appu(nt); emit(2);
  u32 code = 0; char *m = 0; u32 ms = 0;
  proxy_get_status(&code, &m, &ms);
  app("call_status code="); appu(code); app(" message="); appn(m, ms); emit(2);
  log_pairs("ch", 6);
  log_header("cv", 6, ":status");
  char *b = 0; u32 n = 0;
  u32 r = proxy_get_buffer_bytes(4, 0, bs, &b, &n);
  app("cbody result="); appu(r); app(" "); appn(b, n); emit(2);
  if (paused_ctx) {
    u32 er = proxy_set_effective_context(paused_ctx);
    u32 cr = proxy_continue_stream(0);
    app("resume ctx="); appu(paused_ctx); app(" effective="); appu(er); app(" continue="); appu(cr); emit(2);
    paused_ctx = 0;
  }
}

// ---- stream context ----
EXPORT(proxy_on_request_headers) u32 on_request_headers(u32 id, u32 n, u32 eos) {
  reset_heap();
  app("request_headers id="); appu(id); app(" n="); appu(n); app(" eos="); appu(eos); emit(2);
  log_pairs("rh", 0);
  char *v = 0; u32 vs = 0;
  u32 r = proxy_get_header_map_value(0, ":path", 5, &v, &vs);
  if (r == 0 && eq(v, vs, "/trap")) __builtin_trap();
  if (r == 0 && eq(v, vs, "/exit")) proc_exit(3);
  if (r == 0 && eq(v, vs, "/local")) {
    char hdr[4 + 8 + 8 + 4];
    wr32(hdr, 1); wr32(hdr + 4, 7); wr32(hdr + 8, 3);
    const char *kv = "x-local\0yes";
    for (int i = 0; i < 12; i++) hdr[12 + i] = kv[i];
    u32 lr = proxy_send_local_response(403, "probe_denied", 12, "denied", 6, hdr, sizeof(hdr), 0);
    app("local_response result="); appu(lr); emit(2);
    return 0;
  }
  if (has("props")) {
    PROP("source\0address", "source.address");
    PROP("source\0port", "source.port");
    PROP("destination\0address", "destination.address");
    PROP("destination\0port", "destination.port");
    PROP("request\0path", "request.path");
    PROP("request\0url_path", "request.url_path");
    PROP("request\0host", "request.host");
    PROP("request\0scheme", "request.scheme");
    PROP("request\0method", "request.method");
    PROP("request\0protocol", "request.protocol");
    PROP("request\0time", "request.time");
    PROP("request\0duration", "request.duration");
    PROP("request\0headers\0x-foo", "request.headers.x-foo");
    PROP("response\0code", "response.code");
    PROP("connection\0id", "connection.id");
    PROP("node\0id", "node.id");
    PROP("plugin_name", "plugin_name");
    PROP("plugin_root_id", "plugin_root_id");
    PROP("no\0such\0thing", "unknown");
  }
  u32 hs = 0; u32 sr = proxy_get_header_map_size(0, &hs);
  app("header_map_size result="); appu(sr); app(" size="); appu(hs); emit(2);
  proxy_add_header_map_value(0, "x-probe", 7, "added", 5);
  proxy_replace_header_map_value(0, "x-replace", 9, "replaced", 8);
  proxy_remove_header_map_value(0, "x-remove", 8);
  char *cfg = 0; u32 cn = 0;
  app("config_outside_configure result="); appu(proxy_get_buffer_bytes(7, 0, 100, &cfg, &cn)); emit(2);

  char *ck = 0; u32 cks = 0;
  if (proxy_get_header_map_value(0, "x-shared-key", 12, &ck, &cks) == 0) {
    char key[128]; u32 kl = cks < 128 ? cks : 128;
    for (u32 i = 0; i < kl; i++) key[i] = ck[i];
    char *sv = 0; u32 svs = 0; u32 cas = 0;
    u32 gr = proxy_get_shared_data(key, kl, &sv, &svs, &cas);
    app("shared_get result="); appu(gr); app(" cas="); appu(cas); app(" value="); appn(sv, gr == 0 ? svs : 0); emit(2);
    char *nv = 0; u32 nvs = 0;
    proxy_get_header_map_value(0, "x-shared-value", 14, &nv, &nvs);
    char *cs = 0; u32 css = 0; u32 usecas = 0;
    if (proxy_get_header_map_value(0, "x-shared-cas", 12, &cs, &css) == 0) {
      for (u32 i = 0; i < css; i++) usecas = usecas * 10 + (cs[i] - '0');
    }
    u32 setr = proxy_set_shared_data(key, kl, nv, nvs, usecas);
    app("shared_set result="); appu(setr); emit(2);
  }

  char *cl = 0; u32 cls = 0;
  if (proxy_get_header_map_value(0, "x-call-cluster", 14, &cl, &cls) == 0) {
    char cluster[128]; u32 cln = cls < 128 ? cls : 128;
    for (u32 i = 0; i < cln; i++) cluster[i] = cl[i];
    char *tp = 0; u32 tps = 0; u32 timeout = 1000;
    if (proxy_get_header_map_value(0, "x-call-timeout", 14, &tp, &tps) == 0) {
      timeout = 0; for (u32 i = 0; i < tps; i++) timeout = timeout * 10 + (tp[i] - '0');
    }
    char *cp = 0; u32 cps = 0;
    if (proxy_get_header_map_value(0, "x-call-path", 11, &cp, &cps) != 0) { cp = "/"; cps = 1; }
    // pairs: :method GET, :path <cp>, :authority probe
    static char pairs[512];
    const char *k1 = ":method", *v1 = "GET", *k2 = ":path", *k3 = ":authority", *v3 = "probe";
    u32 off = 4 + 3 * 8;
    wr32(pairs, 3);
    wr32(pairs + 4, 7); wr32(pairs + 8, 3); wr32(pairs + 12, 5); wr32(pairs + 16, cps); wr32(pairs + 20, 10); wr32(pairs + 24, 5);
    for (u32 i = 0; i < 7; i++) pairs[off++] = k1[i]; pairs[off++] = 0;
    for (u32 i = 0; i < 3; i++) pairs[off++] = v1[i]; pairs[off++] = 0;
    for (u32 i = 0; i < 5; i++) pairs[off++] = k2[i]; pairs[off++] = 0;
    for (u32 i = 0; i < cps && off < 400; i++) pairs[off++] = cp[i]; pairs[off++] = 0;
    for (u32 i = 0; i < 10; i++) pairs[off++] = k3[i]; pairs[off++] = 0;
    for (u32 i = 0; i < 5; i++) pairs[off++] = v3[i]; pairs[off++] = 0;
    u32 token = 12345;
    u32 cr = proxy_http_call(cluster, cln, pairs, off, "", 0, "", 0, timeout, &token);
    app("call result="); appu(cr); app(" token="); appu(token); emit(2);
    if (cr == 0 && has("pause_for_call")) { paused_ctx = id; return 1; }
  }
  if (has("pause_headers")) return 1;
  return 0;
}

static u32 body_seen(u32 type, u32 size, u32 eos, const char *tag) {
  char *p = 0; u32 n = 0;
  u32 r = proxy_get_buffer_bytes(type, 0, size, &p, &n);
  u32 blen = 0, fl = 0; proxy_get_buffer_status(type, &blen, &fl);
  app(tag); app(" size="); appu(size); app(" eos="); appu(eos); app(" result="); appu(r);
  app(" status_len="); appu(blen); app(" data="); appn(p, n > 64 ? 64 : n); emit(2);
  log_header(tag, type == 0 ? 0 : 2, ":path");
  return n;
}

EXPORT(proxy_on_request_body) u32 on_request_body(u32 id, u32 size, u32 eos) {
  reset_heap();
  body_seen(0, size, eos, "request_body");
  if (has("rewrite_body") && eos) proxy_set_buffer_bytes(0, 0, size, "REWRITTEN", 9);
  if (has("pause_body") && !eos) return 1;
  return 0;
}

EXPORT(proxy_on_request_trailers) u32 on_request_trailers(u32 id, u32 n) {
  reset_heap();
  app("request_trailers id="); appu(id); app(" n="); appu(n); emit(2);
  log_pairs("rt", 1);
  log_header("rt-after", 0, ":path");
  return 0;
}

EXPORT(proxy_on_response_headers) u32 on_response_headers(u32 id, u32 n, u32 eos) {
  reset_heap();
  app("response_headers id="); appu(id); app(" n="); appu(n); app(" eos="); appu(eos); emit(2);
  log_pairs("sh", 2);
  log_header("req-in-resp", 0, ":path");
  if (has("props")) PROP("response\0code", "response.code");
  proxy_add_header_map_value(2, "x-probe-resp", 12, "1", 1);
  return 0;
}

EXPORT(proxy_on_response_body) u32 on_response_body(u32 id, u32 size, u32 eos) {
  reset_heap();
  if (!has("quiet_body")) body_seen(1, size, eos, "response_body");
  if (has("pause_resp") && !eos) return 1;
  return 0;
}

EXPORT(proxy_on_response_trailers) u32 on_response_trailers(u32 id, u32 n) {
  reset_heap();
  app("response_trailers id="); appu(id); app(" n="); appu(n); emit(2);
  log_pairs("st", 3);
  return 0;
}

EXPORT(proxy_on_log) void on_log(u32 id) {
  reset_heap();
  app("log id="); appu(id); emit(2);
  log_header("log-req", 0, ":path");
  log_header("log-resp", 2, ":status");
  if (has("props")) { PROP("request\0duration", "log.request.duration"); PROP("response\0code", "log.response.code"); PROP("response\0size", "log.response.size"); }
}

EXPORT(proxy_on_done) u32 on_done(u32 id) {
  reset_heap();
  app("done id="); appu(id); emit(2);
  return 1;
}

EXPORT(proxy_on_delete) void on_delete(u32 id) {
  reset_heap();
  app("delete id="); appu(id); emit(2);
}
