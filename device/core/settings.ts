// The control capability's settings endpoints: a running node's spore.json
// read (GET /api/node/config, the secrets left out) and changed a key at a
// time (POST /api/node/config, form key and value as JSON, with the secret):
// checked by readConfig as at boot (layout.ts), refused with the reason when
// the change is bad or unknown, written to Storage, and applied at once or
// by a restart for the keys read only at boot.
import { error, json } from "./api.ts";
import { config, ports } from "./env.ts";
import { defaultConfig, readConfig } from "./layout.ts";


/** GET /api/node/config: the configuration as the node runs it, the secrets left out, and what was wrong in the file. */
export function showConfig() {
  const errors: string[] = [];
  const stored = ports.stored_!() || {};
  const c: Record<string, any> = readConfig(stored, errors);
  delete c.key;
  delete c.pass;
  // the broker's settings as stored, its credentials left out
  if (stored.mq && typeof stored.mq === "object") {
    c.mq = {};
    for (const k in stored.mq) if (k !== "user" && k !== "pass") c.mq[k] = stored.mq[k];
  }
  return json(200, { config: c, errors: errors });
}

/** POST /api/node/config (form: key, value as JSON). */
export function setConfig(f: Record<string, string> | null) {
  if (!f || !f.key || f.value === undefined) return error(400, "form: key, value (JSON)");
  const k = f.key;
  if (k === "key") return error(400, "key: the secret changes with host-tools secret rotate");
  if (!defaultConfig().hasOwnProperty(k)) return error(400, "unknown key: " + k + " (host-tools config show lists them; others are flashed)");
  let v;
  try {
    v = JSON.parse(f.value);
  } catch (e) {
    return error(400, "value is not JSON");
  }
  const stored = ports.stored_!() || {};
  const before: string[] = [];
  readConfig(stored, before);
  stored[k] = v;
  const after: string[] = [];
  const c: Record<string, any> = readConfig(stored, after);
  // refused for what this change made wrong (what was wrong before stays the file's business)
  for (const e of after) if (before.indexOf(e) < 0) return error(400, e);
  ports.store_!(stored);
  // keys read once at boot: a change restarts the node, half a second after the answer (an array's indexOf: 2v29's
  // String indexOf matches a search string that runs off the end as far as it goes, "|prd|".indexOf("|ina|") is 4)
  const restart = ["ssid", "pass", "cl", "http", "udp", "apw", "prd"].indexOf(k) >= 0;
  if (restart) ports.later_(ports.reboot_, 500, 0);
  else (config as any)[k] = c[k];
  return json(200, { success: true, key: k, value: k === "pass" ? "" : c[k], restart: restart });
}
