// Storage's room, for the jobs capability's writes (the job set, the KV
// store's durable keys, the MQTT spool's segments). Espruino's Storage never
// overwrites: each write takes fresh space, what it replaces becomes trash,
// and when a write finds too little free space Storage compacts by itself,
// moving files. Compaction garbles functions whose code is in the files it
// moves (Espruino's reference, Storage.compact), and the firmware's code is
// in a Storage file (a slot written by an update comes after trash). So the
// firmware never lets a write of its own start one: a write that does not
// fit in the free space is not made, and when compacting would make room
// the node restarts, and the boot file compacts before any firmware code is
// loaded (device/boot.ts). "storage/full" says so, once per boot.
import { ports } from "./env.ts";
import { note } from "./events.ts";

/** Bytes of free space kept for the boot state and the boot number (const enum: no JsVars). */
const enum Flash {
  Reserve = 4096,
}

let warned = 0;

/** Whether a new file of n bytes fits in Storage's free space with the reserve left over. */
export function room(n: number): boolean {
  const S = ports.fs_;
  const free = S.getFree();
  if (free >= n + 32 + Flash.Reserve) return true;
  if (!warned) {
    warned = 1;
    const trash = S.getStats().trashBytes;
    const restart = trash > n + 32 + Flash.Reserve;
    note("storage/full", { free: free, trash: trash, restart: restart });
    if (restart) ports.later_(ports.reboot_, 3000, 0);
  }
  return false;
}
