/**
 * Seeded, deterministic allocation traces shared by every system in the
 * benchmark, in Node (bench/main.ts materialises them into an Int32Array) and
 * on the DeviceScript VM (bench/vm/bench.vm.ts streams them: the VM's heap is
 * too small to hold 200k records). Written in the DeviceScript subset: no
 * typed arrays, no Map, no `%`, no accessors; the PRNG uses only int32 ops.
 *
 * A trace is a stream of records. Every system replays exactly the same
 * records; what a record means differs only between explicit allocators and
 * collectors:
 *
 *   ALLOC  id size refs   object `id` of `size` payload bytes; refs > 0 makes
 *                          it a container of `refs` reference slots
 *                          (size = 4 + 4 * refs: a count and the slots). The
 *                          new object is rooted (collectors: root[id]).
 *   LINK   parent child    store a reference to `child` in `parent`'s next slot
 *                          (the generator guarantees a free slot)
 *   DROP   id              the program drops its root to `id` (collectors clear
 *                          root[id]; explicit allocators do nothing)
 *   UNLINK parent index    remove slot `index` of `parent`, moving later slots
 *                          down (collectors do it; explicit allocators too, it
 *                          is a write into the parent)
 *   FREE   id              `id` is now unreachable: explicit allocators free
 *                          it; collectors do nothing (they find out)
 *
 * "Operations" (the ops/s figure) are ALLOC + LINK + DROP + UNLINK records: a
 * FREE is the explicit half of a DROP/UNLINK that killed an object. Ids are
 * small integers recycled after FREE, so replayers keep per-id arrays.
 */

export const OP_ALLOC = 1
export const OP_LINK = 2
export const OP_DROP = 3
export const OP_UNLINK = 4
export const OP_FREE = 5

/** Nominal per-object header the generator assumes when it keeps live bytes near its target. */
const NOMINAL_HEADER = 8

/** Removes item i of xs, moving later items down (DeviceScript arrays have no splice). */
/** Values the trace queue has room for from the start (4 a record). */
const QUEUE_ROOM = 256

function removeAt(xs: number[], i: number) {
    for (let k = i + 1; k < xs.length; k++) xs[k - 1] = xs[k]
    xs.pop()
}

/** xorshift32: int32 arithmetic only, identical in Node and on the VM. */
export class Rng {
    s: number
    constructor(seed: number) {
        this.s = seed | 0
        if (this.s === 0) this.s = 0x2545f491
    }
    next(): number {
        let x = this.s
        x ^= x << 13
        x ^= x >>> 17
        x ^= x << 5
        this.s = x | 0
        return this.s
    }
    /** An integer in [0, n), n <= 65536. */
    below(n: number): number {
        return Math.floor(((this.next() >>> 16) * n) / 65536)
    }
    /** An integer in [lo, hi]. */
    range(lo: number, hi: number): number {
        return lo + this.below(hi - lo + 1)
    }
    /** Log-uniform-ish integer in [lo, hi]: small objects are commoner (as in real heaps). */
    logRange(lo: number, hi: number): number {
        // pick a power-of-two band, then uniform inside it
        let bands = 0
        let v = lo
        while (v < hi) {
            v = v * 2
            bands++
        }
        const b = this.below(bands + 1)
        let blo = lo
        for (let i = 0; i < b; i++) blo = blo * 2
        let bhi = blo * 2 - 1
        if (bhi > hi) bhi = hi
        if (blo > hi) blo = hi
        return this.range(blo, bhi)
    }
}

/** What a trace is: a kind, the region it was shaped for, how many operations, a seed. */
export interface TraceSpec {
    name: string
    /** "steady", "overcommit" or "game". */
    kind: string
    /** Region (pool) size in bytes the trace is shaped for. */
    region: number
    /** Operations (ALLOC + LINK + DROP + UNLINK records). */
    ops: number
    seed: number
}

/**
 * The generator: call next() until it returns false; after each true the
 * record is in op, a, b, c. Deterministic for a given spec.
 */
