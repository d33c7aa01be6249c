import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { silentLogger } from '../logging/logger.js';
import { MemoryStateStore } from '../state/memory-state-store.js';
import { withPipelineLease } from './pipeline-lease.js';
import { SyncEngine } from './sync-engine.js';
import { AppendSink, ManualClock, MemorySource, makeProvider } from '../testing/index.js';

describe('pipeline lease', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('refuses a second run of the same pipeline while the first holds the lease, and releases it after', async () => {
    const state = new MemoryStateStore();
    const engine = SyncEngine.of({
      source: new MemorySource([makeProvider(1)]),
      stages: [],
      sinks: [new AppendSink()],
      state,
      logger: silentLogger,
      clock: { now: () => new Date() },
    });
    const held = await state.acquireLease('pipeline:p', 'someone-else', 60_000);
    expect(held).toBeDefined();
    await expect(engine.run({ pipeline: 'p', mode: 'full' })).rejects.toMatchObject({
      code: 'PMS_STATE_LEASE_HELD',
      message: expect.stringContaining('already running'),
    });
    // Another pipeline is not blocked, and a dry run needs no lease.
    await expect(engine.run({ pipeline: 'q', mode: 'full' })).resolves.toMatchObject({ read: 1 });
    await expect(engine.run({ pipeline: 'p', mode: 'full', dryRun: true })).resolves.toMatchObject({
      read: 1,
    });
    await state.releaseLease('pipeline:p', 'someone-else');
    await expect(engine.run({ pipeline: 'p', mode: 'full' })).resolves.toMatchObject({ read: 1 });
    expect(await state.acquireLease('pipeline:p', 'next-run', 60_000)).toBeDefined();
  });

  it('cancels the run when another run took the lease over', async () => {
    jest.useFakeTimers();
    const clock = new ManualClock();
    const state = new MemoryStateStore({ clock });
    let seen: AbortSignal | undefined;
    const run = withPipelineLease(
      state,
      'p',
      silentLogger,
      undefined,
      (signal) => {
        seen = signal;
        return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      },
      3000,
    );
    await jest.advanceTimersByTimeAsync(0);
    clock.advance(5000);
    expect(await state.acquireLease('pipeline:p', 'intruder', 3000)).toBeDefined();
    await jest.advanceTimersByTimeAsync(1000);
    await run;
    expect(seen?.aborted).toBe(true);
    expect(String((seen?.reason as Error).message)).toContain('lost its lease');
  });

  it('takes over at once the lease of a run on this machine whose process is gone', async () => {
    const state = new MemoryStateStore();
    const { spawnSync } = await import('node:child_process');
    const { hostname } = await import('node:os');
    // A process id that existed and no longer does: a child that already exited.
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    await state.acquireLease('pipeline:p', `${hostname()}:${gone}:crashed-run`, 60_000);
    await expect(
      withPipelineLease(state, 'p', silentLogger, undefined, async () => 'ran'),
    ).resolves.toBe('ran');
    // A live holder (this very process, another run) is respected.
    await state.acquireLease('pipeline:p', `${hostname()}:${process.ppid}:live-run`, 60_000);
    await expect(
      withPipelineLease(state, 'p', silentLogger, undefined, async () => 'ran'),
    ).rejects.toMatchObject({
      code: 'PMS_STATE_LEASE_HELD',
    });
  });
});
