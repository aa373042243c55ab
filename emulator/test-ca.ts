// A throw-away certificate authority and a server certificate for 127.0.0.1 / localhost, made once per
// process (one test run), so the mock Cequence can serve HTTPS that a gateway validates against a CA
// file it is given (Envoy's `trusted_ca`), as it validates the real Cequence against the system bundle.
//
// Why @peculiar/x509 (pinned in devDependencies, with reflect-metadata, which it requires): Node can make keys but not X.509 certificates; the
// `openssl` CLI is not in a minimal Debian image (CI would need another apt package); node-forge makes
// RSA keys in pure JavaScript (seconds on a busy 2-core machine). @peculiar/x509 is maintained, builds
// certificates on Node's WebCrypto (ECDSA P-256 keys in milliseconds) and needs no native code.
import { webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import 'reflect-metadata'; // @peculiar/x509's dependency injection (tsyringe) needs the Reflect metadata API
import * as x509 from '@peculiar/x509';

export interface TestCa {
  /** PEM file of the CA certificate: give it to the client (Envoy `trusted_ca`, `--ca-file`). */
  caFile: string;
  caCert: string;
  /** Server certificate (SAN: 127.0.0.1, ::1, localhost) and its PKCS#8 key, PEM, for https.createServer. */
  cert: string;
  key: string;
  dir: string;
  remove(): void;
}

const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const crypto = webcrypto as unknown as Crypto;
x509.cryptoProvider.set(crypto);

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** Make a new CA and a server certificate signed by it, written to a fresh temp dir. */
export async function createTestCa(): Promise<TestCa> {
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 7 * 24 * 3600_000);
  const caKeys = await crypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=cequence-test-ca', keys: caKeys, notBefore, notAfter, signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const keys = await crypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const server = await x509.X509CertificateGenerator.create({
    subject: 'CN=127.0.0.1', issuer: ca.subject, publicKey: keys.publicKey, signingKey: caKeys.privateKey,
    notBefore, notAfter, signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' }, { type: 'ip', value: '::1' }, { type: 'dns', value: 'localhost' },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'cequence-test-ca-'));
  const caCert = ca.toString('pem') + '\n';
  const caFile = path.join(dir, 'ca.pem');
  writeFileSync(caFile, caCert);
  const cert = server.toString('pem') + '\n';
  const key = pem('PRIVATE KEY', await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  writeFileSync(path.join(dir, 'server.pem'), cert);
  writeFileSync(path.join(dir, 'server-key.pem'), key, { mode: 0o600 });
  return { caFile, caCert, cert, key, dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

let shared: Promise<TestCa> | undefined;
/** One CA per process (per test run), removed when the process exits. */
export function testCa(): Promise<TestCa> {
  shared ??= createTestCa().then((ca) => {
    process.once('exit', () => ca.remove());
    return ca;
  });
  return shared;
}