export class TraceGen {
    spec: TraceSpec
    rng: Rng
    op = 0
    a = 0
    b = 0
    c = 0
    /** Operations emitted so far. */
    count = 0
    /** Highest id used + 1 (size of per-id tables). */
    maxIds = 0
    /** Most objects live at once, and most nominal live bytes. */
    peakLive = 0
    peakBytes = 0
    // object state, per id
    private size: number[] = []
    private children: number[][] = []
    private parent: number[] = []
    private freeIds: number[] = []
    private liveBytes = 0
    private liveCount = 0
    /** Rooted top-level objects the generator may kill (steady / overcommit). */
    private roots: number[] = []
    // pending records (a death emits several): queue[qi, qn). One array for the
    // whole trace, made at its full size up front and overwritten from 0 at each
    // refill: a new array a step, grown push by push, was where the game's VM
    // bench at 32 KiB ran out of VM memory (session 4)
    private queue: number[] = []
    private qi = 0
    private qn = 0
    // game state
    private round = 0
    private sprites = 0 // id of the sprite list
    private spriteIds: number[] = []
    private spriteDeath: number[] = []
    private score = 0
    private timer = 0
    private level = 0
    private target = 0

    constructor(spec: TraceSpec) {
        this.spec = spec
        this.rng = new Rng(spec.seed)
        if (spec.kind === "steady") this.target = (spec.region * 50) / 100
        else if (spec.kind === "overcommit") this.target = (spec.region * 92) / 100
        else this.target = (spec.region * 70) / 100
        // the queue's room up front, while the VM heap is still in one piece (the
        // game's longest step queues 196 values; a longer one grows it)
        for (let i = 0; i < QUEUE_ROOM; i++) this.queue.push(0)
    }

    private newId(): number {
        if (this.freeIds.length > 0) return this.freeIds.pop()
        const id = this.maxIds
        this.maxIds = id + 1
        this.size.push(0)
        this.children.push(null)
        this.parent.push(-1)
        return id
    }

    private push4(op: number, a: number, b: number, c: number) {
        const q = this.queue
        const n = this.qn
        // (an index at the array's length appends)
        q[n] = op
        q[n + 1] = a
        q[n + 2] = b
        q[n + 3] = c
        this.qn = n + 4
    }

    private alloc(size: number, refs: number): number {
        const id = this.newId()
        this.size[id] = size
        this.children[id] = refs > 0 ? [] : null
        this.parent[id] = -1
        this.liveBytes += size + NOMINAL_HEADER
        this.liveCount++
        if (this.liveCount > this.peakLive) this.peakLive = this.liveCount
        if (this.liveBytes > this.peakBytes) this.peakBytes = this.liveBytes
        this.push4(OP_ALLOC, id, size, refs)
        this.count++
        return id
    }

    /** Links child into parent and drops child's own root (ownership moves to the parent). */
    private adopt(parent: number, child: number) {
        this.children[parent].push(child)
        this.parent[child] = parent
        this.push4(OP_LINK, parent, child, 0)
        this.push4(OP_DROP, child, 0, 0)
        this.count += 2
    }

    private freeTree(id: number) {
        const kids = this.children[id]
        if (kids !== null) for (let i = 0; i < kids.length; i++) this.freeTree(kids[i])
        this.liveBytes -= this.size[id] + NOMINAL_HEADER
        this.liveCount--
        this.children[id] = null
        this.parent[id] = -1
        this.push4(OP_FREE, id, 0, 0)
        this.freeIds.push(id)
    }

    /** Kills `id` and everything it owns: DROP (a root) or UNLINK (owned), then FREE each. */
    private kill(id: number) {
        const p = this.parent[id]
        if (p < 0) {
            this.push4(OP_DROP, id, 0, 0)
        } else {
            const kids = this.children[p]
            const idx = kids.indexOf(id)
            removeAt(kids, idx)
            this.push4(OP_UNLINK, p, idx, 0)
        }
        this.count++
        this.freeTree(id)
    }

    private killRoot(i: number) {
        const id = this.roots[i]
        this.roots[i] = this.roots[this.roots.length - 1]
        this.roots.pop()
        this.kill(id)
    }

