/**
 * Reads the payload of a whole heap dump (docs/serial-format.md, "Heap dumps")
 * into an object graph. A heap dump is framed as a map dump is, and told apart
 * by its line 0, which starts with `HEAP:` (a map dump's starts with `GC:`):
 *
 *     HEAP: objects: <n>, roots: <r>, kinds: <k>, total: <pool bytes>
 *      k <id> <name> <field>,<field>,...    (a kind with no fields: "-")
 *      r <name> <handle>
 *      t <handle>                           root-stack temporaries, bottom first
 *      o <handle> <type> <bytes> <offset> <flags> [<ref> ...]
 *      + <handle> <ref> ...                 more refs of the object just before
 *      torn <changes>                       the pool changed while it was read
 *
 * The dump reached the parser whole (every line, crc matched), so anything it
 * cannot read is a format it does not know, reported as `error` with the line,
 * and no graph. A line with a tag it does not know is skipped (the format grows
 * by adding tags). A ref to a handle the dump does not hold is not an error
 * (a torn dump can show one): it is listed in `dangling`.
 *
 * The graph is plain data (arrays and objects), so it goes to the web page as
 * JSON unchanged.
 */

/** Line 0 of a heap dump. */
export const HEAP_PREFIX = "HEAP:"
const HEADER_RE = /^HEAP: objects: (\d+), roots: (\d+), kinds: (\d+), total: (\d+)$/
const TAG_RE = /^ (\S+)(?: (.*))?$/
const KIND_RE = /^(\d+) (\S+) (\S+)$/
const ROOT_RE = /^(\S+) (\d+)$/
const NUM_RE = /^\d+$/
const OBJECT_RE = /^(\d+) (A|P|F|S|L|R\d+) (\d+) (\d+) ([L-])((?: \d+)*)$/
const MORE_RE = /^(\d+)((?: \d+)+)$/

/**
 * @typedef {{ id: number, name: string, fields: string[], cut: boolean }} HeapKind
 *   a record kind; `fields` in the kind's field order (a record's k-th ref is field k); `cut`: the
 *   device cut the list short (`,...`), and the fields past it are named `#<k>`.
 * @typedef {{ handle: number, type: string, bytes: number, offset: number, long: boolean, refs: number[] }} HeapObject
 *   `type`: the map letter (`A`, `P`, `F`, `S`, `L`, or `R<kind id>`); `bytes`: its payload length;
 *   `offset`: its byte offset in the pool; `long`: long-lived; `refs`: a list's items in index order or a
 *   record's fields in field order, 0 for null.
 * @typedef {{ name: string, handle: number }} HeapRoot
 * @typedef {{ total: number, kinds: HeapKind[], roots: HeapRoot[], temps: number[], objects: HeapObject[],
 *   torn: number, dangling: { from: number, index: number, to: number }[] }} HeapGraph
 *   `objects` in ascending offset order; `temps` bottom first; `torn`: the changes the device saw while
 *   it took the dump (0: a clean snapshot); `dangling`: refs (object `from`'s ref `index`) and roots or
 *   temporaries (`from` 0, `index` -1) to handles the dump does not hold.
 * @typedef {{ graph: HeapGraph | null, error: string | null }} HeapPayload
 */

/**
 * Whether a whole dump's payload is a heap dump (else a map dump).
 * @param {string[]} texts
 */
export function isHeapDump(texts) {
    return texts.length > 0 && texts[0].startsWith(HEAP_PREFIX)
}

/** @param {string} s a run of " <n>" */
const numbers = s => s.trim().split(" ").filter(Boolean).map(Number)

/**
 * @param {string[]} texts the n payload texts of a whole heap dump
 * @returns {HeapPayload}
 */
