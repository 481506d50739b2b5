// The AssemblyScript side of the benchmark: the TLSF allocator (explicit
// alloc/free) and the minimal runtime's mark-sweep collector (objects rooted
// in a global table, __collect on failure), over a fixed region. Compiled by
// bench/bench.mjs with `asc --runtime minimal --importMemory` into WASM.
// The region: memory has whole 64 KiB pages, so init() claims a ballast block
// right after TLSF's root structure and never frees it; what is left (root
// structure included) is exactly `region` bytes.
import { ROOT } from "rt/tlsf"

// TLSF constants for 32-bit (rt/tlsf.ts): its root structure is 1572 bytes,
// each block has a 4-byte header, tags in the low 2 bits.
const ROOT_SIZE: usize = 1572
const BLOCK_OVERHEAD: usize = 4

let roots: StaticArray<ArrayBuffer | null> = changetype<StaticArray<ArrayBuffer | null>>(0)
let ballastStart: usize = 0
let ballastEnd: usize = 0
export let freeTotal: i32 = 0
export let freeLargest: i32 = 0
export let freeBlocks: i32 = 0

/** Sets up the region; returns its actual size in bytes. */
export function init(region: i32, nroots: i32, managed: bool): i32 {
  const memEnd: usize = (<usize>memory.size()) << 16
  const rootOff: usize = (__heap_base + 15) & ~15
  const extra: isize = <isize>(memEnd - rootOff) - region
  if (extra >= 32) {
    const p = heap.alloc(<usize>extra - BLOCK_OVERHEAD)
    ballastStart = p - BLOCK_OVERHEAD
    ballastEnd = p + ((load<usize>(ballastStart) & ~3))
  } else {
    heap.free(heap.alloc(16)) // initialise TLSF
  }
  if (managed) roots = new StaticArray<ArrayBuffer | null>(nroots)
  return <i32>(memEnd - rootOff - (ballastEnd - ballastStart))
}

/** The first block after the root structure, as TLSF's addMemory places it. */
function firstBlock(): usize {
  const start = changetype<usize>(ROOT) + ROOT_SIZE
  return ((start + BLOCK_OVERHEAD + 15) & ~15) - BLOCK_OVERHEAD
}

/** Walks every block: free bytes (payloads), largest free payload, free blocks. */
export function walk(): void {
  const end: usize = ((<usize>memory.size()) << 16) - BLOCK_OVERHEAD
  let b = firstBlock()
  let total = 0
  let largest = 0
  let n = 0
  while (b < end) {
    const info = load<usize>(b)
    const size = info & ~3
    if (size === 0) break // the tail block
    if (info & 1) {
      total += <i32>size
      if (<i32>size > largest) largest = <i32>size
      n++
    }
    b += BLOCK_OVERHEAD + size
  }
  freeTotal = total
  freeLargest = largest
  freeBlocks = n
}

// ---- explicit: TLSF ----
export function talloc(size: i32): usize {
  return heap.alloc(<usize>size)
}
/** TLSF with the payload zeroed, as calloc (and every poolgc allocation) does. */
export function tallocZero(size: i32): usize {
  const p = heap.alloc(<usize>size)
  memory.fill(p, 0, <usize>size)
  return p
}
export function tfree(p: usize): void {
  heap.free(p)
}

// ---- references (both modes): slot i of a container at p ----
export function setRef(p: usize, i: i32, v: usize): void {
  store<usize>(p + (<usize>i << 2), v)
}
export function removeAt(p: usize, i: i32, count: i32): void {
  const at = p + (<usize>i << 2)
  memory.copy(at, at + 4, <usize>(count - 1 - i) << 2)
  store<usize>(p + (<usize>(count - 1) << 2), 0)
}

// ---- managed: minimal runtime (two-colour mark-sweep, collect when told) ----
/** A new object, rooted at roots[id]: a blob, or a container of `refs` reference slots. */
export function gnew(id: i32, size: i32, refs: i32): usize {
  const p = refs > 0
    ? __new(<usize>refs << 2, idof<StaticArray<ArrayBuffer | null>>())
    : __new(<usize>size, idof<ArrayBuffer>())
  if (refs > 0) memory.fill(p, 0, <usize>refs << 2)
  store<usize>(changetype<usize>(roots) + (<usize>id << 2), p)
  return p
}
export function gdrop(id: i32): void {
  store<usize>(changetype<usize>(roots) + (<usize>id << 2), 0)
}
export function gcollect(): void {
  __collect()
}
