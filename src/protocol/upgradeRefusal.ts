/**
 * The header that marks a refused WebSocket upgrade (or a plain GET's answer of what an upgrade would get) as this
 * server's verdict, with its value. Hint: the SDK reads a plain GET's answer only when it carries this, so a proxy's
 * own 403 or 404 for plain requests on /ws/ cannot end a subscription for good.
 */
export const UPGRADE_REFUSAL_HEADER = 'X-Upgrade-Refusal';
export const UPGRADE_REFUSAL_MARK = 'pipeline';
