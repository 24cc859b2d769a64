// Plain-language hints for error codes an operator is likely to meet. The server's message is always shown too.
const HINTS: Record<string, string> = {
  number_in_custody:
    'This number already has a holder. An active number changes hands only by a transfer request with the consent of both subscribers.',
  number_reserved:
    'Another agent holds the reservation on this number. Wait for it to expire or choose another number.',
  sim_not_available:
    'That SIM is no longer available to sell (already bound, deactivated or not in your shop). Choose another SIM.',
  kyc_mismatch:
    'The ID document number does not match the one this subscriber registered with. The attempt has been recorded; check the document the customer presents.',
  number_not_available: 'The number is not in a state that allows this. Reload the page to see its current state.',
  held: 'A protective hold is on this number: nothing about its custody or SIM may change.',
  number_held: 'A protective hold is on this number: nothing about its custody or SIM may change.',
  forbidden: 'Your roles do not allow this action.',
  not_found: 'Nothing was found. Check the identifier and try again.',
  invalid_credentials: 'The username or password is wrong.',
  staff_suspended: 'This staff account is suspended. Contact a compliance officer.',
  network_error: 'Check that the numguard server is running and reachable, then retry.',
  rate_limited: 'Too many attempts. Wait a moment before trying again.',
  customer_session_required:
    'Authenticate the customer first (Verify customer): a code sent to their number, or their ID document.',
  customer_auth_failed:
    'Failures are counted for you on this number; after 5 in 24 hours you are locked out of it and a supervisor is alerted.',
  customer_auth_locked:
    'You are locked out of this number after repeated failures. Another agent can serve the customer, or a supervisor of another shop can release the lock.',
  customer_code_not_usable: 'Each code opens one session, once, within 10 minutes. Send a new code.',
  id_authentication_refused:
    'The customer’s identity changed recently: authenticate them with a code sent to their number.',
  customer_code_limit: 'Enough codes went to this number today. Use the last one, or check the customer’s ID document.',
}

export function explain(code: string): string | undefined {
  return HINTS[code]
}
