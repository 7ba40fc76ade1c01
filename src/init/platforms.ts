/**
 * The variables `segsync init` asks for, per platform: each one's flag, prompt, and whether it is
 * a secret (not echoed, written only to the 0600 .env). The connectors' own zod parsing
 * (descriptor.configFromEnv) validates the values; this table only says how to ask for them.
 */
export interface CredentialField {
  variable: string;
  /** e.g. --hubspot-token; its commander option key is the camelCase of the rest. */
  flag: string;
  prompt: string;
  secret: boolean;
  required: boolean;
  /** false: only taken from its flag (e.g. a base URL that has a default). */
  ask: boolean;
}

export interface InitPlatform {
  id: string;
  displayName: string;
  fields: CredentialField[];
}

export const INIT_PLATFORMS: readonly InitPlatform[] = [
  {
    id: 'hubspot',
    displayName: 'HubSpot',
    fields: [
      { variable: 'HUBSPOT_ACCESS_TOKEN', flag: '--hubspot-token', prompt: 'HubSpot private app access token (Settings → Integrations → Private apps)', secret: true, required: true, ask: true },
      { variable: 'HUBSPOT_BASE_URL', flag: '--hubspot-base-url', prompt: 'HubSpot API base URL', secret: false, required: false, ask: false },
    ],
  },
  {
    id: 'marketo',
    displayName: 'Marketo',
    fields: [
      { variable: 'MARKETO_BASE_URL', flag: '--marketo-base-url', prompt: 'Marketo REST API endpoint (Admin > Web Services), e.g. https://123-ABC-456.mktorest.com', secret: false, required: true, ask: true },
      { variable: 'MARKETO_CLIENT_ID', flag: '--marketo-client-id', prompt: 'Marketo client ID (Admin > LaunchPoint > View Details)', secret: false, required: true, ask: true },
      { variable: 'MARKETO_CLIENT_SECRET', flag: '--marketo-client-secret', prompt: 'Marketo client secret', secret: true, required: true, ask: true },
    ],
  },
  {
    id: 'shopify',
    displayName: 'Shopify',
    fields: [
      { variable: 'SHOPIFY_SHOP_URL', flag: '--shopify-shop-url', prompt: 'Shopify shop URL, e.g. https://acme.myshopify.com', secret: false, required: true, ask: true },
      { variable: 'SHOPIFY_ACCESS_TOKEN', flag: '--shopify-token', prompt: 'Shopify Admin API access token (shpat_…)', secret: true, required: true, ask: true },
    ],
  },
];

/** --hubspot-base-url → hubspotBaseUrl, the key commander gives the option. */
export function optionKey(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function initPlatform(id: string): InitPlatform | undefined {
  return INIT_PLATFORMS.find((p) => p.id === id);
}
