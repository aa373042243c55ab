#!/usr/bin/env node
// CLI entry of the preflight validator (scripts/validate/cli.ts), run through tsx without a compile step.
import { register } from "tsx/esm/api";

register();
await import("../scripts/validate/cli.ts");
