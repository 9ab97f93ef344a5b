import type { CfnTemplate } from './cloud-template.ts';
import { startIamGate, type GatedService, type IamGate } from './iam-gate.ts';
import { Authorizer, bucketPolicies, localArn, rolePolicies, roleOf, type Principal } from './iam-policies.ts';

/** The endpoints of a function's worker, by the variable the SDK reads. */
const VARIABLES: Readonly<Record<GatedService, string>> = {
  dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB',
  s3: 'AWS_ENDPOINT_URL_S3',
  ses: 'AWS_ENDPOINT_URL_SESV2',
  lambda: 'AWS_ENDPOINT_URL_LAMBDA',
  sfn: 'AWS_ENDPOINT_URL_SFN',
};

export interface FunctionGates {
  /** The endpoint variables of a function's worker: its own gates in front of the given endpoints. */
  endpointsOf(functionLogicalId: string, network: Readonly<Record<string, string>>): Promise<Record<string, string>>;
  /** Refuses (throws AccessDenied) unless the role of a resource (a state machine) may invoke the function. */
  checkInvoke(callerLogicalId: string, functionLogicalId: string): Promise<void>;
  /** Refuses (throws AccessDenied) unless the role of a resource (a state machine, a schedule) may perform the action on another resource of the template. */
  checkCall(callerLogicalId: string, action: string, resourceLogicalId: string): Promise<void>;
  close(): Promise<void>;
}

/** An AWS AccessDenied, as the SDK surfaces it. */
export class AccessDenied extends Error {
  override readonly name = 'AccessDeniedException';
}

/**
 * IAM as AWS applies it to the stack's functions: each function's AWS calls go through loopback
 * gates that decide them against its role's policies in the template (and the bucket policy).
 */
export function functionGates(template: CfnTemplate): FunctionGates {
  const partitionKeys = new Map<string, string>();
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::DynamoDB::Table') continue;
    const hash = ((r.Properties?.KeySchema ?? []) as { AttributeName: string; KeyType: string }[]).find((k) => k.KeyType === 'HASH');
    if (hash !== undefined) partitionKeys.set(id, hash.AttributeName);
  }
  const resourcePolicies = bucketPolicies(template);
  const authorizers = new Map<string, Authorizer>();
  const authorizerOf = (logicalId: string, sessionName: string): Authorizer => {
    const key = `${logicalId}/${sessionName}`;
    let found = authorizers.get(key);
    if (found === undefined) {
      const roleName = roleOf(template, logicalId);
      if (roleName === undefined) throw new Error(`${logicalId} has no role in the template`);
      const principal: Principal = { roleName, sessionName, policies: rolePolicies(template, roleName) };
      found = new Authorizer(principal, resourcePolicies);
      authorizers.set(key, found);
    }
    return found;
  };
  const gates: Promise<IamGate>[] = [];
  const checkCall = async (callerLogicalId: string, action: string, resourceLogicalId: string): Promise<void> => {
    const resource = localArn(template, resourceLogicalId);
    const denial = await authorizerOf(callerLogicalId, callerLogicalId).deny({ action, resource });
    if (denial !== undefined) throw new AccessDenied(denial);
  };
  return {
    async endpointsOf(functionLogicalId, network) {
      const authorizer = authorizerOf(functionLogicalId, `local-${functionLogicalId}`);
      const endpoints: Record<string, string> = {};
      for (const [service, variable] of Object.entries(VARIABLES) as [GatedService, string][]) {
        const target = network[variable];
        if (target === undefined) continue;
        const gate = startIamGate(service, target, authorizer, { partitionKeys });
        gates.push(gate);
        endpoints[variable] = (await gate).endpoint;
      }
      return endpoints;
    },
    checkInvoke: (callerLogicalId, functionLogicalId) => checkCall(callerLogicalId, 'lambda:InvokeFunction', functionLogicalId),
    checkCall,
    async close() {
      await Promise.all(gates.map(async (g) => (await g).close()));
    },
  };
}
