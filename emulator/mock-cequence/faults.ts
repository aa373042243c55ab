// The fault modes of the mock's two endpoints: answer normally, a status, slow, down (listener
// closed), hang, reset, garbage (token endpoint only); a mode may revert to `ok` after a count.
import type { LoopbackServer } from '../loopback-server.ts';

/** `ok`; a status code (number or digits, e.g. 401, '500'); `slow` (answer normally after
 *  `delayMs`); `down` (listener closed: connection refused); `hang` (accept and read the request,
 *  never answer); `reset` (destroy the socket once the request headers arrive). */
export type FaultMode = 'ok' | 'slow' | 'down' | 'hang' | 'reset' | number | `${number}`;
/** Auth adds `garbage`: 200 with a body that is not JSON (or `opts.body`). */
export type AuthMode = FaultMode | 'garbage';
export type EdgeMode = FaultMode;

export interface ModeOptions {
  /** `slow`: delay before answering (default 2000 ms). */
  delayMs?: number;
  /** `ok`: success status (edge default 200). Status modes: overrides the mode's number. */
  status?: number;
  /** Body of a status / garbage answer (default: a small JSON error, or non-JSON text for garbage). */
  body?: string | Buffer;
  contentType?: string;
  /** Revert to `ok` after this many requests were handled in this mode (not for `down`). */
  count?: number;
  /** Auth `ok`/`slow`: advertised `expires_in` (null: omit the field); the real validity stays
   *  `tokenLifetimeSeconds`. */
  expiresIn?: number | null;
}

export interface ModeState {
  name: 'ok' | 'slow' | 'down' | 'hang' | 'reset' | 'garbage' | 'status';
  status: number;
  opts: ModeOptions;
  /** Requests left before the mode reverts to `ok`; Infinity when no count. */
  remaining: number;
}

export function parseMode(mode: AuthMode, opts: ModeOptions = {}): ModeState {
  const remaining = opts.count !== undefined ? Math.max(0, Math.floor(opts.count)) : Infinity;
  if (typeof mode === 'number' || /^\d{3}$/.test(String(mode))) {
    const status = opts.status ?? Number(mode);
    if (!Number.isInteger(status) || status < 100 || status > 599) throw new Error(`bad status mode ${mode}`);
    return { name: 'status', status, opts, remaining };
  }
  if (!['ok', 'slow', 'down', 'hang', 'reset', 'garbage'].includes(String(mode))) {
    throw new Error(`unknown mode ${String(mode)}`);
  }
  return { name: String(mode) as ModeState['name'], status: opts.status ?? 200, opts, remaining };
}

/** The mode as the records and `authMode` / `edgeMode` name it: its name, or the status. */
export function describeMode(m: ModeState): string {
  return m.name === 'status' ? String(m.status) : m.name;
}

/** One endpoint's current fault mode, and its listener taken down or brought back to match. */
export class FaultSwitch<M extends AuthMode> {
  private mode = parseMode('ok');

  constructor(
    private readonly server: LoopbackServer,
    private readonly closed: () => boolean,
    private readonly garbageAllowed: boolean,
  ) {}

  get description(): string {
    return describeMode(this.mode);
  }

  async set(mode: M, opts?: ModeOptions): Promise<void> {
    this.mode = parseMode(mode, opts);
    if (this.mode.name === 'garbage' && !this.garbageAllowed) throw new Error('garbage is an auth mode');
    if (this.mode.name === 'down') await this.server.down();
    else if (!this.server.listening && !this.closed()) await this.server.up();
  }

  /** The mode a newly arrived request is handled in; consumes one use of a counted mode. */
  take(): ModeState {
    const m = this.mode;
    if (m.remaining !== Infinity) {
      m.remaining -= 1;
      if (m.remaining <= 0) this.mode = parseMode('ok');
    }
    return m;
  }
}
