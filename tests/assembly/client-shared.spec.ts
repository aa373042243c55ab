import { encodeToken, decodeToken, encodeLease, decodeLease, sharedKeySuffix, fnv1a32, hex32 } from "../../assembly/client/shared-token";
import { HeaderList } from "../../assembly/client/headers";
import { LogLimiter } from "../../assembly/client/ratelimit";
import { Counters } from "../../assembly/client/stats";

describe("client shared token records", () => {
  it("round-trips a token record", () => {
    const t = decodeToken(encodeToken("eyJ.a-b_c.d", 1700000000000, 1699999940000));
    expect(t != null).toBe(true);
    expect(t!.token).toBe("eyJ.a-b_c.d");
    expect(t!.expiresAtMs).toBe(1700000000000);
    expect(t!.renewAtMs).toBe(1699999940000);
  });
  it("refuses malformed or foreign records", () => {
    expect(decodeToken("") == null).toBe(true);
    expect(decodeToken("v2\n1\n1\ntok") == null).toBe(true);
    expect(decodeToken("v1\nx\n1\ntok") == null).toBe(true);
    expect(decodeToken("v1\n1\n1\n") == null).toBe(true);
    expect(decodeToken("v1\n1\n1") == null).toBe(true);
    expect(decodeToken("v1\n1\n1\nbad token") == null).toBe(true);
    expect(decodeToken("v1\n1\n1\nbad\ntoken") == null).toBe(true);
    expect(decodeToken("v1\n99999999999999999999\n1\ntok") == null).toBe(true);
  });
  it("round-trips a lease and refuses a malformed one", () => {
    const l = decodeLease(encodeLease(12345, 3, "worker-a"));
    expect(l != null).toBe(true);
    expect(l!.untilMs).toBe(12345);
    expect(l!.failures).toBe(3);
    expect(l!.owner).toBe("worker-a");
    expect(decodeLease("v1\n-5\n0\nw") == null).toBe(true);
    expect(decodeLease("v1\n5\nx\nw") == null).toBe(true);
    expect(decodeLease("v1\n5\nw") == null).toBe(true);
    expect(decodeLease("garbage") == null).toBe(true);
  });
  it("keys differ by client id and endpoint, and never contain them verbatim", () => {
    const a = sharedKeySuffix("client-a", "cequence-auth-service.default.svc", "auth.example.com", "/token");
    const b = sharedKeySuffix("client-b", "cequence-auth-service.default.svc", "auth.example.com", "/token");
    const c = sharedKeySuffix("client-a", "cequence-auth-service.prod.svc", "auth.example.com", "/token");
    expect(a).not.toBe(b);
    expect(a).not.toBe(c);
    expect(a.length).toBe(8);
    expect(a.includes("client")).toBe(false);
  });
  it("FNV-1a and hex match known values", () => {
    expect(fnv1a32("")).toBe(0x811c9dc5);
    expect(fnv1a32("a")).toBe(0xe40c292c);
    expect(hex32(0x0000beef)).toBe("0000beef");
  });
});

describe("client header pairs encoding", () => {
  it("encodes count, sizes, then NUL-terminated keys and values", () => {
    const buf = new HeaderList().add(":method", "POST").add("x", "").serialize();
    const base = changetype<usize>(buf);
    expect(load<u32>(base)).toBe(2);
    expect(load<u32>(base + 4)).toBe(7);
    expect(load<u32>(base + 8)).toBe(4);
    expect(load<u32>(base + 12)).toBe(1);
    expect(load<u32>(base + 16)).toBe(0);
    expect(buf.byteLength).toBe(20 + 8 + 5 + 2 + 1);
    expect(String.UTF8.decodeUnsafe(base + 20, 7)).toBe(":method");
    expect(load<u8>(base + 27)).toBe(0);
    expect(String.UTF8.decodeUnsafe(base + 28, 4)).toBe("POST");
    expect(load<u8>(base + 32)).toBe(0);
    expect(load<u8>(base + 33)).toBe(0x78);
    expect(load<u8>(base + 34)).toBe(0);
    expect(load<u8>(base + 35)).toBe(0);
  });
  it("an empty list is a zero count", () => {
    const buf = new HeaderList().serialize();
    expect(buf.byteLength).toBe(4);
    expect(load<u32>(changetype<usize>(buf))).toBe(0);
  });
});

describe("client log limiter and counters", () => {
  it("allows one line per interval and counts the rest", () => {
    const l = new LogLimiter();
    expect(l.allow(0, 1000)).toBe(true);
    expect(l.allow(10, 1000)).toBe(false);
    expect(l.allow(999, 1000)).toBe(false);
    expect(l.allow(1000, 1000)).toBe(true);
    expect(l.takeSuppressed()).toBe(2);
    expect(l.takeSuppressed()).toBe(0);
    l.reset();
    expect(l.allow(1001, 1000)).toBe(true);
  });
  it("counters balance and the stats line names every counter", () => {
    const c = new Counters();
    c.captured = 10;
    c.sent = 4;
    c.droppedQueueFull = 1;
    c.droppedGaveUp = 2;
    c.droppedRejected = 1;
    expect(c.dropped).toBe(4);
    expect(c.balanced(1, 1)).toBe(true);
    expect(c.balanced(2, 1)).toBe(false);
    const line = c.line(1, 100, 1, 1, 0);
    expect(line).toBe("Stats: captured=10 sent=4 dropped=4 (queue_full=1 gave_up=2 rejected=1) queued=1 (100 bytes) in_flight=1 (1 batch(es), 0 waiting to retry)");
  });
});
