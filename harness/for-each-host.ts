// One test body, every host (after Envoy's parameterised integration tests): `forEachHost` registers a
// suite per gateway host, titled `<name> [emulator]` / `<name> [envoy]`, and hands the body the host.
import { describe } from 'node:test';
import { HOSTS, type HostName } from './subject.ts';

export function forEachHost(name: string, body: (host: HostName) => void): void {
  for (const host of HOSTS) describe(`${name} [${host}]`, () => body(host));
}
