// HTTP routes of transfers, SIM swaps, terminations, KYC changes, legal orders and the SIM-swap lock. Each files a
// request (src/requests shows, approves and executes it); the holder's consent arrives only by SMS reply, so there
// is deliberately no route that takes a consent code — the one below that looks like it refuses and alerts.
import type { FastifyInstance } from 'fastify'
import type { App } from '../app.ts'
import { runCommand } from '../audit/index.ts'
import { ConsentOnlyBySmsError, consentsOf } from '../consent/index.ts'
import { ForbiddenError } from '../domain/errors.ts'
import { normaliseMsisdnInput } from '../domain/msisdn.ts'
import { actorOf, staffOf } from '../platform/route-access.ts'
import { errorResponses, idParams, msisdnParams } from '../platform/schemas.ts'
import { findRequest, presentRequests } from '../requests/index.ts'
import type { NewSubscriber } from '../subscribers/index.ts'
import type { FiledChange } from './file-change.ts'
import { requestKycChange, requestTermination } from './holder-changes.ts'
import { checkHolderDocument, lockHolding } from './holding.ts'
import { requestLegalOrder } from './legal-order.ts'
import { resendConsentCode } from './resend-code.ts'
import * as schemas from './schemas.ts'
import { lockSimSwaps, requestSwapUnlock } from './swap-lock.ts'
import { requestSimSwap } from './swaps.ts'
import { requestTransfer } from './transfer.ts'
import { changeViewRoutes } from './view-routes.ts'

const tags = ['changes']
const changes = { access: { auth: 'staff', permission: 'request_changes' } } as const

