// What a holder's consent code authorises, said in the SMS in their language (DOMAIN: codes say what they approve).
import type { RequestKind } from '../domain/requests.ts'

export function consentAction(kind: RequestKind, payload: Record<string, unknown>): { en: string; km: string } {
  const msisdn = String(payload.msisdn ?? '')
  switch (kind) {
    case 'transfer':
      return {
        en: `the transfer of your number ${msisdn} to a new holder`,
        km: `ការផ្ទេរលេខ ${msisdn} របស់អ្នកទៅម្ចាស់ថ្មី`,
      }
    case 'sim_swap':
      return {
        en: `a new SIM card for your number ${msisdn} (your current SIM will stop working)`,
        km: `ស៊ីមកាតថ្មីសម្រាប់លេខ ${msisdn} របស់អ្នក (ស៊ីមបច្ចុប្បន្នរបស់អ្នកនឹងឈប់ដំណើរការ)`,
      }
    case 'termination':
      return {
        en: `ending your service on ${msisdn} (the number will be withdrawn)`,
        km: `ការបញ្ចប់សេវាកម្មលើលេខ ${msisdn} របស់អ្នក (លេខនេះនឹងត្រូវដកហូតវិញ)`,
      }
    case 'kyc_change':
      return {
        en: `replacing the identity document of the account of ${msisdn} (new document ending ${String(payload.kyc_doc_last4)})`,
        km: `ការប្តូរឯកសារអត្តសញ្ញាណនៃគណនីលេខ ${msisdn} (ឯកសារថ្មីបញ្ចប់ដោយ ${String(payload.kyc_doc_last4)})`,
      }
    default:
      return { en: `a change to your number ${msisdn}`, km: `ការផ្លាស់ប្តូរលេខ ${msisdn} របស់អ្នក` }
  }
}
