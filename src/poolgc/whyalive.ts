/**
 * whyAlive(): why an object is still alive, as a shortest chain of
 * references from a root to it (root name -> record field -> list index ->
 * ...), or that nothing reaches it (a phantom: the next collection frees it).
 *
 * A breadth-first search over the pool's handle slots from every named root
 * (in slot order) and every root-stack temporary (bottom first), level by
 * level. Its VM memory is a parent link a handle slot (u16: 4 KB for a
 * 32 KiB pool of 2,048 handles) and a queue of QUEUE slots (512 bytes),
 * freed when it returns: a second u16 a slot for the queue did not fit in
 * the VM heap beside such a pool (measured: test/device/heapgraph.test.ts).
 * Objects met when the queue is full are marked pending in their parent
 * link and found again by a scan of the links before the next level starts,
 * so the search stays breadth-first. A free function in a module of its
 * own: a program that never calls it does not carry it.
 */
import { PoolError } from "./errors"
import { refSpan } from "./graph"
import { H_ALLOCS, H_COMPACTIONS, H_FREES, H_HCAP, H_HTAB, H_NAMED, H_NCAP, H_POOLID, H_SP, H_STACK, HANDLE_SHIFT, MAX_GEN, O_AUX, O_GEN, POOL_SHIFT, SLOT_FREE, TYPE_NAMES, T_LIST, T_RECORD } from "./layout"
import { meter, pause } from "./meter"
import type { Handle } from "./handles"
import type { PoolCore, RecordKind } from "./core"

/** What whyAlive() found. */
export interface AlivePath {
    /** True when no named root or temporary reaches the object: a collection would free it. */
    phantom: boolean
    /** Objects on the path, the root's object first and the object itself last (0 for a phantom). */
    length: number
    /**
     * Their handles, in path order. A path longer than WHY_SHOWN objects is
     * cut in the middle: the first and the last WHY_SHOWN / 2.
     */
    handles: Handle[]
    /**
     * How each is reached, in the same order: the root's name (or
     * "temporary <i>", its root-stack position) for the first, then for each
     * next one the field of the record before it that holds it ("bitmap"),
     * or its index in the list before it ("[0]").
     */
    steps: string[]
    /** The path on one line: `display -> Group.items -> list[0] -> TileGrid.bitmap -> bitmap`, or why it is a phantom. */
    text: string
}

/** Most objects of a path whyAlive() returns (the middle of a longer one is left out). */
export const WHY_SHOWN = 64
/** Attempts before whyAlive() gives up on a pool that changes between its slices. */
const TRIES = 4
/**
 * VM operations charged for a step of the search (an object taken from the
 * queue, a reference followed) and for a link of the path described: upper
 * bounds of tools/step-probe.mjs's figures at 32 KiB (test/vm/probes.ts).
 * whyalive-fan, a list of 1,724 records expanded: a reference queued or left
 * pending costs about 132 operations (104,254 measured in a slice charged
 * about 48,000 at 60 a reference: 790 references; at 160, 37,719 for about
 * 280), so 160 (21 % margin).
 * whyalive-chain, a chain of 1-block records of two fields: about 360 an
 * object with its two references (25,134 in a slice charged about 45,000 at
 * 620 an object: 72 objects), of which the object's own part is at most
 * about 230: 500 keeps its margin. C_LINK is not measured (no probe has
 * a slice of path links alone); it was set by trial, and the step-limit
 * test's whyalive-describe runs the whole description in full slices.
 */
const C_OBJECT = 500
const C_REF = 160
const C_LINK = 1000
/**
 * A link of the path turned round (describe()), and the links between two
 * looks at the meter. whyalive-describe (the chain's 1,724 links): a slice
 * that turned 1,152 links spent 47,550 operations, about 41 a link (the look
 * at the meter included), so 50 (21 % margin).
 */