export function parseHeap(texts) {
    const head = HEADER_RE.exec(texts[0] ?? "")
    if (!head) return { graph: null, error: `unreadable heap dump line 0: ${texts[0] ?? "(none)"}` }
    const [nObjects, nRoots, nKinds, total] = head.slice(1).map(Number)
    /** @type {HeapGraph} */
    const g = { total, kinds: [], roots: [], temps: [], objects: [], torn: 0, dangling: [] }
    /** @type {Map<number, HeapObject>} */
    const byHandle = new Map()
    /** @type {HeapObject | null} the object whose refs a `+` line may continue */
    let open = null
    /** @param {number} i @param {string} why */
    const fail = (i, why) => ({ graph: null, error: `heap dump line ${i} ${why}: ${texts[i]}` })
    for (let i = 1; i < texts.length; i++) {
        const m = TAG_RE.exec(texts[i])
        if (!m) return fail(i, "is not a tagged line")
        const [, tag, rest = ""] = m
        const continues = open
        open = null
        if (tag === "k") {
            const k = KIND_RE.exec(rest)
            if (!k) return fail(i, "(kind) is unreadable")
            const id = Number(k[1])
            if (g.kinds.some(x => x.id === id)) return fail(i, `repeats kind ${id}`)
            const fields = k[3] === "-" ? [] : k[3].split(",")
            // a field list too long for its line ends with "..." (the device's writer cuts it)
            const cut = fields.at(-1) === "..."
            if (cut) fields.pop()
            g.kinds.push({ id, name: k[2], fields, cut })
        } else if (tag === "r") {
            const r = ROOT_RE.exec(rest)
            if (!r || r[2] === "0") return fail(i, "(root) is unreadable")
            g.roots.push({ name: r[1], handle: Number(r[2]) })
        } else if (tag === "t") {
            if (!NUM_RE.test(rest) || rest === "0") return fail(i, "(temporary) is unreadable")
            g.temps.push(Number(rest))
        } else if (tag === "o") {
            const o = OBJECT_RE.exec(rest)
            if (!o) return fail(i, "(object) is unreadable")
            /** @type {HeapObject} */
            const obj = { handle: Number(o[1]), type: o[2], bytes: Number(o[3]), offset: Number(o[4]), long: o[5] === "L", refs: numbers(o[6]) }
            if (obj.handle === 0) return fail(i, "(object) has handle 0")
            if (byHandle.has(obj.handle)) return fail(i, `repeats handle ${obj.handle}`)
            const prev = g.objects.at(-1)
            if (prev && obj.offset <= prev.offset) return fail(i, `is not in offset order (${prev.offset} before it)`)
            byHandle.set(obj.handle, obj)
            g.objects.push(obj)
            open = obj
        } else if (tag === "+") {
            const more = MORE_RE.exec(rest)
            if (!more) return fail(i, "(more refs) is unreadable")
            if (!continues || continues.handle !== Number(more[1])) return fail(i, "(more refs) does not follow its object's line")
            continues.refs.push(...numbers(more[2]))
            open = continues
        } else if (tag === "torn") {
            if (!NUM_RE.test(rest) || rest === "0") return fail(i, "(torn) is unreadable")
            g.torn = Number(rest)
        }
        // a tag this reader does not know: skipped
    }
    // (line 0's counts are the pool's at the dump's start: a torn dump may differ from them)
    if (g.objects.length !== nObjects && !g.torn) return { graph: null, error: `line 0 says ${nObjects} objects, the dump has ${g.objects.length}` }
    if (g.roots.length !== nRoots && !g.torn) return { graph: null, error: `line 0 says ${nRoots} roots, the dump has ${g.roots.length}` }
    if (g.kinds.length !== nKinds) return { graph: null, error: `line 0 says ${nKinds} kinds, the dump has ${g.kinds.length}` }
    for (const obj of g.objects) {
        const refsAllowed = obj.type === "L" || obj.type[0] === "R"
        if (!refsAllowed && obj.refs.length) return { graph: null, error: `object ${obj.handle} of type ${obj.type} has refs` }
        if (obj.type[0] === "R") {
            const kind = g.kinds.find(k => k.id === Number(obj.type.slice(1)))
            if (!kind) return { graph: null, error: `object ${obj.handle} is of kind ${obj.type.slice(1)}, which the dump does not define` }
            if (kind.cut && obj.refs.length > kind.fields.length) {
                // the fields past the cut are named by their index
                for (let f = kind.fields.length; f < obj.refs.length; f++) kind.fields.push(`#${f}`)
            } else if (obj.refs.length !== kind.fields.length)
                return { graph: null, error: `object ${obj.handle} (${kind.name}) has ${obj.refs.length} fields, its kind ${kind.fields.length}` }
        }
        obj.refs.forEach((to, index) => {
            if (to !== 0 && !byHandle.has(to)) g.dangling.push({ from: obj.handle, index, to })
        })
    }
    for (const h of [...g.roots.map(r => r.handle), ...g.temps]) if (!byHandle.has(h)) g.dangling.push({ from: 0, index: -1, to: h })
    return { graph: g, error: null }
}
