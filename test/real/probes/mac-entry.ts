// The probe's entry (test/real/probes/mac.ts): SipHash-2-4 as the bundle
// would carry it, reachable from the console.
import { macKey, sipHash } from "../../../device/core/mac.ts";

Object.assign(global, { MACK: macKey, MAC: sipHash });
