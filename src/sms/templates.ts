// The texts numguard sends, in Khmer and English. A template names the parameters it needs; dates are passed as
// `YYYY-MM-DD` (operator's calendar) and written the way each language writes them. Khmer goes out as UCS-2
// (several parts); English stays within GSM-7 so a warning fits one or two parts.
import { ValidationError } from '../domain/errors.ts'

export type Language = 'km' | 'en'
export type TemplateParams = Record<string, string | number>

interface Template {
  params: readonly string[]
  en(p: Record<string, string>): string
  km(p: Record<string, string>): string
}

export const NOTICE_TEMPLATES = {
  inactivity_warning: {
    params: ['msisdn', 'daysLeft', 'withdrawalDate'],
    en: (p) =>
      `Your number ${p.msisdn} has not been topped up for a long time. Top up within ${p.daysLeft} days, ` +
      `before ${p.withdrawalDate}, to keep your number. After that it will be withdrawn.`,
    km: (p) =>
      `លេខ ${p.msisdn} របស់អ្នកមិនបានបញ្ចូលលុយយូរហើយ។ សូមបញ្ចូលលុយក្នុងរយៈពេល ${p.daysLeft} ថ្ងៃ មុនថ្ងៃ ` +
      `${p.withdrawalDate} ដើម្បីរក្សាលេខរបស់អ្នក។ បន្ទាប់ពីថ្ងៃនោះ លេខនេះនឹងត្រូវដកហូតវិញ។`,
  },
  suspension: {
    params: ['msisdn', 'withdrawalDate'],
    en: (p) =>
      `Outgoing calls and SMS on ${p.msisdn} are now barred because it has not been topped up. Incoming calls ` +
      `still work. Top up before ${p.withdrawalDate} to keep your number.`,
    km: (p) =>
      `ការហៅចេញ និងការផ្ញើសារពីលេខ ${p.msisdn} ត្រូវបានផ្អាក ដោយសារមិនបានបញ្ចូលលុយ។ អ្នកនៅតែអាចទទួលការហៅចូលបាន។ ` +
      `សូមបញ្ចូលលុយមុនថ្ងៃ ${p.withdrawalDate} ដើម្បីរក្សាលេខរបស់អ្នក។`,
  },
  withdrawal: {
    params: ['msisdn', 'reclaimUntil'],
    en: (p) =>
      `Your number ${p.msisdn} has been withdrawn because it was not topped up. You can reclaim it in one of our ` +
      `shops with your ID document until ${p.reclaimUntil}.`,
    km: (p) =>
      `លេខ ${p.msisdn} របស់អ្នកត្រូវបានដកហូតវិញ ដោយសារមិនបានបញ្ចូលលុយ។ អ្នកអាចទាមទារលេខនេះមកវិញនៅហាងរបស់យើង ` +
      `ដោយយកអត្តសញ្ញាណប័ណ្ណមកជាមួយ រហូតដល់ថ្ងៃ ${p.reclaimUntil}។`,
  },
  reclaim: {
    params: ['msisdn'],
    en: (p) => `Your number ${p.msisdn} is yours again. Thank you for staying with us.`,
    km: (p) => `លេខ ${p.msisdn} ត្រូវបានប្រគល់ជូនអ្នកវិញហើយ។ សូមអរគុណដែលបន្តប្រើប្រាស់សេវាកម្មរបស់យើង។`,
  },
  one_time_code: {
    params: ['code', 'action'],
    en: (p) =>
      `Your code to approve ${p.action} is ${p.code}. Reply YES ${p.code} to agree or NO to refuse. ` +
      'Never share this code with anyone.',
    km: (p) =>
      `លេខកូដរបស់អ្នកសម្រាប់អនុម័ត ${p.action} គឺ ${p.code}។ ឆ្លើយតប YES ${p.code} ដើម្បីយល់ព្រម ឬ NO ដើម្បីបដិសេធ។ ` +
      'កុំប្រាប់លេខកូដនេះដល់អ្នកណាម្នាក់ឡើយ។',
  },
  /**
   * The holder's consent to one request (src/consent): says what it authorises, that only a reply from this phone
   * counts, and that staff never ask for it (a code read out to anyone is how a number gets stolen).
   */
  consent_code: {
    params: ['code', 'action', 'minutes'],
    en: (p) =>
      `To agree to ${p.action}, reply YES ${p.code} from this phone within ${p.minutes} minutes. Reply NO to stop it. ` +
      'Our staff will NEVER ask you for this code: do not tell it to anyone.',
    km: (p) =>
      `ដើម្បីយល់ព្រមលើ ${p.action} សូមឆ្លើយតប YES ${p.code} ពីទូរស័ព្ទនេះក្នុងរយៈពេល ${p.minutes} នាទី។ ឆ្លើយតប NO ដើម្បីបញ្ឈប់វា។ ` +
      'បុគ្គលិករបស់យើងមិនដែលសុំលេខកូដនេះពីអ្នកទេ៖ កុំប្រាប់វាដល់អ្នកណាម្នាក់ឡើយ។',
  },
  /**
   * Opens the holder's account to one agent (src/customers): the customer reads the code to the agent serving them.
   * It says who asks and warns that nobody calls to ask for it (FCC 23-95: authentication before account access).
   */
  customer_session_code: {
    params: ['code', 'staff', 'place', 'msisdn', 'minutes'],
    en: (p) =>
      `Your code ${p.code} lets ${p.staff} at ${p.place} open your account for ${p.msisdn}. Give it only to the ` +
      'staff member serving you now, in our shop or on a call you made to us. We never call you to ask for it. ' +
      `It expires in ${p.minutes} minutes.`,
    km: (p) =>
      `លេខកូដ ${p.code} អនុញ្ញាតឱ្យ ${p.staff} នៅ ${p.place} បើកគណនីលេខ ${p.msisdn} របស់អ្នក។ ` +
      'សូមប្រាប់លេខកូដនេះតែទៅបុគ្គលិកដែលកំពុងបម្រើអ្នកនៅហាងរបស់យើង ឬតាមការហៅដែលអ្នកបានហៅមកយើងប៉ុណ្ណោះ។ ' +
      `យើងមិនដែលហៅទៅសុំលេខកូដនេះពីអ្នកទេ។ លេខកូដនេះផុតកំណត់ក្នុងរយៈពេល ${p.minutes} នាទី។`,
  },
  // Replies to STATUS, by where the number stands.
  status_active: {
    params: ['msisdn', 'date'],
    en: (p) => `Your number ${p.msisdn} is active. Top up before ${p.date} to keep it.`,
    km: (p) => `លេខ ${p.msisdn} របស់អ្នកកំពុងដំណើរការ។ សូមបញ្ចូលលុយមុនថ្ងៃ ${p.date} ដើម្បីរក្សាលេខរបស់អ្នក។`,
  },
  status_suspended: {
    params: ['msisdn', 'date'],
    en: (p) =>
      `Outgoing calls and SMS on ${p.msisdn} are barred. Top up before ${p.date} to reopen them and keep your number.`,
    km: (p) => `ការហៅចេញ និងការផ្ញើសារពីលេខ ${p.msisdn} ត្រូវបានផ្អាក។ សូមបញ្ចូលលុយមុនថ្ងៃ ${p.date} ដើម្បីបើកវាវិញ និងរក្សាលេខរបស់អ្នក។`,
  },
  status_no_deadline: {
    params: ['msisdn'],
    en: (p) => `Your number ${p.msisdn} is active.`,
    km: (p) => `លេខ ${p.msisdn} របស់អ្នកកំពុងដំណើរការ។`,
  },
  status_unknown: {
    params: ['msisdn'],
    en: (p) => `We have no active number ${p.msisdn} on record. Please visit one of our shops.`,
    km: (p) => `យើងរកមិនឃើញលេខ ${p.msisdn} ដែលកំពុងដំណើរការទេ។ សូមអញ្ជើញមកហាងរបស់យើង។`,
  },
  mo_unknown_keyword: {
    params: [],
    en: () => 'Sorry, we did not understand your message. Reply STATUS to see the state of your number.',
    km: () => 'សូមអភ័យទោស យើងមិនយល់សាររបស់អ្នកទេ។ ផ្ញើ STATUS ដើម្បីមើលស្ថានភាពលេខរបស់អ្នក។',
  },
  mo_not_expected: {
    params: [],
    en: () => 'There is nothing waiting for your answer on this number.',
    km: () => 'មិនមានសំណើណាមួយកំពុងរង់ចាំចម្លើយរបស់អ្នកសម្រាប់លេខនេះទេ។',
  },
  mo_error: {
    params: [],
    en: () => 'Sorry, we could not process your message right now. Please try again later.',
    km: () => 'សូមអភ័យទោស យើងមិនអាចដំណើរការសាររបស់អ្នកបាននៅពេលនេះទេ។ សូមព្យាយាមម្តងទៀតនៅពេលក្រោយ។',
  },
  /**
   * A lost-SIM swap, announced when it is filed to the number itself (the holder's SIM still rings until the swap
   * executes): when the new SIM would start, and how to stop it. Someone with a copy of the holder's ID card can file
   * one; this text is the holder's chance to say NO.
   */
  sim_swap_lost_number: {
    params: ['msisdn', 'after'],
    en: (p) =>
      `A new SIM card for ${p.msisdn} was requested in one of our shops (SIM reported lost). It will be activated ` +
      `after ${p.after}. If this was not you, reply NO from this phone or call us at once to stop it.`,
    km: (p) =>
      `មានការស្នើសុំស៊ីមកាតថ្មីសម្រាប់លេខ ${p.msisdn} នៅហាងរបស់យើង (ស៊ីមបាត់)។ វានឹងដំណើរការបន្ទាប់ពី ${p.after}។ ` +
      'ប្រសិនបើមិនមែនជាអ្នកទេ សូមឆ្លើយតប NO ពីទូរស័ព្ទនេះ ឬទូរស័ព្ទមកយើងភ្លាមៗ ដើម្បីបញ្ឈប់វា។',
  },
  /** The same swap, told to the holder's alternate contact: a reply from there does not count, the number's does. */
  sim_swap_lost_alt_contact: {
    params: ['msisdn', 'after'],
    en: (p) =>
      `A new SIM card for ${p.msisdn} was requested in one of our shops (SIM reported lost). It will be activated ` +
      `after ${p.after}. If the holder did not ask for it, reply NO from ${p.msisdn} or call us at once to stop it.`,
    km: (p) =>
      `មានការស្នើសុំស៊ីមកាតថ្មីសម្រាប់លេខ ${p.msisdn} នៅហាងរបស់យើង (ស៊ីមបាត់)។ វានឹងដំណើរការបន្ទាប់ពី ${p.after}។ ` +
      `ប្រសិនបើម្ចាស់លេខមិនបានស្នើសុំទេ សូមឆ្លើយតប NO ពីលេខ ${p.msisdn} ឬទូរស័ព្ទមកយើងភ្លាមៗ ដើម្បីបញ្ឈប់វា។`,
  },
  /**
   * Cases (src/cases): a complainant proves they are the subscriber of a (usually former) custody with a code sent to
   * that subscriber's alternate contact; the number itself may ring someone else's SIM.
   */
  complainant_code: {
    params: ['code', 'msisdn', 'staff', 'minutes'],
    en: (p) =>
      `Your code ${p.code} lets ${p.staff} record your complaint about ${p.msisdn}. Give it only to the staff ` +
      `member serving you now. It expires in ${p.minutes} minutes.`,
    km: (p) =>
      `លេខកូដ ${p.code} អនុញ្ញាតឱ្យ ${p.staff} កត់ត្រាពាក្យបណ្តឹងរបស់អ្នកអំពីលេខ ${p.msisdn}។ ` +
      `សូមប្រាប់លេខកូដនេះតែទៅបុគ្គលិកដែលកំពុងបម្រើអ្នកប៉ុណ្ណោះ។ លេខកូដនេះផុតកំណត់ក្នុងរយៈពេល ${p.minutes} នាទី។`,
  },
  /** A complaint placed a protective hold: told to the complainant on the contact they gave. */
  case_opened: {
    params: ['reference', 'msisdn'],
    en: (p) =>
      `We received your complaint ${p.reference} about ${p.msisdn}. The number is frozen: nobody can change its ` +
      'holder or SIM while we investigate. We will contact you.',
    km: (p) =>
      `យើងបានទទួលពាក្យបណ្តឹង ${p.reference} របស់អ្នកអំពីលេខ ${p.msisdn}។ លេខនេះត្រូវបានបង្កក៖ ` +
      'គ្មាននរណាអាចប្តូរម្ចាស់ ឬស៊ីមរបស់វាបានទេ ខណៈពេលយើងស៊ើបអង្កេត។ យើងនឹងទាក់ទងអ្នក។',
  },
  /** A restoration is filed: told to the number (the holder now) and to the rightful holder before it executes. */
  restoration_wrongful: {
    params: ['msisdn', 'reference'],
    en: (p) =>
      `Under case ${p.reference}, number ${p.msisdn} is being returned to its rightful holder. Your SIM for it ` +
      'will stop working. Please contact us or visit one of our shops.',
    km: (p) =>
      `តាមករណី ${p.reference} លេខ ${p.msisdn} កំពុងត្រូវបានប្រគល់ជូនម្ចាស់ត្រឹមត្រូវវិញ។ ស៊ីមរបស់អ្នកសម្រាប់លេខនេះនឹង` +
      'ឈប់ដំណើរការ។ សូមទាក់ទងមកយើង ឬអញ្ជើញមកហាងរបស់យើង។',
  },
  restoration_rightful: {
    params: ['msisdn', 'reference'],
    en: (p) =>
      `Under case ${p.reference}, number ${p.msisdn} is being returned to you on a new SIM from our shop. ` +
      'We will tell you when it works.',
    km: (p) =>
      `តាមករណី ${p.reference} លេខ ${p.msisdn} កំពុងត្រូវបានប្រគល់ជូនអ្នកវិញ ជាមួយស៊ីមថ្មីពីហាងរបស់យើង។ យើងនឹងប្រាប់អ្នកនៅពេលវាដំណើរការ។`,
  },
  /** Free text the caller wrote in the notice's language. */
  notice: {
    params: ['text'],
    en: (p) => p.text,
    km: (p) => p.text,
  },
} as const satisfies Record<string, Template>

