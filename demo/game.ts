/**
 * The demo's small game, a round at a time, on a pool it is given: sprites
 * come and go, a new score every round, a level bitmap now and then. Kept
 * apart from demo.ts (which prints and blinks) so Node tests can run the same
 * workload: test/core/longlived.test.ts measures long-lived placement on it.
 */
import { Handle, ObjectPool, RecordKind } from "../src/index"

/** The game's state that lives across rounds. */
export interface Game {
    Sprite: RecordKind
    /** The list of enemies on screen (root "enemies"). */
    enemies: Handle
    /** Place the long-lived objects (the enemies list, the level bitmaps) from the top of the pool. */
    longLived: boolean
}

/** Sets up a game: the Sprite kind and the enemies list, rooted as "enemies". */
export function newGame(pool: ObjectPool, longLived: boolean): Game {
    const Sprite = pool.defineRecord("Sprite", ["bitmap", "x", "y"])
    const enemies = pool.list(4)
    pool.setRoot("enemies", enemies)
    if (longLived) pool.makeLongLived(enemies)
    return { Sprite: Sprite, enemies: enemies, longLived: longLived }
}

/** One round of the game. Throws MemoryError when the pool is short (the round's new objects are then dropped). */
export function playRound(pool: ObjectPool, game: Game, n: number): void {
    const enemies = game.enemies
    const scope = pool.enter()
    try {
        // two new enemies, each a sprite with its own small bitmap and position
        for (let i = 0; i < 2; i++) {
            const s = pool.record(game.Sprite)
            pool.setField(s, "bitmap", pool.bitmap(8 + ((n * 5 + i * 3) % 17), 8, 4))
            pool.setField(s, "x", pool.number((n * 13 + i * 40) % 160))
            pool.setField(s, "y", pool.number((n * 7) % 128))
            pool.push(enemies, s) // the list grows (moves) now and then: long-lived, it moves at the top
        }
        // the oldest enemies leave: they become phantoms
        while (pool.length(enemies) > 10) pool.removeAt(enemies, 0)
        // a new score object every round; the old one is garbage
        pool.setRoot("score", pool.number(n * 10))
        // every fifth round a level map, kept for two rounds
        if (n % 5 === 0) {
            pool.longLived(game.longLived)
            try {
                pool.setRoot("level", pool.bitmap(64, 32, 4))
            } finally {
                pool.longLived(false)
            }
        }
        if (n % 5 === 2 && pool.hasRoot("level")) pool.delRoot("level")
    } finally {
        pool.leave(scope)
    }
}
