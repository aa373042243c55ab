// Local Flex Gateway emulator.
//   npx tsx emulator/cli.ts --dir <conf.d> [--port N] [--workers N] [--fail-open]
//                           [--wasm-path /etc/mulesoft/flex-gateway/wasm/cequence.wasm=./build/cequence_policy.wasm]
//                           [--log-level trace|debug|info|warn|error|critical] [file.yaml ...]
import { parseArgs } from 'node:util';
import { startGateway } from './gateway/index.ts';
import type { LogLevelName } from './host/abi.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    dir: { type: 'string' },
    port: { type: 'string' },
    workers: { type: 'string' },
    'fail-open': { type: 'boolean' },
    'wasm-path': { type: 'string', multiple: true },
    'log-level': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help || (!values.dir && positionals.length === 0)) {
  console.log('usage: npx tsx emulator/cli.ts --dir <conf.d> [--port N] [--workers N] [--fail-open] [--wasm-path <file:// path>=<local file>] [--log-level info] [files...]');
  process.exit(values.help ? 0 : 2);
}

const wasmPathMap: Record<string, string> = {};
for (const m of values['wasm-path'] ?? []) {
  const i = m.indexOf('=');
  if (i > 0) wasmPathMap[m.slice(0, i)] = m.slice(i + 1);
}

try {
  const gw = await startGateway({
    files: [...(values.dir ? [values.dir] : []), ...positionals],
    listenPort: values.port !== undefined ? Number(values.port) : undefined,
    workers: values.workers !== undefined ? Number(values.workers) : 1,
    failOpen: values['fail-open'] ?? false,
    wasmPathMap,
    logLevel: (values['log-level'] as LogLevelName | undefined) ?? 'info',
    print: true,
  });
  const stop = async () => {
    await gw.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (e) {
  console.error(`flex-gateway emulator: ${(e as Error).message}`);
  process.exit(1);
}
