// Espruino's own random number generator (src/jsutils.c, 2v29): a
// multiply-with-carry pair seeded with constants when the chip powers on.
// Math.random() is rand() / 2^31, E.srand(v) seeds it, and E.hwRand() is
// rand() too on ESP8266, ESP32 and Linux (their jshGetRandomNumber). Nothing
// seeds it at start-up on those chips, so unseeded, every node draws the
// same sequence after every boot; the emulator must do the same, or it hides
// what that does to a cluster.

export class EspruinoRandom {
  private w = 0xdeadbeef;
  private z = 0xcafebabe;

  /** rand(): 31 bits. */
  rand(): number {
    this.z = (36969 * (this.z & 65535) + (this.z >>> 16)) >>> 0;
    this.w = (18000 * (this.w & 65535) + (this.w >>> 16)) >>> 0;
    return ((this.z << 16) + this.w) & 0x7fffffff;
  }

  /** Math.random(): (JsVarFloat)rand() / (RAND_MAX + 1). */
  random(): number {
    return this.rand() / 2147483648;
  }

  /** srand(seed), seed taken as an unsigned 32-bit integer. */
  srand(seed: number): void {
    const s = seed >>> 0;
    this.w = ((s & 0xffff) | (s << 16)) >>> 0;
    this.z = ((s & 0xffff0000) | (s >>> 16)) >>> 0;
  }
}