export async function changeRoutes(server: FastifyInstance, app: App) {
  await changeViewRoutes(server, app)
  const msisdnOf = (raw: string) => normaliseMsisdnInput(raw, app.config.country)
  const present = async (filed: FiledChange, actor: Parameters<typeof presentRequests>[2]) => {
    const [request] = await presentRequests(app.db, [filed.request], actor, app.clock.now())
    const consents = await consentsOf(app.db, [filed.request.id])
    return {
      ...request,
      consents: consents.map((c) => ({ party: c.party, method: c.method, recorded_at: c.recorded_at })),
      consent_code_sent: filed.consent_code_sent,
      notice_ids: filed.notice_ids,
    }
  }
  const file = (path: string, summary: string, body: object, config: object = changes) => ({
    path: `/api/v1/numbers/:msisdn/${path}`,
    opts: { config, schema: { tags, summary, params: msisdnParams, body, response: errorResponses } },
  })

  {
    const r = file(
      'transfer',
      'File a transfer to a new holder (holder agrees by SMS; new holder’s ID here)',
      schemas.transferBody,
    )
    server.post<{
      Params: { msisdn: string }
      Body: {
        iccid: string
        new_subscriber_id?: string
        new_holder_doc_number?: string
        new_subscriber?: NewSubscriber
      }
    }>(r.path, r.opts, async (request) => {
      const b = request.body
      const filed = await runCommand(app.deps, actorOf(request), (ctx) =>
        requestTransfer(
          ctx,
          staffOf(request),
          {
            msisdn: msisdnOf(request.params.msisdn),
            iccid: b.iccid,
            newSubscriberId: b.new_subscriber_id,
            newHolderDocNumber: b.new_holder_doc_number,
            newSubscriber: b.new_subscriber,
          },
          app.config.kycKey,
        ),
      )
      return present(filed, request.actor)
    })
  }

  for (const lost of [false, true]) {
    const r = lost
      ? file('sim-swap-lost', 'File a SIM swap for a lost or stolen SIM (holder’s ID, 24 h wait)', schemas.lostSwapBody)
      : file('sim-swap', 'File a SIM swap, holder has the SIM (holder agrees by SMS)', schemas.swapBody)
    server.post<{ Params: { msisdn: string }; Body: { iccid: string; kyc_doc_number?: string } }>(
      r.path,
      r.opts,
      async (request) => {
        const input = { msisdn: msisdnOf(request.params.msisdn), ...request.body }
        const filed = await runCommand(app.deps, actorOf(request), (ctx) =>
          requestSimSwap(
            ctx,
            staffOf(request),
            { ...input, kycDocNumber: request.body.kyc_doc_number },
            app.config.kycKey,
            lost,
          ),
        )
        return present(filed, request.actor)
      },
    )
  }

  {
    const r = file('termination', 'File the holder’s termination (holder agrees by SMS; 24 h wait)', schemas.emptyBody)
    server.post<{ Params: { msisdn: string } }>(r.path, r.opts, async (request) => {
      const filed = await runCommand(app.deps, actorOf(request), (ctx) =>
        requestTermination(ctx, staffOf(request), { msisdn: msisdnOf(request.params.msisdn) }, app.config.kycKey),
      )
      return present(filed, request.actor)
    })
  }

  {
    const r = file(
      'kyc-change',
      'File a KYC identity change (holder agrees by SMS; supervisor of another shop)',
      schemas.kycChangeBody,
    )
    server.post<{
      Params: { msisdn: string }
      Body: { kyc_doc_kind: NewSubscriber['kyc_doc_kind']; kyc_doc_number: string; name?: string }
    }>(r.path, r.opts, async (request) => {
      const filed = await runCommand(app.deps, actorOf(request), (ctx) =>
        requestKycChange(
          ctx,
          staffOf(request),
          { msisdn: msisdnOf(request.params.msisdn), ...request.body },
          app.config.kycKey,
        ),
      )
      return present(filed, request.actor)
    })
  }

  {
    const r = file(
      'legal-order',
      'File a legal-order withdrawal with the order document’s SHA-256',
      schemas.legalOrderBody,
      {
        access: { auth: 'staff', permission: 'request_legal_orders' },
      },
    )
    server.post<{
      Params: { msisdn: string }
      Body: { order_reference: string; order_sha256: string; forbids_notice: boolean }
    }>(r.path, r.opts, async (request) => {
      const filed = await runCommand(app.deps, actorOf(request), (ctx) =>
        requestLegalOrder(ctx, staffOf(request), { msisdn: msisdnOf(request.params.msisdn), ...request.body }),
      )
      return present(filed, request.actor)
    })
  }

  server.post<{ Params: { id: string } }>(
    '/api/v1/requests/:id/consent-code',
    {
      config: changes,
      schema: {
        tags,
        summary: 'Send the holder a fresh consent code (to their phone only)',
        params: idParams,
        response: errorResponses,
      },
    },
    async (request) =>
      runCommand(app.deps, actorOf(request), (ctx) =>
        resendConsentCode(ctx, staffOf(request), request.params.id, app.config.kycKey),
      ),
  )

  server.post<{ Params: { id: string }; Body: { code: string } }>(
    '/api/v1/requests/:id/consent',
    {
      config: { access: { auth: 'staff', permission: 'view_requests' } },
      schema: {
        tags,
        summary: 'Refused, always: a holder’s consent code is accepted only as an SMS reply from the number',
        description: 'Any staff attempt to hand numguard a consent code is refused (403) and raises a risk alert.',
        params: idParams,
        body: schemas.consentCodeBody,
        response: errorResponses,
      },
    },
    async (request) => {
      const staff = staffOf(request)
      const target = await findRequest(app.db, request.params.id).catch(() => undefined)
      return runCommand(app.deps, actorOf(request), async () => {
        throw new ConsentOnlyBySmsError({ request_id: request.params.id }).withAlert({
          kind: 'staff_typed_consent_code',
          severity: 'risk',
          msisdn: target?.msisdn ?? null,
          attempt: {
            action: 'submit_consent_code',
            request_id: request.params.id,
            kind: target?.kind ?? null,
            staff_id: staff.staffId,
            username: staff.username,
          },
        })
      })
    },
  )

  server.post<{ Params: { msisdn: string }; Body: { action: 'lock' | 'unlock'; kyc_doc_number: string } }>(
    '/api/v1/numbers/:msisdn/swap-lock',
    {
      config: changes,
      schema: {
        tags,
        summary: 'The holder, in the shop with their ID, turns the SIM-swap lock on or off (off takes 24 h)',
        params: msisdnParams,
        body: schemas.swapLockBody,
        response: errorResponses,
      },
    },
    async (request) => {
      const msisdn = msisdnOf(request.params.msisdn)
      const agent = staffOf(request)
      if (!agent.shopId)
        throw new ForbiddenError('request_changes', 'The lock is set in a shop, where the holder shows their ID')
      const view = await runCommand(app.deps, actorOf(request), async (ctx) => {
        const holding = await lockHolding(ctx, msisdn, 'locked')
        checkHolderDocument(
          agent,
          holding,
          request.body.kyc_doc_number,
          app.config.kycKey,
          `swap_${request.body.action}`,
        )
        const evidence = { staff_id: agent.staffId, shop_id: agent.shopId }
        return request.body.action === 'lock'
          ? lockSimSwaps(ctx, holding, 'shop', evidence)
          : requestSwapUnlock(ctx, holding, 'shop', evidence)
      })
      return { msisdn, ...view }
    },
  )
}
