// What the Linux build lacks is stood in for by two Storage files, kept
// small (they cost JsVars the chip does not spend: measure them with
// shimCost() in interpreter.ts):
//   "Wifi"   require("Wifi") finds a Storage file of a module's name when no
//            built-in has it (src/jswrap_modules.c); this one reports the
//            node's IP and fires "connected" once asked to connect.
//   ".boot0" runs before the boot file (src/jsflash.c): ESP8266.getState()
//            with the board's figures, getSerial() with the node's own MAC,
//            and peek32() reading 0 at the hardware random register (the
//            Linux build has no such register: a real peek32 of that
//            address crashes it). On the chip the seed also gets the
//            register's noise; here it rests on the MAC, the boot number
//            and the time. (Built-ins are shadowed through `global.`: a
//            plain assignment throws "Unable to assign value to
//            non-reference Function".)
import type { Board } from "../../../host-tools/build/boards.ts";

/**
 * The Wifi module for the Linux build: the node is on the LAN 100 ms after
 * it asks to connect. Only what the firmware and the boot file call, each
 * function as small as it can be (every one costs JsVars): getIP and
 * getDetails answer at once and through their callback; setHostname,
 * startAP and stopAP do nothing (these nodes never need their access point).
 */
export function wifiShim(ipAddr: string, netmask: string, mac: string): string {
  const gw = ipAddr.replace(/\.\d+$/, ".1");
  const info = `{ip:"${ipAddr}",netmask:"${netmask}",gw:"${gw}",mac:"${mac.replace(/(..)(?!$)/g, "$1:")}"}`;
  return [
    `exports.connect=function(s,o,c){var w=this;setTimeout(function(){if(c)c(null);w.emit("connected",{ip:"${ipAddr}"})},100)};`,
    `exports.getIP=function(c){var i=${info};if(c)setTimeout(c,0,null,i);return i};`,
    `exports.getDetails=function(c){var d={status:"connected",rssi:-60};if(c)setTimeout(c,0,d);return d};`,
    `exports.setHostname=exports.startAP=exports.stopAP=function(){};`,
  ].join("\n");
}

/**
 * .boot0 for the Linux build: the chip's state with the board's figures, its
 * MAC as getSerial() gives it on the chip ("5ccf7fa1-b2c3", measured), and
 * peek32, which reads 0 (at the random register, the only address Spore
 * reads: the Linux build has no such register).
 */
export function chipShim(board: Board, mac: string): string {
  const state = {
    sdkVersion: board.limits.sdkVersion,
    cpuFrequency: board.limits.cpuFreqMHz,
    freeHeap: board.limits.freeHeapBytes,
    maxCon: board.limits.sockets,
    flashKB: board.limits.flashChipBytes / 1024,
    flashChip: "0xe0 0x4016",
  };
  return [
    `global.ESP8266={getState:function(){return ${JSON.stringify(state)}}};`,
    `global.getSerial=function(){return "${mac.slice(0, 8)}-${mac.slice(8)}"};`,
    `global.peek32=function(){return 0};`,
  ].join("\n");
}
