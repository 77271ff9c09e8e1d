// Property names private to the device code end in "_" and are shortened in
// the bundle by esbuild's mangleProps: every property name costs bytes in the
// bundle and, past 4 characters, an extra JsVar per object that holds it on
// the chip. So the source says `member.address_` and the chip sees `m.a`.
// Only names that never cross the bundle's edge may end in "_": not Espruino
// APIs, not JSON keys (Storage files, answers, datagrams), not the TaskManager
// and event API that user code calls.
//
// The short names are kept in mangle-cache.json (committed), so they are the
// same from one build to the next and across boards. A build that meets a
// property the cache does not name fails, saying to run
// `npm run build -- --mangle`, which names it and writes the cache (commit it).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./paths.ts";

/** Which properties are mangled: names ending in "_". */
export const MANGLED = /_$/;

export const MANGLE_CACHE_FILE = join(REPO_ROOT, "host-tools", "build", "mangle-cache.json");

type Cache = Record<string, string | false>;

export function mangleCache(): Cache {
  return existsSync(MANGLE_CACHE_FILE) ? (JSON.parse(readFileSync(MANGLE_CACHE_FILE, "utf8")) as Cache) : {};
}

let adding = false;

/** Whether builds may add names to the cache (npm run build -- --mangle). */
export function allowNewNames(on: boolean): void {
  adding = on;
}

export function mangleUpdates(): boolean {
  return adding;
}

/** Properties a build named that the cache does not have. */
export function newNames(fromBuild: Cache | undefined): string[] {
  const cache = mangleCache();
  return Object.keys(fromBuild ?? {}).filter((k) => !(k in cache));
}

/** Adds what a build named to the cache file (sorted, so it diffs well), when allowed; names already there keep theirs. Returns the names that were new. */
export function saveMangleCache(fromBuild: Cache | undefined): string[] {
  const cache = mangleCache();
  const added = newNames(fromBuild);
  if (!added.length || !adding) return added;
  for (const k of added) cache[k] = fromBuild![k];
  const sorted: Cache = {};
  for (const k of Object.keys(cache).sort()) sorted[k] = cache[k];
  writeFileSync(MANGLE_CACHE_FILE, JSON.stringify(sorted, null, 2) + "\n");
  return added;
}

/** A property access that kept its "_" (quoted, so esbuild left it): the build refuses it. */
export function unmangled(code: string): string | undefined {
  const m = /\.[A-Za-z]\w*_(?![\w$])/.exec(code);
  return m ? m[0].substr(1) : undefined;
}
