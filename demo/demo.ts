/**
 * The poolgc demo, on a pool it is given: the CircuitPython guide's story told
 * on a real pool, then a small game-like workload that keeps the memory
 * breathing. Every step prints the memory map over serial (stdout in the
 * simulator), for the monitor or a terminal to show.
 *
 * demo/main.ts runs it with its board's settings (demo/board.ts);
 * test/vm/boards.vm.ts runs it, bounded, with every board's.
 */
import { setStatusLight } from "@devicescript/runtime"
import { newGame, playRound } from "./game"
import { MemoryError, MonitoredPool, RecordKind } from "../src/index"
import { drainSlice } from "../src/platform"

/** The line `npm start` waits for. */
export const DEMO_DONE = "poolgc demo done"
/** A map every this many rounds. */
const MAP_EVERY = 8
/** On a board (rounds forever), a compaction every this many rounds. */
const COMPACT_EVERY = 64

export interface DemoOptions {
    /** Rounds of the game workload; 0: forever. */
    rounds: number
    /** Milliseconds between rounds (at least 1: a positive sleep ends every round). */
    pause: number
    /** The status LED's colour for the heartbeat (0x000000 for none); blinks every round. */
    ledBeat: number
    /** The status LED's colour after a MemoryError, for one round (0x000000 for none). */
    ledFail: number
}

function say(text: string) {
    console.log("demo: " + text)
}

async function story(pool: MonitoredPool, TileGrid: RecordKind, Group: RecordKind) {
    say("the guide's story, on a " + pool.size + "-byte pool")
    await pool.memInfo(true)
    await drainSlice(1)

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
    // a finaliser: it runs once the collector has freed the bitmap
    pool.onFree(blinka, () => say("finaliser: Blinka's bitmap was freed"))
    say("1. Blinka's bitmap (P) is allocated at " + pool.offsetOf(blinka) + ", in a TileGrid (R) in a Group (R, L)")
    await pool.memInfo(true)
    await drainSlice(1)

    const score = pool.number(50)
    pool.setRoot("score", score)
    say("2. the score, 50, (F) goes just after it, at " + pool.offsetOf(score))
    await pool.memInfo(true)
    await drainSlice(1)

    // Game over: nothing references the graphics any more.
    pool.delRoot("blinka")
    pool.delRoot("display")
    say("3. game over: the bitmap is dereferenced; it is a phantom, still in the map")
    await pool.memInfo(true)
    await drainSlice(1)
    // the phantom view: a marking pass that frees nothing; phantoms in lower case (p, r, l)
    const ph = await pool.phantoms(true)
    say("3b. the phantom view: " + ph.objects + " phantoms (the bitmap p, its TileGrid r, the Group r and its list l), " + ph.bytes + " bytes a collection would free")
    await drainSlice(1)

    const time = pool.number(10 * 60 + 55)
    pool.setRoot("time", time)
    say("4. the play time, 10 min 55 s, goes past the phantom, after the score, at " + pool.offsetOf(time))
    await pool.memInfo(true)
    await drainSlice(1)

    pool.collect()
    const best = pool.string("best: 50 in 10:55")
    pool.setRoot("best", best)
    say("5. after collect() the next object (S) goes where the bitmap was, at " + pool.offsetOf(best))
    await pool.memInfo(true)
    await drainSlice(1)
}

/** Compaction: slides the live objects together so the free space is one run, and says what it changed. */
async function compactAndShow(pool: MonitoredPool) {
    const before = pool.stats()
    await pool.compactAsync()
    const after = pool.stats()
    say(
        "compacted: free runs " + before.freeRuns + " -> " + after.freeRuns + ", largest free " + before.largestFree + " -> " + after.largestFree + " bytes, fragmentation " +
            before.fragmentation + "% -> " + after.fragmentation + "%"
    )
    await pool.memInfo(true)
}

/** The story, then `options.rounds` rounds of the game (0: forever). */
export async function runDemo(pool: MonitoredPool, options: DemoOptions) {
    // The status LED's client lives as long as the program: made first, it sits next to
    // the pool in the VM's heap instead of splitting the free space later in the run.
    if (options.ledBeat !== 0 || options.ledFail !== 0) await setStatusLight(0x000000)
    const TileGrid = pool.defineRecord("TileGrid", ["bitmap"])
    const Group = pool.defineRecord("Group", ["items"])
    await story(pool, TileGrid, Group)

    // the game's long-lived objects (the enemies list, the level maps) go at the top of the pool
    const game = newGame(pool, true)
    const rounds = options.rounds
    let failures = 0
    for (let n = 1; rounds === 0 || n <= rounds; n++) {
        let failed = false
        try {
            playRound(pool, game, n)
        } catch (e) {
            if (!(e instanceof MemoryError)) throw e
            failures++
            failed = true
            say("round " + n + ": " + e.message)
        }
        if (rounds === 0 && n % COMPACT_EVERY === 0) await compactAndShow(pool)
        else if (n % MAP_EVERY === 0) {
            const st = pool.stats()
            say("round " + n + ": " + st.live + " objects, " + st.free + " bytes free, largest run " + st.largestFree + ", " + st.collections + " collections, " + failures + " MemoryErrors")
            await pool.memInfo(true)
        }
        // heartbeat: the LED on every other round; the failure colour after a MemoryError
        if (options.ledBeat !== 0 || options.ledFail !== 0)
            await setStatusLight(failed ? options.ledFail : n % 2 === 0 ? options.ledBeat : 0x000000)
        // a positive sleep every round, also with no pause: the board's main loop
        // then runs (it sends the log ring to the host, resets the ESP32's watchdog)
        await drainSlice(options.pause)
    }
    await compactAndShow(pool)
    say("done: " + rounds + " rounds")
}
