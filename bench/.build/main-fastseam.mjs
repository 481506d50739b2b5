// bench/main.ts
import { readFileSync } from "node:fs";
import { performance as performance2 } from "node:perf_hooks";
import { MemPool } from "@thi.ng/malloc";
import Allocator from "malloc";

// src/poolgc/layout.ts
var BLOCK = 16;
var ROW_BLOCKS = 64;
var MIN_POOL = 1024;
var MAX_POOL = 32768;
var POOL_GRANULE = 64;
var MAGIC = 826492752;
var H_MAGIC = 0;
var H_NBLOCKS = 4;
var H_DATA = 6;
var H_HTAB = 10;
var H_HCAP = 12;
var H_NAMED = 14;
var H_NCAP = 16;
var H_STACK = 18;
var H_SCAP = 20;
var H_SP = 22;
var H_MSTACK = 24;
var H_MCAP = 26;
var H_MSP = 28;
var H_HINT = 30;
var H_FREE = 32;
var H_MINFREE = 34;
var H_HHINT = 36;
var H_LIVE = 38;
var H_PHASE = 40;
var H_FLAGS = 41;
var H_CURSOR = 42;
var H_THRESH = 44;
var H_SINCE = 48;
var H_COLLECTIONS = 52;
var H_ALLOCS = 56;
var H_FREES = 60;
var H_DUMPS = 64;
var H_DEPTH = 68;
var H_WORK = 72;
var H_LARGEST = 76;
var HEADER_BYTES = 128;
var AT_FREE = 0;
var AT_HEAD = 1;
var AT_TAIL = 2;
var AT_MARK = 3;
var PHASE_IDLE = 0;
var PHASE_MARK = 1;
var PHASE_SWEEP = 2;
var F_AUTO = 1;
var F_OVERFLOW = 2;
var F_RESCAN = 4;
var SLOT_FREE = 32768;
var HANDLE_SHIFT = 12;
var MAX_HANDLES = 4096;
var MAX_GEN = 32767;
var O_TYPE = 0;
var O_AUX = 1;
var O_SLOT = 2;
var O_GEN = 4;
var O_LEN = 6;
var OBJ_HEADER = 8;
var T_BYTES = 1;
var T_STRING = 2;
var T_NUMBER = 3;
var T_BITMAP = 4;
var T_LIST = 5;
var T_RECORD = 6;
var T_MAX = 6;
var TYPE_LETTERS = "?ASFPLR";
var TYPE_NAMES = ["?", "bytes", "string", "number", "bitmap", "list", "record"];
var BM_WIDTH = 0;
var BM_HEIGHT = 2;
var BM_BPP = 4;
var BM_STRIDE = 6;
var BM_DATA = 8;
var LIST_COUNT = 0;
var LIST_ITEMS = 4;

// src/poolgc/allocator.ts
var ATB = HEADER_BYTES;
var FIT = Buffer.alloc(256);
for (let v = 0; v < 256; v++) {
  let lead = 0;
  while (lead < 4 && (v >> (lead << 1) & 3) === AT_FREE) lead++;
  let trail = 0;
  while (trail < 4 && (v >> (3 - trail << 1) & 3) === AT_FREE) trail++;
  let inner = 0;
  if (lead < 4) {
    for (let k = lead + 1; k < 3 - trail + 1 && k < 3; k++) if ((v >> (k << 1) & 3) === AT_FREE) inner++;
  }
  FIT[v] = lead | trail << 3 | inner << 6;
}
function setCode(buf, blk, code) {
  const i = ATB + (blk >> 2);
  const sh = (blk & 3) << 1;
  buf[i] = buf[i] & ~(3 << sh) | code << sh;
}
function findRun(buf, n) {
  const nb = buf.getAt(H_NBLOCKS, "u16");
  const hint = buf.getAt(H_HINT, "u16");
  const end = ATB + (nb >> 2);
  let i = ATB + (hint >> 2);
  let best = 0;
  if (i < end) {
    let v = buf[i] | 85 & (1 << ((hint & 3) << 1)) - 1;
    let run = 0;
    const inner = n << 6;
    while (true) {
      if (v === 170) {
        if (run > best) best = run;
        run = 0;
      } else if (v === 0) {
        run += 4;
        if (run >= n) return (i - ATB << 2) + 4 - run;
      } else {
        const t = FIT[v];
        const lead = t & 7;
        run += lead;
        if (run >= n) return (i - ATB << 2) + lead - run;
        if (run > best) best = run;
        if (t >= inner) return (i - ATB << 2) + ((v >> 2 & 3) === AT_FREE ? 1 : 2);
        if (best < 2 && t >> 6 > best) best = t >> 6;
        run = t >> 3 & 7;
      }
      if (++i >= end) {
        if (run >= n) return nb - run;
        if (run > best) best = run;
        break;
      }
      v = buf[i];
    }
  }
  buf.setAt(H_LARGEST, "u16", best);
  return -1;
}
function writeRun(buf, s, n, code, tail, tailByte) {
  setCode(buf, s, code);
  let b = s + 1;
  const end = s + n;
  while (b < end && (b & 3) !== 0) setCode(buf, b++, tail);
  const whole = end - b >> 2;
  if (whole > 0) {
    buf.fillAt(ATB + (b >> 2), whole, tailByte);
    b += whole << 2;
  }
  while (b < end) setCode(buf, b++, tail);
}
function claimRun(buf, s, n, head) {
  writeRun(buf, s, n, head, AT_TAIL, 170);
  const free = buf.getAt(H_FREE, "u16") - n;
  buf.setAt(H_FREE, "u16", free);
  if (free < buf.getAt(H_MINFREE, "u16")) buf.setAt(H_MINFREE, "u16", free);
  if (buf.getAt(H_HINT, "u16") === s) buf.setAt(H_HINT, "u16", s + n);
}
function releaseRun(buf, s, n) {
  writeRun(buf, s, n, AT_FREE, AT_FREE, 0);
  buf.setAt(H_FREE, "u16", buf.getAt(H_FREE, "u16") + n);
  if (s < buf.getAt(H_HINT, "u16")) buf.setAt(H_HINT, "u16", s);
}
function freeRuns(buf, out) {
  const end = ATB + (buf.getAt(H_NBLOCKS, "u16") >> 2);
  let largest = 0;
  let runs = 0;
  let free = 0;
  let run = 0;
  for (let i = ATB; i < end; i++) {
    const v = buf[i];
    if (v === 0) {
      run += 4;
      continue;
    }
    if (v === 170 && run === 0) continue;
    const t = FIT[v];
    run += t & 7;
    if (run > 0) {
      runs++;
      free += run;
      if (run > largest) largest = run;
    }
    const inner = t >> 6;
    if (inner > 0) {
      runs++;
      free += inner;
      if (inner > largest) largest = inner;
    }
    run = t >> 3 & 7;
  }
  if (run > 0) {
    runs++;
    free += run;
    if (run > largest) largest = run;
  }
  out[0] = largest;
  out[1] = runs;
  out[2] = free;
}

