// require("Storage"): Espruino's Storage module over a device's FlashStorage.
// Its values are made in the device's realm (readJSON's objects, list()'s
// array), and a write or erase of a file that code was loaded from is
// reported to the device (on the chip that code's functions live in flash).
// Also which of its files a boot runs.
import vm from "node:vm";
import type { DeviceRuntime } from "./runtime.ts";
import type { FlashStorage } from "./storage.ts";

/** Boot files in the order Espruino runs them. */
export const BOOT_FILES = [".boot0", ".boot1", ".boot2", ".boot3"];

/** What a boot runs, in order: .boot0-3 where present, then `file` (load()), or else .bootrst or else .bootcde where present. */
export function bootFiles(st: FlashStorage, file: string | undefined): string[] {
  const files = [...BOOT_FILES.filter((f) => st.read(f) !== undefined)];
  if (file !== undefined) files.push(file);
  else if (st.read(".bootrst") !== undefined) files.push(".bootrst");
  else if (st.read(".bootcde") !== undefined) files.push(".bootcde");
  return files;
}

export interface StorageModuleHost {
  /** The device's realm, where parsed JSON and listed names are made. */
  context(): vm.Context;
  /** A file is erased or rewritten from its start. */
  touched(name: string): void;
}

export function createStorageModule(rt: DeviceRuntime, st: FlashStorage, host: StorageModuleHost): object {
  return rt.newObject({
    read: (name: string, offset?: number, length?: number) => st.read(name, offset, length),
    readJSON: (name: string, noExceptions?: boolean) => {
      const text = st.read(name);
      if (text === undefined) return undefined;
      try {
        return vm.runInContext("JSON", host.context()).parse(text);
      } catch (e) {
        if (noExceptions) return undefined;
        throw e;
      }
    },
    readArrayBuffer: (name: string) => {
      const b = st.readBytes(name);
      return b ? new Uint8Array(b).buffer : undefined;
    },
    write: (name: string, data: unknown, offset?: number, size?: number) => {
      if (!offset) host.touched(name);
      return st.write(name, data, offset, size);
    },
    writeJSON: (name: string, data: unknown) => {
      host.touched(name);
      return st.write(name, JSON.stringify(data));
    },
    erase: (name: string) => {
      host.touched(name);
      st.erase(name);
    },
    eraseAll: () => st.eraseAll(),
    list: (pattern?: RegExp) => vm.runInContext("(function(a){return a.slice()})", host.context())(st.list(pattern)),
    getFree: () => st.getFree(),
    getStats: () => rt.newObject(st.getStats()),
    compact: () => st.compact(),
  });
}
