// A small, strict command-line parser: positionals, --name value, --flag,
// --name=value; unknown options are errors, not silently ignored.
import { UsageError } from "./transport.ts";

export interface OptionSpec {
  /** Takes a value (--name value); otherwise a flag. */
  value?: boolean;
  /** A number, checked against min/max. */
  int?: { min: number; max: number };
}

export interface Parsed {
  positional: string[];
  options: Record<string, string | boolean>;
}

export function parseArgs(argv: string[], spec: Record<string, OptionSpec>): Parsed {
  const positional: string[] = [];
  const options: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith("--") || a === "--") {
      if (a.startsWith("-") && a.length > 1 && a !== "-h") throw new UsageError(`unknown option ${a}`);
      if (a === "-h") options.help = true;
      else positional.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const s = spec[name];
    if (!s) throw new UsageError(`unknown option --${name}`);
    if (!s.value) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      options[name] = true;
      continue;
    }
    const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
    if (v === undefined || (eq < 0 && v.startsWith("--"))) throw new UsageError(`--${name} needs a value`);
    if (s.int) {
      const n = Number(v);
      if (!Number.isInteger(n) || n < s.int.min || n > s.int.max) throw new UsageError(`--${name} must be a whole number from ${s.int.min} to ${s.int.max}, not "${v}"`);
    }
    options[name] = v;
  }
  return { positional, options };
}
