/**
 * Analysis of heap dump graphs (monitor/protocol/heap.mjs's HeapGraph):
 * what the roots and temporaries reach (the rest are phantoms: a collection
 * would free them), a shortest retainer path from a root or temporary to one
 * object, and the difference between two heap dumps.
 *
 * Objects are matched across dumps by handle. A handle carries its slot's
 * generation, so a slot freed and reused is a different handle: the old object
 * counts as freed and the new one as born.
 *
 * The web page runs these functions too (inlined, without the `export`s), so
 * this module imports nothing.
 */

/**
 * @typedef {import("./heap.mjs").HeapGraph} HeapGraph
 * @typedef {import("./heap.mjs").HeapObject} HeapObject
 * @typedef {{ kind: "root", name: string, handle: number } | { kind: "temp", index: number, handle: number }
 *   | { kind: "field", name: string, index: number, from: number, handle: number }
 *   | { kind: "item", index: number, from: number, handle: number }} PathStep
 *   the first step is where the path starts (a named root, or the temporary at `index`, bottom 0);
 *   each next one follows a ref of object `from` (a record's field `name`, at `index` in its kind's
 *   field order, or a list's item `index`) to object `handle`.
 * @typedef {{ type: string, bytes: number, count: number, total: number, handles: number[] }} DiffGroup
 *   objects of one type and one payload size: how many, their payload bytes all told, their handles.
 * @typedef {{ born: DiffGroup[], bornDead: DiffGroup[], freed: DiffGroup[], kept: number, torn: boolean,
 *   totals: { born: number, bornBytes: number, bornDead: number, freed: number, freedBytes: number } }} HeapDiff
 *   `born`: objects in the newer dump only that it still reaches (the leak suspects), largest groups
 *   first; `bornDead`: those it holds but no longer reaches (phantoms); `freed`: objects in the older
 *   dump only; `kept`: objects in both; `torn`: either dump changed while it was taken, so the diff
 *   may be wrong.
 */

/** The handles in `g` mapped to their objects. @param {HeapGraph} g @returns {Map<number, HeapObject>} */
export function objectIndex(g) {
    return new Map(g.objects.map(o => [o.handle, o]))
}

/**
 * The handles the roots and temporaries reach, through any chain of refs
 * (an iterative walk: no recursion, whatever the graph's depth).
 * @param {HeapGraph} g
 * @returns {Set<number>}
 */
export function reachable(g) {
    const index = objectIndex(g)
    /** @type {Set<number>} */
    const seen = new Set()
    const stack = [...g.roots.map(r => r.handle), ...g.temps].filter(h => index.has(h))
    for (const h of stack) seen.add(h)
    while (stack.length) {
        const o = /** @type {HeapObject} */ (index.get(/** @type {number} */ (stack.pop())))
        for (const to of o.refs) {
            if (to !== 0 && !seen.has(to) && index.has(to)) {
                seen.add(to)
                stack.push(to)
            }
        }
    }
    return seen
}

/**
 * The objects no root or temporary reaches, in offset order.
 * @param {HeapGraph} g
 * @param {Set<number>} [reached] reachable(g), if already computed
 */
export function phantomObjects(g, reached = reachable(g)) {
    return g.objects.filter(o => !reached.has(o.handle))
}

/**
 * A shortest retainer path to `handle` (fewest refs followed): breadth first
 * from all roots (in dump order) and then all temporaries at once. null if
 * the dump does not hold `handle` or nothing reaches it (a phantom).
 * @param {HeapGraph} g
 * @param {number} handle
 * @returns {PathStep[] | null}
 */
export function retainerPath(g, handle) {
    const index = objectIndex(g)
    if (!index.has(handle)) return null
    /** @type {Map<number, PathStep>} how each reached object was first reached */
    const via = new Map()
    /** @type {number[]} */
    let frontier = []
    for (const r of g.roots) {
        if (index.has(r.handle) && !via.has(r.handle)) {
            via.set(r.handle, { kind: "root", name: r.name, handle: r.handle })
            frontier.push(r.handle)
        }
    }
    g.temps.forEach((h, i) => {
        if (index.has(h) && !via.has(h)) {
            via.set(h, { kind: "temp", index: i, handle: h })
            frontier.push(h)
        }
    })
    while (frontier.length && !via.has(handle)) {
        /** @type {number[]} */
        const next = []
        for (const from of frontier) {
            const o = /** @type {HeapObject} */ (index.get(from))
            const fields = o.type[0] === "R" ? kindOf(g, o.type)?.fields ?? [] : null
            o.refs.forEach((to, i) => {
                if (to === 0 || via.has(to) || !index.has(to)) return
                via.set(to, fields ? { kind: "field", name: fields[i] ?? `#${i}`, index: i, from, handle: to } : { kind: "item", index: i, from, handle: to })
                next.push(to)
            })
        }
        frontier = next
    }
    if (!via.has(handle)) return null
    /** @type {PathStep[]} */
    const path = []
    for (let step = via.get(handle); step; step = "from" in step ? via.get(step.from) : undefined) path.unshift(step)
    return path
}

