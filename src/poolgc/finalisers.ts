/**
 * Finalisers: a callback per object, run once after the object is freed (by
 * a collection's sweep or by free()), as MicroPython runs `__del__`. They are
 * kept outside the pool (a callback is not bytes) and found dead by their
 * handle: a handle whose slot is free, or holds another generation, names a
 * freed object.
 *
 * A finaliser gets the object's handle, which is already stale: any access
 * through it throws HandleError, so a finaliser cannot read or corrupt what
 * the pool reused. It runs outside the collector (after the operation that
 * freed the object), so it may allocate, and an exception it throws is
 * logged and dropped: it cannot break the operation that ran it.
 */
import { H_FREES, MAX_GEN, O_GEN, SLOT_FREE } from "./layout"

/** The callbacks registered on one pool. */
export class Finalisers {
    private handles: number[] = []
    private fns: ((h: number) => void)[] = []
    private dueHandles: number[] = []
    private dueFns: ((h: number) => void)[] = []
    /** H_FREES at the last check: no object was freed since if it is unchanged. */
    private seenFrees = 0
    private running = false
    /** Finalisers due to run: a field, so that the allocator's check costs one read, not a call. */
    due = 0

    /** Registers `fn` for the live object `h`, replacing an earlier one. */
    add(h: number, fn: (h: number) => void): void {
        const i = this.handles.indexOf(h)
        if (i >= 0) this.fns[i] = fn
        else {
            this.handles.push(h)
            this.fns.push(fn)
        }
    }

    /** Removes `h`'s finaliser; true if it had one. */
    remove(h: number): boolean {
        const i = this.handles.indexOf(h)
        if (i < 0) return false
        // (DeviceScript has no Array.splice)
        const last = this.handles.length - 1
        this.handles[i] = this.handles[last]
        this.fns[i] = this.fns[last]
        this.handles.pop()
        this.fns.pop()
        return true
    }

    /** Moves the finalisers of freed objects to the due list (cheap when nothing was freed). */
    check(buf: Buffer, htab: number): void {
        // (no finaliser registered: nothing to do, and seenFrees may lag; the next check catches up)
        if (this.handles.length === 0) return
        const frees = buf.getAt(H_FREES, "u32")
        if (frees === this.seenFrees) {
            this.seenFrees = frees
            return
        }
        this.seenFrees = frees
        const keepH: number[] = []
        const keepF: ((h: number) => void)[] = []
        for (let i = 0; i < this.handles.length; i++) {
            const h = this.handles[i]
            const e = buf.getAt(htab + ((h & 0xfff) << 1), "u16")
            if (e & SLOT_FREE || buf.getAt((e << 4) + O_GEN, "u16") !== ((h >> 12) & MAX_GEN)) {
                this.dueHandles.push(h)
                this.dueFns.push(this.fns[i])
            } else {
                keepH.push(h)
                keepF.push(this.fns[i])
            }
        }
        this.handles = keepH
        this.fns = keepF
        this.due = this.dueHandles.length
    }

    /** Runs every due finaliser once, in the order their objects were found freed. */
    run(): void {
        if (this.running) return // a finaliser's own operations do not run the queue again
        this.running = true
        try {
            // a finaliser may free objects with finalisers of their own: they join the end
            for (let i = 0; i < this.dueHandles.length; i++) {
                const h = this.dueHandles[i]
                const fn = this.dueFns[i]
                try {
                    fn(h)
                } catch (e) {
                    console.log("poolgc: finaliser of handle " + h + " threw: " + e)
                }
            }
            this.dueHandles = []
            this.dueFns = []
            this.due = 0
        } finally {
            this.running = false
        }
    }
}
