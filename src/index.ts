/**
 * poolgc: a static byte pool for DeviceScript with first-fit allocation,
 * precise references, an incremental mark-sweep collector and a memory map
 * over serial. Import from here in your own DeviceScript project.
 */
export { MAX_READ, MonitoredPool, ObjectPool, Pool, VERIFY_MAX_UNITS } from "./poolgc/pool"
export type { PoolOptions, PoolStats, RecordKind } from "./poolgc/pool"
export type { BitmapHandle, BytesHandle, Checked, Handle, HandleKind, HandleOf, ListHandle, NumberHandle, RecordHandle, StringHandle, TypedHandle } from "./poolgc/handles"
export { PoolError, MemoryError, HandleError, ArgumentError, CorruptionError, StepLimitError } from "./poolgc/errors"
export { Verifier, verifyPool } from "./poolgc/verify"
export { BLOCK, TYPE_LETTERS, TYPE_NAMES } from "./poolgc/layout"
export { heapDump } from "./poolgc/heapdump"
export type { HeapDumpReport } from "./poolgc/heapdump"
export { whyAlive, WHY_SHOWN } from "./poolgc/whyalive"
export type { AlivePath } from "./poolgc/whyalive"
