import { createReadStream } from 'node:fs';
import type { CustomerStore } from '../functions/adapters/ports/customers.ts';
import type { ObjectStore } from '../functions/adapters/ports/objects.ts';

/** A store that keeps nothing and counts the items it would write: strata's own cost, storage aside. */
export function countingStore(): CustomerStore & { writes: () => number } {
  let writes = 0;
  return {
    writes: () => writes,
    getFile: async () => undefined,
    fileVersions: async () => [],
    putFile: async () => void writes++,
    putChunkState: async () => void writes++,
    listChunkStates: async () => [],
    putOrders: async (orders) => void (writes += orders.length),
    putContacts: async (customers) => void (writes += customers.length),
    loadCustomer: async () => ({ profile: undefined, orders: [], events: [], memberships: [] }),
    putEvents: async (events) => void (writes += events.length),
    getContacts: async () => [],
    applyRefresh: async (updates) => {
      const n = updates.reduce((sum, u) => sum + (u.aggregates ? 1 : 0) + (u.changes ? u.changes.enter.length + u.changes.exit.length + u.changes.transitions.length : 0), 0);
      writes += n;
      return n;
    },
    async *listSegmentMembers() {
      yield [];
    },
    getPopulation: async () => undefined,
    putPopulation: async () => void writes++,
    countSegmentMembers: async () => 0,
    putSegmentSnapshot: async () => void writes++,
    listSegmentSnapshots: async () => [],
    async *scanProfiles() {
      yield [];
    },
    resolveAliases: async () => new Map<string, string>(),
    mergeCustomer: async () => undefined,
    findByEmail: async () => [],
    emailOwners: async () => new Map<string, string>(),
    externalIdOwners: async () => new Map<string, string>(),
    exportCustomer: async () => [],
    forgetCustomer: async (customerId) => ({ customerId, mergedIds: [], itemsDeleted: 0, addressHashes: [] }),
    suppress: async () => undefined,
    suppressCustomer: async () => undefined,
    erasedIds: async () => new Set<string>(),
    suppressions: async () => [],
    suppressedHashes: async () => new Set<string>(),
  };
}

/** The bench file as the one object of a bucket. */
export function fileStore(file: string): ObjectStore {
  return {
    openStream: async () => createReadStream(file),
    readText: async () => undefined,
    put: async () => undefined,
    createWriter: () => ({ write: async () => undefined, close: async () => undefined }),
    list: async () => [],
  };
}
