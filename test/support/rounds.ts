import { Game, playRound } from "../../demo/game"
import { MemoryError, Pool } from "../../src/index"

/** Plays round `n` of the demo's game; true if it ran out of memory (a MemoryError, caught), false if it completed. */
export function roundFailed(pool: Pool, game: Game, n: number): boolean {
    try {
        playRound(pool, game, n)
        return false
    } catch (e) {
        if (!(e instanceof MemoryError)) throw e
        return true
    }
}
