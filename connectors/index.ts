import type { ConnectorDescriptor } from '../src/domain/connector.js';
import { hubspot } from './hubspot/index.js';
import { marketo } from './marketo/index.js';
import { shopify } from './shopify/index.js';

/**
 * Every platform segsync syncs with. Adding one is adding its folder, its mapping file and a line
 * here. (File imports are a source without a descriptor: `segsync import` opens them by path.)
 */
export const CONNECTORS: readonly ConnectorDescriptor<never>[] = [
  hubspot as ConnectorDescriptor<never>,
  marketo as ConnectorDescriptor<never>,
  shopify as ConnectorDescriptor<never>,
];
