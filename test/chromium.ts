import { spawnSync } from 'node:child_process'
import { createReadStream, createWriteStream, existsSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createBrotliDecompress } from 'node:zlib'

// Where the browser suites get a Chromium, in this order: CHROMIUM_PATH; a system Chromium or
// Chrome; the Chromium that ships inside the dev dependency @sparticuz/chromium (Linux x64 only).
// That one is brotli-compressed in the package: its executablePath() unpacks it under the temp
// folder (about 3 s, once), and the shared libraries it needs (NSS) come unpacked from its
// al2023.tar.br onto the browser's LD_LIBRARY_PATH, so that nothing has to be installed by hand.

/** How the tests start Chromium: headless, as root without the sandbox, background networking off (this machine's network refuses Chromium's own connections). */
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

const SYSTEM = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
]

export interface LaunchOptions {
  executablePath: string
  args: string[]
  env?: Record<string, string>
}

/** Unpacks a .tar.br of the package into `dir` (with the system's tar), once. */
async function untarBrotli(file: string, dir: string): Promise<void> {
  if (existsSync(dir)) return
  const tar = join(tmpdir(), `wasm-optim-${process.pid}.tar`)
  await pipeline(createReadStream(file), createBrotliDecompress(), createWriteStream(tar))
  const part = `${dir}.part-${process.pid}`
  mkdirSync(part, { recursive: true })
  const r = spawnSync('tar', ['-xf', tar, '-C', part])
  if (r.status !== 0) throw new Error(`tar failed on ${file}: ${r.stderr}`)
  spawnSync('mv', [part, dir])
  spawnSync('rm', ['-f', tar])
}

/** The packaged Chromium of @sparticuz/chromium, unpacked; undefined where the platform has none or it cannot be loaded. */
async function packaged(): Promise<LaunchOptions | string> {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    return `no packaged Chromium for ${process.platform}-${process.arch}`
  try {
    const { default: Sparticuz } = await import('@sparticuz/chromium')
    const executablePath = await Sparticuz.executablePath()
    const bin = join(dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium')), '../../bin')
    const libs = join(tmpdir(), 'wasm-optim-al2023')
    await untarBrotli(join(bin, 'al2023.tar.br'), libs)
    const path = [join(libs, 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':')
    return { executablePath, args: ARGS, env: { ...(process.env as Record<string, string>), LD_LIBRARY_PATH: path } }
  } catch (e) {
    return `@sparticuz/chromium could not be unpacked: ${(e as Error).message}`
  }
}

/** Launch options for the browser suites, or why there is no browser (one line). */
export async function findChromium(): Promise<LaunchOptions | string> {
  const given = process.env.CHROMIUM_PATH
  if (given) return existsSync(given) ? { executablePath: given, args: ARGS } : `CHROMIUM_PATH=${given} does not exist`
  const system = SYSTEM.find((p) => existsSync(p))
  if (system) return { executablePath: system, args: ARGS }
  return packaged()
}
