/**
 * Long-lived placement on the demo's game (demo/game.ts), issue 6: the same
 * 300 rounds with every object placed bottom-up, and with the long-lived ones
 * (the enemies list, which grows and moves, and the level bitmaps) placed
 * top-down. Compaction is off, so the placement alone is measured. The
 * figures are printed and recorded in README.md ("Long-lived placement").
 */
import { expect, test } from "vitest"
import { newGame } from "../../demo/game"
import { Pool } from "../../src/index"
import { roundFailed } from "../support/rounds"

const ROUNDS = 300

function run(size: number, long: boolean) {
    const pool = new Pool({ size, autoCompact: false })
    const game = newGame(pool, long)
    let minLargest = Infinity
    let sumLargest = 0
    let sumFrag = 0
    let errors = 0
    for (let n = 1; n <= ROUNDS; n++) {
        if (roundFailed(pool, game, n)) errors++
        const s = pool.stats()
        minLargest = Math.min(minLargest, s.largestFree)
        sumLargest += s.largestFree
        sumFrag += s.fragmentation
    }
    expect(pool.verifier().run(1e9)).toBe(true)
    return { minLargest, meanLargest: Math.round(sumLargest / ROUNDS), meanFrag: Math.round((sumFrag / ROUNDS) * 10) / 10, errors }
}

test("placing the game's long-lived objects from the top keeps a larger free run and less fragmentation", () => {
    for (const size of [8192, 12288, 16384]) {
        const short = run(size, false)
        const long = run(size, true)
        console.log(
            `long-lived placement, ${size}-byte pool, ${ROUNDS} rounds: smallest largest-free-run ${short.minLargest} -> ${long.minLargest} bytes, ` +
                `mean ${short.meanLargest} -> ${long.meanLargest}, mean fragmentation ${short.meanFrag}% -> ${long.meanFrag}%, MemoryErrors ${short.errors} -> ${long.errors}`
        )
        expect(long.errors).toBe(0)
        expect(short.errors).toBe(0)
        expect(long.minLargest).toBeGreaterThan(short.minLargest)
        expect(long.meanLargest).toBeGreaterThan(short.meanLargest)
        expect(long.meanFrag).toBeLessThan(short.meanFrag)
    }
})
