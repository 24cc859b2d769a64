// The one registry of audit action names. An audit record names one of these; the database checks nothing
// about names, so this list is where a reader (and the verifier of the audit issue) learns the vocabulary.

export const ACTIONS = {
  'range.imported': 'A number range was imported (one record for the whole range, with the SHA-256 of its input)',
  'sims.imported': 'SIM stock was imported from a CSV (one record per file, with its SHA-256)',
  'sims.allocated': 'SIM stock was allocated to a shop',
  'number.reserved': 'A number was leased to an agent for a sale',
  'number.released': 'A reservation was released by its agent',
  'number.reservation_expired': 'A reservation lease ran out and the number returned to the pool',
  'number.sold': 'A number was sold: custody started with basis sale and a SIM was bound',
  'subscriber.created': 'A subscriber was registered with KYC',
  'shop.created': 'A shop was created',
  'staff.created': 'A staff account was created (the first admin by `numguard staff bootstrap-admin`)',
  'machine_client.created': 'A machine client was registered with its scopes (its secret is never recorded)',
  'session.signed_in': 'A staff member signed in',
  'session.signed_out': 'A staff member signed out',
  'session.revoked': 'A session was revoked',
  'session.sign_in_failed': 'A sign-in attempt failed',
  // Staff access (issue 4): TOTP MFA, role grants and credential resets by request, suspension.
  'session.mfa_challenged':
    'A password was right; the session waits for a TOTP code (or a first enrolment) before it signs in',
  'session.mfa_failed':
    'A TOTP code typed into a waiting session was wrong (counts in the sign-in throttle) or replayed (does not)',
  'staff.mfa_enrolment_started': 'A staff member was offered a TOTP secret to enrol (the secret is never recorded)',
  'staff.mfa_enrolled': 'A staff member confirmed their TOTP enrolment with a valid code',
  'staff.roles_granted':
    'An executed role_grant request set a staff member’s roles (and shop); they cannot approve for 7 days',
  'staff.credentials_reset':
    'An executed credential_reset request replaced a password and cleared MFA; sessions ended; 7 days without approving',
  'staff.suspended':
    'A compliance officer suspended a staff member: sessions ended, their open requests cancelled, approvals voided',
  'request.reassigned': 'A pending request of a suspended approver was assigned to another eligible approver',
  'machine.token_issued': 'A machine client received an access token',
  'machine.token_refused':
    'A machine client was refused a token: wrong secret, unknown or disabled client, or throttled (counts per client id)',
  'alert.raised': 'An alert was raised about a refused or suspicious attempt',
  'alert.repeated':
    'An identical alert (kind, person, subject) came again within its window: its repeat count went up by one',
  // Partner APIs (src/partner): a partner's standing question about one number (CAMARA SIM Swap Subscriptions).
  'partner.subscription_created': 'A partner subscribed to SIM swaps of a number (its sink token is never recorded)',
  'partner.subscription_ended': 'A partner subscription ended: deleted, expired, or its maximum of events reached',
  'clock.advanced': 'The demo clock was moved forward',
  'demo.seeded': 'The demo data set was loaded',
  // SMS notices: at most once (a part is committed submitting before it goes out), with their evidence.
  'sms.notice_queued': 'An SMS notice was queued (purpose, dedupe key, template; any code only sealed, never in clear)',
  'sms.notices_claimed': 'A sender claimed queued notices to send them (lease)',
  'sms.part_submitting': 'A part was committed as submitting, before its bytes went to the SMSC',
  'sms.part_submitted': 'The SMSC accepted a part and gave its message id',
  'sms.notice_submitted':
    'The SMSC accepted every part of a notice; its delivery receipts are awaited (any sealed code wiped)',
  'sms.notice_requeued':
    'A send was paused with nothing lost: the SMSC refused a part (not bound, throttled) or a lease ran out',
  'sms.notice_failed': 'The SMSC refused a part for good: the notice is not evidence (alert sms_submit_failed)',
  'sms.outcome_unknown':
    'A part may or may not have gone out (timeout, crashed sender): never resent (alert sms_outcome_unknown)',
  'sms.notice_cancelled': 'A notice was cancelled before anything was sent (expired or withdrawn by its caller)',
  'sms.receipt_recorded': 'A delivery receipt was stored (matched to its part, or kept to be matched later)',
  'sms.notice_evidenced': 'Every part of a notice has a final delivery receipt: the notice is evidence',
  'sms.receipts_missing':
    'A submitted notice still lacks final receipts long after it was sent (alert sms_receipt_missing)',
  'sms.mo_received': 'An SMS from a subscriber (MO) was stored, codes masked',
  'sms.mo_handled': 'An MO message was routed by its keyword and answered',
  // Requests (four eyes) and reclaim during aging; the register of permanent disconnections.
  'request.created': 'A request was created (kind, payload SHA-256, requester, assigned approver)',
  'request.approved': 'The assigned approver approved a request, signing its payload SHA-256',
  'request.rejected': 'The assigned approver rejected a request',
  'request.executed': 'An approved request was executed (its approvals re-checked)',
  'request.expired': 'A request passed its expiry without being executed',
  'request.cancelled': 'The requester withdrew an open request',
  'number.reclaimed': 'The former holder reclaimed a number during aging: custody restored with basis reclaim',
  'disconnection.recorded': 'A permanent disconnection was entered in the register (number, date)',
  'disconnection.cancelled': 'A reclaim or reinstatement during aging cancelled a registered disconnection',
  'report.disconnections_generated': 'The monthly permanent-disconnection file was written (with its SHA-256)',
  // Customer sessions (invariant 10): an agent sees a subscriber's details only after authenticating the customer.
  'customer_session.code_sent':
    'A one-time code to open a customer’s account by this agent was sent by SMS to the number (code only hashed)',
  'customer_session.opened':
    'An agent opened a customer session by authenticating the customer (method, agent, subscriber, number)',
  'customer_session.auth_failed':
    'Customer authentication failed: a wrong or stale code, or a document not matching the KYC hash',
  'customer_session.closed': 'A customer session or a pending code was closed by its agent',
  'customer_session.locked_out':
    'Too many failed customer authentications: the agent is locked out of that number (not the holder)',
  'customer_session.lock_released':
    'A supervisor of another shop or a compliance officer released an agent’s lock on a number',
  // Holder consent and changes of custody or SIM (issue 4, items 3–8): consent only by SMS reply from the number.
  'request.consent_recorded':
    'A consent a request needs was recorded (holder: YES <code> by SMS from the number; new holder: ID check)',
  'consent.code_sent':
    'A one-time consent code bound to one request was sent by SMS to the number (only its HMAC kept)',
  'consent.code_refused': 'An SMS reply carried a wrong or stale consent code (attempts counted; void after the limit)',
  'number.transferred': 'An executed transfer moved custody to a new holder (old custody ended, new SIM bound)',
  'sim.swapped': 'An executed SIM swap ended the number’s SIM binding and bound a new SIM',
  'number.terminated': 'An executed termination by the holder ended custody; the number ages',
  'number.withdrawn_by_legal_order': 'An executed legal order ended custody (reason legal_order); the number ages',
  'subscriber.kyc_changed':
    'An executed KYC change replaced a subscriber’s identity document (ID-only auth waits 30 days)',
  'sim_swap_lock.locked': 'The holder turned the SIM-swap lock on (LOCK by SMS, or in a shop with ID)',
  'sim_swap_lock.unlock_requested':
    'The holder asked to turn the SIM-swap lock off: effective 24 h later, with a notice',
  'sim_swap_lock.unlocked':
    'A requested unlock took effect (24 h after UNLOCK); the holder was told, and may LOCK again',
  // Inactivity recycling: every decision names the policy version it applied (data.policy_version).
  'recycling.warning_queued': 'An inactivity warning of a cycle was queued for the holder (custody, cycle, stage)',
  'recycling.withdrawal_deferred':
    'A due withdrawal waits: evidence, usage veto or feed health not clear (once per reason per cycle)',
  'recycling.kept_by_decision':
    'A compliance officer decided a number waiting on the usage veto stays with its holder: a new cycle starts now',
  'recycling.usage_veto_overridden':
    'A compliance officer decided the usage veto does not stop this cycle’s withdrawal (evidence and feed still must hold)',
  'recycling.warning_replaced':
    'A warning that ended failed or unknown was queued again (failed: by the sweep; unknown: by a person), pushing the withdrawal',
  'number.suspended': 'Inactivity: outgoing calls barred (active → suspended)',
  'number.reactivated': 'Qualifying activity on a suspended number: outgoing calls restored (suspended → active)',
  'number.withdrawn':
    'Inactivity: custody ended with its cycle’s warnings evidenced; the number ages (basis inactivity)',
  'number.aged_out': 'A withdrawn number finished aging and returned to the pool',
  'number.reinstated': 'A late qualifying event dated before the withdrawal gave the number back to its holder',
  // Activity ingestion (one record per batch) and the provisioning outbox (HLR/HSS).
  'activity.ingested':
    'A batch of charging events was ingested (counts, sources, SHA-256 of the input; one record per batch)',
  'activity.source_retired': 'A charging source was retired: it no longer counts for feed health until it sends again',
  'provisioning.acked': 'A network system acknowledged provisioning events',
  'provisioning.nacked': 'A network system reported a provisioning event failed (retried with backoff)',
  'provisioning.dead_lettered': 'A provisioning event ran out of attempts (alert provisioning_dead_letter)',
  'provisioning.requeued': 'A dead provisioning event was put back in the queue by a person',
  'policy.version_added': 'A new recycling policy version was installed by its executed policy_change request',
  // Cases, protective holds, restorations and compensation (issue 11, src/cases).
  'case.complainant_code_sent':
    'A code proving a complainant is the subscriber of a (usually former) custody went to that subscriber’s alternate contact',
  'case.complainant_code_refused': 'A wrong complainant code was typed (attempts counted; void after five)',
  'case.opened':
    'A complaint or investigation was opened (category, numbers, the custody the complainant proved themselves against)',
  'case.updated': 'A case changed owner or status, or got its first response',
  'case.linked': 'A staff member, request or custody was linked to a case',
  'case.confirmed': 'A compliance officer confirmed a case: its held numbers are barred on the network',
  'case.findings_recorded':
    'A case’s findings and conclusion were recorded, with the measures taken (a staff suspension among them)',
  'hold.placed': 'A protective hold froze a number’s custody and SIM (with its case; at once for a complaint)',
  'hold.released': 'An executed hold_release request released a hold',
  'number.restored':
    'An executed restoration ended the wrongful custody and gave the number back to the former holder its case names',
  'compensation.offered': 'A compensation offer was made to a case’s complainant',
  'compensation.responded': 'A complainant’s answer to a compensation offer was recorded',
  // The audit log itself (issue 5).
  'audit.reconciled':
    'Every number’s holder, SIM and state were rebuilt from the leaves and compared with the tables (counts; each difference is a risk alert)',
  'audit.heartbeat': 'A day passed without a new checkpoint: this leaf makes the log grow so a fresh one is signed',
  'audit.personal_data_erased':
    'Personal data committed by leaves older than its retention was erased (the commitments stay)',
} as const

export type ActionName = keyof typeof ACTIONS
