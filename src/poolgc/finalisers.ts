/**
 * Finalisers: a callback per object, run once after the object is freed (by
 * a collection's sweep or by free()), as MicroPython runs `__del__`.
 *
 * Bounded VM memory, whatever the number of registrations: a callback is not
 * bytes, so the callbacks live outside the pool, in a table of at most
 * MAX_FINALISERS distinct functions (compared by identity, each counted by
 * the objects that use it; an entry no object uses any more is free again).
 * Per handle slot: one byte (low nibble: the
 * table entry of the slot's registered finaliser, high nibble: the entry of
 * a due one, 0: none) and the u16 generation of that object. So every object
 * of the pool may have a finaliser for 3 bytes a handle slot, and a program
 * that makes a closure per object gets a clear error, not a VM panic.
 *
 * All of it is allocated by init(), which the Pool constructor calls just
 * before it allocates the pool Buffer, and none of it is reallocated later
 * (the function table has its MAX_FINALISERS entries from the start): the
 * DeviceScript VM's collector never moves an object and its allocator is
 * first-fit, so a long-lived object allocated late lands in the middle of
 * the VM heap's free space and splits it (made at the first onFree(), these
 * tables would cut the largest free run after the demo by several KB:
 * docs/boards.md, "Pool sizes, measured").
 *
 * An object is found freed by its slot: free, or holding another generation
 * than the one stored at registration (so however late the walk that finds
 * it comes, even after the slot was reused). free() marks its object due at
 * once; the sweep's frees are found by a walk of the slot bytes after each
 * collection step, CHECK_SLOTS a call (Pool: check()), so on a pool of more
 * handles a finaliser may run at the end of a later call than the one whose
 * collection freed it. Invariant: a slot with a due finaliser has none
 * registered; a registration on such a slot (or on a slot whose registered
 * object was freed and not yet found) first moves that due finaliser to a
 * small overflow list.
 *
 * A finaliser gets the object's handle, which is already stale: any access
 * through it throws HandleError, so a finaliser cannot read or corrupt what
 * the pool reused. Due finalisers run only at the end of the outermost public
 * call (Pool runs them; a finaliser's own pool calls are nested, and what
 * they free joins the queue this loop drains), so they may allocate, free
 * and mutate anything; an exception one throws is logged and dropped.
 */
import { ArgumentError } from "./errors"
import { H_FREES, MAX_GEN, O_GEN, SLOT_FREE } from "./layout"

/** Distinct finaliser functions registered at once (a nibble per slot names one). */
export const MAX_FINALISERS = 15

/**
 * Slot bytes one check() walks at most: about 25 VM operations each when
 * every slot has a finaliser, so a walk costs under 5 % of a slice. A
 * pool of up to this many handles (every pool of 16 KiB or less, by
 * default) is walked whole by each check.
 */
export const CHECK_SLOTS = 256

/**
 * Finalisers one drain runs at most: user code of unknown cost, so a bound on
 * their number keeps the end of a call inside the VM's slice (each costs a
 * call and its own work). More due wait for the end of the next public call;
 * collectAsync() and compactAsync() run them all, a drain a slice.
 */
export const RUN_PER_DRAIN = 64

/** The finalisers registered on one pool. */
export class Finalisers {
    /** The pool's id in place (bits 27-30), for the handles the table rebuilds from slot and generation. */
    hid = 0
    /** Per slot: low nibble the registered entry, high nibble the due one (null until the first add). */
    private regs: Buffer = null
    /** Per slot, u16: the generation of the registered or due object. */
    private gens: Buffer = null
    /** The table: MAX_FINALISERS entries from init() on, null where no object uses one. */
    private readonly fns: ((h: number) => void)[] = []
    /** Objects using each table entry, registered or due. */
    private readonly uses: number[] = []
    /** Objects with a finaliser registered (free() skips the look-up when 0). */
    registered = 0
    /** Due finalisers moved off their slot by a registration on it: handles and entries. */
    private overH: number[] = []
    private overI: number[] = []
    /** H_FREES when the last walk started: no object was freed since if it is unchanged. */
    private seenFrees = 0
    /** A walk of the slots is under way, at `cursor` (check() goes on with it). */
    pending = false
    private cursor = 0
    /** A drain is in progress (a finaliser's own pool calls find it so). */
    running = false
    /** Finalisers due to run: a field, so that a public call's check costs one read, not a call. */
    due = 0

    /** Allocates the tables for a pool of `hcap` handle slots with id `hid` in place (see the top). */
    init(hid: number, hcap: number): void {
        this.hid = hid
        this.regs = Buffer.alloc(hcap)
        this.gens = Buffer.alloc(hcap * 2)
        // the last entry first: one allocation of the arrays' storage
        for (let i = MAX_FINALISERS - 1; i >= 0; i--) {
            this.fns[i] = null
            this.uses[i] = 0
        }
    }