const C_TURN = 50
const TURN = 128
/** Operations the search spends between looks at the meter (it suspends when the share would be passed). */
const CHUNK = 6000
/** Queue entries (u16 slots); more objects at once wait as pending in their parent links. */
const QUEUE = 256
/** Parent links a scan for pending objects reads between two looks at the meter, and what each costs. */
const SCAN = 512
const C_SCAN = 16
/**
 * A parent link (u16 a slot): 0 not reached; else its low 13 bits are
 * 1 + the slot it was reached from (at most 4,096), or BY_ROOT + a named
 * root's slot (< 64), or BY_TEMP + a temporary's position (< 256); PENDING
 * when it waits for its level's scan, ODD that level's parity.
 */
const BY_ROOT = 0x1001
const BY_TEMP = 0x1041
const LINK = 0x1fff
const PENDING = 0x8000
const ODD = 0x4000
/** The last object's link once describe() has turned the path round. */
const END = 0x1fff

/** [allocs, frees, compactions]: they move whenever an object is allocated, freed or moved. */
function counters(buf: Buffer): number[] {
    return [buf.getAt(H_ALLOCS, "u32"), buf.getAt(H_FREES, "u32"), buf.getAt(H_COMPACTIONS, "u32")]
}

function same(a: number[], b: number[]): boolean {
    return a[0] === b[0] && a[1] === b[1] && a[2] === b[2]
}

/** The handle of the live object in slot `slot`. */
function handleOf(buf: Buffer, slot: number): number {
    const off = buf.getAt(buf.getAt(H_HTAB, "u16") + (slot << 1), "u16") << 4
    return (buf.getAt(H_POOLID, "u16") << POOL_SHIFT) | (buf.getAt(off + O_GEN, "u16") << HANDLE_SHIFT) | slot
}

/** The name a path shows for the object in `slot`: its record kind's, else its type's. */
function label(buf: Buffer, kinds: RecordKind[], slot: number): string {
    const off = buf.getAt(buf.getAt(H_HTAB, "u16") + (slot << 1), "u16") << 4
    const k = buf[off] === T_RECORD ? kinds[buf[off + O_AUX] - 1] : undefined
    return k ? k.name : TYPE_NAMES[buf[off]] || "?"
}

/**
 * The breadth-first search from the roots to `target`, in slices: fills
 * `par`, the parent links. Returns 1 when the target was reached, 0 when the
 * search ended without it, -1 when the pool's counters moved across a
 * suspension (the search is void). Exported for the step probes
 * (test/vm/probes.ts).
 */
