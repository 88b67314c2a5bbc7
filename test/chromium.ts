// How the tests launch Debian's Chromium (apt-get install chromium; .ci/run does it): headless,
// as root without the sandbox, and with background networking off, since this machine's network
// refuses Chromium's own connections. CHROMIUM_PATH overrides the binary.
export const chromium = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
}
