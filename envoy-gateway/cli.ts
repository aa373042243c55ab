// Command line of the Envoy gateway: `npm run gateway:envoy -- --dir conf.d [options] [files...]`.
import { parseArgs } from 'node:util';
import { startEnvoyGateway, type EnvoyLogLevel } from './gateway.ts';

const USAGE = `usage: npm run gateway:envoy -- --dir <conf.d> [files...] [--port N] [--listen-host 127.0.0.1] [--workers N]
    [--wasm-path /etc/mulesoft/flex-gateway/wasm/cequence.wasm=./policies-k8s/cequence_policy.wasm]
    [--ca-file ca.pem] [--log-level info] [--component-log-level wasm:debug] [--no-watch]`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    dir: { type: 'string' },
    port: { type: 'string' },
    'listen-host': { type: 'string' },
    workers: { type: 'string' },
    'wasm-path': { type: 'string', multiple: true },
    'ca-file': { type: 'string' },
    'log-level': { type: 'string' },
    'component-log-level': { type: 'string' },
    'no-watch': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help || (!values.dir && positionals.length === 0)) {
  console.log(USAGE);
  process.exit(values.help ? 0 : 2);
}

const wasmPathMap: Record<string, string> = {};
for (const m of values['wasm-path'] ?? []) {
  const i = m.indexOf('=');
  if (i <= 0) {
    console.error(`--wasm-path ${m}: expected <file:// path>=<local file>`);
    process.exit(2);
  }
  wasmPathMap[m.slice(0, i)] = m.slice(i + 1);
}

try {
  const gw = await startEnvoyGateway({
    files: [...(values.dir ? [values.dir] : []), ...positionals],
    listenPort: values.port !== undefined ? Number(values.port) : undefined,
    listenHost: values['listen-host'],
    workers: values.workers !== undefined ? Number(values.workers) : 1,
    wasmPathMap,
    caFile: values['ca-file'],
    logLevel: values['log-level'] as EnvoyLogLevel | undefined,
    componentLogLevel: values['component-log-level'],
    watch: !values['no-watch'],
    print: true,
  });
  console.log(`Envoy ${gw.version} (pid ${gw.pid}) on ${gw.url}, admin ${gw.adminUrl}, configuration in ${gw.configDir}/{envoy,lds,cds}.yaml`);
  const stop = async () => {
    await gw.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (e) {
  console.error(`flex-gateway on Envoy: ${(e as Error).message}`);
  process.exit(1);
}
