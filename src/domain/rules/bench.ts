import { performance } from 'node:perf_hooks';
import { loadSchemaRegistry } from '../../attributes/registry';
import { compileRule, rulePredicate, type CompiledRule } from './compile-rule';
import type { RuleGroups } from './rule-groups';
import { ruleSubject, type RuleSubject } from './rule-subject';

export interface RuleEvaluationBench {
  rules: number;
  /** Microseconds (wall clock) to evaluate every rule against one user: the best of several
   *  rounds, the one least disturbed by other processes on the machine. */
  usPerUser: number;
  /** The same in CPU time of this process (user + system), best round: steadier on a busy machine. */
  cpuUsPerUser: number;
}

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const CUSTOM = 'urn:scim-sync:params:scim:schemas:extension:custom:2.0:User';
const DEPARTMENTS = ['Sales', 'Support', 'Engineering', 'Finance', 'Legal', 'Marketing'];
const COUNTRIES = ['US', 'CA', 'DE', 'FR', 'GB', 'JP'];

/** A tenant's worth of rules, in both syntaxes and over the attributes rules test in practice. */
function ruleTexts(count: number): string[] {
  const templates: ((i: number) => string)[] = [
    (i) => `department = "${DEPARTMENTS[i % 6]}"`,
    (i) => `email.endsWith('@team${i}.company.com')`,
    (i) => `department = "${DEPARTMENTS[i % 6]}" AND (country in "US","CA","${COUNTRIES[i % 6]}" OR title != "Intern ${i}")`,
    (i) => `groups = "IdP Group ${i % 40}"`,
    (i) => `groups in "Engineering","Ops ${i}" AND NOT contractor = true`,
    (i) => `title sw "Support ${i % 3}" and emails[type eq "work" and value ew "@support.example.com"]`,
    (i) => `level >= ${i % 5} AND country != "${COUNTRIES[i % 6]}"`,
    (i) => `userName.startsWith('user${i % 10}') OR tags in "vip","beta${i}"`,
    (i) => `${ENTERPRISE}:costCenter eq "CC-${i}" or name.familyName co "son"`,
    (i) => `hireDate > "2021-0${(i % 9) + 1}-01T00:00:00Z" AND active = true`,
  ];
  return Array.from({ length: count }, (_, i) => (templates[i % templates.length] as (n: number) => string)(i));
}

function userJson(i: number): Record<string, unknown> {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE, CUSTOM],
    id: `usr_${i}`,
    userName: `user${i % 10}@company.com`,
    name: { givenName: 'Ann', familyName: i % 2 === 0 ? 'Johnson' : 'Smith' },
    title: i % 3 === 0 ? 'Support 1 Lead' : 'Engineer',
    active: true,
    emails: [
      { value: `user${i}@Support.Example.com`, type: 'work', primary: true },
      { value: `user${i}@home.example.org`, type: 'home' },
    ],
    [ENTERPRISE]: { department: DEPARTMENTS[i % 6], costCenter: `CC-${i}` },
    [CUSTOM]: { country: COUNTRIES[i % 6], level: i % 7, tags: ['vip'], hireDate: '2022-03-04T05:06:07Z', contractor: false },
    meta: { resourceType: 'User', created: '2024-01-01T00:00:00.000Z', lastModified: '2024-06-01T00:00:00.000Z' },
  };
}

/**
 * Evaluates 1,000 compiled rules against one user and reports the time per user. Each user is a
 * fresh RuleSubject (as the worker builds one per job), so the per-user work of reading and
 * case-folding attributes is included; compiling and group resolution are not (done once per
 * tenant rules version).
 */
export function benchRuleEvaluation(options: { rules?: number; users?: number; rounds?: number } = {}): RuleEvaluationBench {
  const ruleCount = options.rules ?? 1000;
  const userCount = options.users ?? 2000;
  const rounds = options.rounds ?? 7;
  const view = loadSchemaRegistry().view('User');
  const groups: RuleGroups = {
    groupIdsByName: new Map(Array.from({ length: 40 }, (_, g) => [`idp group ${g}`, [`grp_idp${g}`]] as [string, string[]]).concat([['engineering', ['grp_eng', 'grp_eng2']]])),
  };
  const compiled: CompiledRule[] = ruleTexts(ruleCount).map((text) => compileRule(view, text));
  const predicates = compiled.map((rule) => rulePredicate(rule, { tenantId: 'bench', groups }));
  const jsons = Array.from({ length: 50 }, (_, i) => userJson(i));
  const groupSets = Array.from({ length: 50 }, (_, i) => new Set([`grp_idp${i % 40}`, i % 2 === 0 ? 'grp_eng2' : 'grp_x']));

  let matched = 0;
  const evaluate = (subject: RuleSubject) => {
    for (let r = 0; r < predicates.length; r += 1) if ((predicates[r] as (s: RuleSubject) => boolean)(subject)) matched += 1;
  };
  const subjects = (n: number) => Array.from({ length: n }, (_, i) => ruleSubject(jsons[i % 50] as Record<string, unknown>, groupSets[i % 50]));

  for (const subject of subjects(200)) evaluate(subject); // warm-up (JIT)
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const batch = subjects(userCount);
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    for (const subject of batch) evaluate(subject);
    wall.push(((performance.now() - start) * 1000) / userCount);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / userCount);
  }
  if (matched === 0) throw new Error('benchmark rules matched nothing: the scenario is broken');
  const best = (samples: number[]) => Number(Math.min(...samples).toFixed(2));
  return { rules: ruleCount, usPerUser: best(wall), cpuUsPerUser: best(cpu) };
}
