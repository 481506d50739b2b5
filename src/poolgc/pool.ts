/**
 * The Pool: the whole pool, every layer (PoolCore in core.ts, ObjectPool in
 * objects.ts, MonitoredPool in diagnostics.ts) and the integrity check on
 * top: verify(), verifyAsync() and verifier(), which check every invariant
 * of the pool's bytes (verify.ts) within a bounded number of work units a
 * slice and never change the pool. A program that never verifies can use
 * MonitoredPool or ObjectPool instead and leave the check's code out of its
 * firmware (BENCHMARKS.md, "Pool split").
 */
import { isInt } from "./args"
import { MonitoredPool } from "./diagnostics"
import { ArgumentError, PoolError } from "./errors"
import { C_CALL, C_STEP, meter, pause, UNIT_OPS } from "./meter"
import { Verifier } from "./verify"
import { H_NCAP } from "./layout"

export { MonitoredPool } from "./diagnostics"
export type { PhantomReport, PoolStats, TypeUsage } from "./diagnostics"
export { MAX_READ, ObjectPool } from "./objects"
export type { RecordKind } from "./core"
export type { PoolOptions } from "./core"
export type { Handle } from "./handles"

/**
 * The most work units a synchronous verify() (or one slice of verifyAsync())
 * may spend: what fits in half a VM slice on the costliest shapes per unit
 * (tools/step-probe.mjs verify-chain, verify-fragmented, verify-list; the
 * README's table).
 */
export const VERIFY_MAX_UNITS = 1600

/** `units` for verify()/verifyAsync(), else ArgumentError naming the limit. */
function verifyUnits(units: number): number {
    if (!isInt(units) || units < 1 || units > VERIFY_MAX_UNITS)
        throw new ArgumentError("verify units must be an integer from 1 to " + VERIFY_MAX_UNITS + " (what fits in half a VM slice), got " + units + "; for a larger pool await verifyAsync()")
    return units
}

/**
 * A managed memory pool. Create one at start-up; every object lives inside it.
 *
 * ```ts
 * const pool = new Pool({ size: 16384 })
 * const bmp = pool.bitmap(32, 32, 8)
 * pool.setRoot("blinka", bmp)
 * pool.delRoot("blinka")   // now a phantom
 * pool.collect()           // and now free
 * ```
 */
export class Pool extends MonitoredPool {
    /**
     * One slice of verifyAsync(): `u` units of the check, or a census whole
     * (its own units, whatever `u` is), within what the meter has left and
     * charged to it. False when the check is not finished.
     */
    private verifyRun(v: Verifier, u: number): boolean {
        const want = v.censusDue() ? v.censusUnits() : u
        const room = meter.units(want, C_CALL + C_STEP, UNIT_OPS)
        // (verifyAsync() suspends before each slice, so a census has the whole share, which the largest fits)
        if (room < want && (room < 1 || v.censusDue())) return false
        const done = v.run(room)
        meter.spent(C_STEP + v.lastWork * UNIT_OPS)
        return done
    }

    /**
     * Checks every invariant of the pool (see verify.ts) and throws
     * CorruptionError naming the first violation. Synchronous, so bounded:
     * it spends at most `units` work units (default and at most
     * VERIFY_MAX_UNITS, what fits in half a VM slice) and throws PoolError
     * if the check did not finish in them; with the default, it finishes on
     * every pool whose check fits in half a slice (an 8 KiB pool of any
     * objects, a 32 KiB pool of several hundred). Larger: verifyAsync().
     */
    verify(units?: number): void {
        const u = units === undefined ? VERIFY_MAX_UNITS : verifyUnits(units)
        // at most what the meter has left (a unit costs the VM at most 37.3 operations, measured:
        // see VERIFY_MAX_UNITS); the work done is charged
        const room = meter.units(u, C_CALL + C_STEP, UNIT_OPS)
        const v = this.verifier()
        const done = v.run(room)
        meter.spent(C_STEP + v.lastWork * UNIT_OPS)
        if (!done && room < u) throw meter.refusal("verify()", C_STEP + u * UNIT_OPS)
        if (!done) throw new PoolError("verify() did not finish within " + u + " work units (half a VM slice holds " + VERIFY_MAX_UNITS + "): use await verifyAsync() for a pool this size")
    }

    /**
     * verify() spread over VM slices of at most `units` work units (default
     * and at most VERIFY_MAX_UNITS), suspending before each (the first too),
     * checking the root names and record kinds as they are at each slice.
     * It finishes whatever other fibers do between its slices: each check of
     * one item (an object, a slot, a root, a reference, a row) holds at the
     * instant of its slice, and when the pool changed while the check was
     * counting objects, free blocks or live slots, those counts are taken
     * again in one slice each (a census, of up to censusUnits() units: 2,320
     * at 32 KiB, whatever `units` is; verify.ts). A corruption present from
     * the start to the end of the check, in place, is found; a sound pool is
     * never reported corrupt.
     */
    async verifyAsync(units?: number): Promise<void> {
        const u = units === undefined ? VERIFY_MAX_UNITS : verifyUnits(units)
        const v = this.verifier()
        // suspend first, as collectAsync() does: the caller may have used most of this slice
        await pause()
        this.verifierNames(v)
        while (!this.verifyRun(v, u)) {
            await pause()
            this.verifierNames(v)
        }
    }

    /**
     * A resumable check of this pool, for tools and tests: `run(units)` until
     * it returns true (see verify.ts). On the VM, give each run() at most
     * VERIFY_MAX_UNITS in a slice, and suspend before a census
     * (censusDue(): that run takes censusUnits() whatever it is given). It checks the root names and record kinds
     * of this call; between runs, the program may change them.
     */
    verifier(): Verifier {
        const v = new Verifier(this.buf)
        this.verifierNames(v)
        return v
    }

    /** Tells `v` the record kinds and the named-root slots in use now. */
    private verifierNames(v: Verifier): void {
        const kinds: number[] = []
        for (let i = 0; i < this.kinds.length; i++) kinds.push(this.kinds[i].fields.length)
        const named: boolean[] = []
        const ncap = this.buf.getAt(H_NCAP, "u16")
        for (let i = 0; i < ncap; i++) {
            const n = this.rootNames[i]
            named.push(n !== null && n !== undefined)
        }
        v.names(kinds, named)
    }
}
