/**
 * poolgc's errors. All are ordinary catchable exceptions (unlike the VM's own
 * out-of-memory, which panics and restarts the device), and every one is
 * thrown before anything in the pool has changed.
 */

/** Base class of every error poolgc throws. */
export class PoolError extends Error {
    constructor(message: string) {
        super(message)
        this.name = "PoolError"
    }
}

/**
 * The pool cannot satisfy an allocation: after collecting, no free run is
 * large enough, or a fixed table (handles, root stack) is full. The message
 * names the request, the free total and the largest free run.
 */
export class MemoryError extends PoolError {
    constructor(message: string) {
        super(message)
        this.name = "MemoryError"
    }
}

/**
 * A handle does not name a live object of the expected type: it is null,
 * made up, stale (its object was freed) or of another type.
 */
export class HandleError extends PoolError {
    constructor(message: string) {
        super(message)
        this.name = "HandleError"
    }
}

/** An argument is out of range or of the wrong kind (size, index, name...). */
export class ArgumentError extends PoolError {
    constructor(message: string) {
        super(message)
        this.name = "ArgumentError"
    }
}

/**
 * verify() found a broken pool invariant. The message names the block, slot
 * or header field, and what was expected against what was found. Unlike the
 * other errors, this one means the pool is damaged (a bug, or bytes written
 * from outside the API): do not keep using it.
 */
export class CorruptionError extends PoolError {
    constructor(message: string) {
        super(message)
        this.name = "CorruptionError"
    }
}

/**
 * poolgc has used its share of the VM's step limit since the running fiber
 * last suspended: one more operation could make the VM panic (InfiniteLoop)
 * and restart the device. Nothing changed. `await` a suspension (e.g.
 * `await ds.sleep(0)`) and retry. See meter.ts for the rule.
 */
export class StepLimitError extends PoolError {
    constructor(message: string) {
        super(message)
        this.name = "StepLimitError"
    }
}
