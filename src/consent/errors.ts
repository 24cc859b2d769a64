// Refusals of the consent feature: each names what was refused; an attempt to stand in for the holder alerts.
import { DomainError } from '../domain/errors.ts'

/** Staff tried to hand numguard a holder's consent code: consent is taken only from the holder's phone. */
export class ConsentOnlyBySmsError extends DomainError {
  constructor(details: Record<string, unknown>) {
    super(
      'consent_only_by_sms',
      403,
      'A holder’s consent code is accepted only as an SMS reply (YES <code>) from the number itself: staff never ' +
        'type it, and asking a customer for it is an incident',
      details,
    )
  }
}
