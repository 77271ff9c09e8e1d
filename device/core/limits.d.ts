// Per-board limits, defined by the build from boards/<board>.json (the node
// section); each use is replaced by its number. Build-time constants, not
// Espruino globals, so the pure core may read them.
declare const SPORE_LIMITS: {
  /** members kept in the table */
  memberTable: number;
  /** distinct member details kept */
  detailTable: number;
  /** events kept for GET /api/events */
  eventLog: number;
  /** largest HTTP request body, bytes */
  body: number;
  /** HTTP connections served at once */
  conns: number;
  /** JsVars that must stay free to take a request */
  minFree: number;
  /** answers to announces waiting at once */
  hellos: number;
  /** bytes of unsent datagrams beyond which a message goes without piggybacked updates */
  backlog: number;
  /** bytes of unsent datagrams beyond which a message is dropped, not sent */
  unsentMax: number;
  /** address of the hardware random number register (0: none) */
  hwRandom: number;
  /** 1: the MAC's arrays live in a Storage file (StorageFile.MacKeys), read from flash; 0: in RAM */
  macFlash: number;
  /** service calls in flight at once (the services capability) */
  calls: number;
  /** service requests a provider remembers with their answers */
  served: number;
  /** jobs accepted, steps in all of them (nested counted), job runs at once (the jobs capability) */
  jobs: number;
  jobSteps: number;
  jobRuns: number;
  /** events waiting for listeners and jobs (the jobs capability) */
  queue: number;
  /** keys and bytes (key length plus value JSON length) in the KV store */
  kvKeys: number;
  kvBytes: number;
  /** 1: durable KV keys (kept in Storage); 0: RAM only */
  kvDurable: number;
  /** MQTT messages and Storage bytes of the spool (the spool capability) */
  spoolCount: number;
  spoolBytes: number;
};

/**
 * The capabilities built in (boards/<board>.json "capabilities", which
 * espruino.json may change): 1 built in, 0 left out (the code that tests it
 * is dropped by the build). host-tools/build/capabilities.ts describes each.
 */
declare const SPORE_CAPS: {
  /** the MQTT client: telemetry, events, commands (device/platform/mqtt.ts) */
  mqtt: number;
  /** the dashboard at GET / and its upload (device/platform/dashboard.ts) */
  dashboard: number;
  /** the node status and member list streamed a piece at a time (device/core/stream.ts) */
  stream: number;
  /** members' details fetched from them and listed (device/core/details.ts fetchDetails) */
  details: number;
  /** ping requests relayed and cluster events forwarded for the others (device/core/dispatch.ts, cluster-events.ts) */
  relay: number;
  /** POST /api/tasks/control (device/core/node.ts, tasks.ts control) */
  control: number;
  /** services and RPC between nodes (device/core/services.ts) */
  services: number;
  /** jobs defined as data, the event queue, the KV store (device/core/jobs.ts, steps.ts, kv.ts) */
  jobs: number;
  /** the parse step's codecs beyond JSON (device/core/codecs.ts) */
  codecs: number;
  /** the MQTT spool in Storage (device/core/spool.ts) */
  spool: number;
  /** load, OVERLOADED and the health summary gossiped (device/core/health.ts) */
  health: number;
  /** movable tasks placed by rendezvous hashing (device/core/placement.ts) */
  placement: number;
  /** leader election and singleton tasks (device/core/leader.ts) */
  leader: number;
  /** sharper failure detection: a second direct ping, more indirect probes, suspicion confirmed by others (device/core/probe.ts) */
  lifeguard: number;
  /** adaptive gossip: modes, the probe period and piggyback count adapting; the battery reading (device/core/adapt.ts) */
  adaptive: number;
};

/** Set by the build (esbuild define) to the board file's name: for display only, never to decide (ask for a board fact instead). */
declare const SPORE_BOARD: string;
/** The board's device class ("minimal", "standard", "full"): gossiped with the node's details. */
declare const SPORE_CLASS: string;
/** Facts about the board, from its board file: the chip ("ESP8266", "ESP32"), firmware slots in Storage (1 or 2), clock and flash size. */
declare const SPORE_CHIP: string;
declare const SPORE_SLOTS: number;
/** Whether the board's Espruino serves its console over Telnet (boards/<board>.json limits.upload has "telnet"). */
declare const SPORE_TELNET: boolean;
declare const SPORE_CPU_MHZ: number;
declare const SPORE_FLASH_BYTES: number;
/** Set by the build: a hash of the bundle (the same for the same code). */
declare const SPORE_VERSION: string;

/** The board's power profile (boards/<board>.json "power", from the chip's datasheet): volts in mV, currents in mA, a datagram's airtime in us. */
declare const SPORE_POWER_MV: number;
declare const SPORE_IDLE_MA: number;
declare const SPORE_ACTIVE_MA: number;
declare const SPORE_TX_MA: number;
declare const SPORE_AIRTIME_US: number;
