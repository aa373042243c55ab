// The import object a VM is instantiated with: env.proxy_* and wasi_snapshot_preview1, limited to
// what Envoy provides, and the check of a module's imports against that list.
import { ENVOY_PROXY_IMPORTS, ENVOY_WASI_IMPORTS, WASI_MODULE } from './abi.ts';
import type { CallerVm } from './caller-vm.ts';
import { mapAndBufferImports } from './imports-maps-buffers.ts';
import { proxyImports } from './imports-proxy.ts';
import { wasiImports } from './imports-wasi.ts';

/** Check a compiled module's imports against what Envoy provides. Returns the offending ones. */
export function disallowedImports(module: WebAssembly.Module): string[] {
  const bad: string[] = [];
  for (const imp of WebAssembly.Module.imports(module)) {
    const ok =
      imp.kind === 'function' &&
      ((imp.module === 'env' && ENVOY_PROXY_IMPORTS.has(imp.name)) ||
        (imp.module === WASI_MODULE && ENVOY_WASI_IMPORTS.has(imp.name)));
    if (!ok) bad.push(`${imp.module}.${imp.name}`);
  }
  return bad;
}

export function hostImports(vm: CallerVm): WebAssembly.Imports {
  const env = { ...proxyImports(vm), ...mapAndBufferImports(vm) };
  // Only provide what Envoy provides (the allow-list was checked before instantiation).
  for (const k of Object.keys(env)) if (!ENVOY_PROXY_IMPORTS.has(k)) delete env[k];
  return { env, [WASI_MODULE]: wasiImports(vm) };
}