// src/poolgc/collector.ts
var SCAN_CHUNK = 32;
function shade(buf, h) {
  const phase = buf[H_PHASE];
  if (phase === PHASE_IDLE || h <= 0) return;
  const slot = h & 4095;
  if (slot >= buf.getAt(H_HCAP, "u16")) return;
  const e = buf.getAt(buf.getAt(H_HTAB, "u16") + (slot << 1), "u16");
  if (e & SLOT_FREE || buf.getAt((e << 4) + O_GEN, "u16") !== h >> 12) return;
  if (phase === PHASE_SWEEP && e < buf.getAt(H_CURSOR, "u16")) return;
  const ai = ATB + (e >> 2);
  const sh = (e & 3) << 1;
  if ((buf[ai] >> sh & 3) !== AT_HEAD) return;
  buf[ai] |= AT_MARK << sh;
  if (phase === PHASE_MARK && buf[e << 4] >= T_LIST) pushMark(buf, e, 0);
}
function pushMark(buf, blk, index) {
  const msp = buf.getAt(H_MSP, "u16");
  if (msp >= buf.getAt(H_MCAP, "u16")) {
    buf[H_FLAGS] |= F_OVERFLOW;
    return;
  }
  const at = buf.getAt(H_MSTACK, "u16") + (msp << 2);
  buf.setAt(at, "u16", blk);
  buf.setAt(at + 2, "u16", index);
  buf.setAt(H_MSP, "u16", msp + 1);
}
function unqueue(buf, blk) {
  const base = buf.getAt(H_MSTACK, "u16");
  const msp = buf.getAt(H_MSP, "u16");
  for (let i = 0; i < msp; i++) if (buf.getAt(base + (i << 2), "u16") === blk) buf.setAt(base + (i << 2), "u16", 0);
}
function startCycle(buf) {
  if (buf[H_PHASE] !== PHASE_IDLE) return;
  buf[H_PHASE] = PHASE_MARK;
  buf[H_FLAGS] &= ~(F_OVERFLOW | F_RESCAN);
  buf.setAt(H_MSP, "u16", 0);
  buf.setAt(H_WORK, "u32", 0);
  const named = buf.getAt(H_NAMED, "u16");
  const ncap = buf.getAt(H_NCAP, "u16");
  for (let i = 0; i < ncap; i++) {
    const h = buf.getAt(named + (i << 2), "u32");
    if (h !== 0) shade(buf, h);
  }
  const stack = buf.getAt(H_STACK, "u16");
  const sp = buf.getAt(H_SP, "u16");
  for (let i = 0; i < sp; i++) {
    const h = buf.getAt(stack + (i << 2), "u32");
    if (h !== 0) shade(buf, h);
  }
}
function step(buf, budget) {
  let phase = buf[H_PHASE];
  if (phase === PHASE_IDLE) return true;
  const nb = buf.getAt(H_NBLOCKS, "u16");
  const htab = buf.getAt(H_HTAB, "u16");
  const hcap = buf.getAt(H_HCAP, "u16");
  const mstack = buf.getAt(H_MSTACK, "u16");
  const mcap = buf.getAt(H_MCAP, "u16");
  let work = 0;
  let b = buf.getAt(H_CURSOR, "u16");
  let freedBlocks = 0;
  let freedObjs = 0;
  let minBlk = nb;
  let minSlot = hcap;
  while (work < budget) {
    if (phase === PHASE_MARK) {
      let msp = buf.getAt(H_MSP, "u16");
      if (msp > 0) {
        msp--;
        const at = mstack + (msp << 2);
        const blk = buf.getAt(at, "u16");
        const from = buf.getAt(at + 2, "u16");
        work += 2;
        if (blk === 0) {
          buf.setAt(H_MSP, "u16", msp);
          continue;
        }
        const off = blk << 4;
        let refs;
        let count;
        if (buf[off] === T_LIST) {
          refs = off + 12;
          count = buf.getAt(off + 8, "u32");
        } else {
          refs = off + 8;
          count = buf.getAt(off + O_LEN, "u16") >> 2;
        }
        let to = from + SCAN_CHUNK;
        if (to < count) {
          buf.setAt(at + 2, "u16", to);
          msp++;
        } else to = count;
        for (let k = from; k < to; k++) {
          const h = buf.getAt(refs + (k << 2), "u32");
          if (h === 0) continue;
          const slot = h & 4095;
          if (slot >= hcap) continue;
          const e = buf.getAt(htab + (slot << 1), "u16");
          if (e & SLOT_FREE || buf.getAt((e << 4) + O_GEN, "u16") !== h >> 12) continue;
          const ai = ATB + (e >> 2);
          const sh = (e & 3) << 1;
          if ((buf[ai] >> sh & 3) !== AT_HEAD) continue;
          buf[ai] |= AT_MARK << sh;
          if (buf[e << 4] >= T_LIST) {
            if (msp < mcap) {
              const p = mstack + (msp << 2);
              buf.setAt(p, "u16", e);
              buf.setAt(p + 2, "u16", 0);
              msp++;
            } else buf[H_FLAGS] |= F_OVERFLOW;
          }
        }
        work += to - from << 2;
        buf.setAt(H_MSP, "u16", msp);
      } else if (buf[H_FLAGS] & F_RESCAN) {
        let rb = buf.getAt(H_CURSOR, "u16");
        let found = 0;
        while (rb < nb && work < budget) {
          const v = buf[ATB + (rb >> 2)];
          work++;
          if ((v & v >> 1 & 85) === 0) {
            rb = (rb | 3) + 1;
            continue;
          }
          const stop = (rb | 3) + 1;
          while (rb < stop) {
            if ((v >> ((rb & 3) << 1) & 3) === AT_MARK && buf[rb << 4] >= T_LIST) {
              found = rb;
              break;
            }
            rb++;
          }
          if (found) break;
        }
        if (found) {
          buf.setAt(H_CURSOR, "u16", found + 1);
          const p = mstack + (msp << 2);
          buf.setAt(p, "u16", found);
          buf.setAt(p + 2, "u16", 0);
          buf.setAt(H_MSP, "u16", 1);
        } else if (rb >= nb) {
          if (buf[H_FLAGS] & F_OVERFLOW) {
            buf[H_FLAGS] &= ~F_OVERFLOW;
            buf.setAt(H_CURSOR, "u16", buf.getAt(H_DATA, "u16"));
          } else buf[H_FLAGS] &= ~F_RESCAN;
        } else buf.setAt(H_CURSOR, "u16", rb);
      } else if (buf[H_FLAGS] & F_OVERFLOW) {
        buf[H_FLAGS] = buf[H_FLAGS] & ~F_OVERFLOW | F_RESCAN;
        buf.setAt(H_CURSOR, "u16", buf.getAt(H_DATA, "u16"));
      } else {
        phase = PHASE_SWEEP;
        buf[H_PHASE] = phase;
        b = buf.getAt(H_DATA, "u16");
      }
    } else if (phase === PHASE_SWEEP) {
      if (b >= nb) {
        phase = PHASE_IDLE;
        buf[H_PHASE] = phase;
        buf.setAt(H_COLLECTIONS, "u32", buf.getAt(H_COLLECTIONS, "u32") + 1);
        buf.setAt(H_SINCE, "u32", 0);
        break;
      }
      if ((b & 3) === 0) {
        let j = ATB + (b >> 2);
        const end = ATB + (nb >> 2);
        while (j < end && work < budget) {
          const v2 = buf[j];
          const marked = v2 & v2 >> 1 & 85;
          if ((v2 & 85) !== marked) break;
          if (marked !== 0) buf[j] = v2 ^ marked << 1;
          j++;
          work++;
        }
        b = j - ATB << 2;
        if (j >= end || work >= budget) continue;
      }
      const i = ATB + (b >> 2);
      let v = buf[i];
      work++;
      const pos = 255 & 255 << ((b & 3) << 1);
      if ((v & ~(v >> 1) & 85 & pos) === 0) {
        buf[i] = v ^ (v & v >> 1 & 85 & pos) << 1;
        b = (b | 3) + 1;
        continue;
      }
      let next = (b | 3) + 1;
      let k = b & 3;
      while (k < 4) {
        const sh = k << 1;
        const c = v >> sh & 3;
        if (c === AT_MARK) {
          v ^= 2 << sh;
          k++;
        } else if (c === AT_HEAD) {
          const blk = (b & ~3) + k;
          const off = blk << 4;
          const n = buf.getAt(off + O_LEN, "u16") + 23 >> 4;
          const slot = buf.getAt(off + O_SLOT, "u16");
          buf.setAt(htab + (slot << 1), "u16", SLOT_FREE | buf.getAt(off + O_GEN, "u16"));
          if (slot < minSlot) minSlot = slot;
          if (blk < minBlk) minBlk = blk;
          freedBlocks += n;
          freedObjs++;
          work += 6;
          const inByte = 4 - k < n ? 4 - k : n;
          v &= ~((1 << (inByte << 1)) - 1 << sh);
          k += inByte;
          if (inByte < n) {
            let rest = n - inByte;
            let j = i + 1;
            if (rest >= 4) {
              buf.fillAt(j, rest >> 2, 0);
              j += rest >> 2;
              rest &= 3;
            }
            if (rest > 0) buf[j] &= 255 << (rest << 1);
            next = blk + n;
          }
        } else k++;
      }
      buf[i] = v;
      b = next;
    } else break;
  }
  if (freedObjs > 0) {
    buf.setAt(H_FREE, "u16", buf.getAt(H_FREE, "u16") + freedBlocks);
    buf.setAt(H_LIVE, "u16", buf.getAt(H_LIVE, "u16") - freedObjs);
    buf.setAt(H_FREES, "u32", buf.getAt(H_FREES, "u32") + freedObjs);
    if (minBlk < buf.getAt(H_HINT, "u16")) buf.setAt(H_HINT, "u16", minBlk);
    if (minSlot < buf.getAt(H_HHINT, "u16")) buf.setAt(H_HHINT, "u16", minSlot);
  }
  if (phase === PHASE_SWEEP) buf.setAt(H_CURSOR, "u16", b);
  buf.setAt(H_WORK, "u32", buf.getAt(H_WORK, "u32") + work);
  return phase === PHASE_IDLE;
}

// src/poolgc/errors.ts
var PoolError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "PoolError";
  }
};
var MemoryError = class extends PoolError {
  constructor(message) {
    super(message);
    this.name = "MemoryError";
  }
};
var HandleError = class extends PoolError {
  constructor(message) {
    super(message);
    this.name = "HandleError";
  }
};
var ArgumentError = class extends PoolError {
  constructor(message) {
    super(message);
    this.name = "ArgumentError";
  }
};

// src/poolgc/memmap.ts
var HEX = "0123456789abcdef";
var PHASES = ["idle", "mark", "sweep"];
var TYPE_CHARS = Buffer.alloc(256);
for (let t = 0; t < 256; t++) TYPE_CHARS[t] = t >= 1 && t <= T_MAX ? TYPE_LETTERS.charCodeAt(t) : 63;
var DOT = 46;
var EQ = 61;
var META = 77;
function hex(n, digits) {
  let s = "";
  for (let i = digits - 1; i >= 0; i--) s += HEX[n >>> (i << 2) & 15];
  return s;
}
function fnv1a(h, s) {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h;
}
var FNV_START = 2166136261 | 0;
var Dump = class {
  /** The dump number printed on every line. */
  number;
  verbose;
  texts = [];
  /** Map characters, one per block. */
  chars;
  /** The allocation table at the instant of the dump. */
  atb;
  nb;
  data;
  // figures read from the header at the instant of the dump
  head;
  phase;
  auto;
  pauseMs;
  // walk state: next ATB byte, and the gc_info() figures so far
  at;
  ones = 0;
  twos = 0;
  maxObj = 0;
  maxFree = 0;
  runs = 0;
  run = 0;
  obj = 0;
  // line state
  row = 0;
  line = 0;
  crc = FNV_START;
  ended = false;
  /** `pauseMs` is the last collection's pause (kept outside the pool: clocks differ between the VM and Node). */
  constructor(buf, verbose, pauseMs) {
    const nb = buf.getAt(H_NBLOCKS, "u16");
    const data = buf.getAt(H_DATA, "u16");
    this.nb = nb;
    this.data = data;
    this.verbose = verbose;
    this.pauseMs = pauseMs;
    this.number = buf.getAt(H_DUMPS, "u32") + 1;
    buf.setAt(H_DUMPS, "u32", this.number);
    const atb = Buffer.alloc(nb >> 2);
    atb.blitAt(0, buf, ATB, nb >> 2);
    this.atb = atb;
    this.head = [
      buf.getAt(H_FREE, "u16") << 4,
      buf.getAt(H_LIVE, "u16"),
      buf.getAt(H_MINFREE, "u16") << 4,
      buf.getAt(H_COLLECTIONS, "u32"),
      buf.getAt(H_WORK, "u32"),
      buf.getAt(H_THRESH, "u32")
    ];
    this.phase = buf[H_PHASE];
    this.auto = (buf[H_FLAGS] & F_AUTO) !== 0;
    const chars = Buffer.alloc(nb);
    chars.fillAt(data, nb - data, EQ);
    chars.fillAt(0, data, META);
    this.chars = chars;
    this.at = data >> 2;
  }
  /**
   * Walks at most `bytes` bytes of the table copy (4 blocks each; a byte of
   * four one-block objects costs the VM ~200 operations). Returns true when
   * the whole table has been walked. An object's size is its head plus the
   * tails that follow it.
   */
  walk(buf, bytes) {
    const atb = this.atb;
    const chars = this.chars;
    const end = atb.length;
    let i = this.at;
    const stop = i + bytes < end ? i + bytes : end;
    let ones = this.ones;
    let twos = this.twos;
    let maxObj = this.maxObj;
    let maxFree = this.maxFree;
    let runs = this.runs;
    let run = this.run;
    let obj = this.obj;
    for (; i < stop; i++) {
      const v = atb[i];
      if (v === 170) {
        obj += 4;
        continue;
      }
      let b = i << 2;
      if (v === 0) {
        if (obj === 1) ones++;
        else if (obj === 2) twos++;
        if (obj > maxObj) maxObj = obj;
        obj = 0;
        chars.fillAt(b, 4, DOT);
        run += 4;
        continue;
      }
      for (let k = 0; k < 8; k += 2) {
        const c = v >> k & 3;
        if (c === AT_TAIL) obj++;
        else {
          if (obj === 1) ones++;
          else if (obj === 2) twos++;
          if (obj > maxObj) maxObj = obj;
          if (c === AT_FREE) {
            obj = 0;
            chars[b] = DOT;
            run++;
          } else {
            if (run > 0) {
              runs++;
              if (run > maxFree) maxFree = run;
              run = 0;
            }
            obj = 1;
            if (chars[b] === EQ) chars[b] = TYPE_CHARS[buf[b << 4]];
          }
        }
        b++;
      }
    }
    this.at = i;
    if (i >= end) {
      if (obj === 1) ones++;
      else if (obj === 2) twos++;
      if (obj > maxObj) maxObj = obj;
      obj = 0;
      if (run > 0) {
        runs++;
        if (run > maxFree) maxFree = run;
        run = 0;
      }
    }
    this.ones = ones;
    this.twos = twos;
    this.maxObj = maxObj;
    this.maxFree = maxFree;
    this.runs = runs;
    this.run = run;
    this.obj = obj;
    if (i >= end && this.texts.length === 0) this.summary();
    return i >= end;
  }
  /**
   * Called before blocks [blk, blk+n) are allocated while this dump's walk
   * is in progress: takes the letters of the snapshot's heads among them
   * that the walk has not reached, while their old headers are intact.
   */
  capture(buf, blk, n) {
    const from = this.at << 2;
    const atb = this.atb;
    const end = blk + n;
    let b = blk < from ? from : blk;
    while (b < end) {
      const v = atb[b >> 2];
      if ((v & 85) === 0) {
        b = (b | 3) + 1;
        continue;
      }
      if (v >> ((b & 3) << 1) & 1) this.chars[b] = TYPE_CHARS[buf[b << 4]];
      b++;
    }
  }
  summary() {
    const texts = this.texts;
    const h = this.head;
    const total = this.nb << 4;
    texts.push("GC: total: " + total + ", used: " + (total - h[0]) + ", free: " + h[0]);
    texts.push(" No. of 1-blocks: " + this.ones + ", 2-blocks: " + this.twos + ", max blk sz: " + this.maxObj + ", max free sz: " + this.maxFree);
    texts.push(" objects: " + h[1] + ", meta: " + (this.data << 4) + ", free runs: " + this.runs + ", largest free: " + (this.maxFree << 4) + ", min free: " + h[2]);
    texts.push(
      " collections: " + h[3] + ", pause: " + Math.round(this.pauseMs) + " ms, work: " + h[4] + ", phase: " + PHASES[this.phase] + ", auto: " + (this.auto ? "on" : "off") + ", threshold: " + h[5]
    );
    if (this.verbose) texts.push("GC memory layout; from 0:");
  }
  /** The next line of the dump, or null after its end line. */
  next() {
    if (this.ended) return null;
    let text = null;
    if (this.line < this.texts.length) text = this.texts[this.line];
    else if (this.verbose && this.row < this.nb) text = this.rowText();
    if (text === null) {
      this.ended = true;
      return "@" + this.number + ":" + this.line + " end lines=" + this.line + " crc=" + hex(this.crc, 8);
    }
    this.crc = Math.imul(fnv1a(this.crc, text) ^ 10, 16777619);
    return "@" + this.number + ":" + this.line++ + " " + text;
  }
  /** The text of the next map row, or of the fold line for a stretch of free rows. */
  rowText() {
    const r = this.row;
    const nb = this.nb;
    if (r >= this.data) {
      let f = r;
      while (f < nb) {
        const v = this.atb[f >> 2];
        if (v !== 0) {
          f += FIT[v] & 7;
          break;
        }
        f += 4;
      }
      if (f > nb) f = nb;
      const freeRows = (f - r) / ROW_BLOCKS | 0;
      if (freeRows >= 2) {
        this.row = r + freeRows * ROW_BLOCKS;
        return "       (" + freeRows + " lines all free)";
      }
    }
    const end = r + ROW_BLOCKS < nb ? r + ROW_BLOCKS : nb;
    this.row = end;
    return hex(r << 4, 5) + ": " + this.chars.slice(r, end).toString();
  }
};

