#!/usr/bin/env node
// numguard runs its TypeScript directly (Node's type stripping): Node 22.18+ or 24, which `npm install` provides.
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`numguard needs Node 22.18 or newer (this is ${process.version}). Run it through npm (npm start, npx numguard), which uses the Node 24 that npm install put in node_modules.`)
  process.exit(1)
}
await import('../src/cli/main.ts')
