// The end-to-end harness: a subject (upstream + mock Cequence + gateway from a bundle) on either host.
export { startSubject, requireHost, fastSettings, mockCequenceConfig, HOSTS, K8S_WASM_PATH, CLIENT_ID, CLIENT_SECRET } from './subject.ts';
export type { Subject, SubjectOptions, HostName, LogLine } from './subject.ts';
export { forEachHost } from './for-each-host.ts';
export { sendRequest, pairsOf } from './http-client.ts';
export type { Request, Sent } from './http-client.ts';
export { editConfFile, bindingConfig, editBindingConfig } from './conf-d.ts';
export { addStats, assertNoSecrets, assertNoSecretsIn, latestStats, parseStats, waitFor, waitForStats, ZERO_STATS } from './checks.ts';
export type { Stats } from './checks.ts';