export async function search(buf: Buffer, target: number, par: Buffer, queue: Buffer): Promise<number> {
    const start = counters(buf)
    const id = buf.getAt(H_POOLID, "u16")
    const hcap = buf.getAt(H_HCAP, "u16")
    const htab = buf.getAt(H_HTAB, "u16")
    // the queue: a ring of QUEUE slots, qn of them from qh; pending[parity]: objects waiting for a scan
    let qh = 0
    let qn = 0
    const pending = [0, 0]
    let level = 0
    let cost = 0
    // the roots are level 0; then each object of level L, queued or pending, adds the ones it reaches to level L + 1
    const named = buf.getAt(H_NAMED, "u16")
    const ncap = buf.getAt(H_NCAP, "u16")
    const sp = buf.getAt(H_SP, "u16")
    const stack = buf.getAt(H_STACK, "u16")
    let from = -1
    let i = 0
    let at = 0
    let end = ncap + sp
    let inLevel = 0
    let scan = -1
    for (;;) {
        if (cost > CHUNK) {
            // (spent(), not a bare sum: it arms the count's reset at the caller's next suspension)
            meter.spent(cost)
            cost = 0
            if (meter.limit > 0 && meter.used + CHUNK > meter.limit) {
                await pause()
                if (!same(start, counters(buf))) return -1
            }
        }
        // the next reference to follow: a root's, or one of the object `from` being expanded
        if (at >= end) {
            // the next object to expand: the rest of this level's queue, then its pending ones, then the next level
            if (inLevel === 0 && scan < 0) {
                if (pending[level & 1] > 0) scan = 0
                else {
                    level++
                    inLevel = qn
                    if (qn === 0 && pending[level & 1] === 0) break
                    continue
                }
            }
            let s = -1
            if (inLevel > 0) {
                s = queue.getAt(qh << 1, "u16")
                qh = qh + 1 === QUEUE ? 0 : qh + 1
                qn--
                inLevel--
            } else {
                // (at most SCAN links between two looks at the meter)
                const want = PENDING | ((level & 1) !== 0 ? ODD : 0)
                const s0 = scan
                const stop = scan + SCAN < hcap ? scan + SCAN : hcap
                while (scan < stop && (par.getAt(scan << 1, "u16") & (PENDING | ODD)) !== want) scan++
                cost += (scan - s0) * C_SCAN
                if (scan >= hcap) {
                    scan = -1
                    continue
                }
                if (scan >= stop) continue
                s = scan
                par.setAt(s << 1, "u16", par.getAt(s << 1, "u16") & LINK)
                pending[level & 1]--
                if (pending[level & 1] === 0) scan = -1
            }
            from = s
            const span = refSpan(buf, buf.getAt(htab + (s << 1), "u16") << 4)
            at = span[0]
            end = at + (span[1] << 2)
            cost += C_OBJECT
            continue
        }
        cost += C_REF
        let r = 0
        if (from < 0) {
            r = i < ncap ? buf.getAt(named + (i << 2), "u32") : buf.getAt(stack + ((i - ncap) << 2), "u32")
            i++
            at++
        } else {
            r = buf.getAt(at, "u32")
            at += 4
        }
        if (r === 0) continue
        if (r >> POOL_SHIFT !== id) continue
        const c = r & 0xfff
        if (c >= hcap) continue
        const e = buf.getAt(htab + (c << 1), "u16")
        if (e & SLOT_FREE) continue
        if (buf.getAt((e << 4) + O_GEN, "u16") !== ((r >> HANDLE_SHIFT) & MAX_GEN)) continue
        if (par.getAt(c << 1, "u16") !== 0) continue
        const link = from >= 0 ? from + 1 : i - 1 < ncap ? BY_ROOT + i - 1 : BY_TEMP + i - 1 - ncap
        if (c === target) {
            par.setAt(c << 1, "u16", link)
            meter.spent(cost)
            return 1
        }
        // the roots' objects are level 0, the ones an object of level L reaches L + 1
        const next = from >= 0 ? level + 1 : level
        if (qn < QUEUE) {
            const t = qh + qn
            queue.setAt((t >= QUEUE ? t - QUEUE : t) << 1, "u16", c)
            qn++
            if (from < 0) inLevel++
            par.setAt(c << 1, "u16", link)
        } else {
            par.setAt(c << 1, "u16", link | PENDING | ((next & 1) !== 0 ? ODD : 0))
            pending[next & 1]++
        }
    }
    meter.spent(cost)
    return 0
}

/**
 * Why `h`'s object is alive: a shortest chain of references to it from a
 * named root or a root-stack temporary (a path of fewest objects; among
 * those, the one the search meets first: roots in slot order, then the
 * temporaries bottom first, references in list-index and field order), or
 * that it is a phantom. `print`: also prints `text` on the console.
 *
 * Asynchronous: on a large pool the search runs in slices, suspending when
 * poolgc's share of the VM's step limit would be passed (on a 32 KiB pool
 * of 1,700 one-block records, a few slices); on a small one it finishes
 * without suspending. When the pool allocated, freed or moved an object
 * between its slices, it searches again (at most 4 times, then PoolError).
 * The answer holds at the instant of its last slice for a program that
 * stored no reference in between; each link of the path returned is checked
 * then. HandleError when `h` names no live object.
 */
export async function whyAlive(pool: PoolCore, h: Handle, print?: boolean): Promise<AlivePath> {
    pool.offsetOf(h)
    const names = pool.graphNames()
    const roots = names[0] as string[]
    const kinds = names[1] as RecordKind[]
    const buf = pool.buf
    const hcap = buf.getAt(H_HCAP, "u16")
    const target = h & 0xfff
    const par = Buffer.alloc(hcap << 1)
    const queue = Buffer.alloc(QUEUE << 1)
    for (let attempt = 0; attempt < TRIES; attempt++) {
        if (attempt > 0) {
            par.fillAt(0, hcap << 1, 0)
            await pause()
        }
        const found = await search(buf, target, par, queue)
        if (found < 0) continue
        const what = label(buf, kinds, target) + " " + h
        if (found === 0) {
            const r: AlivePath = { phantom: true, length: 0, handles: [], steps: [], text: what + " is a phantom: no root or temporary reaches it" }
            if (print) console.log(r.text)
            return r
        }
        const result = await describe(buf, roots, kinds, target, par)
        if (result === null) continue
        result.text = what + ": " + result.text
        if (print) console.log(result.text)
        return result
    }
    throw new PoolError("whyAlive(" + h + "): the pool changed during each of " + TRIES + " searches; try again when the program pauses")
}

