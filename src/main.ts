/**
 * The poolgc demo: the CircuitPython guide's story told on a real pool, then
 * a small game-like workload that keeps the memory breathing. Every step
 * prints the memory map over serial (stdout in the simulator), for the
 * monitor or a terminal to show.
 *
 * On a board it runs forever; in the simulator (`npm start`) it runs
 * SIM_ROUNDS rounds, prints DEMO_DONE and stops.
 */
import * as ds from "@devicescript/core"
import { Handle, MemoryError, Pool } from "./index"

/** Rounds of the game workload in the simulator. */
const SIM_ROUNDS = 48
/** A map every this many rounds. */
const MAP_EVERY = 8
/** The line `npm start` waits for. */
export const DEMO_DONE = "poolgc demo done"

const pool = new Pool({ size: 16384 })
const TileGrid = pool.defineRecord("TileGrid", ["bitmap"])
const Group = pool.defineRecord("Group", ["items"])
const Sprite = pool.defineRecord("Sprite", ["bitmap", "x", "y"])

function say(text: string) {
    console.log("demo: " + text)
}

async function story() {
    say("the guide's story, on a " + pool.size + "-byte pool")
    await pool.memInfo(true)
    await ds.sleep(0)

    // The Blinka bitmap, shown through a TileGrid in a Group on the display.
    const blinka = pool.bitmap(32, 32, 8)
    pool.setRoot("blinka", blinka)
    const grid = pool.record(TileGrid)
    pool.setField(grid, "bitmap", blinka)
    const group = pool.record(Group)
    const items = pool.list(2)
    pool.setField(group, "items", items)
    pool.push(items, grid)
    pool.setRoot("display", group)
    say("1. Blinka's bitmap (P) is allocated at " + pool.offsetOf(blinka) + ", in a TileGrid (R) in a Group (R, L)")
    await pool.memInfo(true)
    await ds.sleep(0)

    const score = pool.number(50)
    pool.setRoot("score", score)
    say("2. the score, 50, (F) goes just after it, at " + pool.offsetOf(score))
    await pool.memInfo(true)
    await ds.sleep(0)

    // Game over: nothing references the graphics any more.
    pool.delRoot("blinka")
    pool.delRoot("display")
    say("3. game over: the bitmap is dereferenced; it is a phantom, still in the map")
    await pool.memInfo(true)
    await ds.sleep(0)

    const time = pool.number(10 * 60 + 55)
    pool.setRoot("time", time)
    say("4. the play time, 10 min 55 s, goes past the phantom, after the score, at " + pool.offsetOf(time))
    await pool.memInfo(true)
    await ds.sleep(0)

    pool.collect()
    const best = pool.string("best: 50 in 10:55")
    pool.setRoot("best", best)
    say("5. after collect() the next object (S) goes where the bitmap was, at " + pool.offsetOf(best))
    await pool.memInfo(true)
    await ds.sleep(0)
}

/** One round of a small game: sprites come and go, a level bitmap now and then. */
function round(n: number, enemies: Handle) {
    const scope = pool.enter()
    try {
        // two new enemies, each a sprite with its own small bitmap and position
        for (let i = 0; i < 2; i++) {
            const s = pool.record(Sprite)
            pool.setField(s, "bitmap", pool.bitmap(8 + ((n * 5 + i * 3) % 17), 8, 4))
            pool.setField(s, "x", pool.number((n * 13 + i * 40) % 160))
            pool.setField(s, "y", pool.number((n * 7) % 128))
            pool.push(enemies, s)
        }
        // the oldest enemies leave: they become phantoms
        while (pool.length(enemies) > 10) pool.removeAt(enemies, 0)
        // a new score object every round; the old one is garbage
        pool.setRoot("score", pool.number(n * 10))
        // every fifth round a level map, kept for two rounds
        if (n % 5 === 0) pool.setRoot("level", pool.bitmap(64, 32, 4))
        if (n % 5 === 2 && pool.hasRoot("level")) pool.delRoot("level")
    } finally {
        pool.leave(scope)
    }
}

async function game(rounds: number) {
    const enemies = pool.list(4)
    pool.setRoot("enemies", enemies)
    let failures = 0
    for (let n = 1; rounds === 0 || n <= rounds; n++) {
        try {
            round(n, enemies)
        } catch (e) {
            if (!(e instanceof MemoryError)) throw e
            failures++
            say("round " + n + ": " + e.message)
        }
        if (n % MAP_EVERY === 0) {
            const st = pool.stats()
            say("round " + n + ": " + st.live + " objects, " + st.free + " bytes free, largest run " + st.largestFree + ", " + st.collections + " collections, " + failures + " MemoryErrors")
            await pool.memInfo(true)
        }
        await ds.sleep(ds.isSimulator() ? 0 : 250)
    }
}

await story()
if (ds.isSimulator()) {
    await game(SIM_ROUNDS)
    say("done: " + SIM_ROUNDS + " rounds")
    console.log(DEMO_DONE)
} else {
    await game(0)
}
