// When the module's garbage is collected. The release build runs AssemblyScript's minimal runtime
// (two-colour mark & sweep without a shadow stack: no stack bookkeeping in every function, so a module
// ~40 % smaller and faster; see README "Memory"), whose collector must only run when none of the
// module's own frames is live, or it would free objects only a local still holds. So every entry point
// the host calls is bracketed by enter() and leave() (exports.ts), and leave(), once back at depth 0 (the
// stack unwound, also when the host re-entered the module during a host call), collects when the
// managed heap has grown by its live size since the last collection (at least MIN_GROWTH bytes): the
// heap stays within about twice what is live, whatever the traffic. Under another runtime (the unit
// tests' incremental one) this does nothing: that collector paces itself.

/** ASC_RUNTIME of `--runtime minimal` (shared/runtime.ts Runtime.Minimal). */
const RUNTIME_MINIMAL = 1;
/** Garbage allowed before a collection, at least (bytes of managed objects). */
const MIN_GROWTH: usize = 256 * 1024;

let depth: i32 = 0;
let collectAt: usize = MIN_GROWTH;

export function enter(): void {
  depth++;
}

export function leave(): void {
  if (--depth != 0) return;
  if (ASC_RUNTIME == RUNTIME_MINIMAL) {
    if (__gc_total() < collectAt) return;
    __collect();
    const live = __gc_total();
    collectAt = live + (live > MIN_GROWTH ? live : MIN_GROWTH);
  }
}

/** Collections so far are not counted; the depth is exposed for tests of the bracketing. */
export function gcDepth(): i32 {
  return depth;
}