// host/platform.ts
function now() {
  return performance.now();
}
function nextSlice() {
  return new Promise((resolve) => setImmediate(resolve));
}
var FORMATS = {
  u8: { size: 1, kind: "u", lo: 0, hi: 255 },
  u16: { size: 2, kind: "u", lo: 0, hi: 65535 },
  u32: { size: 4, kind: "u", lo: 0, hi: 2147483647 },
  i8: { size: 1, kind: "i", lo: -128, hi: 127 },
  i16: { size: 2, kind: "i", lo: -32768, hi: 32767 },
  i32: { size: 4, kind: "i", lo: -2147483648, hi: 2147483647 },
  f32: { size: 4, kind: "f", lo: 0, hi: 0 },
  f64: { size: 8, kind: "f", lo: 0, hi: 0 }
};
var INT_MIN = -2147483648;
var INT_MAX = 2147483647;
var MIN_NORMAL = 22250738585072014e-324;
function format(fmt) {
  const f = FORMATS[fmt];
  if (!f) throw new RangeError("buffer numfmt invalid");
  return f;
}
function vmNumber(v) {
  const n = Number(v);
  if (Number.isNaN(n)) return NaN;
  if (Math.abs(n) < MIN_NORMAL) return 0;
  return n;
}
function vmToInt(v) {
  const n = Number(v);
  if (Number.isNaN(n)) return 0;
  if (n === Infinity || n === -Infinity) return 1;
  return n | 0;
}
function u32arg(v) {
  return vmToInt(v) >>> 0;
}
function checkWrap(off, f) {
  if (off + f.size > 4294967295)
    throw new RangeError(`buffer offset wraps around (${off | 0}); the VM would touch bytes outside the buffer`);
}
function isTaggedInt(v) {
  return Number.isInteger(v) && v >= INT_MIN && v <= INT_MAX;
}
function clampDouble(v, lo, hi) {
  if (v < lo) return lo;
  if (v > hi) return hi;
  return v + 0.5;
}
function toI32(v) {
  if (Number.isNaN(v)) return INT_MIN;
  return Math.trunc(v) | 0;
}
function writeInt(buf, off, f, q) {
  const v = q < f.lo ? f.lo : q > f.hi ? f.hi : q;
  switch (f.size) {
    case 1:
      buf.writeUInt8(v & 255, off);
      break;
    case 2:
      buf.writeUInt16LE(v & 65535, off);
      break;
    default:
      buf.writeUInt32LE(v >>> 0, off);
  }
}
function getAt(offset, fmt) {
  if (offset >>> 0 === offset) {
    const len = this.length;
    if (fmt === "u16") {
      if (offset + 2 <= len) return this[offset] | this[offset + 1] << 8;
    } else if (fmt === "u8") {
      if (offset < len) return this[offset];
    } else if (fmt === "u32") {
      if (offset + 4 <= len) return this.readUInt32LE(offset);
    }
  }
  const f = format(fmt);
  const off = u32arg(offset);
  checkWrap(off, f);
  if (off + f.size > this.length) return void 0;
  switch (fmt) {
    case "u8":
      return this.readUInt8(off);
    case "u16":
      return this.readUInt16LE(off);
    case "u32":
      return this.readUInt32LE(off);
    case "i8":
      return this.readInt8(off);
    case "i16":
      return this.readInt16LE(off);
    case "i32":
      return this.readInt32LE(off);
    case "f32":
      return vmNumber(this.readFloatLE(off));
    default:
      return vmNumber(this.readDoubleLE(off));
  }
}
function setAt(offset, fmt, value) {
  if (offset >>> 0 === offset && (value | 0) === value && value >= 0) {
    const len = this.length;
    if (fmt === "u16") {
      if (value <= 65535 && offset + 2 <= len) {
        this[offset] = value & 255;
        this[offset + 1] = value >> 8;
        return;
      }
    } else if (fmt === "u8") {
      if (value <= 255 && offset < len) {
        this[offset] = value;
        return;
      }
    } else if (fmt === "u32") {
      if (offset + 4 <= len) {
        this.writeUInt32LE(value, offset);
        return;
      }
    }
  }
  const f = format(fmt);
  const off = u32arg(offset);
  checkWrap(off, f);
  if (off + f.size > this.length) throw new RangeError("buffer store out of range");
  const q = vmNumber(value);
  if (f.kind === "f") {
    if (f.size === 4) this.writeFloatLE(q, off);
    else this.writeDoubleLE(q, off);
    return;
  }
  if (isTaggedInt(q)) {
    writeInt(this, off, f, q);
  } else if (fmt === "u32") {
    const c = clampDouble(q, 0, 4294967295);
    this.writeUInt32LE(Number.isNaN(c) ? 0 : Math.trunc(c) >>> 0, off);
  } else {
    writeInt(this, off, f, toI32(clampDouble(q, INT_MIN, INT_MAX)));
  }
}
function fillAt(offset, length, value) {
  const off = u32arg(offset);
  let len = u32arg(length);
  if (off >= this.length) return;
  if (this.length - off < len) len = this.length - off;
  this.fill(vmToInt(value) & 255, off, off + len);
}
function blitAt(offset, src, srcOffset, length) {
  const from = typeof src === "string" ? Buffer.from(src, "utf8") : src;
  const dst = u32arg(offset);
  const so = u32arg(srcOffset);
  let len = u32arg(length);
  if (so >= from.length) return;
  if (from.length - so < len) len = from.length - so;
  if (dst >= this.length) return;
  if (this.length - dst < len) len = this.length - dst;
  if (len > 0 && from.buffer === this.buffer) {
    const a = from.byteOffset + so;
    const b = this.byteOffset + dst;
    if (b > a && b < a + len)
      throw new RangeError("blitAt: overlapping copy to a higher offset; the VM's memcpy result is undefined");
  }
  from.copy(this, dst, so, so + len);
}
var proto = Buffer.prototype;
proto.getAt = getAt;
proto.setAt = setAt;
proto.fillAt = fillAt;
proto.blitAt = blitAt;

// bench/fast-seam.ts
var now2 = now;
var nextSlice2 = nextSlice;
var proto2 = Buffer.prototype;
var slowGet = proto2.getAt;
var slowSet = proto2.setAt;
proto2.getAt = function(off, fmt) {
  if ((off | 0) === off && off >= 0) {
    if (fmt === "u16") {
      if (off + 2 <= this.length) return this[off] | this[off + 1] << 8;
    } else if (fmt === "u8") {
      if (off < this.length) return this[off];
    } else if (fmt === "u32") {
      if (off + 4 <= this.length) return (this[off] | this[off + 1] << 8 | this[off + 2] << 16 | this[off + 3] << 24) >>> 0;
    }
  }
  return slowGet.call(this, off, fmt);
};
proto2.setAt = function(off, fmt, v) {
  if ((off | 0) === off && off >= 0 && (v | 0) === v && v >= 0) {
    if (fmt === "u16") {
      if (off + 2 <= this.length && v <= 65535) {
        this[off] = v;
        this[off + 1] = v >> 8;
        return;
      }
    } else if (fmt === "u32") {
      if (off + 4 <= this.length) {
        this[off] = v;
        this[off + 1] = v >> 8;
        this[off + 2] = v >> 16;
        this[off + 3] = v >>> 24;
        return;
      }
    } else if (fmt === "u8") {
      if (off < this.length && v <= 255) {
        this[off] = v;
        return;
      }
    }
  }
  slowSet.call(this, off, fmt, v);
};

