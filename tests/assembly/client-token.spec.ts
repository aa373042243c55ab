import { TokenState, renewLeadMs, effectiveLifetimeS, DEFAULT_LIFETIME_S, MAX_LIFETIME_S } from "../../assembly/client/token";
import { backoffCeilingMs } from "../../assembly/client/backoff";

describe("client token: expiry arithmetic", () => {
  it("renews `margin` before expiry for long-lived tokens", () => {
    expect(renewLeadMs(1800, 60)).toBe(60000); // tenth = 180 s > 60 s
    expect(renewLeadMs(3600, 120)).toBe(120000);
  });
  it("renews a tenth of the lifetime before expiry when that is shorter than the margin", () => {
    expect(renewLeadMs(30, 60)).toBe(3000);
    expect(renewLeadMs(300, 60)).toBe(30000);
    expect(renewLeadMs(600, 60)).toBe(60000); // equal
  });
  it("handles zero and negative inputs without a negative lead", () => {
    expect(renewLeadMs(0, 60)).toBe(0);
    expect(renewLeadMs(1800, 0)).toBe(0);
    expect(renewLeadMs(-5, -5)).toBe(0);
  });
  it("accept() sets expiry from the request start and the renewal before it", () => {
    const t = new TokenState();
    t.startFetch(1000000, 1010000);
    t.accept("abc", 1800, 1000000, 60);
    expect(t.expiresAtMs).toBe(1000000 + 1800000);
    expect(t.renewAtMs).toBe(1000000 + 1800000 - 60000);
    expect(t.fetching).toBe(false);
    expect(t.usable(1000000 + 1799999)).toBe(true);
    expect(t.usable(1000000 + 1800000)).toBe(false);
    expect(t.renewDue(1000000 + 1739999)).toBe(false);
    expect(t.renewDue(1000000 + 1740000)).toBe(true);
  });
  it("a short token is renewed after 90% of its life, not at once", () => {
    const t = new TokenState();
    t.accept("abc", 20, 0, 60);
    expect(t.renewAtMs).toBe(18000);
    expect(t.renewDue(17999)).toBe(false);
    expect(t.renewDue(18000)).toBe(true);
  });
  it("uses a default lifetime when expires_in is absent and clamps absurd ones", () => {
    expect(effectiveLifetimeS(0, false)).toBe(DEFAULT_LIFETIME_S);
    expect(effectiveLifetimeS(1800, true)).toBe(1800);
    expect(effectiveLifetimeS(999999999999, true)).toBe(MAX_LIFETIME_S);
  });
});

describe("client token: request discipline", () => {
  it("allows one request at a time", () => {
    const t = new TokenState();
    expect(t.mayFetch(0)).toBe(true);
    t.startFetch(0, 10000);
    expect(t.mayFetch(1)).toBe(false);
    expect(t.mayFetch(9999)).toBe(false);
  });
  it("declares a request lost only after its deadline", () => {
    const t = new TokenState();
    t.startFetch(0, 10000);
    expect(t.fetchLost(9999)).toBe(false);
    expect(t.fetchLost(10000)).toBe(true);
  });
  it("backs off after failures, growing and capped, instead of retrying in a loop", () => {
    const t = new TokenState();
    let now: i64 = 0;
    let lastDelay: i64 = 0;
    for (let i = 0; i < 12; i++) {
      t.startFetch(now, now + 5000);
      const delay = t.fail(now, 500, 30000, 0); // rand 0: the low end, so growth is exact
      const ceiling = backoffCeilingMs(i, 500, 30000);
      expect(delay).toBe(ceiling - ceiling / 2);
      expect(delay).toBeGreaterThanOrEqual(lastDelay);
      expect(delay).toBeLessThanOrEqual(30000);
      expect(t.mayFetch(now + delay - 1)).toBe(false);
      expect(t.mayFetch(now + delay)).toBe(true);
      lastDelay = delay;
      now += delay;
    }
    expect(t.failures).toBe(12);
  });
  it("a success resets the backoff", () => {
    const t = new TokenState();
    t.fail(0, 500, 30000, 0);
    t.fail(0, 500, 30000, 0);
    t.accept("x", 100, 0, 10);
    expect(t.failures).toBe(0);
    expect(t.mayFetch(0)).toBe(true);
  });
});

describe("client token: 401 handling and generations", () => {
  it("invalidate() drops the token only if the refused call carried the current one", () => {
    const t = new TokenState();
    t.accept("one", 1800, 0, 60);
    const g1 = t.generation;
    t.accept("two", 1800, 1000, 60);
    const g2 = t.generation;
    expect(g2).not.toBe(g1);
    expect(t.invalidate(g1)).toBe(false); // stale 401: keep "two"
    expect(t.token).toBe("two");
    expect(t.invalidate(g2)).toBe(true);
    expect(t.token).toBe("");
    expect(t.rejected).toBe("two");
    expect(t.usable(2000)).toBe(false);
    expect(t.renewDue(2000)).toBe(true);
  });
  it("adopting the same token keeps its generation; a different one bumps it", () => {
    const t = new TokenState();
    t.adopt("a", 100000, 90000);
    const g = t.generation;
    t.adopt("a", 200000, 190000);
    expect(t.generation).toBe(g);
    expect(t.expiresAtMs).toBe(200000);
    t.adopt("b", 300000, 290000);
    expect(t.generation).not.toBe(g);
  });
  it("reset() forgets token, backoff and any outstanding request", () => {
    const t = new TokenState();
    t.accept("a", 100, 0, 10);
    t.startFetch(10, 100);
    t.fail(10, 500, 30000, 0);
    t.reset();
    expect(t.token).toBe("");
    expect(t.fetching).toBe(false);
    expect(t.mayFetch(10)).toBe(true);
  });
});

describe("client token: Edge refusing tokens", () => {
  it("the first refusal allows an immediate new fetch; refusals of fresh tokens back off", () => {
    const t = new TokenState();
    t.accept("a", 1800, 0, 60);
    expect(t.refusedByEdge(t.generation, 1000, 500, 30000, 0)).toBe(true);
    expect(t.mayFetch(1000)).toBe(true);
    t.startFetch(1000, 6000);
    t.accept("b", 1800, 1000, 60);
    expect(t.refusedByEdge(t.generation, 2000, 500, 30000, 0)).toBe(true);
    expect(t.mayFetch(2000)).toBe(false);
    expect(t.mayFetch(2250)).toBe(true); // low end of attempt 0: 250 ms
    t.accept("c", 1800, 2250, 60);
    t.refusedByEdge(t.generation, 3000, 500, 30000, 0);
    expect(t.mayFetch(3499)).toBe(false);
    expect(t.mayFetch(3500)).toBe(true); // attempt 1: 500 ms
    t.acceptedByEdge();
    t.accept("d", 1800, 3500, 60);
    t.refusedByEdge(t.generation, 4000, 500, 30000, 0);
    expect(t.mayFetch(4000)).toBe(true); // the streak was broken by an accepted batch
  });
  it("a refusal of an older token does nothing", () => {
    const t = new TokenState();
    t.accept("a", 1800, 0, 60);
    const old = t.generation;
    t.accept("b", 1800, 10, 60);
    expect(t.refusedByEdge(old, 20, 500, 30000, 0)).toBe(false);
    expect(t.token).toBe("b");
    expect(t.rejections).toBe(0);
  });
});
