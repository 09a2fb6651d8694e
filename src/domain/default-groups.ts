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
}

export const DEFAULT_GROUPS: readonly DefaultGroup[] = [
  { key: 'admins', name: 'Admins', description: 'All organization admins', audience: 'user' },
  { key: 'platform-users', name: 'Platform Users', description: 'All internal members of the organization', audience: 'user', automatic: 'allInternal' },
  { key: 'support', name: 'Support', description: 'Members of the support team', audience: 'user' },
  { key: 'customers', name: 'Customers', description: 'All external members (customers) of the organization', audience: 'customer', automatic: 'allCustomers' },
  { key: 'customer-admins', name: 'Customer Admins', description: 'Users who manage the customer inquiries of their workspace', audience: 'customer' },
  { key: 'verified-customers', name: 'Verified Customers', description: 'Customers whose identity has been verified', audience: 'customer' },
];
