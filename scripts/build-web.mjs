// Builds the staff console into web/dist (run by `npm install` through "prepare").
// A production install without devDependencies (`npm ci --omit=dev`) has no Vite: it then ships the API only,
// unless web/dist was built beforehand.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const vite = 'node_modules/.bin/vite'
if (!existsSync(vite)) {
  console.log('numguard: Vite is not installed; skipping the console build (the API and /docs still work).')
  process.exit(0)
}
const out = spawnSync(vite, ['build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' })
process.exit(out.status ?? 1)
