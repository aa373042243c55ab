// Reading the input: the files named or found one level down a directory, read within bounds, sorted
// into YAML/JSON documents, wasm modules and docker run scripts; what cannot be read is a finding.
import { closeSync, lstatSync, openSync, readdirSync, readSync, statSync, type Stats } from "node:fs";
import { basename, extname, join, relative, resolve } from "node:path";
import { Source, binaryOffset, type Doc } from "./source.ts";
import { checkDockerRun, isDockerRunText } from "./docker.ts";
import { MiB, type Context, type WasmFile } from "./checks/context.ts";
import { yamlDocs } from "./checks/yaml.ts";

export const YAML_EXT = new Set([".yaml", ".yml", ".json"]);
export const TEXT_EXT = new Set([".sh", ".bash", ".txt", ".cmd", ".command", ""]);

/** Larger YAML/JSON files are not read: no Flex configuration file comes near (the ConfigMap holding
 *  the module is under 1.4 MiB, as Kubernetes caps it at 1 MiB of data). Bounds time and memory. */
export const MAX_YAML_BYTES = 4 * 1048576;
/** A .wasm file larger than this is reported from its size alone (the ConfigMap limit is 1 MiB). */
const MAX_WASM_READ = 8 * 1048576;

const CONFIG_EXT = (f: string) => { const e = extname(f).toLowerCase(); return YAML_EXT.has(e) || e === ".wasm"; };

interface InputProblem { file: string; message: string; fix: string }

export function statOf(path: string): { st?: Stats; err?: NodeJS.ErrnoException } {
  try { return { st: statSync(path) }; } catch (e) { return { err: e as NodeJS.ErrnoException }; }
}

function unreadable(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case "ELOOP": return "it is a symbolic link that loops (ELOOP)";
    case "ENOENT": return "it is a symbolic link to nothing (ENOENT)";
    case "EACCES": case "EPERM": return `it cannot be read (${err.code}: permission denied)`;
    case "EISDIR": return "it is a directory, not a file";
    default: return `it cannot be read (${err.code ?? err.message})`;
  }
}

function collectFiles(paths: string[], cwd: string): { files: string[]; missing: string[]; problems: InputProblem[] } {
  const files: string[] = [], missing: string[] = [], problems: InputProblem[] = [];
  const notFile = (file: string, what: string) =>
    problems.push({ file, message: `${basename(file)} is ${what}, not a regular file: it was not checked`, fix: "pass the configuration files themselves (YAML, JSON, cequence_policy.wasm, docker run scripts), or the directory that holds them" });
  for (const p of paths) {
    const abs = resolve(cwd, p);
    const { st, err } = statOf(abs);
    if (err) {
      // A broken or looping symbolic link still exists as a link.
      let link = false;
      try { link = lstatSync(abs).isSymbolicLink(); } catch { /* not there at all */ }
      if (!link && err.code === "ENOENT") { missing.push(p); continue; }
      problems.push({ file: abs, message: `${p}: ${unreadable(err)}`, fix: "pass a readable file or directory (check the link target and the permissions)" });
      continue;
    }
    if (st!.isDirectory()) {
      // One level, as Flex Gateway reads conf.d/ and as the bundle folders are laid out.
      let names: string[];
      try { names = readdirSync(abs).sort(); } catch (e) {
        problems.push({ file: abs, message: `${p}: the directory ${unreadable(e as NodeJS.ErrnoException)}`, fix: "make the directory readable, or pass the files themselves" });
        continue;
      }
      for (const f of names) {
        const full = join(abs, f);
        const ext = extname(f).toLowerCase();
        const wanted = YAML_EXT.has(ext) || ext === ".wasm" || TEXT_EXT.has(ext);
        const r = statOf(full);
        if (r.err) {
          // A link that loops or points nowhere: reported when its name says it is configuration.
          if (CONFIG_EXT(f)) problems.push({ file: full, message: `${f}: ${unreadable(r.err)}`, fix: "replace the link with the file, or remove it from the directory" });
          continue;
        }
        if (r.st!.isFile()) { if (wanted) files.push(full); continue; }
        if (CONFIG_EXT(f)) notFile(full, r.st!.isDirectory() ? "a directory" : r.st!.isFIFO() ? "a named pipe" : r.st!.isSocket() ? "a socket" : "a device or other special file");
      }
    } else if (st!.isFile()) files.push(abs);
    else notFile(abs, st!.isFIFO() ? "a named pipe" : st!.isSocket() ? "a socket" : "a device or other special file");
  }
  return { files: [...new Set(files)], missing, problems };
}

