// Generated from the admin API's OpenAPI document (src/admin/contract, docs/openapi.json) by
// `npm run docs:openapi` (scripts/console-types.js). Do not edit: change the schemas instead.

export type MappingInput = {
  /** The displayName or externalId of an IdP group, as the IdP sends it */
  idpGroup: string;
  /** The group the rule fills: an internal, static, active group that is not automatic */
  targetGroupId: string;
  /** Default: "SSO group <idpGroup>" */
  name?: string;
  enabled?: boolean;
  /** Lower runs first (default 100) */
  priority?: number;
};

export type PreviewUser = {
  id: string;
  userName?: string;
  displayName?: string;
};

export type Rule = {
  id: string;
  /** dynamic: a dynamic group's own rule (read-only here: its group manages it) */
  kind: 'rule' | 'mapping' | 'dynamic';
  name: string;
  expression: string;
  targetGroupId: string;
  enabled: boolean;
  priority: number;
  /** Mappings: the IdP group mapped */
  idpGroup?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  /** Whether the latest change is applied */
  sync: {
    /** The rule's latest change is still being applied */
    pending: boolean;
    pendingSince?: string;
    /** How far the running full run got */
    progress?: {
      matched: number;
      added: number;
      removed: number;
    };
  };
  lastRun?: RuleRunResult;
  /** The target group was deleted: the rule was disabled with it and gives nothing */
  targetMissing?: boolean;
};

export type RuleInput = {
  name: string;
  /** SCIM filter syntax or the product form, e.g. department = "Sales" AND country in "US","CA" (its grammar is checked by the server: RULE_SYNTAX, RULE_UNKNOWN_ATTRIBUTE, RULE_TYPE) */
  expression: string;
  /** The group the rule fills: an internal, static, active group that is not automatic */
  targetGroupId: string;
  enabled?: boolean;
  /** Lower runs first (default 100) */
  priority?: number;
};

export type RulePreview = {
  /** Active users the expression matches (with a target: those of its audience only) */
  matched: number;
  sample: PreviewUser[];
  /** Against the target group (absent without one) */
  membership?: {
    targetGroupId: string;
    /** Matching users who are not members now and would be added */
    adds: {
      count: number;
      sample: PreviewUser[];
    };
    /** Users the rule (ruleId) gave membership to who no longer match: they lose its source */
    removes: {
      count: number;
      sample: PreviewUser[];
      /** Of them, members by this rule only: they would leave the group */
      leavingGroup: number;
    };
    alreadyMembers: number;
  };
  /** With a target: a rule adds only users of its target group's audience (internal users to user groups, customers to customer groups) */
  audience?: {
    target: 'user' | 'customer';
    /** Users the expression matches whom the audience leaves out */
    excluded: {
      count: number;
      sample: PreviewUser[];
    };
    note: string;
  };
  usesGroups: boolean;
  attributes: string[];
  /** VALUE_NEVER_SEEN: an `eq` on a value no user of the tenant was ever given; IDP_GROUP_UNKNOWN: a `groups` test naming no IdP group pushed; MATCHES_NO_ONE */
  warnings: {
    code: 'VALUE_NEVER_SEEN' | 'IDP_GROUP_UNKNOWN' | 'MATCHES_NO_ONE';
    message: string;
    attribute?: string;
    value?: string;
    /** The nearest values seen (or IdP group names pushed), nearest first */
    suggestions: string[];
  }[];
  durationMs: number;
};

export type RulePreviewInput = {
  /** SCIM filter syntax or the product form, e.g. department = "Sales" AND country in "US","CA" (its grammar is checked by the server: RULE_SYNTAX, RULE_UNKNOWN_ATTRIBUTE, RULE_TYPE) */
  expression: string;
  /** Compare against this group (its audience and current members) */
  targetGroupId?: string;
  /** Compare against what this existing rule gave (its source); its target unless targetGroupId is given */
  ruleId?: string;
  /** Users listed per sample (0-100, default 20) */
  sampleSize?: number;
};

export type RuleRunResult = {
  version: number;
  outcome: 'completed' | 'removed' | 'targetMissing';
  matched: number;
  added: number;
  removed: number;
  durationMs: number;
  startedAt: string;
  finishedAt: string;
};

export type RuleUpdate = {
  name?: string;
  /** SCIM filter syntax or the product form, e.g. department = "Sales" AND country in "US","CA" (its grammar is checked by the server: RULE_SYNTAX, RULE_UNKNOWN_ATTRIBUTE, RULE_TYPE) */
  expression?: string;
  /** The group the rule fills: an internal, static, active group that is not automatic */
  targetGroupId?: string;
  enabled?: boolean;
  /** Lower runs first (default 100) */
  priority?: number;
};

export type RuleValidation =
  | {
      valid: true;
      syntax: 'product' | 'scim';
      /** The attributes it reads (schema URNs for extensions) */
      attributes: string[];
      usesGroups: boolean;
      /** IdP group names a `groups` test names */
      groupNames: string[];
      targetGroupId?: string;
      targetAudience?: 'user' | 'customer';
      /** Whom the target's audience leaves out: a rule adds only users of its target group's audience */
      note?: string;
    }
  | {
      valid: false;
      error: {
        /** RULE_SYNTAX, RULE_UNKNOWN_ATTRIBUTE, RULE_TYPE, … */
        code: string;
        message: string;
        line?: number;
        column?: number;
        hint?: string;
      };
    };

export type RuleValidationInput = {
  /** The expression to check (a syntax error is a 200 {valid: false}, not a 400) */
  expression: string;
  /** With a target, also say whom its audience leaves out */
  targetGroupId?: string;
};
