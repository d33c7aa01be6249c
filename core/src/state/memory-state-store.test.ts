import { MemoryStateStore } from './memory-state-store.js';
import { describeRecordStoreContract, describeStateStoreContract } from '../testing/index.js';

describeStateStoreContract('MemoryStateStore', (clock) => new MemoryStateStore({ clock }));
describeRecordStoreContract('MemoryStateStore', (clock) => new MemoryStateStore({ clock }));
