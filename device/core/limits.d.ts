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
  /** 1 when the MQTT client is built in */
  mqtt: number;
  /** 1 when the node serves the dashboard at GET / */
  dash: number;
  /** 1 when the node status streams its api list an entry at a time */
  stream: number;
  /** answers to announces waiting at once */
  hellos: number;
  /** bytes of unsent datagrams beyond which a message goes without piggybacked updates */
  backlog: number;
  /** bytes of unsent datagrams beyond which a message is dropped, not sent */
  unsentMax: number;
  /** address of the hardware random number register (0: none) */
  hwRandom: number;
};

/** Set by the build (esbuild define) to the board file's name. */
declare const SPORE_BOARD: string;
/** Set by the build: a hash of the bundle (the same for the same code). */
declare const SPORE_VERSION: string;