// src/poolgc/pool.ts
var PHASE_NAMES = ["idle", "mark", "sweep"];
var WALK_BYTES = 128;
var LINES_PER_SLICE = 8;
function isInt(v) {
  return typeof v === "number" && (v | 0) === v;
}
function intArg(v, what, lo, hi) {
  if (!isInt(v) || v < lo || v > hi) throw new ArgumentError(what + " must be an integer from " + lo + " to " + hi + ", got " + v);
  return v;
}
var Pool = class {
  /** The pool's bytes: header, tables and objects. Read it, never write it. */
  buf;
  /** Pool size in bytes. */
  size;
  nblocks;
  data;
  htab;
  hcap;
  budget;
  rootNames = [];
  kinds = [];
  pauseMs = 0;
  asyncRunning = false;
  /** The dump whose walk is in progress, if any (see memmap.ts). */
  dumping = null;
  constructor(options) {
    const o = options || {};
    const size = o.size === void 0 ? 16384 : o.size;
    if (!isInt(size) || size < MIN_POOL || size > MAX_POOL || size % POOL_GRANULE !== 0)
      throw new ArgumentError("pool size must be a multiple of 64 from 1024 to 32768, got " + size);
    const nb = size >> 4;
    const hcap = o.handles === void 0 ? nb >> 3 : intArg(o.handles, "handles", 1, nb < MAX_HANDLES ? nb : MAX_HANDLES);
    const ncap = o.namedRoots === void 0 ? 16 : intArg(o.namedRoots, "namedRoots", 1, 64);
    const scap = o.rootStack === void 0 ? 32 : intArg(o.rootStack, "rootStack", 1, 256);
    const mcap = o.markStack === void 0 ? 32 : intArg(o.markStack, "markStack", 4, 256);
    this.budget = o.budget === void 0 ? 1200 : intArg(o.budget, "budget", 16, 1e6);
    const htab = ATB + (nb >> 2);
    const named = htab + hcap * 2;
    const stack = named + ncap * 4;
    const mstack = stack + scap * 4;
    const data = (mstack + mcap * 4 + BLOCK - 1 >> 4) + 3 & ~3;
    if (data + 1 > nb) throw new ArgumentError("pool of " + size + " bytes is too small for its tables (" + data * BLOCK + " bytes)");
    const buf = Buffer.alloc(size);
    this.buf = buf;
    this.size = size;
    this.nblocks = nb;
    this.data = data;
    this.htab = htab;
    this.hcap = hcap;
    buf.setAt(H_MAGIC, "u32", MAGIC);
    buf.setAt(H_NBLOCKS, "u16", nb);
    buf.setAt(H_DATA, "u16", data);
    buf.setAt(8, "u16", ATB);
    buf.setAt(H_HTAB, "u16", htab);
    buf.setAt(H_HCAP, "u16", hcap);
    buf.setAt(H_NAMED, "u16", named);
    buf.setAt(H_NCAP, "u16", ncap);
    buf.setAt(H_STACK, "u16", stack);
    buf.setAt(H_SCAP, "u16", scap);
    buf.setAt(H_MSTACK, "u16", mstack);
    buf.setAt(H_MCAP, "u16", mcap);
    buf[H_FLAGS] = F_AUTO;
    buf.setAt(htab, "u16", SLOT_FREE);
    for (let done = 2; done < hcap * 2; done *= 2) buf.blitAt(htab + done, buf, htab, done < hcap * 2 - done ? done : hcap * 2 - done);
    buf.setAt(H_FREE, "u16", nb);
    buf.setAt(H_HINT, "u16", 0);
    claimRun(buf, 0, data, AT_HEAD);
    buf.setAt(H_MINFREE, "u16", nb - data);
  }
  // ------------------------------------------------------------------
  // allocation
  /** Raw bytes, zero-filled. */
  bytes(length) {
    intArg(length, "bytes length", 0, 65535 - OBJ_HEADER);
    return this.alloc(T_BYTES, 0, length);
  }
  /** A bitmap of `width` x `height` pixels of `bpp` bits (1, 2, 4 or 8), all 0. */
  bitmap(width, height, bpp) {
    intArg(width, "bitmap width", 1, 4096);
    intArg(height, "bitmap height", 1, 4096);
    if (bpp !== 1 && bpp !== 2 && bpp !== 4 && bpp !== 8) throw new ArgumentError("bitmap bits per pixel must be 1, 2, 4 or 8, got " + bpp);
    const stride = width * bpp + 7 >> 3;
    const len = BM_DATA + stride * height;
    if (len > 65535 - OBJ_HEADER) throw new ArgumentError("bitmap of " + width + "x" + height + "x" + bpp + " is too large");
    const h = this.alloc(T_BITMAP, 0, len);
    const p = this.head(h) + OBJ_HEADER;
    const buf = this.buf;
    buf.setAt(p + BM_WIDTH, "u16", width);
    buf.setAt(p + BM_HEIGHT, "u16", height);
    buf[p + BM_BPP] = bpp;
    buf.setAt(p + BM_STRIDE, "u16", stride);
    return h;
  }
  /** A number (a 64-bit float, MicroPython's boxed float). */
  number(value) {
    if (typeof value !== "number") throw new ArgumentError("number value must be a number, got " + value);
    const h = this.alloc(T_NUMBER, 0, 8);
    this.buf.setAt(this.head(h) + OBJ_HEADER, "f64", value);
    return h;
  }
  /** A string, stored as UTF-8. */
  string(text) {
    if (typeof text !== "string") throw new ArgumentError("string value must be a string, got " + text);
    const bytes = Buffer.from(text);
    if (bytes.length > 65535 - OBJ_HEADER) throw new ArgumentError("string of " + bytes.length + " bytes is too long");
    const h = this.alloc(T_STRING, 0, bytes.length);
    this.buf.blitAt(this.head(h) + OBJ_HEADER, bytes, 0, bytes.length);
    return h;
  }
  /** An empty list of references with room for `capacity` items; push() grows it. */
  list(capacity) {
    intArg(capacity, "list capacity", 0, 65535 - OBJ_HEADER - LIST_ITEMS >> 2);
    return this.alloc(T_LIST, 0, LIST_ITEMS + capacity * 4);
  }
  /** Declares a record kind with named reference fields. Up to 255 kinds a pool. */
  defineRecord(name, fields) {
    if (typeof name !== "string" || name.length === 0) throw new ArgumentError("record kind needs a name");
    if (!fields || fields.length < 1 || fields.length > 255) throw new ArgumentError("record kind " + name + " needs 1 to 255 fields");
    for (let i = 0; i < fields.length; i++) {
      if (typeof fields[i] !== "string" || fields.indexOf(fields[i]) !== i)
        throw new ArgumentError("record kind " + name + ": field names must be distinct strings");
    }
    if (this.kinds.length >= 255) throw new ArgumentError("too many record kinds (255)");
    const kind = { id: this.kinds.length + 1, name, fields: fields.slice(0) };
    this.kinds.push(kind);
    return kind;
  }
  /** A record of `kind`, all fields null. */
  record(kind) {
    if (!kind || this.kinds[kind.id - 1] !== kind) throw new ArgumentError("record kind was not defined by this pool");
    return this.alloc(T_RECORD, kind.id, kind.fields.length * 4);
  }
  /**
   * Allocates an object: first fit; when nothing fits (or the threshold is
   * reached) the collector runs for at most the budget, then the search runs
   * once more; then MemoryError. Nothing changes when it throws. `pin`, if
   * given, and `pin2`, survive any collection this allocation runs (push()
   * passes the list it is growing and the item it is adding).
   */
  alloc(type, aux, len, pin, pin2) {
    const buf = this.buf;
    const n = OBJ_HEADER + len + BLOCK - 1 >> 4;
    const depth = buf.getAt(H_DEPTH, "u16");
    if (depth > 0 && buf.getAt(H_SP, "u16") >= buf.getAt(H_SCAP, "u16"))
      throw new MemoryError("root stack full (" + buf.getAt(H_SCAP, "u16") + " temporaries): leave() a scope or raise rootStack");
    if (n > this.nblocks - this.data)
      throw new MemoryError("memory allocation failed, allocating " + len + " bytes: larger than the pool (" + (this.nblocks - this.data) * BLOCK + " bytes for objects)");
    const auto = (buf[H_FLAGS] & F_AUTO) !== 0;
    if (auto) {
      const thresh = buf.getAt(H_THRESH, "u32");
      if (thresh > 0 && buf.getAt(H_SINCE, "u32") >= thresh) startCycle(buf);
      if (buf[H_PHASE] !== PHASE_IDLE) {
        if (pin) shade(buf, pin);
        if (pin2) shade(buf, pin2);
        this.runStep(this.budget);
      }
    }
    let blk = findRun(buf, n);
    let slot = blk < 0 ? -1 : this.findSlot();
    if ((blk < 0 || slot < 0) && auto) {
      const free = buf.getAt(H_FREE, "u16");
      const live = buf.getAt(H_LIVE, "u16");
      startCycle(buf);
      if (pin) shade(buf, pin);
      if (pin2) shade(buf, pin2);
      this.runStep(this.budget);
      if (buf.getAt(H_LIVE, "u16") < live) {
        if (buf.getAt(H_FREE, "u16") > free || blk < 0) blk = findRun(buf, n);
        slot = blk < 0 ? -1 : this.findSlot();
      }
    }
    if (blk < 0 || slot < 0) throw this.outOfMemory(len, n, blk >= 0);
    const phase = buf[H_PHASE];
    const black = phase === PHASE_MARK || phase === PHASE_SWEEP && blk >= buf.getAt(H_CURSOR, "u16");
    if (this.dumping !== null) this.dumping.capture(buf, blk, n);
    claimRun(buf, blk, n, black ? AT_MARK : AT_HEAD);
    const off = blk << 4;
    buf.fillAt(off, n << 4, 0);
    const e = this.htab + (slot << 1);
    const last = buf.getAt(e, "u16") & MAX_GEN;
    const gen = last >= MAX_GEN ? 1 : last + 1;
    buf.setAt(e, "u16", blk);
    buf.setAt(H_HHINT, "u16", slot + 1);
    buf[off + O_TYPE] = type;
    buf[off + O_AUX] = aux;
    buf.setAt(off + O_SLOT, "u16", slot);
    buf.setAt(off + O_GEN, "u16", gen);
    buf.setAt(off + O_LEN, "u16", len);
    buf.setAt(H_LIVE, "u16", buf.getAt(H_LIVE, "u16") + 1);
    buf.setAt(H_ALLOCS, "u32", buf.getAt(H_ALLOCS, "u32") + 1);
    buf.setAt(H_SINCE, "u32", buf.getAt(H_SINCE, "u32") + (n << 4));
    const h = gen << HANDLE_SHIFT | slot;
    if (depth > 0) this.pushRoot(h);
    return h;
  }
  /** The first free handle slot at or above the hint, or -1. Reads two slots a step. */
  findSlot() {
    const buf = this.buf;
    const hint = buf.getAt(H_HHINT, "u16");
    const hcap = this.hcap;
    const htab = this.htab;
    for (let s = hint & ~1; s < hcap; s += 2) {
      const w = buf.getAt(htab + (s << 1), "u32");
      if (w & SLOT_FREE && s >= hint) return s;
      if (w & 2147483648 && s + 1 < hcap) return s + 1;
    }
    return -1;
  }
  /** The MemoryError for a failed allocation; the last failed search left the largest free run. */
  outOfMemory(len, n, blocksFound) {
    const buf = this.buf;
    const phase = buf[H_PHASE];
    let msg = blocksFound ? "memory allocation failed: all " + this.hcap + " handles in use (raise the handles option)" : "memory allocation failed, allocating " + len + " bytes (" + n + " blocks): " + buf.getAt(H_FREE, "u16") * BLOCK + " bytes free, largest free run " + buf.getAt(H_LARGEST, "u16") * BLOCK + " bytes";
    if (phase !== PHASE_IDLE) msg += "; a collection is still in progress: await collectAsync() and retry";
    else if (!(this.buf[H_FLAGS] & F_AUTO)) msg += "; automatic collection is disabled";
    return new MemoryError(msg);
  }
  /** Explicitly frees an object now (MicroPython's gc.free / m_free). Its handles become stale. */
  free(h) {
    const off = this.head(h);
    const buf = this.buf;
    const blk = off >> 4;
    if (buf[H_PHASE] === PHASE_MARK) unqueue(buf, blk);
    const slot = h & 4095;
    buf.setAt(this.htab + (slot << 1), "u16", SLOT_FREE | buf.getAt(off + O_GEN, "u16"));
    if (slot < buf.getAt(H_HHINT, "u16")) buf.setAt(H_HHINT, "u16", slot);
    releaseRun(buf, blk, buf.getAt(off + O_LEN, "u16") + OBJ_HEADER + BLOCK - 1 >> 4);
    buf.setAt(H_LIVE, "u16", buf.getAt(H_LIVE, "u16") - 1);
    buf.setAt(H_FREES, "u32", buf.getAt(H_FREES, "u32") + 1);
  }
  // ------------------------------------------------------------------
  // handles
  /**
   * Byte offset of the live object named by `h`; throws HandleError for a
   * null, made-up or stale handle. Every access goes through here.
   */
  head(h) {
    if (!isInt(h) || h <= 0) throw new HandleError("not a handle: " + h);
    const slot = h & 4095;
    if (slot >= this.hcap) throw new HandleError("not a handle of this pool: " + h);
    const e = this.buf.getAt(this.htab + (slot << 1), "u16");
    if (e & SLOT_FREE || this.buf.getAt((e << 4) + O_GEN, "u16") !== h >> HANDLE_SHIFT)
      throw new HandleError("stale handle " + h + ": its object was freed");
    const buf = this.buf;
    if (buf[H_PHASE] === PHASE_SWEEP && e >= buf.getAt(H_CURSOR, "u16") && (buf[ATB + (e >> 2)] >> ((e & 3) << 1) & 3) === AT_HEAD)
      throw new HandleError("stale handle " + h + ": its object was unreachable when this collection marked, and is being freed");
    return e << 4;
  }
  /** Offset of `h`'s object after checking its type. */
  typed(h, type) {
    const off = this.head(h);
    const t = this.buf[off];
    if (t !== type) throw new HandleError("expected a " + TYPE_NAMES[type] + ", handle " + h + " is a " + TYPE_NAMES[t]);
    return off;
  }
  /** True if `h` names a live object. */
  isLive(h) {
    try {
      this.head(h);
      return true;
    } catch (e) {
      return false;
    }
  }
  /** The object's type: "bytes", "bitmap", "number", "string", "list" or "record". */
  typeOf(h) {
    return TYPE_NAMES[this.buf[this.head(h)]];
  }
  /** Byte offset of the object's head block in the pool (what the map shows). */
  offsetOf(h) {
    return this.head(h);
  }
  /** Blocks the object occupies, header included. */
  blocksOf(h) {
    return this.buf.getAt(this.head(h) + O_LEN, "u16") + OBJ_HEADER + BLOCK - 1 >> 4;
  }
  /** Payload bytes of the object (after its 8-byte header). */
  sizeOf(h) {
    return this.buf.getAt(this.head(h) + O_LEN, "u16");
  }
  // ------------------------------------------------------------------
  // object contents
  /** Byte `i` of a bytes object. */
  getByte(h, i) {
    const off = this.typed(h, T_BYTES);
    intArg(i, "byte index", 0, this.buf.getAt(off + O_LEN, "u16") - 1);
    return this.buf[off + OBJ_HEADER + i];
  }
  /** Sets byte `i` of a bytes object to `v` (0..255). */
  setByte(h, i, v) {
    const off = this.typed(h, T_BYTES);
    intArg(i, "byte index", 0, this.buf.getAt(off + O_LEN, "u16") - 1);
    intArg(v, "byte value", 0, 255);
    this.buf[off + OBJ_HEADER + i] = v;
  }
  /** A copy of a bytes or string object's payload. */
  readBytes(h) {
    const off = this.head(h);
    const t = this.buf[off];
    if (t !== T_BYTES && t !== T_STRING) throw new HandleError("expected bytes or a string, handle " + h + " is a " + TYPE_NAMES[t]);
    const len = this.buf.getAt(off + O_LEN, "u16");
    const out = Buffer.alloc(len);
    out.blitAt(0, this.buf, off + OBJ_HEADER, len);
    return out;
  }
  /** Copies `src` into a bytes object at `at`; it must fit. */
  writeBytes(h, at, src) {
    const off = this.typed(h, T_BYTES);
    const len = this.buf.getAt(off + O_LEN, "u16");
    intArg(at, "write offset", 0, len);
    if (!src || src.length > len - at) throw new ArgumentError("writeBytes: " + (src ? src.length : 0) + " bytes at " + at + " do not fit in " + len);
    this.buf.blitAt(off + OBJ_HEADER + at, src, 0, src.length);
  }
  /** The value of a number object. */
  getNumber(h) {
    return this.buf.getAt(this.typed(h, T_NUMBER) + OBJ_HEADER, "f64");
  }
  /** Changes the value of a number object. */
  setNumber(h, value) {
    const off = this.typed(h, T_NUMBER);
    if (typeof value !== "number") throw new ArgumentError("number value must be a number, got " + value);
    this.buf.setAt(off + OBJ_HEADER, "f64", value);
  }
  /** The text of a string object. */
  getString(h) {
    const off = this.typed(h, T_STRING);
    const len = this.buf.getAt(off + O_LEN, "u16");
    const out = Buffer.alloc(len);
    out.blitAt(0, this.buf, off + OBJ_HEADER, len);
    return out.toString();
  }
  /** [width, height, bpp] of a bitmap. */
  bitmapSize(h) {
    const p = this.typed(h, T_BITMAP) + OBJ_HEADER;
    return [this.buf.getAt(p + BM_WIDTH, "u16"), this.buf.getAt(p + BM_HEIGHT, "u16"), this.buf[p + BM_BPP]];
  }
  /** Byte offset and bit shift of pixel (x, y); checks the bounds. */
  pixel(h, x, y) {
    const p = this.typed(h, T_BITMAP) + OBJ_HEADER;
    const buf = this.buf;
    intArg(x, "pixel x", 0, buf.getAt(p + BM_WIDTH, "u16") - 1);
    intArg(y, "pixel y", 0, buf.getAt(p + BM_HEIGHT, "u16") - 1);
    const bpp = buf[p + BM_BPP];
    const bit = x * bpp;
    return [p + BM_DATA + y * buf.getAt(p + BM_STRIDE, "u16") + (bit >> 3), bit & 7, bpp];
  }
  /** The colour index of pixel (x, y). */
  getPixel(h, x, y) {
    const px = this.pixel(h, x, y);
    return this.buf[px[0]] >> px[1] & (1 << px[2]) - 1;
  }
  /** Sets pixel (x, y) to colour index `c` (0 .. 2^bpp - 1). */
  setPixel(h, x, y, c) {
    const px = this.pixel(h, x, y);
    const mask = (1 << px[2]) - 1;
    intArg(c, "pixel colour", 0, mask);
    const buf = this.buf;
    buf[px[0]] = buf[px[0]] & ~(mask << px[1]) | c << px[1];
  }
  /** Fills a bitmap with colour index `c`. */
  fillBitmap(h, c) {
    const p = this.typed(h, T_BITMAP) + OBJ_HEADER;
    const buf = this.buf;
    const bpp = buf[p + BM_BPP];
    intArg(c, "pixel colour", 0, (1 << bpp) - 1);
    let byte = c;
    for (let b = bpp; b < 8; b <<= 1) byte |= byte << b;
    buf.fillAt(p + BM_DATA, buf.getAt(p + BM_STRIDE, "u16") * buf.getAt(p + BM_HEIGHT, "u16"), byte & 255);
  }
  /** Items in a list. */
  length(h) {
    return this.buf.getAt(this.typed(h, T_LIST) + OBJ_HEADER + LIST_COUNT, "u32");
  }
  /** Item `i` of a list (0 for null). */
  get(h, i) {
    const off = this.typed(h, T_LIST) + OBJ_HEADER;
    intArg(i, "list index", 0, this.buf.getAt(off + LIST_COUNT, "u32") - 1);
    return this.buf.getAt(off + LIST_ITEMS + (i << 2), "u32");
  }
  /** Sets item `i` of a list to `v` (a live handle or 0). */
  set(h, i, v) {
    const off = this.typed(h, T_LIST) + OBJ_HEADER;
    intArg(i, "list index", 0, this.buf.getAt(off + LIST_COUNT, "u32") - 1);
    this.storeRef(off + LIST_ITEMS + (i << 2), v);
  }
  /**
   * Appends `v` to a list, moving the list to a run twice as large when it
   * is full (its handle stays the same). Returns the new length.
   */
  push(h, v) {
    if (v !== 0) this.head(v);
    let off = this.typed(h, T_LIST);
    const buf = this.buf;
    const count = buf.getAt(off + OBJ_HEADER + LIST_COUNT, "u32");
    const cap = buf.getAt(off + O_LEN, "u16") - LIST_ITEMS >> 2;
    if (count >= cap) off = this.growList(h, cap < 2 ? 4 : cap * 2, v);
    this.storeRef(off + OBJ_HEADER + LIST_ITEMS + (count << 2), v);
    buf.setAt(off + OBJ_HEADER + LIST_COUNT, "u32", count + 1);
    return count + 1;
  }
  /** Removes and returns the last item of a list. */
  pop(h) {
    const off = this.typed(h, T_LIST) + OBJ_HEADER;
    const count = this.buf.getAt(off + LIST_COUNT, "u32");
    if (count === 0) throw new ArgumentError("pop from an empty list");
    const v = this.buf.getAt(off + LIST_ITEMS + (count - 1 << 2), "u32");
    this.buf.setAt(off + LIST_ITEMS + (count - 1 << 2), "u32", 0);
    this.buf.setAt(off + LIST_COUNT, "u32", count - 1);
    return v;
  }
  /** Removes item `i` of a list, moving the later items down, and returns it (Python's `pop(i)`). */
  removeAt(h, i) {
    const off = this.typed(h, T_LIST) + OBJ_HEADER;
    const buf = this.buf;
    const count = buf.getAt(off + LIST_COUNT, "u32");
    intArg(i, "list index", 0, count - 1);
    const at = off + LIST_ITEMS + (i << 2);
    const v = buf.getAt(at, "u32");
    buf.blitAt(at, buf, at + 4, count - 1 - i << 2);
    buf.setAt(off + LIST_ITEMS + (count - 1 << 2), "u32", 0);
    buf.setAt(off + LIST_COUNT, "u32", count - 1);
    return v;
  }
  /** Moves list `h` to a new run with room for `cap` items; returns its new offset. */
  growList(h, cap, item) {
    const max = 65535 - OBJ_HEADER - LIST_ITEMS >> 2;
    if (cap > max) cap = max;
    const buf = this.buf;
    const old = this.head(h);
    const oldLen = buf.getAt(old + O_LEN, "u16");
    if (oldLen - LIST_ITEMS >> 2 >= cap) throw new MemoryError("list is at its largest (" + max + " items)");
    const tmp = this.alloc(T_LIST, 0, LIST_ITEMS + cap * 4, h, item);
    const from = this.head(h);
    const to = this.head(tmp);
    buf.blitAt(to + OBJ_HEADER, buf, from + OBJ_HEADER, oldLen);
    const slot = h & 4095;
    const tslot = tmp & 4095;
    buf.setAt(this.htab + (slot << 1), "u16", to >> 4);
    buf.setAt(this.htab + (tslot << 1), "u16", from >> 4);
    buf.setAt(to + O_SLOT, "u16", slot);
    buf.setAt(to + O_GEN, "u16", h >> HANDLE_SHIFT);
    buf.setAt(from + O_SLOT, "u16", tslot);
    buf.setAt(from + O_GEN, "u16", tmp >> HANDLE_SHIFT);
    if (buf.getAt(H_DEPTH, "u16") > 0) {
      const sp = buf.getAt(H_SP, "u16") - 1;
      buf.setAt(buf.getAt(H_STACK, "u16") + (sp << 2), "u32", 0);
      buf.setAt(H_SP, "u16", sp);
    }
    if (buf[H_PHASE] === PHASE_MARK && (buf[ATB + (to >> 4 >> 2)] >> ((to >> 4 & 3) << 1) & 3) === AT_MARK) pushMark(buf, to >> 4, 0);
    this.free(tmp);
    return to;
  }
  /** Reference field `name` of a record (0 for null). */
  getField(h, name) {
    const off = this.typed(h, T_RECORD);
    return this.buf.getAt(off + OBJ_HEADER + (this.fieldIndex(off, name) << 2), "u32");
  }
  /** Sets reference field `name` of a record to `v` (a live handle or 0). */
  setField(h, name, v) {
    const off = this.typed(h, T_RECORD);
    this.storeRef(off + OBJ_HEADER + (this.fieldIndex(off, name) << 2), v);
  }
  /** The record kind of a record. */
  kindOf(h) {
    return this.kinds[this.buf[this.typed(h, T_RECORD) + O_AUX] - 1];
  }
  fieldIndex(off, name) {
    const kind = this.kinds[this.buf[off + O_AUX] - 1];
    const i = kind.fields.indexOf(name);
    if (i < 0) throw new ArgumentError("record " + kind.name + " has no field " + name);
    return i;
  }
  /** Stores a reference through the write barrier. */
  storeRef(at, v) {
    if (v !== 0) this.head(v);
    this.buf.setAt(at, "u32", v);
    if (v !== 0) shade(this.buf, v);
  }
  // ------------------------------------------------------------------
  // roots
  /** Makes `h` a named root: it and everything it references stay alive. */
  setRoot(name, h) {
    if (typeof name !== "string" || name.length === 0) throw new ArgumentError("root name must be a non-empty string");
    this.head(h);
    let i = this.rootNames.indexOf(name);
    if (i < 0) {
      i = this.rootNames.indexOf(null);
      if (i < 0) i = this.rootNames.length;
      if (i >= this.buf.getAt(H_NCAP, "u16")) throw new MemoryError("all " + i + " named roots are in use (raise namedRoots)");
      this.rootNames[i] = name;
    }
    this.buf.setAt(this.buf.getAt(H_NAMED, "u16") + (i << 2), "u32", h);
    shade(this.buf, h);
  }
  /** The handle held by named root `name`. */
  getRoot(name) {
    const i = this.rootNames.indexOf(name);
    if (i < 0) throw new ArgumentError("no root named " + name);
    return this.buf.getAt(this.buf.getAt(H_NAMED, "u16") + (i << 2), "u32");
  }
  /** True if a root named `name` is set. */
  hasRoot(name) {
    return this.rootNames.indexOf(name) >= 0;
  }
  /** Removes named root `name` (Python's `del`): its object may become a phantom. */
  delRoot(name) {
    const i = this.rootNames.indexOf(name);
    if (i < 0) throw new ArgumentError("no root named " + name);
    this.rootNames[i] = null;
    this.buf.setAt(this.buf.getAt(H_NAMED, "u16") + (i << 2), "u32", 0);
  }
  /**
   * Opens a scope: until the matching leave(), every new object is kept on
   * the root stack. Returns the mark to pass to leave().
   */
  enter() {
    const buf = this.buf;
    buf.setAt(H_DEPTH, "u16", buf.getAt(H_DEPTH, "u16") + 1);
    return buf.getAt(H_SP, "u16");
  }
  /** Closes the scope opened by the enter() that returned `mark`, unrooting its temporaries. */
  leave(mark) {
    const buf = this.buf;
    const depth = buf.getAt(H_DEPTH, "u16");
    if (depth === 0) throw new ArgumentError("leave() without enter()");
    intArg(mark, "scope mark", 0, buf.getAt(H_SP, "u16"));
    buf.fillAt(buf.getAt(H_STACK, "u16") + (mark << 2), buf.getAt(H_SP, "u16") - mark << 2, 0);
    buf.setAt(H_SP, "u16", mark);
    buf.setAt(H_DEPTH, "u16", depth - 1);
  }
  /** Roots `h` on the root stack until the current scope closes. Returns `h`. */
  keep(h) {
    this.head(h);
    const buf = this.buf;
    if (buf.getAt(H_DEPTH, "u16") === 0) throw new ArgumentError("keep() needs an open scope: call enter() first");
    if (buf.getAt(H_SP, "u16") >= buf.getAt(H_SCAP, "u16")) throw new MemoryError("root stack full (" + buf.getAt(H_SCAP, "u16") + " temporaries)");
    this.pushRoot(h);
    return h;
  }
  pushRoot(h) {
    const buf = this.buf;
    const sp = buf.getAt(H_SP, "u16");
    buf.setAt(buf.getAt(H_STACK, "u16") + (sp << 2), "u32", h);
    buf.setAt(H_SP, "u16", sp + 1);
    shade(buf, h);
  }
  // ------------------------------------------------------------------
  // collection
  runStep(budget) {
    const t0 = now2();
    const done = step(this.buf, budget);
    if (done) this.pauseMs = now2() - t0;
    return done;
  }
  /**
   * Collects now (MicroPython's gc.collect()): marks from the roots and frees
   * every unreachable object. Runs for at most the pool's budget so it never
   * trips the VM's step limit; returns true when the collection completed,
   * false when it is still in progress (call again, or await collectAsync()).
   */
  collect() {
    if (this.asyncRunning) return false;
    startCycle(this.buf);
    return this.runStep(this.budget);
  }
  /**
   * Collects completely, suspending between slices of at most the budget so
   * other fibers run and the VM's step counter restarts. Always completes.
   * It suspends before its first step too: it is called right after a
   * failed allocation, which may have used most of the slice already.
   */
  async collectAsync() {
    if (this.asyncRunning) {
      while (this.asyncRunning) await nextSlice2();
      return;
    }
    this.asyncRunning = true;
    try {
      await nextSlice2();
      const t0 = now2();
      startCycle(this.buf);
      while (!step(this.buf, this.budget)) await nextSlice2();
      this.pauseMs = now2() - t0;
    } finally {
      this.asyncRunning = false;
    }
  }
  /**
   * Does at most `budget` work units of collection, starting a collection if
   * none is in progress. Returns true when the collection has completed.
   * For programs that pace the collector themselves, e.g. once a frame.
   */
  collectStep(budget) {
    intArg(budget, "budget", 1, 1e6);
    if (this.asyncRunning) return false;
    startCycle(this.buf);
    return this.runStep(budget);
  }
  /** Re-enables automatic collection (gc.enable()). */
  enable() {
    this.buf[H_FLAGS] |= F_AUTO;
  }
  /** Disables automatic collection; collect() still works (gc.disable()). */
  disable() {
    this.buf[H_FLAGS] &= ~F_AUTO;
  }
  /** True when automatic collection is on. */
  isEnabled() {
    return (this.buf[H_FLAGS] & F_AUTO) !== 0;
  }
  /**
   * gc.threshold: with `bytes` > 0, a collection starts at the first
   * allocation after that many bytes were allocated since the last one; 0
   * turns it off (the default). Without an argument, returns the setting.
   */
  threshold(bytes) {
    if (bytes !== void 0) this.buf.setAt(H_THRESH, "u32", intArg(bytes, "threshold", 0, MAX_POOL));
    return this.buf.getAt(H_THRESH, "u32");
  }
  /** Bytes free (gc.mem_free()). */
  memFree() {
    return this.buf.getAt(H_FREE, "u16") << 4;
  }
  /** Bytes allocated, pool metadata included (gc.mem_alloc()). */
  memAlloc() {
    return this.size - this.memFree();
  }
  /** Every statistic in one object. Walks the allocation table once. */
  stats() {
    const buf = this.buf;
    const fr = [0, 0, 0];
    freeRuns(buf, fr);
    const free = buf.getAt(H_FREE, "u16") << 4;
    return {
      total: this.size,
      used: this.size - free,
      free,
      largestFree: fr[0] << 4,
      freeRuns: fr[1],
      minFree: buf.getAt(H_MINFREE, "u16") << 4,
      meta: this.data << 4,
      live: buf.getAt(H_LIVE, "u16"),
      collections: buf.getAt(H_COLLECTIONS, "u32"),
      allocs: buf.getAt(H_ALLOCS, "u32"),
      frees: buf.getAt(H_FREES, "u32"),
      lastPauseMs: this.pauseMs,
      lastWork: buf.getAt(H_WORK, "u32"),
      phase: PHASE_NAMES[buf[H_PHASE]]
    };
  }
  /**
   * Prints the summary and, if `verbose`, the block map over the console
   * (serial on a board, stdout in the simulator), as
   * `micropython.mem_info(1)` does, framed as docs/serial-format.md says.
   * The dump shows the pool as it was at the call. Its work is spread over
   * VM slices (WALK_BYTES of the allocation table, then LINES_PER_SLICE
   * lines, per slice), so even a 32 KiB pool of 2,000 objects never trips
   * the step limit; the program may run meanwhile. `sink` receives the
   * lines instead of console.log. One dump at a time: a second call waits.
   */
  async memInfo(verbose, sink) {
    while (this.dumping !== null) await nextSlice2();
    const dump = new Dump(this.buf, !!verbose, this.pauseMs);
    this.dumping = dump;
    try {
      while (!dump.walk(this.buf, WALK_BYTES)) await nextSlice2();
    } finally {
      this.dumping = null;
    }
    let k = 0;
    let line = dump.next();
    while (line !== null) {
      if (++k % LINES_PER_SLICE === 0) await nextSlice2();
      if (sink) sink(line);
      else console.log(line);
      line = dump.next();
    }
  }
  /** Name of the record kind with id `id` (for the map writer and tools). */
  kindName(id) {
    const k = this.kinds[id - 1];
    return k ? k.name : "?";
  }
};