export type NoticeTemplate = keyof typeof NOTICE_TEMPLATES

export function isNoticeTemplate(name: string): name is NoticeTemplate {
  return Object.hasOwn(NOTICE_TEMPLATES, name)
}

const KHMER_DIGITS = '០១២៣៤៥៦៧៨៩'
const KHMER_MONTHS = ['មករា', 'កុម្ភៈ', 'មីនា', 'មេសា', 'ឧសភា', 'មិថុនា', 'កក្កដា', 'សីហា', 'កញ្ញា', 'តុលា', 'វិច្ឆិកា', 'ធ្នូ']
const ENGLISH_MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
]

export function khmerDigits(text: string): string {
  return text.replace(/[0-9]/g, (d) => KHMER_DIGITS[Number(d)])
}

/** `2026-06-01` → `1 June 2026` / `១ មិថុនា ២០២៦`. */
export function formatDate(date: string, language: Language): string {
  const [y, m, d] = date.split('-').map(Number)
  return language === 'km'
    ? `${khmerDigits(String(d))} ${KHMER_MONTHS[m - 1]} ${khmerDigits(String(y))}`
    : `${d} ${ENGLISH_MONTHS[m - 1]} ${y}`
}

const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/
// Values a person reads as numbers are written in Khmer digits; codes and phone numbers stay ASCII (they are typed back).
const KHMER_NUMERALS = new Set(['daysLeft', 'minutes'])

/**
 * Renders a template; a missing parameter is a 400 naming it, never a text with a hole in it.
 * `masked` names parameters whose value is replaced by asterisks (the body stored for a notice with a code).
 */
export function renderNotice(
  template: NoticeTemplate,
  language: Language,
  params: TemplateParams,
  masked: readonly string[] = [],
): string {
  const spec: Template = NOTICE_TEMPLATES[template]
  const values: Record<string, string> = {}
  for (const name of spec.params) {
    const raw = params[name]
    if (raw === undefined || raw === null || String(raw).trim() === '')
      throw new ValidationError(`params.${name}`, `the ${template} notice needs the parameter ${name}`)
    let value = String(raw)
    if (DATE.test(value)) value = formatDate(value, language)
    else if (language === 'km' && KHMER_NUMERALS.has(name)) value = khmerDigits(value)
    values[name] = masked.includes(name) ? '*'.repeat(value.length) : value
  }
  return spec[language](values)
}
