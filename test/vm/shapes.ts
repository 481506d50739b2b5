/**
 * Worst-case heap shapes, built the same way in Node and on the VM.
 * Building a large heap takes many allocations, so the builders call
 * `pause()` every PAUSE_EVERY allocations (on the VM that suspends the fiber
 * so the build itself never trips the step limit).
 */
import { CorruptionError, Pool, PoolError, PoolOptions, StepLimitError } from "../../src/index"

export type Pause = () => Promise<void>

const PAUSE_EVERY = 4

/**
 * For the `catch` of a builder or a probe: lets the pool's ordinary refusals
 * pass (a MemoryError when it is full, which ends a build) and rethrows the
 * rest. A StepLimitError means the slice meter refused and the call did
 * nothing: a build would stop early, a probe would measure nothing, so it
 * fails loudly; so does a CorruptionError, and anything not poolgc's.
 */
export function onlyRefusal(e: any): void {
    if (!(e instanceof PoolError) || e instanceof StepLimitError || e instanceof CorruptionError) throw e
}

/** Options for a pool where every block can be its own object. */
export function everyBlockOptions(size: number): PoolOptions {
    return { size: size, handles: size >> 4 }
}

/**
 * The longest reference chain: 1-block records, each referencing the one
 * allocated before it, the newest held by root "chain", until the pool is
 * full. With `garbage`, a 1-block number is allocated after each record and
 * dropped, so after a collection every other block is free (a fully
 * fragmented heap). Returns the number of records.
 */
export async function buildChain(pool: Pool, garbage: boolean, pause: Pause): Promise<number> {
    const link = pool.defineRecord("Link", ["next", "other"])
    pool.disable()
    let prev = 0
    let count = 0
    while (true) {
        if (count % PAUSE_EVERY === 0) await pause()
        let rec = 0
        try {
            rec = pool.record(link)
            if (garbage) pool.number(count)
        } catch (e) {
            onlyRefusal(e)
            break
        }
        if (prev !== 0) pool.setField(rec, "next", prev)
        pool.setRoot("chain", rec)
        prev = rec
        count++
    }
    pool.enable()
    return count
}

/**
 * Wide fan-out: one list holding every other object, each object a 1-block
 * record pointing at its neighbour, so the mark stack overflows and the
 * collector must rescan. Returns the number of records.
 */
export async function buildFan(pool: Pool, pause: Pause): Promise<number> {
    const node = pool.defineRecord("Node", ["left", "right"])
    pool.disable()
    const all = pool.list(4)
    pool.setRoot("fan", all)
    let prev = 0
    let count = 0
    while (true) {
        if (count % PAUSE_EVERY === 0) await pause()
        let rec = 0
        try {
            rec = pool.record(node)
            pool.push(all, rec)
        } catch (e) {
            onlyRefusal(e)
            break
        }
        if (prev !== 0) {
            pool.setField(rec, "left", prev)
            pool.setField(prev, "right", rec)
        }
        prev = rec
        count++
    }
    pool.enable()
    return count
}
