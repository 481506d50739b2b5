/**
 * The platform seam, device side. poolgc's allocator and collector import only
 * this module for what differs between the DeviceScript VM and Node.js; the
 * Node.js twin is `host/platform.ts`, which vitest substitutes for this file and
 * which also gives Node's Buffer the VM's getAt/setAt/blitAt/fillAt; before Node
 * runs poolgc's modules, `host/inline-u16.mjs` rewrites their u16 getAt/setAt
 * into byte operations (speed only: see "Hot paths" in poolgc/layout.ts).
 * `test/vm/seam.vm.ts` and `test/seam.test.ts` prove the two behave alike.
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
 * Suspends the current fiber for `ms` milliseconds (at least 1): a positive
 * sleep. When every fiber sleeps so, the VM returns to the board's main loop,
 * which sends the log ring's bytes to USB/serial and resets the watchdog.
 * Output that must reach the host whole sleeps so after each part of it.
 */
export async function drainSlice(ms: number): Promise<void> {
    await ds.sleep(ms < 1 ? 1 : ms)
}
