// Public API of the local gateway: starting it, and reading the deployed files.
export { startGateway } from './gateway.ts';
export type { Gateway, GatewayOptions } from './gateway.ts';
export { buildConfig, listConfigFiles, loadModuleBytes, loadResources, selectorMatches } from './config.ts';
export type { ApiInstance, GatewayConfig, PolicyPlan, Resource } from './config.ts';
