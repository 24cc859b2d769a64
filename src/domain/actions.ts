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
  'machine.token_issued': 'A machine client received an access token',
  'alert.raised': 'An alert was raised about a refused or suspicious attempt',
  'clock.advanced': 'The demo clock was moved forward',
  'demo.seeded': 'The demo data set was loaded',
} as const

export type ActionName = keyof typeof ACTIONS
