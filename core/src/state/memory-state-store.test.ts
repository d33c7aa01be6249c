import { MemoryStateStore } from './memory-state-store.js';
import { describeStateStoreContract } from '../testing/index.js';

describeStateStoreContract('MemoryStateStore', (clock) => new MemoryStateStore({ clock }));
