/** Bytes in one WebAssembly page. */
export const PAGE = 65536
/** Every block starts on a 16-byte boundary, so v128 loads and stores are aligned. */
export const ALIGN = 16

/** What {@link memoryStats} reports. All sizes are in bytes. */
export interface MemoryStats {
  /** Current size of the WebAssembly memory. */
  memoryBytes: number
  /** Largest size it may grow to. */
  maximumBytes: number
  /** Bytes in live blocks (rounded up to 16 bytes each). */
  usedBytes: number
  /** Bytes of the memory's heap that no live block holds: reused before the memory grows. */
  freeBytes: number
  /** Number of live blocks. */
  blocks: number
  /** Whether the memory is a shared one (its views never detach when it grows). */
  shared: boolean
}

interface Range {
  start: number
  size: number
}

const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN

/**
 * First-fit allocator over one WebAssembly.Memory, from `base` to the memory's end. Freed blocks
 * go back to an address-sorted free list and merge with their neighbours; the memory grows only
 * when no free range fits. Every block is zero-filled when handed out. Blocks carry a serial
 * number, so a holder can tell whether the block it was given is still live.
 */
export class Arena {
  readonly #memory: WebAssembly.Memory
  readonly #maxPages: number
  readonly #shared: boolean
  readonly #free: Range[] = []
  readonly #live = new Map<number, { size: number; serial: number }>()
  #serial = 0
  #used = 0

  constructor(memory: WebAssembly.Memory, base: number, maxPages: number, shared: boolean) {
    this.#memory = memory
    this.#maxPages = maxPages
    this.#shared = shared
    const start = align(base)
    const end = memory.buffer.byteLength
    if (end > start) this.#free.push({ start, size: end - start })
  }

  /** Allocates `bytes` (rounded up to 16; at least 16) of zeroed memory and returns its address. */
  alloc(bytes: number): number {
    const size = align(Math.max(bytes, 1))
    let i = this.#free.findIndex((r) => r.size >= size)
    if (i < 0) i = this.#grow(size)
    const range = this.#free[i]
    const start = range.start
    if (range.size === size) this.#free.splice(i, 1)
    else {
      range.start += size
      range.size -= size
    }
    this.#live.set(start, { size, serial: ++this.#serial })
    this.#used += size
    new Uint8Array(this.#memory.buffer, start, size).fill(0)
    return start
  }

  /** Gives a block back. Freeing an address that is not a live block throws. */
  free(ptr: number): void {
    const block = this.#live.get(ptr)
    if (!block) throw new Error(`wasm-optim: no live block at address ${ptr} (freed twice?)`)
    this.#live.delete(ptr)
    this.#used -= block.size
    this.#insertFree(ptr, block.size)
  }

  /** Serial number of the live block at `ptr`, or 0 if there is none. */
  serial(ptr: number): number {
    return this.#live.get(ptr)?.serial ?? 0
  }

  /**
   * The live block that contains bytes [ptr, ptr + bytes), or undefined. An empty range counts as
   * one byte: at the end of one block it belongs to the next (a parameter() of length 0 was once
   * taken for its neighbour's, and called disposed when that was freed).
   */
  blockContaining(ptr: number, bytes: number): { start: number; serial: number } | undefined {
    const end = ptr + Math.max(bytes, 1)
    for (const [start, b] of this.#live) {
      if (start <= ptr && end <= start + b.size) return { start, serial: b.serial }
    }
    return undefined
  }

  stats(): MemoryStats {
    return {
      memoryBytes: this.#memory.buffer.byteLength,
      maximumBytes: this.#maxPages * PAGE,
      usedBytes: this.#used,
      freeBytes: this.#free.reduce((sum, r) => sum + r.size, 0),
      blocks: this.#live.size,
      shared: this.#shared,
    }
  }

  /** Grows the memory so that a free range of `size` bytes exists; returns its index. */
  #grow(size: number): number {
    const end = this.#memory.buffer.byteLength
    const last = this.#free.at(-1)
    const tail = last && last.start + last.size === end ? last.size : 0
    const pages = Math.ceil((size - tail) / PAGE)
    const current = end / PAGE
    if (current + pages > this.#maxPages) {
      throw new RangeError(
        `wasm-optim: cannot allocate ${size} bytes: the WebAssembly memory would need ` +
          `${current + pages} pages of 64 KiB, more than its maximum of ${this.#maxPages} ` +
          `(${(this.#maxPages * PAGE) / 2 ** 30} GiB); ${this.#used} bytes are in use`,
      )
    }
    // Grow by a quarter more than needed where the limit allows, so a run of allocations does
    // not grow the memory each time; fall back to the exact need if the host refuses.
    const extra = Math.min(current >> 2, this.#maxPages - current - pages)
    try {
      this.#memory.grow(pages + extra)
    } catch {
      try {
        this.#memory.grow(pages)
      } catch (cause) {
        throw new RangeError(
          `wasm-optim: cannot allocate ${size} bytes: the host refused to grow the WebAssembly ` +
            `memory from ${end} to ${end + pages * PAGE} bytes`,
          { cause },
        )
      }
    }
    this.#insertFree(end, this.#memory.buffer.byteLength - end)
    return this.#free.length - 1
  }

  #insertFree(start: number, size: number): void {
    const free = this.#free
    let i = 0
    while (i < free.length && free[i].start < start) i++
    const prev = free[i - 1]
    const next = free[i]
    if (prev && prev.start + prev.size === start) {
      prev.size += size
      if (next && start + size === next.start) {
        prev.size += next.size
        free.splice(i, 1)
      }
    } else if (next && start + size === next.start) {
      next.start = start
      next.size += size
    } else {
      free.splice(i, 0, { start, size })
    }
  }
}
