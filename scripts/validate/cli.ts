// cequence-validate [--json] [--strict] [--allow-placeholders] [--secret-rendered-at-deploy] [--api-instance NAME]… <path>…
// Shipped bundled into one dependency-free file, cequence-validate.mjs, in each bundle folder (scripts/build.mjs).
// Exit status: 0 clean (warnings allowed unless --strict), 1 errors (or warnings with --strict), 2 usage.
import { resolve } from "node:path";
import { validate, type Finding, type Result } from "./validator.ts";

const USAGE = `usage: cequence-validate [options] <path>...

Checks a Flex Gateway (local mode) configuration directory, a Cequence bundle folder, or single files
(YAML resources, Helm values, kubectl JSON patch, ConfigMap manifest, compose file, docker run command,
cequence_policy.wasm) before deployment. All paths of one run are checked as one configuration.

options:
  --json                 machine-readable output on stdout
  --strict               warnings fail too (exit 1)
  --allow-placeholders   report the bundle's placeholder values as info, not errors (pristine bundles)
  --secret-rendered-at-deploy
                         cequenceClientSecret may still be the bundle's placeholder: the copy in Git, whose
                         secret the deployment writes in (validate the rendered copy without this option)
  --api-instance NAME    an ApiInstance that exists outside the input (e.g. in the cluster); repeatable,
                         NAME or NAMESPACE/NAME
  -h, --help             this text

exit status: 0 no errors (and no warnings with --strict), 1 otherwise, 2 bad usage`;

export interface CliResult { code: number; stdout: string; stderr: string }

export function run(argv: string[], cwd = process.cwd()): CliResult {
  let json = false, strict = false, allowPlaceholders = false, secretRenderedAtDeploy = false;
  const apiInstances: string[] = [], paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") json = true;
    else if (a === "--strict") strict = true;
    else if (a === "--allow-placeholders") allowPlaceholders = true;
    else if (a === "--secret-rendered-at-deploy") secretRenderedAtDeploy = true;
    else if (a === "--api-instance" && i + 1 < argv.length) apiInstances.push(argv[++i]);
    else if (a.startsWith("--api-instance=")) apiInstances.push(a.slice(15));
    else if (a === "-h" || a === "--help") return { code: 0, stdout: USAGE + "\n", stderr: "" };
    else if (a === "--") continue;
    else if (a.startsWith("-")) return { code: 2, stdout: "", stderr: `cequence-validate: unknown option ${a}\n${USAGE}\n` };
    else paths.push(a);
  }
  if (paths.length === 0) return { code: 2, stdout: "", stderr: USAGE + "\n" };
  let result: Result;
  try {
    result = validate(paths, { allowPlaceholders, apiInstances, cwd, secretRenderedAtDeploy });
  } catch (e) {
    // Whatever the input, one finding and exit status 1, never a stack trace.
    const message = String((e as Error)?.message ?? e).split("\n")[0];
    const file = paths[0] ?? ".";
    result = {
      files: [], errors: 1, warnings: 0, infos: 0,
      findings: [{ severity: "error", code: "validator-failure", file, line: 1, column: 1, message: `the input could not be checked: ${message}`, fix: "check that the paths are the bundle folder or the configuration files; report this message if they are" }],
    };
  }
  const code = result.errors > 0 || (strict && result.warnings > 0) ? 1 : 0;
  return { code, stdout: json ? JSON.stringify({ ok: code === 0, strict, ...result }, null, 2) + "\n" : human(result, strict), stderr: "" };
}

function human(r: Result, strict: boolean): string {
  const lines = r.findings.map((f: Finding) => `${f.file}:${f.line}:${f.column}: ${f.severity} [${f.code}] ${f.message}\n    fix: ${f.fix}`);
  const verdict = r.errors > 0 ? "FAILED" : strict && r.warnings > 0 ? "FAILED (--strict: warnings count)" : "OK";
  lines.push(`${verdict}: ${r.errors} error(s), ${r.warnings} warning(s), ${r.infos} note(s) in ${r.files.length} file(s)`);
  return lines.join("\n") + "\n";
}

// `npm run validate -- <path>` runs in the package root: resolve relative paths against the caller's directory.
const base = process.env.npm_lifecycle_event === "validate" && process.env.INIT_CWD ? resolve(process.env.INIT_CWD) : process.cwd();
const isMain = process.argv[1] && /cequence-validate(\.mjs)?$|validate[\\/]cli\.ts$/.test(process.argv[1]);
if (isMain) {
  const r = run(process.argv.slice(2), base);
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  process.exitCode = r.code;
}