// bench/traces.ts
var OP_ALLOC = 1;
var OP_LINK = 2;
var OP_DROP = 3;
var OP_UNLINK = 4;
var OP_FREE = 5;
var NOMINAL_HEADER = 8;
function removeAt(xs, i) {
  for (let k = i + 1; k < xs.length; k++) xs[k - 1] = xs[k];
  xs.pop();
}
var Rng = class {
  s;
  constructor(seed) {
    this.s = seed | 0;
    if (this.s === 0) this.s = 625341585;
  }
  next() {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x | 0;
    return this.s;
  }
  /** An integer in [0, n), n <= 65536. */
  below(n) {
    return Math.floor((this.next() >>> 16) * n / 65536);
  }
  /** An integer in [lo, hi]. */
  range(lo, hi) {
    return lo + this.below(hi - lo + 1);
  }
  /** Log-uniform-ish integer in [lo, hi]: small objects are commoner (as in real heaps). */
  logRange(lo, hi) {
    let bands = 0;
    let v = lo;
    while (v < hi) {
      v = v * 2;
      bands++;
    }
    const b = this.below(bands + 1);
    let blo = lo;
    for (let i = 0; i < b; i++) blo = blo * 2;
    let bhi = blo * 2 - 1;
    if (bhi > hi) bhi = hi;
    if (blo > hi) blo = hi;
    return this.range(blo, bhi);
  }
};
var TraceGen = class {
  spec;
  rng;
  op = 0;
  a = 0;
  b = 0;
  c = 0;
  /** Operations emitted so far. */
  count = 0;
  /** Highest id used + 1 (size of per-id tables). */
  maxIds = 0;
  /** Most objects live at once, and most nominal live bytes. */
  peakLive = 0;
  peakBytes = 0;
  // object state, per id
  size = [];
  children = [];
  parent = [];
  freeIds = [];
  liveBytes = 0;
  liveCount = 0;
  /** Rooted top-level objects the generator may kill (steady / overcommit). */
  roots = [];
  // pending records (a death emits several)
  queue = [];
  qi = 0;
  // game state
  round = 0;
  sprites = 0;
  // id of the sprite list
  spriteIds = [];
  spriteDeath = [];
  score = 0;
  timer = 0;
  level = 0;
  target = 0;
  constructor(spec) {
    this.spec = spec;
    this.rng = new Rng(spec.seed);
    if (spec.kind === "steady") this.target = spec.region * 50 / 100;
    else if (spec.kind === "overcommit") this.target = spec.region * 92 / 100;
    else this.target = spec.region * 70 / 100;
  }
  newId() {
    if (this.freeIds.length > 0) return this.freeIds.pop();
    const id = this.maxIds;
    this.maxIds = id + 1;
    this.size.push(0);
    this.children.push(null);
    this.parent.push(-1);
    return id;
  }
  push4(op, a, b, c) {
    this.queue.push(op);
    this.queue.push(a);
    this.queue.push(b);
    this.queue.push(c);
  }
  alloc(size, refs) {
    const id = this.newId();
    this.size[id] = size;
    this.children[id] = refs > 0 ? [] : null;
    this.parent[id] = -1;
    this.liveBytes += size + NOMINAL_HEADER;
    this.liveCount++;
    if (this.liveCount > this.peakLive) this.peakLive = this.liveCount;
    if (this.liveBytes > this.peakBytes) this.peakBytes = this.liveBytes;
    this.push4(OP_ALLOC, id, size, refs);
    this.count++;
    return id;
  }
  /** Links child into parent and drops child's own root (ownership moves to the parent). */
  adopt(parent, child) {
    this.children[parent].push(child);
    this.parent[child] = parent;
    this.push4(OP_LINK, parent, child, 0);
    this.push4(OP_DROP, child, 0, 0);
    this.count += 2;
  }
  freeTree(id) {
    const kids = this.children[id];
    if (kids !== null) for (let i = 0; i < kids.length; i++) this.freeTree(kids[i]);
    this.liveBytes -= this.size[id] + NOMINAL_HEADER;
    this.liveCount--;
    this.children[id] = null;
    this.parent[id] = -1;
    this.push4(OP_FREE, id, 0, 0);
    this.freeIds.push(id);
  }
  /** Kills `id` and everything it owns: DROP (a root) or UNLINK (owned), then FREE each. */
  kill(id) {
    const p = this.parent[id];
    if (p < 0) {
      this.push4(OP_DROP, id, 0, 0);
    } else {
      const kids = this.children[p];
      const idx = kids.indexOf(id);
      removeAt(kids, idx);
      this.push4(OP_UNLINK, p, idx, 0);
    }
    this.count++;
    this.freeTree(id);
  }
  killRoot(i) {
    const id = this.roots[i];
    this.roots[i] = this.roots[this.roots.length - 1];
    this.roots.pop();
    this.kill(id);
  }
  /** steady and overcommit: blobs of 8..512 (steady) or 8..1024 (overcommit) bytes, random lifetimes. */
  stepHeap() {
    const big = this.spec.kind === "overcommit";
    const size = big ? this.rng.logRange(8, 1024) : this.rng.logRange(8, 512);
    const n = this.roots.length;
    if (n > 0 && (this.liveBytes + size + NOMINAL_HEADER > this.target || this.rng.below(100) >= 60)) {
      this.killRoot(this.rng.below(n));
    } else {
      this.roots.push(this.alloc(size, 0));
    }
  }
  /**
   * The guide's game: a sprite list (a container) of sprites, each a
   * container holding a bitmap and a position (a number); the score and the
   * play time are replaced every round; a level bitmap every fifth round.
   */
  stepGame() {
    const r = this.round;
    if (r === 0) {
      this.sprites = this.alloc(4 + 4 * 32, 32);
      this.score = this.alloc(8, 0);
      this.timer = this.alloc(16, 0);
      this.level = this.alloc(8 + 64 * 48 / 2, 0);
    }
    this.kill(this.score);
    this.score = this.alloc(8, 0);
    this.kill(this.timer);
    this.timer = this.alloc(this.rng.range(12, 24), 0);
    if (r > 0 && r - Math.floor(r / 5) * 5 === 0) {
      this.kill(this.level);
      this.level = this.alloc(8 + this.rng.range(32, 64) * 48 / 2, 0);
    }
    for (let i = this.spriteIds.length - 1; i >= 0; i--) {
      if (this.spriteDeath[i] <= r) {
        const id = this.spriteIds[i];
        removeAt(this.spriteIds, i);
        removeAt(this.spriteDeath, i);
        this.kill(id);
      }
    }
    const spawn = this.rng.below(4);
    for (let k = 0; k < spawn; k++) {
      const side = 8 << this.rng.below(3);
      const bpp = 1 << this.rng.below(3);
      const bmp = 8 + side * side * bpp / 8;
      if (this.liveBytes + bmp + 12 + 8 + 3 * NOMINAL_HEADER > this.target) break;
      if (this.children[this.sprites].length >= 32) break;
      const s = this.alloc(4 + 4 * 2, 2);
      const b = this.alloc(bmp, 0);
      this.adopt(s, b);
      const pos = this.alloc(8, 0);
      this.adopt(s, pos);
      this.adopt(this.sprites, s);
      this.spriteIds.push(s);
      this.spriteDeath.push(r + 1 + this.rng.below(40));
    }
    this.round = r + 1;
  }
  /** The next record into op/a/b/c; false at the end of the trace. */
  next() {
    while (this.qi >= this.queue.length) {
      this.queue = [];
      this.qi = 0;
      if (this.count >= this.spec.ops) return false;
      if (this.spec.kind === "game") this.stepGame();
      else this.stepHeap();
    }
    const q = this.queue;
    const i = this.qi;
    this.op = q[i];
    this.a = q[i + 1];
    this.b = q[i + 2];
    this.c = q[i + 3];
    this.qi = i + 4;
    return true;
  }
};
function benchTraces(quick) {
  const n = quick ? 2e4 : 2e5;
  return [
    { name: "steady-64k", kind: "steady", region: 65536, ops: n, seed: 1 },
    { name: "steady-32k", kind: "steady", region: 32768, ops: n, seed: 1 },
    { name: "overcommit-32k", kind: "overcommit", region: 32768, ops: n, seed: 2 },
    { name: "game-32k", kind: "game", region: 32768, ops: n, seed: 3 }
  ];
}

