/**
 * The byte layout of a poolgc pool. Everything the allocator and collector know
 * lives inside the one pool Buffer, at the offsets defined here, so the pool's
 * bytes are the whole truth: two pools with the same bytes are the same heap.
 *
 * ```
 * byte 0          pool header (HEADER_BYTES, fields H_*)
 * ATB             allocation table, 2 bits a block (MicroPython's layout)
 * row summary     3 bytes a row of ROW_BLOCKS blocks: lead, inner, trail (allocator.ts)
 * handle table    u16 a handle slot
 * named roots     u32 handle a slot
 * root stack      u32 handle a slot (scoped temporaries)
 * mark stack      u16 block index a slot
 * dataStart*16 .. objects, each starting with an 8-byte object header
 * ```
 * The metadata area is itself marked as one allocated run in the ATB, so the
 * map shows it and the allocator can never hand it out.
 */

/*
 * Hot paths (allocation, release, the search) read and write u16 fields with
 * getAt/setAt and a constant format: on the VM that compiles to one
 * load_buffer/store_buffer opcode, about 3 VM operations with its operands
 * against 9 for `buf[f] | (buf[f + 1] << 8)` (`devs disasm`; measured with
 * tools/step-probe.mjs: an allocation 1,093 -> 943 operations, a free()
 * 805 -> 713). In Node those calls would go through host/platform.ts's shim,
 * which V8 stops inlining once a function as large as Pool.alloc has spent
 * its budget (half the speed, measured): so the Node builds (vitest.config.ts,
 * bench/bench.mjs) rewrite them into exactly that byte form first
 * (host/inline-u16.mjs). Their values stay in 0..0xffff and their offsets
 * inside the pool, where the two forms agree. The u32 counters on those paths
 * are updated by their low byte, and as a whole once in 256 (the carry): a
 * byte increment is cheap on both.
 */

/** Bytes in a block, the unit of allocation (as MicroPython on 32-bit MCUs). */
export const BLOCK = 16
/** log2(BLOCK). */
export const BLOCK_SHIFT = 4
/** Blocks shown in one row of the memory map, and summed up in one row-summary entry. */
export const ROW_BLOCKS = 64
/** log2(ROW_BLOCKS). */
export const ROW_SHIFT = 6
/**
 * Bytes a row-summary entry: RS_LEAD free blocks at the row's start, RS_INNER
 * at least the longest free run touching neither end, RS_TRAIL free blocks at
 * its end. A row that is all free has lead = trail = its length, inner 0.
 */
export const ROW_ENTRY = 3
export const RS_LEAD = 0
export const RS_INNER = 1
export const RS_TRAIL = 2

/** Smallest and largest supported pool sizes, in bytes. */
export const MIN_POOL = 1024
export const MAX_POOL = 32768
/** Pool sizes must be a multiple of this (4 blocks: one whole ATB byte). */
export const POOL_GRANULE = 64

/** "PGC1", little-endian: marks an initialised pool. */
export const MAGIC = 0x31434750

