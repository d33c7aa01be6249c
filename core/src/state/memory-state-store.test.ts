import { MemoryStateStore } from './memory-state-store.js';
import { describeStateStoreContract } from './state-store-contract.test-helper.js';

describeStateStoreContract('MemoryStateStore', (clock) => new MemoryStateStore({ clock }));
