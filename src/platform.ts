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

/** Suspends the current fiber so the VM's step counter starts again. */
export async function nextSlice(): Promise<void> {
    await ds.sleep(0)
}

/** Bytes of `s` in UTF-8, without converting it (a DeviceScript string is UTF-8 already). */
export function utf8Length(s: string): number {
    return s.byteLength
}