// ---- pool header fields (byte offsets) ----
export const H_MAGIC = 0 // u32
export const H_NBLOCKS = 4 // u16 blocks in the pool, metadata included
export const H_DATA = 6 // u16 first block that can hold an object
export const H_ATB = 8 // u16 byte offset of the allocation table
export const H_HTAB = 10 // u16 byte offset of the handle table
export const H_HCAP = 12 // u16 handle slots
export const H_NAMED = 14 // u16 byte offset of the named-root slots
export const H_NCAP = 16 // u16 named-root slots
export const H_STACK = 18 // u16 byte offset of the root stack
export const H_SCAP = 20 // u16 root stack slots
export const H_SP = 22 // u16 root stack pointer (entries in use)
export const H_MSTACK = 24 // u16 byte offset of the mark stack
export const H_MCAP = 26 // u16 mark stack slots
export const H_MSP = 28 // u16 mark stack pointer
export const H_HINT = 30 // u16 first-fit hint: no free block lies below it
export const H_FREE = 32 // u16 free blocks
export const H_MINFREE = 34 // u16 lowest H_FREE ever seen (low-water mark)
export const H_HHINT = 36 // u16 handle cursor: the search for a free handle slot starts here and wraps around (next fit)
export const H_POOLID = 38 // u16 this pool's id (1..MAX_POOL_ID): bits POOL_SHIFT.. of every handle it gives out
export const H_PHASE = 40 // u8 collector phase (PHASE_*)
export const H_FLAGS = 41 // u8 F_* bits
export const H_CURSOR = 42 // u16 sweep / rescan cursor (a block index)
export const H_THRESH = 44 // u32 bytes allocated that trigger a collection, 0 = off
export const H_SINCE = 48 // u32 bytes allocated since the last collection ended, counted while a threshold is set
export const H_COLLECTIONS = 52 // u32 completed collections
export const H_ALLOCS = 56 // u32 objects allocated, ever
export const H_FREES = 60 // u32 objects freed, ever (swept or released)
export const H_DUMPS = 64 // u32 memory-map dumps written (the dump number)
export const H_DEPTH = 68 // u16 scopes open
export const H_WORK = 72 // u32 work units of the collection in progress / last one
export const H_SPARE = 76 // u32 reserved, zero (verify() checks)
export const H_SWEPT = 80 // u32 objects poolgc freed itself, ever: swept, or the old run of a moved object; H_FREES - H_SWEPT were released by free()
export const H_GCWORK = 84 // u32 work units spent collecting and compacting, ever
export const H_COMPACTIONS = 88 // u32 completed compactions
export const H_CTO = 92 // u16 compaction target: the block the next object moves to (COMPACT), or the bottom of the lifted objects (LIFT)
/** Blocks in use by objects of type t, u16 at H_TBLOCKS + 2t (t = 1..T_MAX). */
export const H_TBLOCKS = 94
/** Objects of type t, u16 at H_TCOUNT + 2t (t = 1..T_MAX). */
export const H_TCOUNT = 106
/** Size of the pool header; later fields go below this. */
export const HEADER_BYTES = 128

// ---- allocation table codes (2 bits a block, block b at bits 2*(b&3) of byte b>>2) ----
export const AT_FREE = 0
export const AT_HEAD = 1
export const AT_TAIL = 2
/** A head the collector has marked reachable. */
export const AT_MARK = 3

// ---- collector phases ----
export const PHASE_IDLE = 0
export const PHASE_MARK = 1
export const PHASE_SWEEP = 2
/** A phantom view's marking is complete: the view snapshots the map now; the next step sweeps without freeing. */
export const PHASE_HOLD = 3
/** Compaction, upward pass: every object slides down to H_CTO, in address order. */
export const PHASE_COMPACT = 4
/** Compaction, downward pass: long-lived objects at the top slide up to the end of the pool. */
export const PHASE_LIFT = 5

// ---- H_FLAGS bits ----
/** Automatic collection on allocation failure / threshold is enabled. */
export const F_AUTO = 1
/** The mark stack overflowed: some marked heads still need their children scanned. */
export const F_OVERFLOW = 2
/** A rescan pass over the heap (after an overflow) is in progress, at H_CURSOR. */
export const F_RESCAN = 4
/** A dry cycle (a phantom view): it marks, stops in PHASE_HOLD, then its sweep frees nothing. */
export const F_DRY = 8
/** This collection compacts when its sweep ends. */
export const F_COMPACT = 16
/** An allocation that fails for fragmentation alone compacts and searches again (default on). */
export const F_AUTOCOMPACT = 32
/** New objects are long-lived: placed from the top of the pool down. */
export const F_LONG = 64
/** Debug mode: freed blocks are filled with POISON, checked intact when they are allocated again. */
export const F_POISON = 128

/**
 * The poison byte of debug mode. A freed run is filled with it from byte 4 of
 * its first block on (bytes 0-3, type and aux and slot, stay: a memory-map dump
 * in progress may still read the type of an object freed after its snapshot);
 * an allocation checks bytes 4-15 of each block it takes.
 */
export const POISON = 0xdb

// ---- handle table ----
/** A handle slot entry with this bit set is free; its low 15 bits keep the last generation. */
export const SLOT_FREE = 0x8000
/**
 * A handle is (pool id << POOL_SHIFT) | (generation << HANDLE_SHIFT) | slot:
 * 4 + 15 + 12 bits, so every handle is a positive int32 (the VM's integer fast
 * path), at most 0x7fffffff. Handle 0 is null. No handle has pool id 0 or
 * generation 0: such a number is not a handle at all.
 */
