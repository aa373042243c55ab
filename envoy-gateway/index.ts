// Public API of the Flex local-mode gateway on real Envoy: the launcher, the translator, the log parser.
export { startEnvoyGateway, envoyVersion } from './gateway.ts';
export type { EnvoyGateway, EnvoyGatewayOptions, EnvoyLogLevel } from './gateway.ts';
export { translateConfig, translateFiles, bootstrap, clusterFor, wasmFilter, WASM_FILTER, SYSTEM_CA_BUNDLE } from './translate.ts';
export type { EnvoyTranslation, ListenerPlan, TranslateOptions } from './translate.ts';
export { parseEnvoyLine, wasmMessages } from './log.ts';
export type { EnvoyLogEntry, EnvoyLevel } from './log.ts';
