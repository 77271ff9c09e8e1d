// The jobs capability's pins, one function (on the chip each function costs
// JsVars for good): ports.pin_ (device/core/env.ts says what each op does).
// A pull ("up", "down") sets the pin's mode before it is read or watched;
// without one Espruino's automatic mode applies (an input when read).

export function pin(op: number, p: any, a?: any, b?: any, c?: any): any {
  const pull = op === 3 ? c : a;
  if (!op || op === 3) if (pull === "up" || pull === "down") pinMode(p, pull === "up" ? "input_pullup" : "input_pulldown", false);
  if (!op) return digitalRead(p);
  if (op === 1) return digitalWrite(p, a);
  if (op === 2) return analogRead(p);
  if (op === 3) return setWatch(a, p, b);
  clearWatch(p);
}
