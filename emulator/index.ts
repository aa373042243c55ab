// Public API of the emulator: the proxy-wasm host and the local gateway.
export * from './host/index.ts';
export * from './gateway/index.ts';
