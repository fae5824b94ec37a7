import { sampled } from '../../services/src/lib/sampled';

test('fetches at most once per max age, and again after it', async () => {
  let calls = 0;
  const get = sampled(async () => ++calls, 0, 50);
  expect(await get()).toBe(1);
  expect(await get()).toBe(1);
  await new Promise((r) => setTimeout(r, 60));
  expect(await get()).toBe(2);
});

test('a failing or hanging fetch yields the fallback instead of failing or hanging the scrape', async () => {
  const failing = sampled<number>(() => Promise.reject(new Error('redis down')), -1, 1000);
  expect(await failing()).toBe(-1);
  const hanging = sampled<number>(() => new Promise<number>(() => undefined), -2, 1000, 20);
  expect(await hanging()).toBe(-2);
});