    /** steady and overcommit: blobs of 8..512 (steady) or 8..1024 (overcommit) bytes, random lifetimes. */
    private stepHeap() {
        const big = this.spec.kind === "overcommit"
        const size = big ? this.rng.logRange(8, 1024) : this.rng.logRange(8, 512)
        const n = this.roots.length
        // below the target: allocate 60 % of the time (fills), else free a random object
        if (n > 0 && (this.liveBytes + size + NOMINAL_HEADER > this.target || this.rng.below(100) >= 60)) {
            this.killRoot(this.rng.below(n))
        } else {
            this.roots.push(this.alloc(size, 0))
        }
    }

    /**
     * The guide's game: a sprite list (a container) of sprites, each a
     * container holding a bitmap and a position (a number); the score and the
     * play time are replaced every round; a level bitmap every fifth round.
     */
    private stepGame() {
        const r = this.round
        if (r === 0) {
            this.sprites = this.alloc(4 + 4 * 32, 32)
            this.score = this.alloc(8, 0)
            this.timer = this.alloc(16, 0)
            this.level = this.alloc(8 + 64 * 48 / 2, 0) // 64x48 at 4 bpp
        }
        // the score (a number) and the play time (a string) are new objects each round
        this.kill(this.score)
        this.score = this.alloc(8, 0)
        this.kill(this.timer)
        this.timer = this.alloc(this.rng.range(12, 24), 0)
        // a new level bitmap every fifth round
        if (r > 0 && r - Math.floor(r / 5) * 5 === 0) {
            this.kill(this.level)
            this.level = this.alloc(8 + this.rng.range(32, 64) * 48 / 2, 0)
        }
        // sprites whose time is up leave
        for (let i = this.spriteIds.length - 1; i >= 0; i--) {
            if (this.spriteDeath[i] <= r) {
                const id = this.spriteIds[i]
                removeAt(this.spriteIds, i)
                removeAt(this.spriteDeath, i)
                this.kill(id)
            }
        }
        // up to three new sprites, while the heap has room and the list has a slot
        const spawn = this.rng.below(4)
        for (let k = 0; k < spawn; k++) {
            const side = 8 << this.rng.below(3) // 8, 16 or 32 pixels
            const bpp = 1 << this.rng.below(3) // 1, 2 or 4 bits a pixel
            const bmp = 8 + (side * side * bpp) / 8
            if (this.liveBytes + bmp + 12 + 8 + 3 * NOMINAL_HEADER > this.target) break
            if (this.children[this.sprites].length >= 32) break
            const s = this.alloc(4 + 4 * 2, 2)
            const b = this.alloc(bmp, 0)
            this.adopt(s, b)
            const pos = this.alloc(8, 0)
            this.adopt(s, pos)
            this.adopt(this.sprites, s)
            this.spriteIds.push(s)
            this.spriteDeath.push(r + 1 + this.rng.below(40))
        }
        this.round = r + 1
    }

    /** The next record into op/a/b/c; false at the end of the trace. */
    next(): boolean {
        while (this.qi >= this.qn) {
            this.qn = 0
            this.qi = 0
            if (this.count >= this.spec.ops) return false
            if (this.spec.kind === "game") this.stepGame()
            else this.stepHeap()
        }
        const q = this.queue
        const i = this.qi
        this.op = q[i]
        this.a = q[i + 1]
        this.b = q[i + 2]
        this.c = q[i + 3]
        this.qi = i + 4
        return true
    }
}

/** The traces the benchmark runs. `quick` shortens them for a smoke run. */
export function benchTraces(quick: boolean): TraceSpec[] {
    const n = quick ? 20000 : 200000
    return [
        { name: "steady-64k", kind: "steady", region: 65536, ops: n, seed: 1 },
        { name: "steady-32k", kind: "steady", region: 32768, ops: n, seed: 1 },
        { name: "overcommit-32k", kind: "overcommit", region: 32768, ops: n, seed: 2 },
        { name: "game-32k", kind: "game", region: 32768, ops: n, seed: 3 },
    ]
}
