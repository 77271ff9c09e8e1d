// The source tree's shape: no file imports itself back through others, and
// the build does not reach into the emulator. Imports are read from each .ts
// file's text (relative `import`/`export ... from`, bare `import "..."` and
// `import(...)`), type-only ones included: a cycle of types ties two files
// together as much as one of values does.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import * as assert from "uvu/assert";
import { REPO_ROOT } from "../../host-tools/build/paths.ts";
import { suite } from "../suite.ts";
import { tsFiles } from "./tree.ts";

const { test } = suite("source layout");

/** Each file (repo-relative, "/"-separated) and the files it imports. */
type Graph = Map<string, string[]>;

const ROOTS = ["device", "host-tools", "test"];
/** A static import or re-export at the start of a line (across lines up to `from`), or a bare import. */
const STATIC_IMPORT = /^[ \t]*(?:import|export)\s(?:[^;"'`]*?\sfrom\s*)?["']([^"']+)["']/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

const repoPath = (file: string) => relative(REPO_ROOT, file).split("\\").join("/");

/** What a file's code imports by relative path ("./x.ts", "../y.ts"), in the order written. */
function relativeImports(code: string): string[] {
  return [...code.matchAll(STATIC_IMPORT), ...code.matchAll(DYNAMIC_IMPORT)].map((m) => m[1]).filter((s) => s.startsWith("./") || s.startsWith("../"));
}

/** The relative imports of every .ts file under ROOTS; `unresolved` lists those that name no file. */
function importGraph(): { graph: Graph; unresolved: string[] } {
  const graph: Graph = new Map();
  const unresolved: string[] = [];
  for (const file of ROOTS.flatMap((r) => tsFiles(join(REPO_ROOT, r)))) {
    const targets = new Set<string>();
    for (const spec of relativeImports(readFileSync(file, "utf8"))) {
      const base = join(dirname(file), spec);
      const target = [base, `${base}.ts`, join(base, "index.ts")].find((f) => f.endsWith(".ts") && existsSync(f));
      if (target) targets.add(repoPath(target));
      else if (!/\.(json|js|mjs|html)$/.test(spec)) unresolved.push(`${repoPath(file)}: "${spec}"`);
    }
    graph.set(repoPath(file), [...targets].sort());
  }
  return { graph, unresolved };
}

/**
 * Every import cycle, one per group of files that reach each other (Tarjan's
 * strongly connected components), shown as the shortest way round from the
 * group's first file: "a.ts -> b.ts -> a.ts".
 */
function cycles(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1 || (graph.get(v) ?? []).includes(v)) groups.push(group.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return groups.map((group) => shortestLoop(graph, group[0], new Set(group))).sort((a, b) => a[0].localeCompare(b[0]));
}

/** The shortest path from `start` back to itself through `within` (breadth first). */
function shortestLoop(graph: Graph, start: string, within: Set<string>): string[] {
  const from = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!within.has(w)) continue;
      if (w === start) {
        const between: string[] = [];
        for (let u = v; u !== start; u = from.get(u)!) between.unshift(u);
        return [start, ...between, start];
      }
      if (!from.has(w)) {
        from.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/** The files `from` reaches through its imports, each with the way it got there. */
function reach(graph: Graph, from: string): Map<string, string[]> {
  const paths = new Map<string, string[]>([[from, [from]]]);
  const queue = [from];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (paths.has(w)) continue;
      paths.set(w, [...paths.get(v)!, w]);
      queue.push(w);
    }
  }
  return paths;
}

const { graph, unresolved } = importGraph();
const touches = (prefixes: string[]) => (cycle: string[]) => cycle.some((f) => prefixes.some((p) => f.startsWith(p)));
const shown = (found: string[][]) => found.map((c) => c.join(" -> ")).join("\n  ");

function assertNoCycles(prefixes: string[]): void {
  const found = cycles(graph).filter(touches(prefixes));
  assert.equal(found, [], `import cycles through ${prefixes.join(", ")}:\n  ${shown(found)}`);
}

test("the import reader takes every form of relative import, and nothing else", () => {
  // lines of a file, as strings so that this file's own reading does not take them for its imports
  const code = [
    "import { a } from \"./a.ts\";",
    "import type { B } from \"../b.ts\";",
    "import {",
    "  c,",
    "  type C,",
    "} from \"./c.ts\";",
    "import \"./d.ts\";",
    "export * from \"./e.ts\";",
    "export { f } from \"./f.ts\";",
    "import { join } from \"node:path\";",
    "export const FILE = \"./not-an-import.ts\";",
    "const g = await import(\"./g.ts\");",
    "// a comment that says import from \"./h.ts\" is not an import",
  ].join("\n");
  assert.equal(relativeImports(code), ["./a.ts", "../b.ts", "./c.ts", "./d.ts", "./e.ts", "./f.ts", "./g.ts"]);
});

test("the import reader sees the tree: every root's files, static, type-only and dynamic imports; every relative import names a file", () => {
  for (const root of ROOTS) assert.ok([...graph.keys()].filter((f) => f.startsWith(`${root}/`)).length >= 10, `${root}/ has its .ts files read`);
  const edges: [string, string, string][] = [
    ["host-tools/cli.ts", "host-tools/commands/ota.ts", "a static import"],
    ["test/cluster/cli.ts", "host-tools/lib/ota.ts", "a type-only import"],
    ["host-tools/commands/ota.ts", "host-tools/build/build.ts", "a dynamic import"],
    ["device/main.ts", "device/core/node.ts", "a device import"],
  ];
  for (const [from, to, what] of edges) assert.ok(graph.get(from)?.includes(to), `${what}: ${from} imports ${to} (it imports ${graph.get(from)?.join(", ")})`);
  assert.equal(unresolved, [], "relative imports that name no file");
});

test("cycles() finds every cycle, the shortest way round, and nothing else", () => {
  const g: Graph = new Map([
    ["a", ["b"]],
    ["b", ["c", "d"]],
    ["c", ["a"]],
    ["d", ["e"]],
    ["e", []],
    ["f", ["f"]],
    ["g", ["a", "h"]],
    ["h", ["g"]],
  ]);
  assert.equal(cycles(g), [["a", "b", "c", "a"], ["f", "f"], ["g", "h", "g"]]);
  assert.equal(cycles(new Map([["a", ["b"]], ["b", []]])), [], "no cycle in a chain");
});

test("no import cycles in host-tools/ and test/", () => {
  assertNoCycles(["host-tools/", "test/"]);
});

test("no import cycles in device/: the local event bus depends on nothing, cluster events and datagram dispatch have modules of their own", () => {
  assertNoCycles(["device/"]);
});

test("no source file over about 400 lines", () => {
  const long = [...graph.keys()].filter((f) => !f.includes("/fixtures/")).map((f) => [f, readFileSync(join(REPO_ROOT, f), "utf8").split("\n").length] as const).filter(([, n]) => n > 430);
  assert.equal(long, [], long.map(([f, n]) => `${f}: ${n} lines`).join(", "));
});

test("nothing under host-tools/build imports host-tools/emulator, not even through other files", () => {
  const build = [...graph.keys()].filter((f) => f.startsWith("host-tools/build/"));
  assert.ok(build.length >= 10, `${build.length} build files read`);
  const found = build.flatMap((f) => [...reach(graph, f)].filter(([to]) => to.startsWith("host-tools/emulator/")).map(([, path]) => path.join(" -> ")));
  assert.equal(found, [], `the build reaches the emulator:\n  ${found.join("\n  ")}`);
});

test.run();
