// Compiles tests/capture/harness/transaction-harness.ts with the project's AssemblyScript and wraps
// its exports for Node tests.
import { readFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');

export interface Pair { name: Buffer; value: Buffer }

export function encodePairs(pairs: Pair[]): Buffer {
  const head = Buffer.alloc(4 + pairs.length * 8);
  head.writeUInt32LE(pairs.length, 0);
  const parts: Buffer[] = [head];
  pairs.forEach((p, i) => {
    head.writeUInt32LE(p.name.length, 4 + i * 8);
    head.writeUInt32LE(p.value.length, 8 + i * 8);
    parts.push(p.name, Buffer.from([0]), p.value, Buffer.from([0]));
  });
  return Buffer.concat(parts);
}

export interface Harness {
  reset(limit: number): void;
  requestHeaders(pairs: Pair[] | null): void;
  responseHeaders(pairs: Pair[] | null): void;
  sourceAddress(s: Buffer | null): void;
  destinationAddress(s: Buffer | null): void;
  protocol(s: Buffer | null): void;
  ports(source: number, destination: number): void;
  sourceInfo(pool: string, instance: string): void;
  times(status: number, requestStartNs: bigint): void;
  requestChunk(chunk: Buffer): number;
  responseChunk(chunk: Buffer): number;
  serialize(id: string): Buffer;
  /** Capture controls from a policy configuration (null: none); false when the configuration is invalid. */
  controls(config: Record<string, unknown> | null): boolean;
  /** The module's strict JSON reader accepts these bytes as one well-formed document. */
  jsonWellFormed(bytes: Buffer): boolean;
}

export async function loadHarness(): Promise<Harness> {
  const outDir = join(root, '.tmp', 'capture-harness');
  mkdirSync(outDir, { recursive: true });
  const outFile = join(outDir, 'harness.wasm');
  const { error, stderr } = await asc.main([
    join(here, 'transaction-harness.ts'),
    '--outFile', outFile,
    '--config', join(here, 'asconfig.json'),
  ], {});
  if (error) throw new Error('harness compile failed: ' + stderr.toString());
  let memory: WebAssembly.Memory;
  const { instance } = await WebAssembly.instantiate(readFileSync(outFile), {
    env: {
      abort(msg: number, file: number, line: number, col: number) {
        throw new Error(`wasm abort at ${line}:${col}`);
      },
      seed: () => { throw new Error('Math.random must not be used'); },
    },
  });
  const ex = instance.exports as any;
  memory = ex.memory;
  const put = (b: Buffer | null): number => {
    if (b == null) return 0;
    const p = ex.alloc(b.length) >>> 0;
    new Uint8Array(memory.buffer, p, b.length).set(b);
    return p;
  };
  return {
    reset: (limit) => ex.reset(limit),
    requestHeaders: (pairs) => ex.setRequestHeaders(put(pairs && encodePairs(pairs))),
    responseHeaders: (pairs) => ex.setResponseHeaders(put(pairs && encodePairs(pairs))),
    sourceAddress: (s) => ex.setSourceAddress(put(s)),
    destinationAddress: (s) => ex.setDestinationAddress(put(s)),
    protocol: (s) => ex.setProtocol(put(s)),
    ports: (a, b) => ex.setPorts(a, b),
    sourceInfo: (pool, inst) => ex.setSourceInfo(put(Buffer.from(pool)), put(Buffer.from(inst))),
    times: (status, a) => ex.setTimes(status, a),
    requestChunk: (c) => ex.requestChunk(put(c)) >>> 0,
    responseChunk: (c) => ex.responseChunk(put(c)) >>> 0,
    controls: (config) => ex.setControls(put(config && Buffer.from(JSON.stringify(config)))) === 0,
    jsonWellFormed: (bytes) => ex.jsonProblem(bytes.length === 0 ? 0 : put(bytes)) === 0,
    serialize: (id) => {
      const p = ex.serialize(put(Buffer.from(id))) >>> 0;
      if (p === 0) throw new Error('transactionSize was not the size buildTransaction wrote');
      const len = new DataView(memory.buffer).getUint32(p - 4, true);
      const out = Buffer.from(new Uint8Array(memory.buffer, p, len));
      ex.release(p);
      return out;
    },
  };
}
