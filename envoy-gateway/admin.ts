// Talks to Envoy's admin listener (loopback): readiness, bound listener ports, and whether the
// LDS/CDS files of a given version were accepted.

export async function adminGet(adminUrl: string, pathAndQuery: string): Promise<{ status: number; body: string }> {
  const res = await fetch(adminUrl + pathAndQuery);
  return { status: res.status, body: await res.text() };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function poll<T>(deadline: number, what: string, exitedWhy: () => string | undefined, f: () => Promise<T | undefined>): Promise<T> {
  let last = '';
  for (;;) {
    const why = exitedWhy();
    if (why) throw new Error(why);
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = ` (${(e as Error).message})`;
    }
    if (Date.now() > deadline) throw new Error(`Envoy: timed out waiting for ${what}${last}`);
    await sleep(25);
  }
}

/** `/ready` answers 200 LIVE once the server finished initialising (CDS, then LDS). */
export function waitForReady(adminUrl: string, deadline: number, exitedWhy: () => string | undefined): Promise<true> {
  return poll(deadline, 'the server to be LIVE', exitedWhy, async () => {
    const r = await adminGet(adminUrl, '/ready');
    return r.status === 200 ? true : undefined;
  });
}

/** Port each named listener is bound to, from `/listeners?format=json`. */
export function waitForListeners(adminUrl: string, names: string[], deadline: number,
  exitedWhy: () => string | undefined): Promise<Record<string, number>> {
  return poll(deadline, `listeners ${names.join(', ')}`, exitedWhy, async () => {
    const r = await adminGet(adminUrl, '/listeners?format=json');
    const out: Record<string, number> = {};
    for (const s of JSON.parse(r.body).listener_statuses ?? []) {
      const port = s.local_address?.socket_address?.port_value;
      if (port) out[s.name] = port;
    }
    return names.every((n) => out[n]) ? out : undefined;
  });
}

/** Text readouts and counters of the file-based xDS subscriptions. */
export async function xdsStats(adminUrl: string): Promise<Record<string, string>> {
  const r = await adminGet(adminUrl, '/stats?filter=' + encodeURIComponent('^(listener_manager\\.lds|cluster_manager\\.cds)\\.(version_text|update_rejected|update_success)$'));
  const out: Record<string, string> = {};
  for (const line of r.body.split('\n')) {
    const m = /^([^:]+): "?(.*?)"?$/.exec(line.trim());
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/** True once both LDS and CDS report `version`; false when either rejected an update since `before`
 *  (xdsStats taken before the files were written) or time ran out. */
export async function waitForVersion(adminUrl: string, version: string, deadline: number,
  before: Record<string, string>): Promise<boolean> {
  const rejected = (s: Record<string, string>) =>
    s['listener_manager.lds.update_rejected'] !== before['listener_manager.lds.update_rejected'] ||
    s['cluster_manager.cds.update_rejected'] !== before['cluster_manager.cds.update_rejected'];
  for (;;) {
    const s = await xdsStats(adminUrl);
    if (s['listener_manager.lds.version_text'] === version && s['cluster_manager.cds.version_text'] === version) return true;
    if (rejected(s) || Date.now() > deadline) return false;
    await sleep(25);
  }
}