    /**
     * Registers `fn` for the live object `h`,
     * replacing an earlier one. Throws ArgumentError, changing nothing, when
     * MAX_FINALISERS other functions are in use.
     */
    add(buf: Buffer, h: number, fn: (h: number) => void): void {
        let idx = this.fns.indexOf(fn)
        if (idx < 0) {
            idx = this.uses.indexOf(0)
            if (idx < 0)
                throw new ArgumentError(
                    "onFree: " + MAX_FINALISERS + " distinct finaliser functions are in use already: register one shared function for many objects (it gets the handle)"
                )
            this.fns[idx] = fn
        }
        // with none registered no walk concerns anything: only frees from now on can
        if (this.registered === 0) {
            this.seenFrees = buf.getAt(H_FREES, "u32")
            this.pending = false
        }
        const slot = h & 0xfff
        let r = this.regs[slot]
        const was = this.gens.getAt(slot << 1, "u16")
        if (r & 0x0f && was !== ((h >> 12) & MAX_GEN)) {
            // the slot's previous object, freed and not yet found so: its finaliser is due now
            this.overH.push(this.hid | (was << 12) | slot)
            this.overI.push(r & 0x0f)
            this.registered--
            this.due++
            r = 0
        } else if (r & 0xf0) {
            // a due finaliser of the slot's previous object: it keeps its place in the queue
            this.overH.push(this.hid | (was << 12) | slot)
            this.overI.push(r >> 4)
            r = 0
        }
        this.uses[idx]++
        if (r & 0x0f) this.unuse((r & 0x0f) - 1)
        else this.registered++
        this.regs[slot] = idx + 1
        this.gens.setAt(slot << 1, "u16", (h >> 12) & MAX_GEN)
    }

    /** Removes the live object `h`'s finaliser; true if it had one. */
    remove(h: number): boolean {
        const slot = h & 0xfff
        const r = this.regs[slot] & 0x0f
        // (a registration of another generation: the slot's previous object, freed, its finaliser due)
        if (r === 0 || this.gens.getAt(slot << 1, "u16") !== ((h >> 12) & MAX_GEN)) return false
        this.unuse(r - 1)
        this.registered--
        this.regs[slot] &= 0xf0
        return true
    }

    /** One object less uses table entry `i`; an entry none uses lets its function go. */
    private unuse(i: number): void {
        if (--this.uses[i] === 0) this.fns[i] = null
    }

    /** free() released the object `h`: its finaliser, if any, is due (no walk needed). */
    released(h: number): void {
        if (this.registered === 0) return
        const slot = h & 0xfff
        const r = this.regs[slot] & 0x0f
        if (r === 0 || this.gens.getAt(slot << 1, "u16") !== ((h >> 12) & MAX_GEN)) return
        this.regs[slot] = r << 4
        this.registered--
        this.due++
    }

    /**
     * Moves the finalisers of freed objects to the due queue, walking at most
     * CHECK_SLOTS slot bytes a call (a walk of a large table goes on in the
     * next calls: the generations stored at registration tell a freed object
     * from a new one in its slot however late the walk comes). Cheap when
     * nothing was freed since the last walk (one u32 read).
     */
    check(buf: Buffer, htab: number): void {
        if (this.registered === 0) {
            this.pending = false
            return
        }
        if (!this.pending) {
            const frees = buf.getAt(H_FREES, "u32")
            if (frees === this.seenFrees) return
            this.seenFrees = frees
            this.pending = true
            this.cursor = 0
        }
        const regs = this.regs
        const gens = this.gens
        const n = regs.length
        let s = this.cursor
        const end = s + CHECK_SLOTS < n ? s + CHECK_SLOTS : n
        while (s < end) {
            if ((s & 3) === 0 && s + 4 <= end && (regs.getAt(s, "u32") & 0x0f0f0f0f) === 0) {
                s += 4
                continue
            }
            const r = regs[s] & 0x0f
            if (r !== 0) {
                const e = buf.getAt(htab + (s << 1), "u16")
                if (e & SLOT_FREE || buf.getAt((e << 4) + O_GEN, "u16") !== gens.getAt(s << 1, "u16")) {
                    // (a slot with a registered finaliser has no due one: see the invariant above)
                    regs[s] = r << 4
                    this.registered--
                    this.due++
                }
            }
            s++
        }
        this.cursor = s
        if (s >= n) {
            // objects freed while the walk went on may lie behind it: one more walk then
            const frees = buf.getAt(H_FREES, "u32")
            if (frees !== this.seenFrees) {
                this.seenFrees = frees
                this.cursor = 0
            } else this.pending = false
        }
    }

    /**
     * Runs every due finaliser once, the overflow list first, then by slot.
     * Pool calls it at the end of the outermost public call; a finaliser's own
     * calls reach it nested and return at once (`running`), and what they free
     * becomes due and is run by this loop.
     */
    run(): void {
        if (this.running) return
        this.running = true
        try {
            // a cursor over the slots, from 0 again when it reaches the end with finalisers
            // still due (a finaliser may free objects in slots behind it)
            let s = 0
            let ranInPass = true
            let left = RUN_PER_DRAIN
            while (this.due > 0 && left > 0) {
                let h = 0
                let idx = 0
                if (this.overH.length > 0) {
                    h = this.overH.pop()
                    idx = this.overI.pop()
                } else {
                    const regs = this.regs
                    const n = regs.length
                    while (s < n) {
                        if ((s & 3) === 0 && s + 4 <= n && (regs.getAt(s, "u32") & 0xf0f0f0f0) === 0) s += 4
                        else if (regs[s] & 0xf0) break
                        else s++
                    }
                    if (s >= regs.length) {
                        // (a pass that ran nothing: the count is off; never loop on it)
                        if (!ranInPass) break
                        ranInPass = false
                        s = 0
                        continue
                    }
                    idx = regs[s] >> 4
                    h = this.hid | (this.gens.getAt(s << 1, "u16") << 12) | s
                    regs[s] &= 0x0f
                }
                this.due--
                left--
                ranInPass = true
                const fn = this.fns[idx - 1]
                this.unuse(idx - 1)
                try {
                    fn(h)
                } catch (e) {
                    console.log("poolgc: finaliser of handle " + h + " threw: " + e)
                }
            }
            // (a pass that ran nothing while the count said more were due: the count is off)
            if (!ranInPass) this.due = 0
        } finally {
            this.running = false
        }
    }
}
