// The inlined wasm builds: base64 to bytes, and the build for an unshared memory made from the
// shared one's bytes (they differ in one flag).
import * as wasm from './wasm.js'

const decode = (base64: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))

/**
 * A build's bytes. Only the builds for a shared memory are inlined: the build for an unshared one
 * is the same module but for one byte, the flags of its imported memory's limits (the build checks
 * that), which `unshare` clears. This halves the wasm the package ships.
 */
export function buildBytes(simd: boolean, shared: boolean, builds: Builds = wasm): Uint8Array<ArrayBuffer> {
  const bytes = decode(simd ? builds.simd : builds.scalar)
  return shared ? bytes : unshare(bytes)
}

/** A module's two inlined builds, base64 (src/wasm.ts, src/tfjs/wasm.ts). */
export interface Builds {
  simd: string
  scalar: string
}

/** Clears the shared flag of the memory import: walks the module's sections to the import section's memory entry. */
function unshare(bytes: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  let at = 8 // magic and version
  const leb = () => {
    let value = 0
    let shift = 0
    let byte: number
    do {
      byte = bytes[at++]
      value += (byte & 0x7f) * 2 ** shift
      shift += 7
    } while (byte & 0x80)
    return value
  }
  while (at < bytes.length) {
    const id = bytes[at++]
    const size = leb()
    if (id !== 2) {
      at += size
      continue
    }
    for (let count = leb(); count > 0; count--) {
      for (let name = 0; name < 2; name++) {
        const length = leb() // the module's name, then the field's (read first: `at += leb()` would add to the old at)
        at += length
      }
      const kind = bytes[at++]
      if (kind === 2) {
        bytes[at] &= ~0x02 // limits flags: 0x02 is "shared"
        return bytes
      }
      if (kind === 0)
        leb() // a function: its type index
      else if (kind === 3)
        at += 2 // a global: value type, mutability
      else if (kind === 1) {
        // a table: reference type, then limits (flags, minimum, maximum if flags & 1)
        const flags = bytes[++at]
        at++
        leb()
        if (flags & 1) leb()
      }
    }
    break
  }
  throw new Error('wasm-optim: the wasm build imports no memory (a broken build?)')
}