/** Reads a file that was a regular file when listed, at most `limit` bytes (its stat size is not trusted:
 *  /proc files say 0); the reason instead when it cannot be opened or read. */
function readInput(file: string, limit: number): { bytes?: Buffer; error?: string } {
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    const chunks: Buffer[] = [];
    let got = 0;
    while (got < limit) {
      const buf = Buffer.alloc(Math.min(65536, limit - got));
      const r = readSync(fd, buf, 0, buf.length, got);
      if (r === 0) break;
      chunks.push(buf.subarray(0, r));
      got += r;
    }
    return { bytes: Buffer.concat(chunks) };
  } catch (e) {
    return { error: unreadable(e as NodeJS.ErrnoException) };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Reads every input, reporting what is missing or unreadable; the documents and modules read. */
export function readInputs(paths: string[], cwd: string, ctx: Pick<Context, "add" | "findings">): { files: string[]; docs: Doc[]; wasmFiles: WasmFile[] } {
  const { add, findings } = ctx;
  const { files, missing, problems } = collectFiles(paths, cwd);
  for (const m of missing) add("error", "input-missing", m, { line: 1, column: 1 }, `no such file or directory: ${m}`, "pass a Flex Gateway configuration directory, a bundle folder, or the files themselves");
  for (const p of problems) add("error", "input-unreadable", relative(cwd, p.file) || basename(p.file), { line: 1, column: 1 }, p.message, p.fix);

  const docs: Doc[] = [];
  const wasmFiles: WasmFile[] = [];
  for (const file of files) {
    const display = relative(cwd, file) || basename(file);
    const ext = extname(file).toLowerCase();
    const cannotRead = (error: string) => add("error", "input-unreadable", display, { line: 1, column: 1 }, `${basename(file)}: ${error}: it was not checked`, "make the file readable by the user running the validator (or pass another copy)");
    if (ext === ".wasm") {
      const size = statOf(file).st?.size ?? 0;
      const head = readInput(file, size > MAX_WASM_READ ? 8 : MAX_WASM_READ);
      if (head.error) { cannotRead(head.error); continue; }
      wasmFiles.push({ src: file, display, bytes: head.bytes!, size });
      continue;
    }
    const isYaml = YAML_EXT.has(ext);
    const size = statOf(file).st?.size ?? 0;
    if (size > MAX_YAML_BYTES) {
      if (isYaml) {
        add("error", "file-too-large", display, { line: 1, column: 1 },
          `${basename(file)} is ${size} bytes (${MiB(size)}), more than any Flex Gateway configuration file (the validator reads at most ${MiB(MAX_YAML_BYTES)}): it was not checked`,
          "pass the configuration files only; a file this large is not a policy resource (the module's ConfigMap manifest is under 1.4 MiB, as Kubernetes limits ConfigMaps to 1 MiB)");
      }
      continue; // a large text file is not a docker run script either
    }
    const r = readInput(file, MAX_YAML_BYTES);
    if (r.error) { cannotRead(r.error); continue; }
    const text = r.bytes!.toString("utf8");
    if (isYaml) {
      docs.push(...yamlDocs(new Source(file, display, text), ext, add));
      continue;
    }
    // Plain text: a docker run command file is the only kind we check; anything else is passed over.
    if (binaryOffset(text) >= 0) continue;
    if (isDockerRunText(text)) findings.push(...checkDockerRun(new Source(file, display, text).indexLines()));
  }
  return { files, docs, wasmFiles };
}
