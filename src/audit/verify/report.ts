// The verifier's report as a person reads it: the verdict, what was checked, then the first failure and the rest.
import { problemText, type VerifyReport } from './types.ts'

const n = (x: number) => x.toLocaleString('en')
const plural = (x: number, one: string, many = `${one}s`) => `${n(x)} ${x === 1 ? one : many}`

export function formatReport(r: VerifyReport): string {
  const out: string[] = []
  out.push(`${r.ok ? 'VERIFIED' : 'FAILED'}: audit bundle ${r.dir}`)
  if (r.key)
    out.push(
      `  log key      ${r.key.name} (key id ${r.key.keyId})${r.origin && r.origin !== r.key.name ? `, origin ${r.origin}` : ''}`,
    )
  out.push(`  leaves       ${n(r.leaves)} read${r.size !== null ? ` of ${n(r.size)} in the manifest` : ''}`)
  const checked = r.checkpoints.filter((c) => c.rootMatches !== undefined)
  const matching = checked.filter((c) => c.rootMatches).length
  out.push(
    `  checkpoints  ${plural(r.checkpoints.length, 'signed checkpoint')}; root recomputed at ${n(checked.length)} sizes: ${n(matching)} match${checked.length > matching ? `, ${n(checked.length - matching)} differ` : ''}`,
  )
  for (const w of r.witnesses)
    out.push(
      `  witness      ${w.name} (${w.source === 'trusted' ? 'trusted' : 'listed by the bundle'}): cosigned ${plural(w.cosigned, 'checkpoint')}${w.latestSize !== null ? `, up to size ${n(w.latestSize)}` : ''}`,
    )
  for (const u of r.unknownSignatures)
    out.push(
      `  ignored      signature lines by ${u.name} (key id ${u.keyId}), a key not given nor listed, on ${plural(u.checkpoints, 'checkpoint')}`,
    )
  if (r.cosignaturePolicy)
    out.push(
      `  cosigned     ${plural(r.cosignaturePolicy.required, 'cosignature')} required from the witnesses given: ${r.cosignaturePolicy.size === null ? 'no checkpoint has them' : `up to size ${n(r.cosignaturePolicy.size)}`}`,
    )
  if (r.since)
    out.push(
      `  since        checkpoint size ${n(r.since.size)}: ${r.since.consistent === null ? 'not reached' : r.since.consistent ? 'consistent (same root recomputed)' : 'INCONSISTENT'}`,
    )
  const x = r.rules
  out.push(
    `  rules        ${plural(x.staffLeaves, 'staff leaf', 'staff leaves')} on ${plural(x.signIns, 'sign-in')}; ${plural(x.requestsExecuted, 'executed request')}; ${plural(x.withdrawals, 'inactivity withdrawal')}; ${plural(x.noticesEvidenced, 'evidenced notice')}`,
  )
  out.push(`  time         ${r.seconds.toFixed(2)} s on ${plural(r.threads, 'thread')}`)
  if (r.failures.length > 0) {
    out.push('', `first failure: ${problemText(r.failures[0])}`)
    const total = r.failures.length + r.moreFailures
    if (total > 1) {
      out.push(`all failures (${n(total)}):`)
      for (const f of r.failures) out.push(`  ${problemText(f)}`)
      if (r.moreFailures > 0) out.push(`  … and ${n(r.moreFailures)} more`)
    }
  }
  if (r.warnings.length > 0) {
    out.push('', `warnings (${n(r.warnings.length + r.moreWarnings)}):`)
    for (const w of r.warnings) out.push(`  ${problemText(w)}`)
    if (r.moreWarnings > 0) out.push(`  … and ${n(r.moreWarnings)} more`)
  }
  return `${out.join('\n')}\n`
}