/**
 * The path the search found, from the parent links: turned round first (each
 * object on it then links to the next, the object itself to END), then
 * walked from the root, each link checked (the referrer still holds the
 * object), in slices like the search. null when a link no longer holds or
 * the pool's counters moved: search again. Exported for the step probes.
 */
export async function describe(buf: Buffer, roots: string[], kinds: RecordKind[], target: number, par: Buffer): Promise<AlivePath> {
    const start = counters(buf)
    let n = 0
    let s = target
    let next = END
    let code = 0
    for (;;) {
        // (a look at the meter every TURN links: a path can be 2,048 objects long)
        if (n % TURN === TURN - 1) {
            meter.spent(TURN * C_TURN)
            if (meter.limit > 0 && meter.used + CHUNK > meter.limit) {
                await pause()
                if (!same(start, counters(buf))) return null
            }
        }
        const p = par.getAt(s << 1, "u16") & LINK
        par.setAt(s << 1, "u16", next)
        n++
        if (p >= BY_ROOT) {
            code = p
            break
        }
        next = s + 1
        s = p - 1
    }
    meter.spent((n % TURN) * C_TURN)
    const handles: Handle[] = []
    const steps: string[] = []
    // the root holds the first object?
    const fh = handleOf(buf, s)
    if (code >= BY_TEMP) {
        const j = code - BY_TEMP
        if (j >= buf.getAt(H_SP, "u16") || buf.getAt(buf.getAt(H_STACK, "u16") + (j << 2), "u32") !== fh) return null
        steps.push("temporary " + j)
    } else {
        const i = code - BY_ROOT
        if (buf.getAt(buf.getAt(H_NAMED, "u16") + (i << 2), "u32") !== fh || !roots[i]) return null
        steps.push(roots[i])
    }
    handles.push(fh)
    let text = steps[0]
    let cost = 0
    // then each link: the object at position `at` holds the next
    for (let at = 1; at < n; at++) {
        if (cost > CHUNK) {
            meter.spent(cost)
            cost = 0
            if (meter.limit > 0 && meter.used + CHUNK > meter.limit) {
                await pause()
                if (!same(start, counters(buf))) return null
            }
        }
        const c = par.getAt(s << 1, "u16") - 1
        const ch = handleOf(buf, c)
        const poff = buf.getAt(buf.getAt(H_HTAB, "u16") + (s << 1), "u16") << 4
        const span = refSpan(buf, poff)
        let i = 0
        while (i < span[1] && buf.getAt(span[0] + (i << 2), "u32") !== ch) i++
        cost += C_LINK + i * C_REF
        if (i >= span[1]) return null
        const isList = buf[poff] === T_LIST
        const kind = isList ? undefined : kinds[buf[poff + O_AUX] - 1]
        const step = isList ? "[" + i + "]" : kind ? kind.fields[i] : "?"
        // the first and the last WHY_SHOWN / 2 of a long path
        const k = n - 1 - at
        if (n <= WHY_SHOWN || at < WHY_SHOWN >> 1 || k < WHY_SHOWN >> 1) {
            handles.push(ch)
            steps.push(step)
        }
        if (at <= 8 || k < 8) text += " -> " + label(buf, kinds, s) + (isList ? step : "." + step)
        else if (at === 9) text += " -> ... (" + (n - 17) + " more)"
        s = c
    }
    meter.spent(cost)
    text += " -> " + label(buf, kinds, target)
    return { phantom: false, length: n, handles: handles, steps: steps, text: text }
}
