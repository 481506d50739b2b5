/**
 * Which board the firmware runs on, and so its pool size and LED colours
 * (demo/boards.ts, generated from boards/poolgc-boards.json and the board files).
 *
 * At start-up, from the configuration the runtime image carries: a board
 * flashed with `npm run flash -- --board <id>` (`devs flash ... --board
 * poolgc_<x>`, a bare image patched with boards/poolgc_<x>.board.json) says
 * its `id`; a stock DeviceScript image (`devs flash --board pico`) says
 * another id, and then its `archId` picks our board for that chip. The
 * simulator says "wasm". Nothing in the source changes per board.
 */
import * as ds from "@devicescript/core"
import { BOARDS, BoardSettings } from "./boards"

export { BOARDS }
export type { BoardSettings }

/** The settings for board `id`, or undefined. */
export function boardById(id: string): BoardSettings {
    for (const b of BOARDS) if (b.id === id) return b
    return undefined
}

/** The settings of the board this runs on (the simulator's in the simulator). */
export function currentBoard(): BoardSettings {
    const byId = boardById(ds._dcfgString("id" as any))
    if (byId) return byId
    const arch = ds._dcfgString("archId")
    for (const b of BOARDS) if (b.archId === arch) return b
    // an unknown chip: the simulator's settings, the smallest pool of a 64 KB heap
    return boardById("wasm")
}
