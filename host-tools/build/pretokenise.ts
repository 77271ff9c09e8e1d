// Espruino's own pretokeniser, from the espruino CLI package (the code the
// Web IDE runs with "Pretokenise code before upload"): reserved words and
// operators become single bytes, strings become length-prefixed raw bytes
// that the interpreter (2v21+) references in flash instead of copying into
// RAM, and integers become raw bytes (2v25.396+). Espruino 2v29 reads all of
// these from any script. The plugin expects the IDE's globals, so it runs in
// a sandbox with just what it uses.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as vm from "node:vm";
import * as acorn from "acorn";

interface Pretokeniser {
  tokenise(code: string): string;
  untokenise(code: string): string;
}

let loaded: Pretokeniser | undefined;

function plugin(): Pretokeniser {
  if (loaded) return loaded;
  const file = createRequire(import.meta.url).resolve("espruino/plugins/pretokenise.js");
  const Espruino = {
    Plugins: {} as Record<string, Pretokeniser>,
    // 2: tokenise strings and integers too, as 2v29 reads them
    Config: { PRETOKENISE: 2 },
    Core: { Config: { add() {} }, Env: { getBoardData: () => ({ VERSION: "2v29" }) }, Utils: { toJSONishString: (s: string) => JSON.stringify(s), atob: (s: string) => Buffer.from(s, "base64").toString("latin1") } },
    addProcessor() {},
  };
  // a quiet console: untokenise warns about bytes that are not tokens, which tokenText asks on purpose
  vm.runInNewContext(readFileSync(file, "utf8"), { Espruino, acorn, console: { log() {}, warn() {} } }, { filename: file });
  loaded = Espruino.Plugins.Pretokenise;
  if (!loaded) throw new Error(`${file} did not register Espruino.Plugins.Pretokenise`);
  return loaded;
}

/** Pretokenises a script (8-bit string in, 8-bit string out). */
export function tokenise(code: string): string {
  return plugin().tokenise(code);
}

const TOKEN_START = 138; // LEX_OPERATOR_START: == === != ... reserved words
const RAW_STRING8 = 0xd1; // then length, then the bytes
const RAW_STRING16 = 0xd2; // then length (little-endian 16 bits), then the bytes
const RAW_INT0 = 0xd3;
const RAW_INT8 = 0xd4; // then a signed byte
const RAW_INT16 = 0xd5; // then a signed little-endian 16-bit integer

let table: string[] | undefined;

/** The text of each single-byte token, taken from the plugin itself. */
function tokenText(code: number): string {
  if (!table) {
    table = [];
    for (let c = TOKEN_START; c < RAW_STRING8; c++) {
      const text = plugin().untokenise(String.fromCharCode(c));
      table.push(text === String.fromCharCode(c) ? "" : text);
    }
  }
  return table[code - TOKEN_START] ?? "";
}

/**
 * Back to plain JavaScript, for running a pretokenised script in Node, read
 * as Espruino's lexer reads it (raw integers are signed, which the plugin's
 * own untokenise gets wrong). Scripts without bytes over 0x7f are returned as
 * they are; a build bundle is ASCII before tokenising, so such bytes are
 * tokens there. Each token is spaced, which JavaScript ignores.
 */
export function untokenise(code: string): string {
  if (!/[\x80-\xff]/.test(code)) return code;
  let out = "";
  for (let i = 0; i < code.length; i++) {
    const c = code.charCodeAt(i);
    const b1 = code.charCodeAt(i + 1);
    const b2 = code.charCodeAt(i + 2);
    if (c < 0x80) out += code[i];
    else if (c === RAW_STRING8 || c === RAW_STRING16) {
      const at = i + (c === RAW_STRING8 ? 2 : 3);
      const length = c === RAW_STRING8 ? b1 : b1 | (b2 << 8);
      out += " " + JSON.stringify(code.substr(at, length)) + " ";
      i = at + length - 1;
    } else if (c === RAW_INT0) out += " 0 ";
    else if (c === RAW_INT8) {
      out += " " + ((b1 << 24) >> 24) + " ";
      i += 1;
    } else if (c === RAW_INT16) {
      out += " " + (((b1 | (b2 << 8)) << 16) >> 16) + " ";
      i += 2;
    } else if (tokenText(c)) out += " " + tokenText(c) + " ";
    else throw new Error(`untokenise: byte 0x${c.toString(16)} at ${i} is not an Espruino token`);
  }
  return out;
}
