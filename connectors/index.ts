import type { ConnectorDescriptor } from '../src/domain/connector.js';
import { hubspot } from './hubspot/index.js';

/** Every platform segsync knows. Adding one is adding its folder and a line here. */
export const CONNECTORS: readonly ConnectorDescriptor<never>[] = [hubspot as ConnectorDescriptor<never>];
