/**
 * Groups every tenant starts with (DESIGN.md §2, product doc 000/003). `automatic` groups contain
 * every user of that audience without stored memberships; they cannot be renamed or deleted.
 */
export interface DefaultGroup {
  key: string;
  name: string;
  description: string;
  audience: 'user' | 'customer';
  automatic?: 'allInternal' | 'allCustomers';
  /** Key of a default role the group holds from the start (an admin may revoke it). */
  defaultRole?: string;
}

export const DEFAULT_GROUPS: readonly DefaultGroup[] = [
  { key: 'admins', name: 'Admins', description: 'All organization admins', audience: 'user' },
  // Product doc 003 lists All Users beside Platform Users: both hold every internal user.
  { key: 'all-users', name: 'All Users', description: 'Every internal user of the organization', audience: 'user', automatic: 'allInternal' },
  { key: 'platform-users', name: 'Platform Users', description: 'All internal members of the organization', audience: 'user', automatic: 'allInternal' },
  { key: 'support', name: 'Support', description: 'Members of the support team', audience: 'user' },
  {
    key: 'agent-automations-admins',
    name: 'Agent and Automations Admin',
    description: 'Users who create and configure agents, automations and data sources',
    audience: 'user',
    defaultRole: 'configure',
  },
  { key: 'customers', name: 'Customers', description: 'All external members (customers) of the organization', audience: 'customer', automatic: 'allCustomers' },
  { key: 'customer-admins', name: 'Customer Admins', description: 'Users who manage the customer inquiries of their workspace', audience: 'customer' },
  { key: 'verified-customers', name: 'Verified Customers', description: 'Customers whose identity has been verified', audience: 'customer' },
];

/** Keys of the automatic default groups that hold every active user of an audience. */
export function automaticGroupKeys(audience: 'user' | 'customer'): string[] {
  const kind = audience === 'customer' ? 'allCustomers' : 'allInternal';
  return DEFAULT_GROUPS.filter((g) => g.automatic === kind).map((g) => g.key);
}
