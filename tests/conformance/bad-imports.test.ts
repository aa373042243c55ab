// A module Envoy must refuse for its imports (tests/emulator/modules/as_bad_imports.ts: an
// AssemblyScript build without `--use abort=…` that uses Math.random, so it imports env.abort and
// env.seed) on both hosts: the gateway does not start, and the log says why, in the same lines.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startGateway } from '../../emulator/index.ts';
import { disallowedImports } from '../../emulator/host/index.ts';
import { writeBundle } from '../emulator/bundle.ts';
import { compileAS } from '../emulator/helpers.ts';
import { conformance } from './conformance.ts';
import { parseEnvoyLine, runEnvoyExpectingExit } from './envoy-process.ts';
import { API_NAME, envoyBootstrap, PLUGIN_NAME, type HostKind } from './hosts.ts';
import { recorder } from './servers.ts';

const WHY = /missing import|Wasm VM failed|failed to load|Unable to create Wasm/;

async function refusedRun(kind: HostKind) {
  const wasm = compileAS('as_bad_imports', []);
  assert.deepEqual(disallowedImports(new WebAssembly.Module(wasm)), ['env.abort', 'env.seed'], 'the module imports both, abort first');
  const up = await recorder((_req, res) => res.end('x'));
  try {
    if (kind === 'emulator') {
      const dir = writeBundle({ wasm, upstreamUrl: up.url, apiName: API_NAME, services: {}, config: {}, definitionProperties: {} });
      const lines: string[] = [];
      try {
        const err = await startGateway({ dir, listenPort: 0, workers: 1, onLog: (e) => lines.push(e.line) }).then(
          async (gw) => { await gw.close(); return undefined; },
          (e: Error) => e.message,
        );
        return { started: err === undefined, lines: lines.map((l) => parseEnvoyLine(l)).filter((l) => l?.logger === 'wasm' && WHY.test(l.message)).map((l) => `${l!.level} [${l!.logger}] ${l!.source} ${l!.message}`) };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'conformance-bad-'));
    try {
      const file = path.join(dir, 'module.wasm');
      writeFileSync(file, wasm);
      const r = await runEnvoyExpectingExit({ bootstrap: envoyBootstrap({ wasm, config: {}, upstreamUrl: up.url }, file) });
      assert.equal(r.code, 1, `Envoy exits 1; its log:\n${r.raw.slice(-10).join('\n')}`);
      // Envoy's last words (not a log line): the plugin it could not create.
      assert.ok(r.raw.includes(`Unable to create Wasm plugin ${PLUGIN_NAME}`), r.raw.slice(-5).join('\n'));
      return {
        started: false,
        lines: r.lines.filter((l) => l.logger === 'wasm' && WHY.test(l.message)).map((l) => `${l.level} [${l.logger}] ${l.source} ${l.message}`),
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await up.close();
  }
}

type Obs = Awaited<ReturnType<typeof refusedRun>>;

/**
 * Envoy adds one more line after the plugin failed: its fail-closed policy refuses the whole
 * configuration (`Plugin configured to fail closed failed to load`), then exits. The emulator's
 * gateway refuses to start at the same point, with the same first three lines.
 */
function compareRefusals(emu: Obs, envoy: Obs): void {
  assert.equal(emu.started, false, 'the emulator refused the module');
  const failClosed = 'critical [wasm] source/extensions/common/wasm/wasm.cc:479 Plugin configured to fail closed failed to load';
  assert.equal(envoy.lines.at(-1), failClosed);
  assert.deepStrictEqual(emu, { ...envoy, lines: envoy.lines.slice(0, -1) });
}

conformance('a module importing env.abort and env.seed is refused, naming the first', refusedRun, compareRefusals);
