/**
 * The poolgc demo (demo/demo.ts) on this board's pool: the size and the LED
 * colours come from its board settings (demo/board.ts, boards/*.board.json).
 *
 * On a board it runs forever, a round every 250 ms; in the simulator
 * (`npm start`) it runs SIM_ROUNDS rounds, prints DEMO_DONE and stops.
 */
import * as ds from "@devicescript/core"
import { MonitoredPool } from "../src/index"
import { currentBoard } from "./board"
import { DEMO_DONE, runDemo } from "./demo"

export { DEMO_DONE }

/** Rounds of the game workload in the simulator. */
const SIM_ROUNDS = 48

const board = currentBoard()
console.log("demo: board " + board.id + " (" + board.name + "), pool " + board.pool + " bytes, VM heap " + board.vmHeapKB + " KB")
// (the demo never verifies: MonitoredPool, the pool without the integrity check, leaves its code out of the firmware)
const pool = new MonitoredPool({ size: board.pool })

if (ds.isSimulator()) {
    await runDemo(pool, { rounds: SIM_ROUNDS, pause: 0, ledBeat: board.ledBeat, ledFail: board.ledFail })
    console.log(DEMO_DONE)
} else {
    await runDemo(pool, { rounds: 0, pause: 250, ledBeat: board.ledBeat, ledFail: board.ledFail })
}
