// The one secret check, for the firmware's API, its dashboard upload and
// the boot file's update and restart: "Authorization: Bearer <secret>" or
// "X-Spore-Key: <secret>". No secret configured: nothing is authorized.

/** A header's value whatever the case of its name (Espruino keeps the case sent); name in lower case. */
export function header(headers: Record<string, string>, name: string): string {
  for (const k in headers) if (k.toLowerCase() === name) return headers[k];
  return "";
}

/** Whether the request's headers carry the cluster secret `key`. */
export function authorized(headers: Record<string, string>, key: string): boolean {
  const a = header(headers, "authorization");
  return !!key && (a.substr(0, 7) === "Bearer " ? a.substr(7) : header(headers, "x-spore-key")) === key;
}
