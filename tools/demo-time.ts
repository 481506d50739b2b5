/**
 * Times the demo as `npm start` runs it (demo/main.ts in the simulator: the
 * default 16 KiB pool, 48 rounds, no pause), from its first line to its last,
 * without the simulator's start-up. Run by tools/dump-time.mjs.
 */
import * as ds from "@devicescript/core"
import { runDemo } from "../demo/demo"
import { Pool } from "../src/index"

const pool = new Pool({ size: 16384 })
const t0 = ds.millis()
await runDemo(pool, { rounds: 48, pause: 0, ledBeat: 0, ledFail: 0 })
console.log("dump-time demo: " + (ds.millis() - t0) + " ms")
console.log("dump-time done")
