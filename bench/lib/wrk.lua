-- wrk script for bench:envoy: POST (GET when BENCH_BODY is 0) with a BENCH_BODY-byte JSON body and the
-- request headers of bench:gateway; prints one JSON line with the run's counts and latency percentiles.
local size = tonumber(os.getenv("BENCH_BODY") or "0")
local unit = '{"id":12345,"sku":"AB-1234","name":"Widget, blue","qty":3,"price":19.99,"tags":["new","sale"]},'
wrk.method = size > 0 and "POST" or "GET"
if size > 0 then
  wrk.body = string.rep(unit, math.ceil(size / #unit)):sub(1, size)
  wrk.headers["content-type"] = "application/json"
end
wrk.headers["user-agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
wrk.headers["accept"] = "application/json, text/plain, */*"
wrk.headers["accept-encoding"] = "gzip, deflate, br"
wrk.headers["accept-language"] = "en-US,en;q=0.9"
wrk.headers["authorization"] = "Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl"
wrk.headers["x-request-id"] = "8f14e45f-ceea-467f-a0e6-a5a0a9b3c1d2"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"durationUs":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50Us":%d,"p99Us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
