/**
 * A seeded sequence of pool operations for the differential test: the same
 * code runs in Node (test/device/differential.test.ts) and on the VM
 * (test/vm/differential.vm.ts) and logs the same lines, unless the two
 * platforms disagree somewhere. Logged: every error, a map dump every
 * MAP_EVERY steps (every other one packed), and at the end the map (plain
 * and packed) and the whole pool in hex.
 */
import { Handle, Pool } from "../../src/index"

export type Log = (line: string) => void
export type Pause = () => Promise<void>

const MAP_EVERY = 50
const NAMES = ["r0", "r1", "r2", "r3", "r4", "r5"]
const BPP = [1, 2, 4, 8]

/**
 * xorshift32: the same integers on every platform (int32 arithmetic only).
 * Not `(x >>> 0) % n`: the VM's `%` wraps operands above 2^31-1 to int32
 * (`(-5 >>> 0) % 7` is -5 on the VM, 6 in JavaScript).
 */
export function makeRandom(seed: number) {
    let x = seed | 0 || 1
    return (n: number): number => {
        x ^= x << 13
        x ^= x >>> 17
        x ^= x << 5
        return (x & 0x7fffffff) % n
    }
}

/** Runs `steps` random operations on an 8 KiB pool. */
export async function runSequence(seed: number, steps: number, log: Log, pause: Pause): Promise<Pool> {
    const r = makeRandom(seed)
    const pool = new Pool({ size: 8192, handles: 200, markStack: 8 })
    const kinds = [pool.defineRecord("A", ["x"]), pool.defineRecord("B", ["x", "y", "z"])]
    const known: Handle[] = []
    const scopes: number[] = []
    const pick = (): Handle => (known.length === 0 ? 0 : known[r(known.length)])
    const live = (): Handle => {
        const h = pick()
        return h !== 0 && pool.isLive(h) ? h : 0
    }
    for (let step = 1; step <= steps; step++) {
        // a fresh slice for every operation: collect() and compact() each take up to a quarter of a VM
        // slice, and the slice meter must never cut a step short on the VM (Node has no limit: the pools would differ)
        await pause()
        const op = r(23)
        try {
            let h: Handle = 0
            if (op < 2) h = pool.bytes(r(4) === 0 ? r(900) : r(90))
            else if (op < 3) h = pool.bitmap(1 + r(24), 1 + r(12), BPP[r(4)])
            else if (op < 5) h = pool.number(r(2000) - 1000 + 0.25)
            else if (op < 6) h = pool.string("s\u00fc" + step)
            else if (op < 8) h = pool.list(r(5))
            else if (op < 10) h = pool.record(kinds[r(2)])
            else if (op < 12) {
                const t = live()
                if (t !== 0 && pool.typeOf(t) === "list") pool.push(t, live())
                else if (t !== 0 && pool.typeOf(t) === "record") pool.setField(t, "x", live())
            } else if (op < 14) {
                const t = live()
                if (t !== 0) pool.setRoot(NAMES[r(NAMES.length)], t)
            } else if (op < 15) {
                const name = NAMES[r(NAMES.length)]
                if (pool.hasRoot(name)) pool.delRoot(name)
            } else if (op < 16) {
                const t = live()
                if (t !== 0 && r(3) === 0) pool.free(t)
            } else if (op < 17) {
                if (scopes.length === 0 || (scopes.length < 3 && r(3) === 0)) scopes.push(pool.enter())
                else pool.leave(scopes.pop())
            } else if (op < 18) pool.collect()
            else if (op < 19) pool.collectStep(1 + r(40))
            else if (op === 20) {
                // compaction: a bounded step of one, or all of one
                if (r(3) === 0) await pool.compactAsync()
                else pool.compact()
            } else if (op === 21) {
                // long-lived placement: the mode for new objects, or one object moved up
                if (r(2) === 0) pool.longLived(r(2) === 0)
                else {
                    const t = live()
                    if (t !== 0) pool.makeLongLived(t)
                }
            } else if (op === 22) {
                const ph = await pool.phantoms(false, () => {})
                log("step " + step + ": phantoms " + ph.objects + " " + ph.bytes)
            } else if (r(2) === 0) {
                // through any handle ever seen: stale and mistyped ones must throw, identically
                log("step " + step + ": number " + pool.getNumber(pick()))
            } else {
                const t = live()
                if (t !== 0 && pool.typeOf(t) === "list" && pool.length(t) > 0) pool.removeAt(t, r(pool.length(t)))
            }
            if (h !== 0) {
                if (known.length < 120) known.push(h)
                else known[r(known.length)] = h
            }
        } catch (e: any) {
            log("step " + step + ": " + e.name + ": " + e.message)
        }
        if (step % MAP_EVERY === 0) {
            // every other map with its rows packed (packedMap)
            pool.packedMap(step % (2 * MAP_EVERY) === 0)
            await pool.memInfo(true, log)
        }
    }
    while (!pool.collectStep(200)) await pause()
    await pause()
    pool.packedMap(false)
    await pool.memInfo(true, log)
    pool.packedMap(true)
    await pool.memInfo(true, log)
    for (let off = 0; off < pool.size; off += 64) {
        if (off % 1024 === 0) await pause()
        log("pool " + off + " " + pool.buf.slice(off, off + 64).toString("hex"))
    }
    return pool
}
