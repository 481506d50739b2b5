/**
 * Handle types: what the compiler knows about a handle. At run time a handle
 * is a plain number (see layout.ts for its bits) and every accessor checks
 * the object's type; these types move that check to compile time where the
 * program keeps the type the allocation returned.
 *
 * The brands are optional properties that never exist at run time, so
 * typing is gradual: a plain number or a Handle (any kind) is still accepted
 * everywhere (and checked at run time), while a handle typed by its
 * allocation cannot be passed where another kind is expected:
 *
 *     const s = pool.string("hi")       // StringHandle
 *     pool.getPixel(s, 0, 0)            // compile error: not a BitmapHandle
 *     const node = pool.record(pool.defineRecord("Node", ["next", "value"]))
 *     pool.getField(node, "nxet")       // compile error: not "next" | "value"
 *
 * Lists and records carry more: a ListHandle<T> holds items of type T (push
 * and set take a T or 0, get returns a T), and a RecordHandle<F> has exactly
 * the fields F. Those extra brands are function types so that they are
 * invariant: a list of bytes is not a list of strings, nor a list of any
 * handle, and a record of fields "a" is not one of fields "a" | "b".
 *
 * A handle read back untyped (getRoot(), a record field, an item of an
 * untyped list) is a Handle; Pool.cast(h, kind) types it, checking the kind
 * at run time.
 */

/** The kinds of pool object, as Pool.typeOf() names them. */
export type HandleKind = "bytes" | "bitmap" | "number" | "string" | "list" | "record"

/**
 * A reference to a pool object of any kind, unchecked by the compiler (every
 * accessor checks it at run time). 0 is the null handle.
 */
export type Handle = number

/**
 * A handle the compiler knows to be of kind K. Assignable to Handle and to
 * number, and from a plain number, but not from a TypedHandle of another kind.
 */
export type TypedHandle<K extends HandleKind> = number & { readonly __poolgcKind?: K }

/** A bytes object (Pool.bytes()). */
export type BytesHandle = TypedHandle<"bytes">
/** A string object (Pool.string()). */
export type StringHandle = TypedHandle<"string">
/** A number object (Pool.number()). */
export type NumberHandle = TypedHandle<"number">
/** A bitmap object (Pool.bitmap()). */
export type BitmapHandle = TypedHandle<"bitmap">

/** A list whose items are handles of type T (or 0). */
export type ListHandle<T extends Handle = Handle> = TypedHandle<"list"> & { readonly __poolgcItems?: (item: T) => T }

/** A record with the reference fields F. */
export type RecordHandle<F extends string = string> = TypedHandle<"record"> & { readonly __poolgcFields?: (field: F) => F }

/**
 * T, but not a place the compiler infers T from: a field name or a list item
 * is checked against the handle's type instead of widening it.
 */
export type Checked<T> = [T][T extends any ? 0 : never]

/** The handle type Pool.cast() returns for each kind. */
export type HandleOf<K extends HandleKind> = K extends "list" ? ListHandle : K extends "record" ? RecordHandle : TypedHandle<K>
