/**
 * The object graph demo (issue 17): the guide's story told with heap dumps
 * and whyAlive(), and a small deliberate leak that the monitor's diff of two
 * heap dumps finds. A program of its own, beside demo/main.ts:
 * `npm start -- demo/graph.ts` runs it in the simulator. On MonitoredPool,
 * as the main demo (it never verifies), so its firmware fits the boards.
 */
import { heapDump, MonitoredPool, whyAlive } from "../src/index"
import { drainSlice } from "../src/platform"

/** The line `npm start` waits for (demo/demo.ts's DEMO_DONE). */
const DONE = "poolgc demo done"
/** Rounds of the leaky loop between the two heap dumps the monitor compares. */
const LEAK_ROUNDS = 3

function say(text: string) {
    console.log("graph: " + text)
}

const pool = new MonitoredPool({ size: 16384 })
const TileGrid = pool.defineRecord("TileGrid", ["bitmap"])
const Group = pool.defineRecord("Group", ["items"])
const Sprite = pool.defineRecord("Sprite", ["bitmap", "x", "y"])

// The guide's story: the Blinka bitmap is referenced by a TileGrid, which the Group on the display holds.
const blinka = pool.bitmap(32, 32, 8)
const grid = pool.record(TileGrid)
pool.setField(grid, "bitmap", blinka)
const group = pool.record(Group)
const items = pool.list(2)
pool.setField(group, "items", items)
pool.push(items, grid)
pool.setRoot("display", group)
const score = pool.number(50)
pool.setRoot("score", score)

say("1. why is Blinka's bitmap alive? a shortest path from a root:")
await whyAlive(pool, blinka, true)
await heapDump(pool)
await drainSlice(1)

pool.delRoot("display")
say("2. del display: the bitmap is still in the pool, but nothing reaches it")
await whyAlive(pool, blinka, true)
await heapDump(pool)
await drainSlice(1)
pool.collect()

// A deliberate leak: every round makes a sprite and drops it, but a debugging
// "recent" list, rooted and never trimmed, keeps each one's bitmap.
const recent = pool.list(4)
pool.setRoot("recent", recent)
function round(n: number) {
    const m = pool.enter()
    const sprite = pool.record(Sprite)
    const bmp = pool.bitmap(8, 8, 4)
    pool.setField(sprite, "bitmap", bmp)
    pool.setField(sprite, "x", pool.number(n * 8))
    pool.setField(sprite, "y", pool.number(16))
    pool.push(recent, bmp) // the leak: nobody ever removes it
    pool.leave(m)
}
for (let n = 1; n <= LEAK_ROUNDS; n++) round(n)
pool.collect()
say("3. a heap dump after " + LEAK_ROUNDS + " rounds of the sprite loop")
await heapDump(pool)
await drainSlice(1)
for (let n = LEAK_ROUNDS + 1; n <= 2 * LEAK_ROUNDS; n++) round(n)
pool.collect()
say("4. and after " + LEAK_ROUNDS + " more: the monitor's diff of the two finds " + LEAK_ROUNDS + " more bitmaps, one kept each round")
await heapDump(pool)
await drainSlice(1)
say("5. why is the newest sprite bitmap alive? the leak, found:")
await whyAlive(pool, pool.get(recent, pool.length(recent) - 1), true)
await drainSlice(1)
console.log(DONE)
