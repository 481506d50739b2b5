/**
 * The platform seam, device side. poolgc's allocator and collector import only
 * this module for what differs between the DeviceScript VM and Node.js; the
 * Node.js twin is `host/platform.ts`. Every Node build (vitest, the bench) goes
 * through `host/seam.mjs`, which substitutes that twin for this file, installs
 * its shim of the VM's getAt/setAt/blitAt/fillAt on Node's Buffer first, and
 * rewrites poolgc's u16 getAt/setAt into byte operations (`host/inline-u16.mjs`;
 * speed only: see "Hot paths" in poolgc/layout.ts).
 * `test/vm/seam.vm.ts` and `test/device/seam.test.ts` prove the two behave alike.
 */
import * as ds from "@devicescript/core"

/** Which side of the seam this is. */
export const PLATFORM = "devicescript"

/**
 * Milliseconds since start. On the VM this only advances across a suspension
 * (`await`), so a synchronous operation always measures 0 ms.
 */
export function now(): number {
    return ds.millis()
}

/**
 * Suspends the current fiber so the VM's step counter starts again. The fiber
 * stays runnable (its wake time is now), so the VM runs it again in the same
 * pass of the board's main loop: the main loop, and with it the draining of
 * the console's log ring to USB/serial and the ESP32's watchdog reset, does
 * not run in between (docs/serial-format.md, "Pacing").
 */
export async function nextSlice(): Promise<void> {
    await ds.sleep(0)
}

/**
 * Bytecode operations a fiber may run between two suspensions before the VM
 * panics (DEVS_MAX_STEPS, devs_internal.h; the count starts again each time
 * a fiber is resumed, vm_main.c).
 */
export const STEP_LIMIT = 128 * 1024

/**
 * A value that stays the same while a fiber runs and changes only across a
 * suspension: the VM's clock, which it reads when it resumes a fiber
 * (devs_fiber_run syncs it). Equal values do not prove there was none.
 */
export function runStamp(): number {
    return ds.millis()
}

let watcherIdle = false
let pending: () => void = null

/** The watcher fiber: runs `pending` each time it is resumed, then suspends again. */
async function watch() {
    while (true) {
        const fn = pending
        pending = null
        if (fn !== null) fn()
        watcherIdle = true
        await ds.suspend<void>()
    }
}

/**
 * Calls `fn` once, as soon as the running fiber suspends, before it or any
 * other fiber that waits on time runs again. A fiber resumed with
 * `resume()` gets wake time 1, "in the past" (impl_fiber.c), so the
 * scheduler, which runs the waiting fiber with the earliest wake time
 * (fibers.c, devs_fiber_wake_some), runs the watcher first. Only fibers
 * woken by a packet or an awaited event may come before it: for them the
 * call comes late, which errs on the safe side (see poolgc/meter.ts).
 * A second call before the first has run replaces its function.
 */
export function atNextSuspension(fn: () => void): void {
    pending = fn
    if (watcherIdle) {
        watcherIdle = false
        watcher.resume(undefined)
    }
    // else the watcher has not reached its first suspension: this module's
    // load waits for that, so only code run during the load gets here, and
    // the watcher's first run takes `pending` as a resumed run would
}

/** Bytes of `s` in UTF-8, without converting it (a DeviceScript string is UTF-8 already). */
export function utf8Length(s: string): number {
    return s.byteLength
}

/**
 * Suspends the current fiber for `ms` milliseconds (at least 1): a positive
 * sleep. When every fiber sleeps so, the VM returns to the board's main loop,
 * which sends the log ring's bytes to USB/serial and resets the watchdog.
 * Output that must reach the host whole sleeps so after each part of it.
 */
export async function drainSlice(ms: number): Promise<void> {
    await ds.sleep(ms < 1 ? 1 : ms)
}

// The watcher starts with the module and runs once before the program goes
// on, so that it is suspended, and resume() can give it wake time 1, by the
// first call of atNextSuspension. A fiber just started has wake time "now"
// (fibers.c, devs_fiber_start), as has a fiber that sleeps 0 ms in the same
// run (the clock only moves when a fiber is resumed), and the scheduler
// breaks that tie for the fiber started first: a watcher started at the
// first atNextSuspension would run only after the program's second
// suspension, or later while the clock stands still, and the slice meter's
// count would go on over the first one. Sleeping 1 ms here puts the
// program's wake time after the watcher's, so the watcher runs first (once,
// at load).
const watcher: ds.Fiber = watch.start()
await ds.sleep(1)
