import * as esbuild from "esbuild";
import { PRIVATE_PROPS } from "./mangle.ts";
const lim = { memberTable: 12, detailTable: 2, eventLog: 6, body: 512, conns: 2, minFree: 150 };
const d: Record<string,string> = { SPORE_BOARD: '"esp01"', SPORE_VERSION: '"x"' };
for (const [k, v] of Object.entries(lim)) d["SPORE_LIMITS." + k] = String(v);
const r = await esbuild.build({ entryPoints: ["device/main.ts"], bundle: true, minify: true, format: "cjs", platform: "neutral", target: "es2015", write: false, metafile: true, outdir: "/tmp/o",
 define: d, external: ["Wifi","Storage","dgram","http","net","ESP8266"],
 tsconfigRaw: { compilerOptions: { useDefineForClassFields: false, verbatimModuleSyntax: true } },
 mangleProps: new RegExp("^(" + PRIVATE_PROPS.join("|") + ")$"), logLevel: "silent" });
const o = Object.values(r.metafile!.outputs)[0];
for (const [k, v] of Object.entries(o.inputs)) console.log(String(v.bytesInOutput).padStart(6), k);
