// When the module's garbage is collected. The release build runs AssemblyScript's minimal runtime
// (two-colour mark & sweep without a shadow stack: no stack bookkeeping in nearly every function, so a
// module 40 % smaller and no slower; README "The SDK patch"), whose collector must only run when none of the
// module's own frames is live, or it would free objects only a local still holds. So every entry point
// the host calls is bracketed by enter() and leave() (exports.ts), and leave(), once back at depth 0 (the
// stack unwound, also when the host re-entered the module during a host call), collects when the
// managed heap has grown by half its live size since the last collection (at least MIN_GROWTH bytes),
// and after every tick (collectOnReturn): the heap stays within about 1.5 times what is live, and
// garbage does not linger between bursts, so a large read finds its room. Under another runtime (the
// unit tests' incremental one) this does nothing: that collector paces itself.

/** ASC_RUNTIME of `--runtime minimal` (shared/runtime.ts Runtime.Minimal). */
const RUNTIME_MINIMAL = 1;
/** Garbage allowed before a collection, at least (bytes of managed objects). */
const MIN_GROWTH: usize = 128 * 1024;

let depth: i32 = 0;
let collectAt: usize = MIN_GROWTH;
let live: usize = 0;
let soon = false;

/** Collect when the host's current call returns, if anything was allocated since the last collection. */
export function collectOnReturn(): void {
  soon = true;
}

export function enter(): void {
  depth++;
}

export function leave(): void {
  if (--depth != 0) return;
  if (ASC_RUNTIME == RUNTIME_MINIMAL) {
    const total = __gc_total();
    if (total < collectAt && !(soon && total > live)) return;
    soon = false;
    __collect();
    live = __gc_total();
    const half = live >> 1;
    collectAt = live + (half > MIN_GROWTH ? half : MIN_GROWTH);
  }
}
