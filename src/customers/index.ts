// Customer sessions as other features use them (invariant 10): whether an agent may see a subscriber's details now.
export { needsCustomerSession, SEES_DETAILS_FOR_THEIR_WORK, type SubscriberView, subscriberViewFor } from './access.ts'
export { CustomerSessionRequiredError } from './errors.ts'
export { openSessionFor } from './queries.ts'
export { customerSessionRoutes } from './routes.ts'
export * as customerAuthRules from './rules.ts'
