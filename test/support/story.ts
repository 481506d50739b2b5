/**
 * The guide's story (../shared/reference/circuitpython-memory-basics.txt) as
 * pool objects, for the object-graph tests: the Blinka bitmap, referenced by a
 * TileGrid, which the Group on the display holds (root "display").
 */
import type { Pool } from "../../src/index"

/** Builds the story in `pool`; returns its objects. */
export function guideStory(pool: Pool) {
    const TileGrid = pool.defineRecord("TileGrid", ["bitmap"])
    const Group = pool.defineRecord("Group", ["items"])
    const blinka = pool.bitmap(32, 32, 8)
    const grid = pool.record(TileGrid)
    pool.setField(grid, "bitmap", blinka)
    const group = pool.record(Group)
    const items = pool.list(2)
    pool.setField(group, "items", items)
    pool.push(items, grid)
    pool.setRoot("display", group)
    return { TileGrid, Group, blinka, grid, group, items }
}
