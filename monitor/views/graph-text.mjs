/**
 * Heap dumps as text, for the terminal's graph and diff views and the plain
 * output: a heap dump's summary, an object's line (its refs by field name or
 * index, phantoms marked), a retainer path, and the diff of two heap dumps
 * grouped by type and size. Pure functions of the graph (no colours: the
 * terminal paints what it needs).
 */
import { diffHeaps, pathText, phantomObjects, reachable, refLabel, retainerPath, typeName } from "../protocol/graph.mjs"

/**
 * @typedef {import("../protocol/heap.mjs").HeapGraph} HeapGraph
 * @typedef {import("../protocol/heap.mjs").HeapObject} HeapObject
 * @typedef {import("../protocol/graph.mjs").DiffGroup} DiffGroup
 * @typedef {import("../protocol/session.mjs").HeapRecord} HeapRecord
 */

/** @param {number} n @param {string} one @param {string} [many] */
const count = (n, one, many = one + "s") => `${n} ${n === 1 ? one : many}`

/** @param {HeapObject[]} xs */
const bytesOf = xs => xs.reduce((n, o) => n + o.bytes, 0)

/**
 * Handles as `#1 #2 #3`, at most `max` of them, then how many more.
 */
export function handleList(/** @type {HeapObject[]} */ xs, max = 12) {
    return xs.slice(0, max).map(o => "#" + o.handle).join(" ") + (xs.length > max ? ` +${xs.length - max} more` : "")
}

/**
 * A heap dump in one line: objects and their payload bytes, roots,
 * temporaries, phantoms.
 * @param {HeapGraph} g @param {Set<number>} [reached]
 */
export function heapSummary(g, reached = reachable(g)) {
    const ph = phantomObjects(g, reached)
    return (
        `${count(g.objects.length, "object")} (${bytesOf(g.objects)} B), ${count(g.roots.length, "root")}, ${count(g.temps.length, "temporary", "temporaries")}, ` +
        `${count(ph.length, "phantom")} (${bytesOf(ph)} B)`
    )
}

/**
 * What the monitor says of a torn dump (null for a clean one).
 * @param {HeapGraph} g
 */
export function tornNote(g) {
    return g.torn ? `changed while it was taken (${count(g.torn, "change")}): not a clean snapshot, refs and the diff may be wrong` : null
}

/**
 * An object as one line: `#257 record Player 12 B @64 L  .name #513 .items #769 .next 0`
 * (a list's items `[0] #1025 [1] 0 ...`)
 * (`L` long-lived; a null ref is 0), with ` (phantom)` when nothing reaches it.
 * @param {HeapGraph} g @param {HeapObject} o @param {Set<number>} reached
 */
export function objectLine(g, o, reached) {
    const dot = o.type[0] === "R" ? "." : ""
    const refs = o.refs.map((to, i) => `${dot}${refLabel(g, o, i)} ${to ? "#" + to : "0"}`).join(" ")
    return `#${o.handle} ${typeName(g, o.type)} ${o.bytes} B @${o.offset}${o.long ? " L" : ""}${reached.has(o.handle) ? "" : " (phantom)"}${refs ? "  " + refs : ""}`
}

/**
 * The retainer path of `handle` as text, or why there is none.
 * @param {HeapGraph} g @param {number} handle
 */
export function pathLine(g, handle) {
    const path = retainerPath(g, handle)
    if (path) return pathText(path)
    return g.objects.some(o => o.handle === handle) ? "none: a phantom, no root or temporary reaches it" : `none: the dump holds no #${handle}`
}

/**
 * One diff group: `string 20 B × 4 = 80 B: #4097 #4353 #4609 #4865` (at most
 * `maxHandles` handles, then how many more).
 * @param {HeapGraph} g the dump whose kinds name the type @param {DiffGroup} gr @param {number} [maxHandles]
 */
export function groupLine(g, gr, maxHandles = 6) {
    const hs = gr.handles.slice(0, maxHandles).map(h => "#" + h).join(" ")
    const more = gr.handles.length > maxHandles ? ` +${gr.handles.length - maxHandles} more` : ""
    return `${typeName(g, gr.type)} ${gr.bytes} B × ${gr.count} = ${gr.total} B: ${hs}${more}`
}

/**
 * The diff of two heap dumps as lines: a title, born and still reached (the
 * leak suspects), born and already unreachable, freed, kept; at most
 * `maxGroups` groups of each.
 * @param {HeapRecord} older @param {HeapRecord} newer @param {number} [maxGroups]
 * @returns {string[]}
 */
export function diffLines(older, newer, maxGroups = 8) {
    if (!older.graph || !newer.graph) return [`diff: heap dump ${older.graph ? newer.dump : older.dump} could not be read`]
    const d = diffHeaps(older.graph, newer.graph)
    /** @param {DiffGroup[]} groups @param {HeapGraph} g */
    const rows = (groups, g) => [
        ...groups.slice(0, maxGroups).map(gr => "  " + groupLine(g, gr)),
        ...(groups.length > maxGroups ? [`  … ${groups.length - maxGroups} more groups`] : []),
    ]
    const t = d.totals
    return [
        `diff: heap dump ${older.dump} → heap dump ${newer.dump}` + (d.torn ? " (⚠ a dump changed while it was taken: the diff may be wrong)" : ""),
        `born and still reached (leak suspects): ${count(t.born, "object")}, ${t.bornBytes} B`,
        ...rows(d.born, newer.graph),
        `born and already unreachable: ${count(t.bornDead, "object")}`,
        ...rows(d.bornDead, newer.graph),
        `freed: ${count(t.freed, "object")}, ${t.freedBytes} B`,
        ...rows(d.freed, older.graph),
        `kept: ${count(d.kept, "object")}`,
    ]
}
