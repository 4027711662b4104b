/**
 * Who covers a site: the configured contacts of given roles for a site. Pure.
 */
import type { Config, ContactConfig } from '../config/schema.js';

/** Contacts of the given roles that cover a site (a contact with no sites covers all). */
export function contactsFor(config: Config, site: string, roles: readonly ContactConfig['role'][]): ContactConfig[] {
  return config.contacts.filter((c) => roles.includes(c.role) && (c.sites.length === 0 || c.sites.includes(site)));
}
