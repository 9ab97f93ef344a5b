#!/usr/bin/env node
// The CLI is TypeScript; tsx compiles it on the fly so `npx strata` needs no build step.
import { register } from 'tsx/esm/api';

// strata runs on Node 20 by design; the SDK's notice that future releases need Node 22 is in the README, not in every run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
await import('./strata.ts');
