// The jobs capability's pins, one function (on the chip each function costs
// JsVars for good): ports.pin_ (device/core/env.ts says what each op does).
// A pull ("up", "down") sets the pin's mode before it is read or watched;
// without one Espruino's automatic mode applies (an input when read).

export function pin(op: number, p: any, a?: any, b?: any, c?: any): any;
export function pin(): any {
  // (its arguments read from `arguments`: on the chip each declared parameter holds a JsVar for as long as the node runs)
  const op: number = arguments[0];
  const p = arguments[1];
  const a = arguments[2];
  const b = arguments[3];
  const c = arguments[4];
  const pull = op === 3 ? c : a;
  if (!op || op === 3) if (pull === "up" || pull === "down") pinMode(p, pull === "up" ? "input_pullup" : "input_pulldown", false);
  if (!op) return digitalRead(p);
  if (op === 1) return digitalWrite(p, a);
  if (op === 2) return analogRead(p);
  if (op === 3) return setWatch(a, p, b);
  clearWatch(p);
}