export const HANDLE_SHIFT = 12
export const HANDLE_SLOT_MASK = 0xfff
/** Most handle slots a pool can have. */
export const MAX_HANDLES = 4096
/** Generations run 1..MAX_GEN and wrap back to 1 (bits 12-26 of a handle). */
export const MAX_GEN = 0x7fff
/** Bit position of the pool id in a handle. */
export const POOL_SHIFT = 27
/** Pool ids run 1..MAX_POOL_ID, one per pool in creation order, and wrap back to 1. */
export const MAX_POOL_ID = 15

// ---- object header (8 bytes at the start of the head block) ----
export const O_TYPE = 0 // u8 object type (T_*)
export const O_AUX = 1 // u8 per type: record kind id, 0 otherwise
export const O_SLOT = 2 // u16 handle slot that owns this object (low 12 bits) | OF_LONG
export const O_GEN = 4 // u16 generation of that handle
export const O_LEN = 6 // u16 payload bytes after the header
export const OBJ_HEADER = 8
/** O_SLOT bit: the object is long-lived (placed from the top; compaction lifts it back up). */
export const OF_LONG = 0x8000
/** O_SLOT bits that hold the slot. */
export const OF_SLOT = 0xfff

// ---- object types. Types >= T_LIST hold references and are scanned by the collector. ----
export const T_BYTES = 1
export const T_STRING = 2
export const T_NUMBER = 3
export const T_BITMAP = 4
export const T_LIST = 5
export const T_RECORD = 6
export const T_MAX = 6

/** Letter for each type in the memory map, indexed by type code ("?" = corrupt). */
export const TYPE_LETTERS = "?ASFPLR"
/** Letter for each type of a phantom (an object a collection would free) in a phantom view. */
export const PHANTOM_LETTERS = "?asfplr"
/** Names for each type, indexed by type code. */
export const TYPE_NAMES = ["?", "bytes", "string", "number", "bitmap", "list", "record"]

/** Bitmap payload: u16 width, u16 height, u8 bits per pixel, u8 0, u16 stride; pixels from BM_DATA. */
export const BM_WIDTH = 0
export const BM_HEIGHT = 2
export const BM_BPP = 4
export const BM_STRIDE = 6
export const BM_DATA = 8

/** List payload: u32 count, then capacity u32 handles. */
export const LIST_COUNT = 0
export const LIST_ITEMS = 4

// Offsets from an object's first byte (its head block's offset), as O_* above,
// for the hot loops: the DeviceScript compiler folds a constant so defined, not `off + A + B`.
/** A list's u32 count. */
export const O_LIST_COUNT = OBJ_HEADER + LIST_COUNT
/** A list's first item. */
export const O_LIST_ITEMS = OBJ_HEADER + LIST_ITEMS
/** A record's first field. */
export const O_FIELDS = OBJ_HEADER
/** Blocks of an object of payload `len`: (len + BLOCK_ROUND) >> BLOCK_SHIFT. */
export const BLOCK_ROUND = OBJ_HEADER + BLOCK - 1

/** Byte offset of the row summary in a pool of `nb` blocks: right after the ATB. */
export function rowTable(nb: number): number {
    return HEADER_BYTES + (nb >> 2)
}

/**
 * Byte offsets of the metadata tables for a pool of `nb` blocks and the given
 * capacities: [handle table, named roots, root stack, mark stack, first data
 * block]. The metadata is rounded up to whole ATB bytes (4 blocks) so the
 * sweep starts byte-aligned. The one place this layout is computed: the Pool
 * constructor writes it into the header, verify() checks the header against it.
 */
export function metaLayout(nb: number, hcap: number, ncap: number, scap: number, mcap: number): number[] {
    const htab = rowTable(nb) + ((nb + ROW_BLOCKS - 1) >> ROW_SHIFT) * ROW_ENTRY
    const named = htab + hcap * 2
    const stack = named + ncap * 4
    const mstack = stack + scap * 4
    const data = (((mstack + mcap * 4 + BLOCK - 1) >> BLOCK_SHIFT) + 3) & ~3
    return [htab, named, stack, mstack, data]
}