/** A record type's kind (`R2` -> kind 2), or undefined. @param {HeapGraph} g @param {string} type */
export function kindOf(g, type) {
    const id = Number(type.slice(1))
    return g.kinds.find(k => k.id === id)
}

const TYPE_NAMES = /** @type {Record<string, string>} */ ({ A: "bytes", P: "bitmap", F: "number", S: "string", L: "list" })

/**
 * A type's name: `bytes`, `bitmap`, `number`, `string`, `list`, or a record's
 * kind name (`record Player`; `record R7` for a kind the dump does not define).
 * @param {HeapGraph} g @param {string} type
 */
export function typeName(g, type) {
    if (type[0] !== "R") return TYPE_NAMES[type] ?? type
    const k = kindOf(g, type)
    return `record ${k ? k.name : type}`
}

/**
 * What a ref of `o` is called: a record's field name, a list's `[index]`.
 * @param {HeapGraph} g @param {HeapObject} o @param {number} index
 */
export function refLabel(g, o, index) {
    if (o.type[0] === "R") return kindOf(g, o.type)?.fields[index] ?? `#${index}`
    return `[${index}]`
}

/**
 * A path as text: `root game → #12 .player → #40 [3] → #55` (`temp 0` for a
 * temporary; `#` marks a handle).
 * @param {PathStep[]} path
 */
export function pathText(path) {
    return path
        .map(s =>
            s.kind === "root" ? `root ${s.name} → #${s.handle}` : s.kind === "temp" ? `temp ${s.index} → #${s.handle}` : s.kind === "field" ? `.${s.name} → #${s.handle}` : `[${s.index}] → #${s.handle}`
        )
        .join(" ")
}

/**
 * Objects grouped by type and payload size, the largest groups (by bytes,
 * then count) first.
 * @param {HeapObject[]} objects
 * @returns {DiffGroup[]}
 */
export function groupObjects(objects) {
    /** @type {Map<string, DiffGroup>} */
    const groups = new Map()
    for (const o of objects) {
        const key = `${o.type} ${o.bytes}`
        let gr = groups.get(key)
        if (!gr) groups.set(key, (gr = { type: o.type, bytes: o.bytes, count: 0, total: 0, handles: [] }))
        gr.count++
        gr.total += o.bytes
        gr.handles.push(o.handle)
    }
    return [...groups.values()].sort((a, b) => b.total - a.total || b.count - a.count || (a.type < b.type ? -1 : a.type > b.type ? 1 : a.bytes - b.bytes))
}

/**
 * What changed from heap dump `older` to `newer`, by handle.
 * @param {HeapGraph} older @param {HeapGraph} newer
 * @returns {HeapDiff}
 */
export function diffHeaps(older, newer) {
    const before = objectIndex(older)
    const after = objectIndex(newer)
    const reached = reachable(newer)
    const bornAll = newer.objects.filter(o => !before.has(o.handle))
    const bornAlive = bornAll.filter(o => reached.has(o.handle))
    const bornDead = bornAll.filter(o => !reached.has(o.handle))
    const freed = older.objects.filter(o => !after.has(o.handle))
    /** @param {HeapObject[]} xs */
    const bytes = xs => xs.reduce((n, o) => n + o.bytes, 0)
    return {
        born: groupObjects(bornAlive),
        bornDead: groupObjects(bornDead),
        freed: groupObjects(freed),
        kept: newer.objects.length - bornAll.length,
        torn: older.torn > 0 || newer.torn > 0,
        totals: { born: bornAlive.length, bornBytes: bytes(bornAlive), bornDead: bornDead.length, freed: freed.length, freedBytes: bytes(freed) },
    }
}