// bench/main.ts
function materialise(spec) {
  const g = new TraceGen(spec);
  let recs = new Int32Array(1 << 20);
  let n = 0;
  while (g.next()) {
    if (n + 4 > recs.length) {
      const r = new Int32Array(recs.length * 2);
      r.set(recs);
      recs = r;
    }
    recs[n] = g.op;
    recs[n + 1] = g.a;
    recs[n + 2] = g.b;
    recs[n + 3] = g.c;
    n += 4;
  }
  return { spec, recs, nrec: n >> 2, ops: g.count, maxIds: g.maxIds, peakLive: g.peakLive, peakBytes: g.peakBytes };
}
var align = (n, a) => n + a - 1 & ~(a - 1);
function poolOptions(region, t) {
  const nb = region >> 4;
  let handles = Math.max(64, 2 * t.peakLive + 8);
  if (handles > nb) handles = nb;
  if (handles > 4096) handles = 4096;
  return { size: region, handles, budget: 1e6 };
}
var PoolFree = class {
  pools = [];
  constructor(region, t, n) {
    for (let i = 0; i < n; i++) {
      const p = new Pool(poolOptions(region / n, t));
      p.disable();
      this.pools.push(p);
    }
  }
  // with two pools, a handle is tagged with its pool in bit 30
  alloc(id, size, refs) {
    const ps = this.pools;
    for (let i = 0; i < ps.length; i++) {
      try {
        const h = refs > 0 ? ps[i].list(refs) : ps[i].bytes(size);
        return h | i << 30;
      } catch (e) {
        if (!(e instanceof MemoryError)) throw e;
      }
    }
    return 0;
  }
  link(p, slot, c) {
    this.pools[p >>> 30].push(p & 1073741823, c & 1073741823);
  }
  unlink(p, idx) {
    this.pools[p >>> 30].removeAt(p & 1073741823, idx);
  }
  drop(id) {
  }
  free(h) {
    this.pools[h >>> 30].free(h & 1073741823);
  }
  room(size, refs) {
    let free = 0;
    for (const p of this.pools) free = Math.max(free, p.memFree());
    return [free, align(8 + (refs > 0 ? 4 + 4 * refs : size), 16)];
  }
  end() {
    let largest = 0;
    let free = 0;
    let meta = 0;
    let collections = 0;
    for (const p of this.pools) {
      const s = p.stats();
      largest = Math.max(largest, s.largestFree);
      free += s.free;
      meta += s.meta;
      collections += s.collections;
    }
    return { largestFree: largest, freeTotal: free, meta, header: "8 + round up to 16", collections };
  }
};
var PoolGc = class {
  pools = [];
  rootLists = [];
  rootOf;
  constructor(region, t, n) {
    this.rootOf = new Int32Array(t.maxIds);
    for (let i = 0; i < n; i++) {
      const p = new Pool(poolOptions(region / n, t));
      const rl = p.list(t.maxIds);
      for (let k = 0; k < t.maxIds; k++) p.push(rl, 0);
      p.setRoot("roots", rl);
      this.pools.push(p);
      this.rootLists.push(rl);
    }
  }
  alloc(id, size, refs) {
    const ps = this.pools;
    for (let i = 0; i < ps.length; i++) {
      try {
        const p = ps[i];
        const h = refs > 0 ? p.list(refs) : p.bytes(size);
        p.set(this.rootLists[i], id, h);
        this.rootOf[id] = i;
        return h | i << 30;
      } catch (e) {
        if (!(e instanceof MemoryError)) throw e;
      }
    }
    return 0;
  }
  link(p, slot, c) {
    this.pools[p >>> 30].push(p & 1073741823, c & 1073741823);
  }
  unlink(p, idx) {
    this.pools[p >>> 30].removeAt(p & 1073741823, idx);
  }
  drop(id) {
    const i = this.rootOf[id];
    this.pools[i].set(this.rootLists[i], id, 0);
  }
  free(h) {
  }
  room(size, refs) {
    let free = 0;
    for (const p of this.pools) free = Math.max(free, p.memFree());
    return [free, align(8 + (refs > 0 ? 4 + 4 * refs : size), 16)];
  }
  end() {
    for (const p of this.pools) while (!p.collect()) {
    }
    const e = PoolFree.prototype.end.call(this);
    return e;
  }
};
var ThingPool = class {
  pool;
  u32;
  meta;
  constructor(region) {
    const buf = new ArrayBuffer(region);
    this.pool = new MemPool({ buf });
    this.u32 = new Uint32Array(buf);
    this.meta = this.pool.stats().top;
  }
  alloc(id, size, refs) {
    return this.pool.malloc(size);
  }
  link(p, slot, c) {
    this.u32[(p >> 2) + 1 + slot] = c;
  }
  unlink(p, idx, count) {
    const b = (p >> 2) + 1;
    this.u32.copyWithin(b + idx, b + idx + 1, b + count);
    this.u32[b + count - 1] = 0;
  }
  drop(id) {
  }
  free(h) {
    this.pool.free(h);
  }
  room(size) {
    return [this.pool.stats().available, align(size + 8, 8)];
  }
  end() {
    const pool = this.pool;
    let largest = pool.end - pool.top;
    let block = pool._free;
    while (block) {
      const s = pool.blockSize(block);
      if (s > largest) largest = s;
      block = pool.blockNext(block);
    }
    return { largestFree: largest, freeTotal: this.pool.stats().available, meta: this.meta, header: "8, align 8", collections: 0 };
  }
};
var CodemixMalloc = class {
  a;
  i32;
  constructor(region) {
    const buf = new ArrayBuffer(region);
    this.a = new Allocator(buf);
    this.i32 = new Int32Array(buf);
  }
  alloc(id, size) {
    return this.a.alloc(size);
  }
  link(p, slot, c) {
    this.i32[(p >> 2) + 1 + slot] = c;
  }
  unlink(p, idx, count) {
    const b = (p >> 2) + 1;
    this.i32.copyWithin(b + idx, b + idx + 1, b + count);
    this.i32[b + count - 1] = 0;
  }
  drop(id) {
  }
  free(h) {
    this.a.free(h);
  }
  freeBlocks() {
    return this.a.inspect().blocks.filter((b) => b.type === "free").map((b) => b.size);
  }
  room(size) {
    return [this.freeBlocks().reduce((x, y) => x + y, 0), Math.max(16, align(size, 8))];
  }
  end() {
    const fb = this.freeBlocks();
    const first = this.a.inspect().blocks[0];
    return {
      largestFree: fb.reduce((x, y) => Math.max(x, y), 0),
      freeTotal: fb.reduce((x, y) => x + y, 0),
      meta: first ? first.offset - 8 : 0,
      header: "8 (boundary tags), min 16",
      collections: 0
    };
  }
};
function asInstance(wasm, region, maxIds, managed) {
  const pages = Math.ceil((region + 4096) / 65536);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasm)), {
    env: {
      memory,
      abort() {
        throw new Error("AssemblyScript abort");
      }
    }
  });
  const x = inst.exports;
  const actual = x.init(region, maxIds, managed);
  if (actual !== region) throw new Error("AssemblyScript region is " + actual + ", wanted " + region);
  return x;
}
var AsTlsf = class {
  x;
  constructor(region, t, wasm) {
    this.x = asInstance(wasm, region, t.maxIds, false);
  }
  alloc(id, size) {
    try {
      return this.x.talloc(size);
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) return 0;
      throw e;
    }
  }
  link(p, slot, c) {
    this.x.setRef(p + 4, slot, c);
  }
  unlink(p, idx, count) {
    this.x.removeAt(p + 4, idx, count);
  }
  drop(id) {
  }
  free(h) {
    this.x.tfree(h);
  }
  room(size) {
    this.x.walk();
    return [this.x.freeTotal.value, Math.max(12, align(size + 4, 16) - 4)];
  }
  end() {
    this.x.walk();
    return { largestFree: this.x.freeLargest.value, freeTotal: this.x.freeTotal.value, meta: 1572, header: "4, round up to 16", collections: 0 };
  }
};
var AsGc = class {
  x;
  collections = 0;
  constructor(region, t, wasm) {
    this.x = asInstance(wasm, region, t.maxIds, true);
  }
  alloc(id, size, refs) {
    const x = this.x;
    try {
      return x.gnew(id, size, refs);
    } catch (e) {
      if (!(e instanceof WebAssembly.RuntimeError)) throw e;
    }
    x.gcollect();
    this.collections++;
    try {
      return x.gnew(id, size, refs);
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) return 0;
      throw e;
    }
  }
  link(p, slot, c) {
    this.x.setRef(p, slot, c);
  }
  unlink(p, idx, count) {
    this.x.removeAt(p, idx, count);
  }
  drop(id) {
    this.x.gdrop(id);
  }
  free(h) {
  }
  room(size, refs) {
    this.x.walk();
    return [this.x.freeTotal.value, Math.max(12, align((refs > 0 ? 4 * refs : size) + 20, 16) - 4)];
  }
  end() {
    this.x.gcollect();
    this.x.walk();
    return {
      largestFree: this.x.freeLargest.value,
      freeTotal: this.x.freeTotal.value,
      meta: 1572,
      header: "20 (4 block + 16 object), round up to 16",
      collections: this.collections
    };
  }
};
function makeSys(name, t, wasm) {
  name = name.replace("+fastseam", "");
  const region = t.spec.region;
  const npools = region > 32768 ? region / 32768 : 1;
  switch (name) {
    case "poolgc-free":
      return new PoolFree(region, t, npools);
    case "poolgc-gc":
      return new PoolGc(region, t, npools);
    case "thi.ng-malloc":
      return new ThingPool(region);
    case "codemix-malloc":
      return new CodemixMalloc(region);
    case "as-tlsf":
      return new AsTlsf(region, t, wasm);
    case "as-gc":
      return new AsGc(region, t, wasm);
  }
  throw new Error("unknown system " + name);
}
function replay(sys, t, countFrag) {
  const recs = t.recs;
  const n = t.nrec << 2;
  const h = new Int32Array(t.maxIds);
  const cnt = new Int32Array(t.maxIds);
  let failed = 0;
  let fragFailed = 0;
  const t0 = performance2.now();
  for (let i = 0; i < n; i += 4) {
    const a = recs[i + 1];
    switch (recs[i]) {
      case OP_ALLOC: {
        const v = sys.alloc(a, recs[i + 2], recs[i + 3]);
        h[a] = v;
        cnt[a] = 0;
        if (v === 0) {
          failed++;
          if (countFrag) {
            const r = sys.room(recs[i + 2], recs[i + 3]);
            if (r[0] >= r[1]) fragFailed++;
          }
        }
        break;
      }
      case OP_LINK: {
        const p = h[a];
        if (p !== 0) sys.link(p, cnt[a]++, h[recs[i + 2]]);
        break;
      }
      case OP_DROP:
        if (h[a] !== 0) sys.drop(a);
        break;
      case OP_UNLINK: {
        const p = h[a];
        if (p !== 0) sys.unlink(p, recs[i + 2], cnt[a]--);
        break;
      }
      case OP_FREE:
        if (h[a] !== 0) sys.free(h[a]);
        h[a] = 0;
        break;
    }
  }
  return { ms: performance2.now() - t0, failed, fragFailed };
}
function median(xs) {
  const s = xs.slice().sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length & 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}
