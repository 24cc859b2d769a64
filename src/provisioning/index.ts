// The provisioning outbox: what other features may use.
export { checkProvisioningBacklog } from './backlog.ts'
export { enqueueProvisioning, PROVISIONING_KINDS, type ProvisioningKind, type ProvisioningRequest } from './outbox.ts'
