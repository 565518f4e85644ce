/*
 * Acceptance: BullMQ (a job queue built on Lua scripts, EVALSHA, streams and blocking commands)
 * against tredis. A Queue and a Worker process 500 jobs, some failing and retried with exponential
 * backoff, plus one delayed job; every job must complete with its result and the queue end empty.
 */
import { Queue, Worker, type Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server';
import { startTestServer } from './helpers/server';

describe('BullMQ on tredis', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv.close();
  });

  it('processes 500 jobs with retries, backoff and a delayed job', async () => {
    const connection = { host: '127.0.0.1', port: srv.port, maxRetriesPerRequest: null };
    const queue = new Queue('accept', { connection });
    const N = 500;
    const attempts = new Map<string, number>();
    const results = new Map<string, unknown>();
    let failedEvents = 0;
    let delayedDoneAt = 0;
    const delayedAddedAt = Date.now();
    let worker: Worker | null = null;
    try {
      const allDone = new Promise<void>((resolve, reject) => {
        worker = new Worker(
          'accept',
          async (job: Job) => {
            const n = (attempts.get(job.id!) ?? 0) + 1;
            attempts.set(job.id!, n);
            // every 50th job fails twice, then succeeds on its third attempt
            if ((job.data as { i: number }).i % 50 === 0 && n < 3) throw new Error('try again');
            return (job.data as { i: number }).i * 2;
          },
          { connection, concurrency: 10 },
        );
        worker.on('completed', (job: Job, value: unknown) => {
          results.set(job.id!, value);
          if (job.name === 'delayed') delayedDoneAt = Date.now();
          if (results.size === N + 1) resolve();
        });
        worker.on('failed', () => {
          failedEvents++;
        });
        worker.on('error', reject);
      });
      const jobs = [];
      for (let i = 0; i < N; i++) {
        jobs.push({ name: 'work', data: { i }, opts: { attempts: 3, backoff: { type: 'exponential', delay: 10 } } });
      }
      const added = await queue.addBulk(jobs);
      const delayed = await queue.add('delayed', { i: 1 }, { delay: 300 });
      expect(await delayed.getState()).toBe('delayed');
      await allDone;

      expect(results.size).toBe(N + 1);
      for (const job of added) expect(results.get(job.id!)).toBe((job.data as { i: number }).i * 2);
      // 10 jobs (i % 50 === 0) failed twice each before completing
      expect(failedEvents).toBe(20);
      for (const job of added) {
        expect(attempts.get(job.id!)).toBe((job.data as { i: number }).i % 50 === 0 ? 3 : 1);
      }
      expect(delayedDoneAt - delayedAddedAt).toBeGreaterThanOrEqual(290);
      const counts = await queue.getJobCounts();
      expect(counts).toMatchObject({ completed: N + 1, failed: 0, waiting: 0, active: 0, delayed: 0 });
      const retried = await queue.getJob(added[0]!.id!);
      expect(retried?.attemptsMade).toBe(3);
      expect(retried?.returnvalue).toBe(0);
    } finally {
      if (worker !== null) await (worker as Worker).close();
      await queue.close();
    }
  }, 60_000);
});