function main() {
  const [system, traceName, runsArg, quickArg, wasm] = process.argv.slice(2);
  const quick = quickArg === "1";
  const spec = benchTraces(quick).find((s) => s.name === traceName);
  if (!spec) throw new Error("unknown trace " + traceName);
  const t = materialise(spec);
  const runs = Number(runsArg);
  const first = makeSys(system, t, wasm);
  const r0 = replay(first, t, true);
  const end = first.end();
  const times = [];
  for (let k = 0; k < runs; k++) {
    const sys = makeSys(system, t, wasm);
    const r = replay(sys, t, false);
    if (r.failed !== r0.failed) throw new Error("non-deterministic failures: " + r.failed + " vs " + r0.failed);
    times.push(r.ms);
  }
  const opsPerSec = times.map((ms) => t.ops / (ms / 1e3));
  console.log(
    JSON.stringify({
      system,
      trace: spec.name,
      region: spec.region,
      ops: t.ops,
      records: t.nrec,
      runs,
      opsPerSec: { median: median(opsPerSec), min: Math.min(...opsPerSec), max: Math.max(...opsPerSec) },
      msMedian: median(times),
      failed: r0.failed,
      fragFailed: r0.fragFailed,
      largestFree: end.largestFree,
      freeTotal: end.freeTotal,
      meta: end.meta,
      header: end.header,
      collections: end.collections,
      tracePeakLive: t.peakLive,
      tracePeakBytes: t.peakBytes
    })
  );
}
main();
